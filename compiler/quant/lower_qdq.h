// QDQ lowering: a graph whose float ops sit between DequantizeLinear and
// QuantizeLinear nodes (ONNX QDQ format: TFLite exports, ONNX Runtime's
// quantizer, PyTorch/Brevitas, and emlc's own calibration) becomes a graph
// of int8 kernels that use the model's own scales, without recalibration.
//
// Pattern: DQ(x_q) [, DQ(W_q) [, DQ(B_q)]] -> op -> [Relu|Clip]* -> Q -> y_q
// becomes one int8 node x_q [, W_q, B_q] -> y_q (emlc.QConv, emlc.QGemm,
// emlc.QAdd, emlc.QMul, emlc.QAvgPool, emlc.QSoftmax, emlc.QLut, or the
// standard op running on int8 codes: MaxPool, Reshape, Concat, Pad, ...),
// with the Relu/Clip folded into the output clamp (TFLite's fused
// activation). Ops whose input and output scales must match in TFLite
// (pools, reshapes) get an emlc.Requantize when they do not. A DQ -> Q pair
// becomes an emlc.Requantize (or an Identity when the parameters agree).
//
// Everything else keeps running in float: its DequantizeLinear and
// QuantizeLinear nodes stay as real conversions, and DequantizeLinear of
// constants is folded into float constants. The report lists what was
// lowered and why the rest was not.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "support/status.h"

namespace emlc {

struct QdqNodeReport {
  std::string node;     // the float node's label
  std::string op_type;
  bool lowered = false;
  std::string result;   // int8 op it became, or why it stayed float
};

struct QdqReport {
  std::vector<QdqNodeReport> nodes;
  int requantize_pairs = 0;  // DQ -> Q pairs turned into Requantize/Identity
  int folded_dequantize = 0; // DequantizeLinear of constants folded to float
};

// True if the graph holds QuantizeLinear/DequantizeLinear nodes.
bool hasQdq(const Graph& g);

// Lowers in place; returns whether anything changed. The graph is verified
// and compacted afterwards.
Expected<bool> lowerQdq(Graph& g, QdqReport* report);

}  // namespace emlc
