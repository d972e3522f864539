// Measurements of a quantized model against its float original: per-layer
// SQNR, accuracy on labelled test data, and the layers' sensitivity used by
// the accuracy budget. Both graphs run through emlc's own kernels (the int8
// one through exactly the kernels the generated code calls).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "eval/evaluator.h"
#include "ir/graph.h"
#include "quant/calibration.h"
#include "quant/ptq.h"

namespace emlc {

// What the pipeline's lower-qdq and dead-code passes make of a QDQ graph.
Expected<Graph> lowerCopy(const Graph& qdq);

// Runs g on float inputs (quantized for int8 inputs, as NAME_run_f32 does)
// and returns float outputs (int8 outputs dequantized).
Expected<std::vector<HostTensor>> runFloatBoundary(const Graph& g, const std::vector<HostTensor>& in,
                                                   const TensorObserver* observe = nullptr);

// Float and int8 accuracy on the test samples (metric: QuantOptions::metric).
Expected<Accuracy> measureAccuracy(const Graph& flt, const Graph& int8, std::vector<SampleReader>& test,
                                   const std::vector<int64_t>& labels, const QuantOptions& opt);

// SQNR of every quantized activation over the samples, worst first. `names`
// maps float tensor names (of flt) to int8 tensor names (of int8).
Expected<std::vector<LayerSqnr>> layerSqnr(const Graph& flt, const Graph& int8,
                                           const std::map<std::string, std::string>& names,
                                           std::vector<SampleReader>& samples, const QuantOptions& opt);

// Labels of the quantized nodes of flt (the heads of fused chains), the one
// that loses the most SQNR between its inputs and its output first.
Expected<std::vector<std::string>> sensitivity(const Graph& flt, const Graph& int8,
                                               const std::map<std::string, std::string>& names,
                                               std::vector<SampleReader>& samples, const QuantOptions& opt);

}  // namespace emlc
