// emlc runtime: TopK.
//
// For every slice along the axis, the k largest (or smallest) values in
// order, with their indices. Equal values keep their input order (smaller
// index first), as ONNX requires. NaN counts as larger than any number.
// The kernel inserts each element into the sorted prefix of the output slice
// (O(axis * k) per slice; no scratch memory).
#ifndef EMLC_RUNTIME_TOPK_H
#define EMLC_RUNTIME_TOPK_H

#include "common.h"

namespace emlc {
namespace rt {

// The input viewed as [outer, axis, inner], the outputs as [outer, k, inner].
struct TopKParams {
  static constexpr const char* kName = "emlc::rt::TopKParams";
  int32_t outer;
  int32_t axis;
  int32_t inner;
  int32_t k;
  int32_t largest;  // 1: largest first, 0: smallest first
  template <class V> void fields(V& v) const { v(outer, axis, inner, k, largest); }
};

// Does a come strictly before b in the output order?
template <class T>
inline bool topk_before(T a, T b, bool largest) {
  if (is_nan(a) || is_nan(b)) return largest ? (is_nan(a) && !is_nan(b)) : (is_nan(b) && !is_nan(a));
  return largest ? b < a : a < b;
}

template <class T>
inline void topk(const TopKParams& p, const T* x, T* values, int64_t* indices) {
  const bool largest = p.largest != 0;
  const int32_t s = p.inner;
  for (int32_t o = 0; o < p.outer; ++o) {
    for (int32_t i = 0; i < p.inner; ++i) {
      const T* xs = x + o * p.axis * s + i;
      T* vs = values + o * p.k * s + i;
      int64_t* is = indices + o * p.k * s + i;
      int32_t cnt = 0;
      for (int32_t j = 0; j < p.axis; ++j) {
        const T v = xs[j * s];
        if (cnt == p.k && !topk_before(v, vs[(p.k - 1) * s], largest)) continue;
        int32_t pos = cnt < p.k ? cnt++ : p.k - 1;
        while (pos > 0 && topk_before(v, vs[(pos - 1) * s], largest)) {
          vs[pos * s] = vs[(pos - 1) * s];
          is[pos * s] = is[(pos - 1) * s];
          --pos;
        }
        vs[pos * s] = v;
        is[pos * s] = j;
      }
    }
  }
}

}  // namespace rt
}  // namespace emlc

#endif
