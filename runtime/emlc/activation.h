// emlc runtime: activations fused into the op that produces their input.
//
// The activation-fusion pass folds a Relu, Clip, LeakyRelu, HardSwish,
// Sigmoid or Tanh node into its producer (Conv, ConvTranspose, Gemm, MatMul,
// Add); the producer's kernel then applies the activation to each block of
// output it has just computed, while the block is still in cache. The
// formulas are the standalone functors' (elementwise.h), so a fused model
// gives the same bits as the unfused one for the same producer output.
#ifndef EMLC_RUNTIME_ACTIVATION_H
#define EMLC_RUNTIME_ACTIVATION_H

#include "common.h"
#include "elementwise.h"

namespace emlc {
namespace rt {

enum ActivationKind : int32_t {
  kActNone = 0,
  kActClamp = 1,      // Relu (lo = 0, hi = +inf) and Clip (lo, hi)
  kActLeakyRelu = 2,  // alpha
  kActHardSwish = 3,
  kActSigmoid = 4,
  kActTanh = 5,
};

struct Activation {
  static constexpr const char* kName = "emlc::rt::Activation";
  int32_t kind;
  float lo, hi;  // kActClamp bounds
  float alpha;   // kActLeakyRelu slope
  template <class V> void fields(V& v) const { v(kind, lo, hi, alpha); }
};

// Clamp exactly as Clip does it: first the lower bound, then the upper one
// (so lo > hi gives hi, and NaN stays NaN). Relu is lo = 0, hi = +inf: it
// keeps -0.0 and NaN as the Relu functor does.
template <class T>
inline void clamp_range(T* y, int32_t n, T lo, T hi) {
  for (int32_t i = 0; i < n; ++i) {
    T v = y[i];
    v = v < lo ? lo : v;
    y[i] = v > hi ? hi : v;
  }
}

// Applies `a` to y[0..n) in place. The switch sits outside the loops so each
// loop is a plain vectorisable map.
template <class T>
inline void activate(const Activation& a, T* y, int32_t n) {
  switch (a.kind) {
    case kActClamp: clamp_range(y, n, T(a.lo), T(a.hi)); break;
    case kActLeakyRelu: unary(LeakyRelu{a.alpha}, y, y, n); break;
    case kActHardSwish: unary(HardSwish{}, y, y, n); break;
    case kActSigmoid: unary(Sigmoid{}, y, y, n); break;
    case kActTanh: unary(Tanh{}, y, y, n); break;
    default: break;
  }
}

}  // namespace rt
}  // namespace emlc

#endif
