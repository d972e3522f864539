// layout-nhwc: one data-layout decision for the whole graph.
//
// Conv nets run faster channels-last: every output pixel's channels are
// contiguous, so the kernels vectorise over channels and read packed
// weights in order (runtime/emlc/conv_nhwc.h). The pass turns regions of
// nodes into NHWC (ops/nhwc.h): a float Conv with an NHWC kernel starts or
// extends a region; pools and elementwise ops join when all their layout
// inputs are already NHWC; any node that does not say it supports NHWC
// (Op::supportsLayout) is left as it is, e.g. int8 ops of the "emlc" domain.
// Transposes are inserted only at region boundaries; the graph's inputs and
// outputs keep the model's layout. Later passes make boundary transposes of
// [N, C, 1, 1] tensors free views and drop unused ones.
//
// Skipped with --optimize size (the generic kernels take less flash).
#pragma once
#include "passes/pass.h"

namespace emlc {

class LayoutNhwcPass final : public Pass {
 public:
  const char* name() const override { return "layout-nhwc"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

}  // namespace emlc
