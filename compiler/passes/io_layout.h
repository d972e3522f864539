// io-layout: the model's inputs and outputs in channels-last order, when the
// user asks for it (--io-layout nhwc).
//
// By default a compiled model keeps the ONNX layout at its boundary
// ((N, C, H, W) in and out) and layout-nhwc puts a transpose at each region
// boundary. A camera or a DSP front end often delivers (N, H, W, C) already;
// transposing it to NCHW only for the model to transpose it back costs a copy
// of the input. With --io-layout nhwc every float graph input and output of
// rank 3 or 4 becomes an NHWC tensor (shape in memory order, e.g.
// [1, 96, 96, 3]; same name) behind a Transpose to/from the model's tensor;
// transpose-cancel then removes the pair wherever the neighbour is a
// channels-last region, so a conv net reads its input and writes its output
// in place. Runs after layout-nhwc (and the int8 lowering, whose kernels run
// in the model's layout: there the Transpose stays, at the boundary).
// Calibration and test data stay in the model's layout.
#pragma once
#include "passes/pass.h"

namespace emlc {

class IoLayoutPass final : public Pass {
 public:
  const char* name() const override { return "io-layout"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

}  // namespace emlc
