// Pruning (--prune): zeroes or removes Conv/Gemm weights after the float
// passes folded BatchNormalization and affine maps into them, before int8
// calibration (so calibration sees the pruned model).
//
//   magnitude:F    zeroes the fraction F (0..1) of each layer's weights with
//                  the smallest magnitude (ties: lower index first); the sparse
//                  pass (prune/sparse.h) may then store them compressed;
//   structured:F   removes the fraction F of each layer's output channels
//                  with the smallest L1 norm (structured:F:l2 for L2) and
//                  shrinks every consumer to match (prune/structured.h), so the
//                  result is a smaller dense graph;
//   auto:B         picks per-layer magnitude rates that keep the pruned
//                  model within B points of the unpruned one on test data.
// A spec applies to every Conv/Gemm with constant weights; NODE=SPEC to one
// node (by name), overriding the global one. Several specs may be given.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "quant/ptq.h"
#include "support/status.h"

namespace emlc {

struct PruneRule {
  enum class Kind { Magnitude, Structured, Auto };
  std::string node;  // empty: every layer
  Kind kind = Kind::Magnitude;
  double fraction = 0;  // of weights (magnitude) or output channels (structured); budget in points (auto)
  int norm = 1;         // structured: 1 (L1) or 2 (L2)
};

struct PruneOptions {
  std::vector<PruneRule> rules;
  bool report = false;                 // --prune-report: per-layer sensitivity on test data
  std::vector<std::string> test_data;  // per model input (.npy or folder): accuracy before/after
  std::string test_labels;
  std::string metric = "auto";
  bool enabled() const { return !rules.empty() || report; }
};

// Parses --prune values: "magnitude:0.5", "conv_2=structured:0.25",
// "structured:0.3:l2", "auto:1.0".
Expected<PruneOptions> parsePruneSpecs(const std::vector<std::string>& specs);

// What pruning did to one layer.
struct LayerPrune {
  std::string node, op_type, how;  // how: "magnitude 0.50", "structured 0.25 (L1)"
  int64_t weights = 0, zeros_before = 0, zeros_after = 0;
  int64_t channels_before = 0, channels_after = 0;  // output channels (structured)
  int64_t bytes_before = 0, bytes_after = 0;        // of the weight tensor (dense)
  std::vector<int64_t> removed;                     // output channels removed (structured)
};

// One row of the sensitivity report: accuracy of the model with only this
// layer pruned at each rate.
struct LayerSensitivity {
  std::string node;
  std::vector<double> rates;
  std::vector<double> accuracy;  // same order as rates
};

// What the sparse pass decided for one layer (prune/sparse.h).
struct SparseLayer {
  std::string node, op_type;
  double density = 1;
  int64_t dense_bytes = 0, sparse_bytes = 0;
  double dense_cost = 0, sparse_cost = 0;  // cost model's time estimate (dense MAC = 1)
  bool chosen = false;
  std::string reason;
};

struct PruneResult {
  bool pruned = false;
  std::vector<LayerPrune> layers;
  int64_t weight_bytes_before = 0, weight_bytes_after = 0;  // all constant inputs of nodes
  int64_t macs_before = 0, macs_after = 0;
  Accuracy accuracy;  // float_value: unpruned, int8_value: pruned (float)
  std::vector<LayerSensitivity> sensitivity;
  std::string auto_note;
  std::vector<SparseLayer> sparse;
};

// Prunes g in place; returns whether it changed.
Expected<bool> pruneGraph(Graph& g, const PruneOptions& opt, PruneResult* result);

// Text summary (compile/inspect/run) and the "pruning" JSON member.
bool hasPruneReport(const PruneResult& r);
std::string pruneSummary(const PruneResult& r);
std::string pruneJson(const PruneResult& r);

}  // namespace emlc
