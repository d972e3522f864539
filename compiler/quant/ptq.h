// Static post-training int8 quantization (--quantize int8).
//
// quantizeGraph() turns the optimised float graph into a QDQ graph that the
// lower-qdq pass then makes integer:
//   1. prepare: standalone BatchNormalization becomes a 1x1 depthwise Conv
//      (when the float passes did not fold it), activations fused by the
//      float passes that are not clamps are split off again;
//   2. choose the nodes to quantize: ops with an int8 kernel, minus
//      --keep-float names/op types (and the accuracy budget's choice);
//   3. calibrate: run the float graph on the calibration samples (streamed
//      from .npy files) and collect each activation's range (minmax,
//      percentile:P or mse);
//   4. insert QuantizeLinear/DequantizeLinear pairs with the TFLite scheme:
//      activations int8 asymmetric per tensor, weights int8 symmetric per
//      output channel (-127..127), biases int32 with scale s_x * s_w[c];
//      the graph's inputs and outputs become int8 (the generated NAME_run_f32
//      quantizes and dequantizes at the boundary);
//   5. measure (when asked): per-layer SQNR over the calibration set, float
//      and int8 accuracy on test data, and the accuracy budget's greedy
//      search for layers to keep in float.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/host_tensor.h"
#include "quant/lower_qdq.h"
#include "support/status.h"

namespace emlc {

struct QuantOptions {
  std::string mode;                      // "" (float) or "int8"
  std::vector<std::string> calibration;  // per model input: a .npy file (samples stacked) or a folder of them
  std::string method = "minmax";         // minmax | percentile:P | mse
  std::vector<std::string> keep_float;   // node names or op types kept in float
  bool report = false;                   // per-layer SQNR (--quantize-report)
  std::vector<std::string> test_data;    // per model input, like calibration
  std::string test_labels;               // .npy of integer labels, one per test sample
  double accuracy_budget = -1.0;         // points of accuracy int8 may lose (< 0: no budget)
  std::string metric = "auto";           // top1 | auc (anomaly score = reconstruction MSE) | auto
  // --stateful: calibration runs the samples as consecutive frames of one
  // stream, the recurrent state carried from each to the next (set by the
  // driver), so the ranges are those the streaming model meets.
  bool stateful = false;
  // Progress of long steps (stage name, done, total); may be empty.
  std::function<void(const std::string& stage, size_t done, size_t total)> progress;

  bool enabled() const { return mode == "int8"; }
};

// SQNR of one quantized activation: float graph vs int8 graph over the
// calibration set, 10*log10(sum f^2 / sum (f - dequant(q))^2).
struct LayerSqnr {
  std::string tensor;   // the float tensor's name
  std::string node;     // its producer's label
  std::string op_type;
  double sqnr_db = 0;
};

struct Accuracy {
  bool measured = false;
  std::string metric;   // "top1" or "auc"
  size_t samples = 0;
  double float_value = 0, int8_value = 0;  // top-1 in [0,1] or ROC AUC
  double agreement = 0;                    // top1: same prediction; auc: fraction of equal anomaly decisions
};

struct QuantResult {
  bool quantized = false;
  std::string method;
  size_t calibration_samples = 0;
  std::vector<std::string> float_nodes;  // nodes left in float, with the reason
  std::vector<std::string> kept_float;   // chosen by --keep-float or the budget
  std::vector<LayerSqnr> layers;         // worst first (--quantize-report)
  Accuracy accuracy;
  std::string budget_note;               // what the accuracy budget did
  QdqReport lowering;                    // what lower-qdq did
};

// Quantizes g in place (to QDQ form); returns whether it changed.
Expected<bool> quantizeGraph(Graph& g, const QuantOptions& opt, QuantResult* result);

// Float input converted to an int8 graph input's type (QuantizeLinear with its
// scale and zero point), as the generated NAME_run_f32 does; other types pass
// through unchanged when they already match.
Expected<HostTensor> toInputType(const HostTensor& in, const TensorType& want);
// An int8 output dequantized to float (float outputs are returned as they are).
HostTensor dequantized(const HostTensor& out);

}  // namespace emlc
