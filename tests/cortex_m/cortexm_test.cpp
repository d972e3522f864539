// Cortex-M4F test: a benchmark model's generated code cross-compiled with
// arm-none-eabi-g++ (-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard),
// run under qemu-system-arm -M mps2-an386 with semihosting, and compared
// with the same source built and run on the host, and with the reference.
//
// usage: emlc_cortexm_test MODEL_DIR WORK_DIR SUPPORT_DIR [--stream | --quantize CALIB.npy | --qdq]
//                          [--target cortex-m4|cortex-m7|cortex-m33] [--board an386|an500|an505]
// --target: compiled for that core (int8 DSP kernels, float FPU kernels); an
// int8 output must also equal, bit for bit, the compiler's evaluation of the
// reference (generic) kernels; a float model's evaluation through the
// target's kernels must match the reference output within 1e-4 (as the
// float model tests), like the QEMU output. --board: the QEMU machine (an386: M4F, the default; an500: M7;
// an505: M33, Secure, code at 0x10000000, RAM at 0x38000000) and its -mcpu.
// --stream: a batch-first sequence model (input [1, T, F], output [1, T, C])
// compiled with --stateful for one frame and run T times on the target, one
// frame per call after NAME_reset_state(); the outputs must equal the
// full-sequence reference.
// The target may contract multiply-adds into FMA instructions, so float
// models agree with the host to a normalised error of 1e-5 rather than bit
// for bit. int8 models (--quantize: static quantization calibrated on
// CALIB.npy; --qdq: MODEL_DIR/model_qdq.onnx with int8 input_0.npy and
// TFLM's output_0.npy) must agree bit for bit with the host build and with
// the compiler's own int8 evaluation (and, for --qdq, with TFLM's bytes).
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "driver/compile.h"
#include "onnx/onnx_pb.h"
#include "eval/evaluator.h"
#include "ops/lowering.h"
#include "quant/measure.h"
#include "quant/ptq.h"
#include "support/npy.h"
#include "support/output_dir.h"

namespace fs = std::filesystem;
using namespace emlc;

namespace {

int sh(const std::string& cmd) {
  std::printf("+ %s\n", cmd.c_str());
  std::fflush(stdout);
  return std::system(cmd.c_str());
}

std::string readFile(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Parses the transcript: hex float lines, then "rc 0".
bool parse(const std::string& text, std::vector<float>* v) {
  std::istringstream ss(text);
  std::string line;
  bool rc0 = false;
  while (std::getline(ss, line)) {
    if (line == "rc 0") rc0 = true;
    if (line.size() != 8 || line.find_first_not_of("0123456789abcdef") != std::string::npos) continue;
    uint32_t bits = static_cast<uint32_t>(std::stoul(line, nullptr, 16));
    float f;
    std::memcpy(&f, &bits, 4);
    v->push_back(f);
  }
  return rc0;
}

double normErr(const std::vector<float>& a, const float* b, size_t n) {
  double mx = 0, me = 0;
  for (size_t i = 0; i < n; ++i) {
    mx = std::max(mx, std::fabs(static_cast<double>(b[i])));
    me = std::max(me, std::isnan(a[i]) ? INFINITY : std::fabs(static_cast<double>(a[i]) - b[i]));
  }
  return mx > 0 ? me / mx : me;
}

}  // namespace

// A QEMU machine with its core's compiler flags and linker script.
struct Board {
  const char* name;
  const char* core;
  const char* machine;
  const char* cpu;
  const char* ld;
};
const Board kBoards[] = {
    {"an386", "Cortex-M4F", "mps2-an386", "-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -mthumb", "mps2_an386.ld"},
    {"an500", "Cortex-M7", "mps2-an500", "-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard -mthumb", "mps2_an386.ld"},
    {"an505", "Cortex-M33", "mps2-an505", "-mcpu=cortex-m33 -mfpu=fpv5-sp-d16 -mfloat-abi=hard -mthumb", "mps2_an505.ld"},
};

int main(int argc, char** argv) {
  // Trailing --target T / --board B.
  std::string targetName = "generic";
  const Board* board = &kBoards[0];
  while (argc >= 6 && (std::string(argv[argc - 2]) == "--target" || std::string(argv[argc - 2]) == "--board")) {
    const std::string v = argv[argc - 1];
    if (std::string(argv[argc - 2]) == "--target") {
      targetName = v;
    } else {
      board = nullptr;
      for (const Board& b : kBoards)
        if (v == b.name) board = &b;
      if (!board) {
        std::fprintf(stderr, "unknown board %s\n", v.c_str());
        return 2;
      }
    }
    argc -= 2;
  }
  const bool stream = argc == 5 && std::string(argv[4]) == "--stream";
  const bool qdq = argc == 5 && std::string(argv[4]) == "--qdq";
  const bool ptq = argc == 6 && std::string(argv[4]) == "--quantize";
  if (argc != 4 && !stream && !qdq && !ptq) {
    std::fprintf(stderr, "usage: emlc_cortexm_test MODEL_DIR WORK_DIR SUPPORT_DIR [--stream | --quantize CALIB.npy | --qdq]\n");
    return 2;
  }
  const bool int8 = qdq || ptq;
  const std::string modelDir = argv[1], work = argv[2], support = fs::absolute(argv[3]).string();
  const std::string name = fs::path(modelDir).filename().string();
  fs::remove_all(work);
  fs::create_directories(work);
  CompileOptions co;
  co.model_path = modelDir + (qdq ? "/model_qdq.onnx" : "/model.onnx");
  co.name = name;
  int64_t frames = 0;
  if (stream) {
    auto in0 = readNpy(modelDir + "/input_0.npy");
    onnx::ModelProto proto;
    if (!in0 || in0->type.rank() != 3 || !loadModelProto(co.model_path, uint64_t{1} << 30, &proto).isOk() ||
        proto.graph().input_size() < 1) {
      std::fprintf(stderr, "FAIL: --stream needs a model with one [1, T, F] input\n");
      return 1;
    }
    frames = in0->type.shape[1];
    co.import.input_shapes[proto.graph().input(0).name()] = {1, 1, in0->type.shape[2]};
    co.state.recurrent = true;
  }
  QuantOptions q;
  if (ptq) {
    q.mode = "int8";
    q.calibration = {argv[5]};
    co.passes.quant = &q;
  }
  const CompileOptions generic = co;  // the reference kernels
  co.passes.target = targetName == "cortex-m4"    ? PassOptions::Target::CortexM4
                     : targetName == "cortex-m7"  ? PassOptions::Target::CortexM7
                     : targetName == "cortex-m33" ? PassOptions::Target::CortexM33
                                              : PassOptions::Target::Generic;
  if (targetName != "generic" && co.passes.target == PassOptions::Target::Generic) {
    std::fprintf(stderr, "unknown target %s\n", targetName.c_str());
    return 2;
  }
  auto c = compileModel(co);
  if (!c) {
    std::fprintf(stderr, "FAIL: compile: %s\n", c.error().message.c_str());
    return 1;
  }
  const std::string gen = work + "/gen";
  if (Status st = writeOutputDir(gen, c->files); !st) {
    std::fprintf(stderr, "FAIL: %s\n", st.error().message.c_str());
    return 1;
  }
  auto input = readNpy(modelDir + "/input_0.npy");
  auto want = readNpy(modelDir + "/output_0.npy");
  if (input && want && qdq) {
    // The int8 input as the float values it stands for (NAME_run_f32
    // quantizes them back to the same codes); TFLM's output likewise.
    HostTensor in = *input;
    in.type = c->model.graph.t(c->model.graph.inputs[0]).type;
    input = dequantized(in);
    HostTensor out = *want;
    out.type = c->model.graph.t(c->model.graph.outputs[0]).type;
    want = dequantized(out);
  }
  if (!input || !want || input->type.dtype != DType::F32) {
    std::fprintf(stderr, "FAIL: cannot read the model's float32 input/output .npy\n");
    return 1;
  }
  // The compiler's own evaluation through the same float boundary.
  std::vector<float> evaluated;
  if (int8) {
    HostTensor in = *input;
    in.type.shape = c->model.graph.t(c->model.graph.inputs[0]).type.shape;
    auto ev = runFloatBoundary(c->model.graph, {in});
    if (!ev) {
      std::fprintf(stderr, "FAIL: evaluation: %s\n", ev.error().message.c_str());
      return 1;
    }
    evaluated.assign(ev->at(0).as<float>(), ev->at(0).as<float>() + ev->at(0).type.numel());
    if (targetName != "generic") {
      // The reference kernels' evaluation must give the same values.
      auto r = compileModel(generic);
      if (!r) {
        std::fprintf(stderr, "FAIL: compile (generic): %s\n", r.error().message.c_str());
        return 1;
      }
      auto rev = runFloatBoundary(r->model.graph, {in});
      if (!rev || rev->at(0).data != ev->at(0).data) {
        std::fprintf(stderr, "FAIL: --target %s evaluation differs from the reference kernels'\n", targetName.c_str());
        return 1;
      }
      std::printf("--target %s: emlc's evaluation equals the reference kernels' bit for bit\n", targetName.c_str());
    }
  }
  if (!int8 && targetName != "generic") {
    // The compiler's evaluation through the target's float kernels (the
    // same kernels, built for the host) against the reference output.
    HostTensor in = *input;
    in.type.shape = c->model.graph.t(c->model.graph.inputs[0]).type.shape;
    auto ev = runFloatBoundary(c->model.graph, {in});
    if (!ev || ev->at(0).type.numel() != want->type.numel()) {
      std::fprintf(stderr, "FAIL: evaluation: %s\n", ev ? "output size" : ev.error().message.c_str());
      return 1;
    }
    evaluated.assign(ev->at(0).as<float>(), ev->at(0).as<float>() + ev->at(0).type.numel());
  }
  {
    std::string h = "// Generated by emlc_cortexm_test from input_0.npy.\nstatic const float kInput[] = {";
    for (int64_t i = 0; i < input->type.numel(); ++i) h += (i ? ", " : "") + floatLiteral(input->as<float>()[i]);
    h += "};\n";
    std::ofstream(work + "/input_data.h") << h;
  }
  const std::string defs = fmt::format("-DEMLC_MODEL={0} -DEMLC_MODEL_HEADER='\"{0}.h\"' -I{1} -I{2}{3}", name, gen, work,
                                       stream ? fmt::format(" -DEMLC_FRAMES={}", frames) : "");
  const std::string arm = board->cpu;
  const std::string strict = "-std=c++17 -O2 -Wall -Wextra -Werror -fno-exceptions -fno-rtti -ffunction-sections -fdata-sections";
  std::string objs;
  for (const std::string f : {name, name + "_weights"}) {
    if (sh(fmt::format("arm-none-eabi-g++ {} {} -c {}/{}.cpp -o {}/{}.arm.o", arm, strict, gen, f, work, f)) != 0) {
      std::fprintf(stderr, "FAIL: generated %s.cpp does not cross-compile\n", f.c_str());
      return 1;
    }
    objs += fmt::format(" {}/{}.arm.o", work, f);
  }
  if (sh(fmt::format("arm-none-eabi-g++ {} {} {} -c {}/model_main.cpp -o {}/main.arm.o", arm, strict, defs, support, work)) != 0 ||
      sh(fmt::format("arm-none-eabi-gcc {} -O2 -Wall -Wextra -c {}/startup.c -o {}/startup.arm.o", arm, support, work)) != 0 ||
      sh(fmt::format("arm-none-eabi-g++ {} -T {}/{} -nostartfiles --specs=nano.specs --specs=nosys.specs "
                     "-Wl,--gc-sections {}/startup.arm.o {}/main.arm.o{} -lm -o {}/app.elf",
                     arm, support, board->ld, work, work, objs, work)) != 0) {
    std::fprintf(stderr, "FAIL: the Cortex-M program does not build\n");
    return 1;
  }
  int rc = sh(fmt::format("timeout 120 qemu-system-arm -M {1} -nographic -monitor none -serial null "
                          "-semihosting-config enable=on,target=native -kernel {0}/app.elf > {0}/target.txt 2>&1",
                          work, board->machine));
  if (rc != 0) {
    std::fprintf(stderr, "FAIL: QEMU run exited with status %d:\n%s\n", rc, readFile(work + "/target.txt").c_str());
    return 1;
  }
  if (sh(fmt::format("g++ -DEMLC_HOST {} -std=c++17 -O2 {}/model_main.cpp {}/{}.cpp {}/{}_weights.cpp -o {}/host -lm",
                     defs, support, gen, name, gen, name, work)) != 0 ||
      sh(fmt::format("{0}/host > {0}/host.txt", work)) != 0) {
    std::fprintf(stderr, "FAIL: the host build of the same program failed\n");
    return 1;
  }
  std::vector<float> target, host;
  bool tok = parse(readFile(work + "/target.txt"), &target), hok = parse(readFile(work + "/host.txt"), &host);
  const size_t n = static_cast<size_t>(want->type.numel());
  if (!tok || !hok || target.size() != n || host.size() != n) {
    std::fprintf(stderr, "FAIL: transcripts incomplete (target %zu values, host %zu, expected %zu)\n", target.size(),
                 host.size(), n);
    return 1;
  }
  double eTH = normErr(target, host.data(), n), eRef = normErr(target, want->as<float>(), n);
  size_t arg = 0;
  for (size_t i = 1; i < n; ++i)
    if (target[i] > target[arg]) arg = i;
  std::printf("%s (QEMU %s, --target %s): %zu outputs%s, argmax %zu; normalised error vs host %.3g, vs reference "
              "%.3g\n",
              board->core, board->machine, targetName.c_str(), n, stream ? fmt::format(" ({} frames, one run each)", frames).c_str() : "", arg, eTH, eRef);
  if (int8) {
    // Bit for bit: target == host == the compiler's evaluation (== TFLM for --qdq).
    const bool same = std::memcmp(target.data(), host.data(), n * 4) == 0 && evaluated.size() == n &&
                      std::memcmp(target.data(), evaluated.data(), n * 4) == 0 &&
                      (!qdq || std::memcmp(target.data(), want->as<float>(), n * 4) == 0);
    std::printf("int8: target, host and emlc's evaluation%s %s bit for bit\n", qdq ? " and TFLM" : "",
                same ? "agree" : "DIFFER");
    if (!same) return 1;
  } else if (!(eTH <= 1e-5) || !(eRef <= 1e-4)) {
    std::fprintf(stderr, "FAIL: Cortex-M output differs\n");
    return 1;
  } else if (!evaluated.empty()) {
    const double eEval = normErr(evaluated, want->as<float>(), n);
    std::printf("float --target %s: emlc's evaluation vs reference %.3g\n", targetName.c_str(), eEval);
    if (!(eEval <= 1e-4)) {
      std::fprintf(stderr, "FAIL: the target kernels' evaluation differs from the reference\n");
      return 1;
    }
  }
  std::printf("PASS\n");
  return 0;
}
