// The int8 passes at the end of the pipeline (see pipeline.cpp):
//   quantize   static post-training quantization of a float graph
//              (--quantize int8): calibrates activation ranges, quantizes
//              weights and inserts QuantizeLinear/DequantizeLinear pairs;
//   lower-qdq  turns QDQ patterns (from `quantize` or from the model itself)
//              into int8 kernels (quant/lower_qdq.h).
#pragma once

#include "passes/pass.h"

namespace emlc {

class QuantizePass final : public Pass {
 public:
  const char* name() const override { return "quantize"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

class LowerQdqPass final : public Pass {
 public:
  const char* name() const override { return "lower-qdq"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

}  // namespace emlc
