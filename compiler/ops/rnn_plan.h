// Shared by the float recurrent ops (rnn.cpp) and their int8 forms
// (qrnn.cpp): attribute parsing and shape checks of ONNX RNN/GRU/LSTM nodes.
#pragma once

#include <string>

#include "emlc/rnn.h"
#include "ir/graph.h"
#include "support/status.h"

namespace emlc {

enum class RnnKind { Rnn, Gru, Lstm };

struct RnnPlan {
  rt::RnnParams p{};
  Shape y, y_h;  // output shapes (Y_c = Y_h)
  int64_t gates = 1;
};

// Checks node n (inputs in ONNX order: X, W, R, B, sequence_lens,
// initial_h, initial_c, P) and computes the kernel parameters. `int8`: the
// node is an int8 form, whose element types the caller checks (the float
// checks are skipped) and whose `layout` attribute is read at any opset.
Expected<RnnPlan> planRnn(const Node& n, const Graph& g, RnnKind kind, bool int8 = false);

// Why an ONNX RNN/GRU/LSTM node cannot get an int8 kernel ("" if it can):
// constant W/R/B, no peepholes, hidden size <= 256, bounded activations
// saturated beyond +-8 (qrnn.cpp).
std::string int8RecurrentBlocker(const Node& n, const Graph& g);
// "QRNN", "QGRU" or "QLSTM" (domain emlc) for "RNN", "GRU" or "LSTM".
const char* int8RecurrentOpType(const std::string& onnx_op);

}  // namespace emlc
