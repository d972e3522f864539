// Stack use of the generated run functions, measured on the target build
// (emlc compile --measure-stack).
//
// emlc cannot know stack frame sizes by itself: they are decided by the
// target compiler and its flags. So the measurement builds the generated
// NAME.cpp with the target compiler and -fcallgraph-info=su (GCC: each
// function's -fstack-usage frame plus the call graph), then takes the deepest
// call path from NAME_run and NAME_run_f32. A call cycle (recursion) or a
// dynamically sized frame (VLA, alloca) is an error: the generated code must
// have neither. Functions without a body in that object (the C library's
// expf, memcpy...) are listed as not included.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/emitter.h"
#include "support/status.h"

namespace emlc {

// Cortex-M4F with hard float, -O2: the reference target build.
extern const char* const kDefaultStackCompiler;

struct StackUsage {
  std::string function;                // NAME_run or NAME_run_f32
  int64_t bytes = 0;                   // deepest path, frames of functions in the object
  std::vector<std::string> external;   // called functions whose frames are not known (sorted)
};

// The analysis of one .ci file (GCC's VCG call graph with stack usage):
// worst-case stack of `entry`. Errors name the function and the problem.
Expected<StackUsage> stackFromCallGraph(const std::string& ci, const std::string& entry);

// Builds files[NAME.cpp] with `compiler` (a command: compiler and flags) in a
// temporary folder and measures NAME_run and NAME_run_f32.
Expected<std::vector<StackUsage>> measureRunStack(const FileMap& files, const std::string& name,
                                                  const std::string& compiler);

// Replaces the "not measured" stack note of files[NAME.h] with the measured
// numbers (NAME_RUN_STACK_BYTES, NAME_RUN_F32_STACK_BYTES) and how they were
// produced.
Status stateStackUsage(FileMap& files, const std::string& name, const std::string& compiler,
                       const std::vector<StackUsage>& usage);

}  // namespace emlc
