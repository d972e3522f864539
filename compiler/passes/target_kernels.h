// target-kernels: picks the kernel family of each node for --target.
//
// For the Cortex-M cores with the DSP extension (M4, M7, M33) it marks the
// int8 convolutions, matrix products, additions and pools (emlc.QConv,
// emlc.QGemm, emlc.QAdd, emlc.QAvgPool, MaxPool on int8) with emlc_kernel =
// "arm_dsp"; their lowering then packs the weights in the order the DSP
// kernels read them, picks the requantisation per layer and calls
// runtime/emlc/int8_dsp*.h, or keeps the reference kernel when the node is
// outside what those kernels handle (uint8, weight zero point, groups other
// than 1 or depthwise, dilation, 3-D, broadcasting adds). The mark is an
// attribute, so `--dump-after target-kernels` shows the choice, and the
// compiler's own evaluation runs the same kernels (their intrinsics in
// plain C on the host).
//
// It also marks float Conv and Gemm nodes with emlc_kernel = "arm_fpu": their
// channels-last lowering (dense, depthwise and pointwise Conv, Gemm with
// constant B) then calls runtime/emlc/float_fpu.h, whose register tiles fit
// the 32 single-precision registers of the M4F/M7/M33 FPU instead of a
// host's vector units; other float Convs keep their kernels.
//
// Does nothing for --target generic.
#pragma once
#include "passes/pass.h"

namespace emlc {

inline constexpr const char* kKernelAttr = "emlc_kernel";
inline constexpr const char* kArmDsp = "arm_dsp";
inline constexpr const char* kArmFpu = "arm_fpu";

class TargetKernelsPass final : public Pass {
 public:
  const char* name() const override { return "target-kernels"; }
  Expected<bool> run(Graph& g, const PassOptions& opt) override;
};

}  // namespace emlc
