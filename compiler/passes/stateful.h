// Streaming state: turns a model into one that keeps state across runs, so a
// recurrent model (a keyword spotter, say) can run frame by frame.
//
// Two ways to ask for it (both may be combined):
//  - recurrent (`emlc compile --stateful`): every RNN/GRU/LSTM node's initial
//    state (initial_h, and initial_c for LSTM) becomes a state whose next
//    value is the node's final state (Y_h/Y_c, added as outputs if the model
//    does not use them). The initial state must be omitted (reset value:
//    zeros), a constant (reset value: that constant) or a graph input (which
//    stops being an input; reset value: zeros). Only forward recurrences can
//    stream: reverse and bidirectional layers need the whole sequence.
//  - pairs (`--state IN=OUT`): graph input IN stops being an input and holds,
//    at the start of each run, the value tensor OUT had at the end of the
//    previous run (zeros after a reset). OUT keeps its role (a graph output
//    stays one). This covers models exported with explicit state inputs and
//    outputs (streaming convolutions' buffers, hand-unrolled cells).
//
// The result is recorded in Graph::states; the planner gives every state
// arena bytes nothing else uses, and the emitter generates NAME_reset_state()
// and the copy of the next values at the end of each run.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"
#include "support/status.h"

namespace emlc {

struct StateOptions {
  bool recurrent = false;                                   // --stateful
  std::vector<std::pair<std::string, std::string>> pairs;  // --state IN=OUT
  bool any() const { return recurrent || !pairs.empty(); }
};

// Parses "IN=OUT" (the value of --state).
Expected<std::pair<std::string, std::string>> parseStatePair(const std::string& spec);

// Adds the requested states to an inferred graph (see above). Errors name the
// node or tensor and say what to change.
Status makeStateful(Graph& g, const StateOptions& opt);

}  // namespace emlc
