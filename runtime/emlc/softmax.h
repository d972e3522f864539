// emlc runtime: Softmax, LogSoftmax and Hardmax along one axis.
//
// x is viewed as [outer, n, inner] and the operation runs along the middle
// axis (for ONNX's opset < 13 "coerce to 2-D" form the compiler passes
// inner = 1 and n = the product of the trailing axes). The maximum is
// subtracted before exponentiating, so large inputs do not overflow.
#ifndef EMLC_RUNTIME_SOFTMAX_H
#define EMLC_RUNTIME_SOFTMAX_H

#include <cmath>

#include "common.h"

namespace emlc {
namespace rt {

struct SoftmaxParams {
  static constexpr const char* kName = "emlc::rt::SoftmaxParams";
  int32_t outer;
  int32_t n;
  int32_t inner;
  template <class V> void fields(V& v) const { v(outer, n, inner); }
};

// y = exp(x - max) / sum(exp(x - max)). y may alias x.
template <class T>
inline void softmax(const SoftmaxParams& p, const T* x, T* y) {
  const int32_t s = p.inner;
  if (p.n <= 0) return;
  for (int32_t o = 0; o < p.outer; ++o) {
    for (int32_t j = 0; j < s; ++j) {
      const int32_t base = o * p.n * s + j;
      const T* xr = x + base;
      T* yr = y + base;
      T m = xr[0];
      for (int32_t k = 1; k < p.n; ++k) m = max_of(m, xr[k * s]);
      T sum = T(0);
      for (int32_t k = 0; k < p.n; ++k) {
        const T e = std::exp(xr[k * s] - m);
        yr[k * s] = e;
        sum += e;
      }
      const T inv = T(1) / sum;
      for (int32_t k = 0; k < p.n; ++k) yr[k * s] *= inv;
    }
  }
}

// y = x - max - log(sum(exp(x - max))). y may alias x.
template <class T>
inline void log_softmax(const SoftmaxParams& p, const T* x, T* y) {
  const int32_t s = p.inner;
  if (p.n <= 0) return;
  for (int32_t o = 0; o < p.outer; ++o) {
    for (int32_t j = 0; j < s; ++j) {
      const int32_t base = o * p.n * s + j;
      const T* xr = x + base;
      T* yr = y + base;
      T m = xr[0];
      for (int32_t k = 1; k < p.n; ++k) m = max_of(m, xr[k * s]);
      T sum = T(0);
      for (int32_t k = 0; k < p.n; ++k) sum += std::exp(xr[k * s] - m);
      // (x - max) first: adding log(sum) to a large max would lose precision.
      const T lse = std::log(sum);
      for (int32_t k = 0; k < p.n; ++k) yr[k * s] = (xr[k * s] - m) - lse;
    }
  }
}

// y = 1 at the first maximum along the axis, 0 elsewhere. y may alias x.
template <class T>
inline void hardmax(const SoftmaxParams& p, const T* x, T* y) {
  const int32_t s = p.inner;
  if (p.n <= 0) return;
  for (int32_t o = 0; o < p.outer; ++o) {
    for (int32_t j = 0; j < s; ++j) {
      const int32_t base = o * p.n * s + j;
      const T* xr = x + base;
      T* yr = y + base;
      int32_t arg = 0;
      for (int32_t k = 1; k < p.n; ++k)
        if (xr[k * s] > xr[arg * s]) arg = k;
      for (int32_t k = 0; k < p.n; ++k) yr[k * s] = k == arg ? T(1) : T(0);
    }
  }
}

}  // namespace rt
}  // namespace emlc

#endif
