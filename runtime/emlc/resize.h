// emlc runtime: Resize / Upsample.
//
// Resizing is separable: along each axis, every output coordinate reads a few
// input positions ("taps") with weights. The compiler computes these per-axis
// tables (coordinate transformation, nearest rounding, linear or cubic
// coefficients, edge clamping, exclude_outside) once, so the kernels only
// gather and weight. Table layout for axis a and output coordinate i:
// entries [start[a] + i * taps[a], ... + taps[a]); `offsets` holds input
// element offsets (index * input stride of the axis), `weights` the weights.
// An offset of -1 in an entry's first tap marks a coordinate outside the
// crop region (tf_crop_and_resize): the output there is `extrapolation`.
#ifndef EMLC_RUNTIME_RESIZE_H
#define EMLC_RUNTIME_RESIZE_H

#include "common.h"

namespace emlc {
namespace rt {

struct ResizeParams {
  static constexpr const char* kName = "emlc::rt::ResizeParams";
  int32_t rank;
  int32_t out_dims[kMaxRank];
  int32_t taps[kMaxRank];   // 1 on every axis for resize_gather
  int32_t start[kMaxRank];  // first table entry of each axis
  float extrapolation;
  template <class V> void fields(V& v) const { v(rank, out_dims, taps, start, extrapolation); }
};

// Every output element copies one input element (nearest mode, and any mode
// whose weights are all 0/1): y[i0..ir] = x[sum_a offsets[start[a] + i_a]].
template <class T>
inline void resize_gather(const ResizeParams& p, const int32_t* offsets, const T* x, T* y) {
  const int32_t r = p.rank;
  const T ext = static_cast<T>(p.extrapolation);
  if (r == 0) {
    y[0] = x[0];
    return;
  }
  const int32_t inner = p.out_dims[r - 1];
  const int32_t* last = offsets + p.start[r - 1];
  const int32_t rows = numel(p.out_dims, r - 1);
  int32_t idx[kMaxRank] = {0};
  for (int32_t row = 0; row < rows; ++row) {
    int32_t base = 0;
    bool outside = false;
    for (int32_t a = 0; a + 1 < r; ++a) {
      const int32_t o = offsets[p.start[a] + idx[a]];
      outside = outside || o < 0;
      base += o;
    }
    T* py = y + row * inner;
    if (outside) {
      for (int32_t j = 0; j < inner; ++j) py[j] = ext;
    } else {
      const T* px = x + base;
      for (int32_t j = 0; j < inner; ++j) py[j] = last[j] < 0 ? ext : px[last[j]];
    }
    next_index(idx, p.out_dims, r - 1);
  }
}

// Weighted sum over the tap combinations of all axes (linear: 2 taps per
// resized axis, cubic: 4). Axes with one tap (weight 1, e.g. unchanged
// axes) only add their offset; the combinations run over the others.
template <class T>
inline void resize_interp(const ResizeParams& p, const int32_t* offsets, const T* weights, const T* x, T* y) {
  const int32_t r = p.rank;
  const int32_t n = numel(p.out_dims, r);
  int32_t act[kMaxRank];      // axes with several taps
  int32_t act_taps[kMaxRank];
  int32_t na = 0;
  for (int32_t a = 0; a < r; ++a)
    if (p.taps[a] > 1) {
      act[na] = a;
      act_taps[na++] = p.taps[a];
    }
  const int32_t combos = numel(act_taps, na);
  int32_t idx[kMaxRank] = {0};
  for (int32_t o = 0; o < n; ++o) {
    int32_t e[kMaxRank] = {0};  // initialised: cppcheck cannot see that na > 0 implies r > 0
    int32_t base = 0;
    bool outside = false;
    for (int32_t a = 0; a < r; ++a) {
      e[a] = p.start[a] + idx[a] * p.taps[a];
      outside = outside || offsets[e[a]] < 0;
      if (p.taps[a] == 1) base += offsets[e[a]];
    }
    T acc = T(0);
    if (outside) {
      acc = static_cast<T>(p.extrapolation);
    } else {
      int32_t t[kMaxRank] = {0};
      for (int32_t c = 0; c < combos; ++c) {
        int32_t off = base;
        T w = T(1);
        for (int32_t k = 0; k < na; ++k) {
          const int32_t i = e[act[k]] + t[k];
          off += offsets[i];
          w *= weights[i];
        }
        acc += w * x[off];
        next_index(t, act_taps, na);
      }
    }
    y[o] = acc;
    next_index(idx, p.out_dims, r);
  }
}

}  // namespace rt
}  // namespace emlc

#endif
