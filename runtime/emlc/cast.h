// emlc runtime: element type conversion (ONNX Cast).
#ifndef EMLC_RUNTIME_CAST_H
#define EMLC_RUNTIME_CAST_H

#include <limits>

#include "common.h"

namespace emlc {
namespace rt {

// One value from A to B. Float to integer truncates toward zero like C, but
// saturates instead of invoking undefined behaviour when out of range (NaN
// gives 0). Anything to bool is "!= 0".
template <class A, class B>
inline B cast_one(A x) {
  if constexpr (std::is_same<B, bool>::value) {
    return x != A(0);
  } else if constexpr (std::is_floating_point<A>::value && std::is_integral<B>::value) {
    if (x != x) return B(0);
    const A lo = static_cast<A>(std::numeric_limits<B>::min());
    const A hi = static_cast<A>(std::numeric_limits<B>::max());
    if (x <= lo) return std::numeric_limits<B>::min();
    if (x >= hi) return std::numeric_limits<B>::max();
    return static_cast<B>(x);
  } else {
    return static_cast<B>(x);
  }
}

template <class A, class B>
inline void cast(const A* x, B* y, int32_t n) {
  for (int32_t i = 0; i < n; ++i) y[i] = cast_one<A, B>(x[i]);
}

}  // namespace rt
}  // namespace emlc

#endif
