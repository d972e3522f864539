// emlc runtime: signal-processing generators (the ONNX window functions).
#ifndef EMLC_RUNTIME_SIGNAL_H
#define EMLC_RUNTIME_SIGNAL_H

#include <cmath>

#include "common.h"

namespace emlc {
namespace rt {

// Generalised cosine window of `size` points:
//   w[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N),
// N = size (periodic) or size - 1 (symmetric; N = 0 gives w[0] = a0 - a1 + a2).
struct WindowParams {
  static constexpr const char* kName = "emlc::rt::WindowParams";
  int32_t size;
  int32_t periodic;
  double a0, a1, a2;
  template <class V> void fields(V& v) const { v(size, periodic, a0, a1, a2); }
};

template <class T>
inline void cosine_window(const WindowParams& p, T* y) {
  const double kPi = 3.14159265358979323846;
  const int32_t N = p.periodic ? p.size : p.size - 1;
  for (int32_t n = 0; n < p.size; ++n) {
    const double t = N > 0 ? 2.0 * kPi * static_cast<double>(n) / static_cast<double>(N) : 0.0;
    y[n] = static_cast<T>(p.a0 - p.a1 * std::cos(t) + p.a2 * std::cos(2.0 * t));
  }
}

}  // namespace rt
}  // namespace emlc

#endif
