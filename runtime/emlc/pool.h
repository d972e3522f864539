// emlc runtime: pooling kernels (MaxPool, AveragePool, LpPool and their
// Global variants).
//
// Layout is ONNX's: N, C, spatial... Every pool works on `planes` = N*C
// independent planes. Pools with fewer than 3 spatial axes are described as
// 3-D pools with leading size-1 axes (kernel 1, stride 1, no padding), so one
// loop nest serves 1-D, 2-D and 3-D.
//
// For each output position the kernel computes, per axis, the range of
// kernel taps whose input position lies inside the input (taps that fall in
// the padding are skipped, never read), so the inner loop has no bounds
// checks. Padding therefore counts as -inf for MaxPool and as 0 for the sums
// of AveragePool/LpPool.
//
// A window with no tap inside the input (possible with ceil_mode or with pads
// as large as the kernel) gives the type's lowest value for MaxPool (index:
// the plane's first element) and 0 for AveragePool and LpPool.
#ifndef EMLC_RUNTIME_POOL_H
#define EMLC_RUNTIME_POOL_H

#include <cmath>
#include <limits>

#include "common.h"

namespace emlc {
namespace rt {

constexpr int kPoolRank = 3;

struct PoolParams {
  static constexpr const char* kName = "emlc::rt::PoolParams";
  int32_t planes;                  // N * C
  int32_t in_dims[kPoolRank];      // spatial input dims (leading 1s for 1-D/2-D)
  int32_t out_dims[kPoolRank];     // spatial output dims
  int32_t kernel[kPoolRank];
  int32_t strides[kPoolRank];
  int32_t dilations[kPoolRank];
  int32_t pad_begin[kPoolRank];
  int32_t pad_end[kPoolRank];
  int32_t count_include_pad;       // AveragePool: divide by the window clipped to the padded input
  int32_t storage_order;           // MaxPool indices: 0 row-major, 1 column-major
  float p;                         // LpPool exponent
  template <class V> void fields(V& v) const {
    v(planes, in_dims, out_dims, kernel, strides, dilations, pad_begin, pad_end, count_include_pad,
      storage_order, p);
  }
};

// Taps k in [*k0, *k1) of a window starting at input position `start` with
// `taps` taps `dil` apart land in [lo, hi).
inline void pool_tap_range(int32_t start, int32_t taps, int32_t dil, int32_t lo, int32_t hi, int32_t* k0,
                           int32_t* k1) {
  int32_t a = 0, b = 0;
  if (dil == 1) {  // the common case, without divisions
    if (start < lo) a = lo - start;
    if (hi > start) b = hi - start;
  } else {
    if (start < lo) a = (lo - start + dil - 1) / dil;
    if (hi > start) b = (hi - start + dil - 1) / dil;
  }
  if (b > taps) b = taps;
  if (a > b) a = b;
  *k0 = a;
  *k1 = b;
}

// The shared loop nest. For each output element it calls acc.begin(), then
// acc.add(value, row-major index in the plane) for every tap inside the
// input, then acc.end(plane, output index, taps inside the input, taps inside
// the padded input).
template <class T, class A>
inline void pool_loop(const PoolParams& p, const T* x, A& acc) {
  const int32_t D = p.in_dims[0], H = p.in_dims[1], W = p.in_dims[2];
  const int32_t OD = p.out_dims[0], OH = p.out_dims[1], OW = p.out_dims[2];
  const int32_t in_plane = D * H * W;
  const int32_t out_plane = OD * OH * OW;
  for (int32_t c = 0; c < p.planes; ++c) {
    const T* xp = x + c * in_plane;
    int32_t o = c * out_plane;
    for (int32_t od = 0; od < OD; ++od) {
      const int32_t sd = od * p.strides[0] - p.pad_begin[0];
      int32_t d0, d1, pd0, pd1;
      pool_tap_range(sd, p.kernel[0], p.dilations[0], 0, D, &d0, &d1);
      pool_tap_range(sd, p.kernel[0], p.dilations[0], -p.pad_begin[0], D + p.pad_end[0], &pd0, &pd1);
      for (int32_t oh = 0; oh < OH; ++oh) {
        const int32_t sh = oh * p.strides[1] - p.pad_begin[1];
        int32_t h0, h1, ph0, ph1;
        pool_tap_range(sh, p.kernel[1], p.dilations[1], 0, H, &h0, &h1);
        pool_tap_range(sh, p.kernel[1], p.dilations[1], -p.pad_begin[1], H + p.pad_end[1], &ph0, &ph1);
        for (int32_t ow = 0; ow < OW; ++ow, ++o) {
          const int32_t sw = ow * p.strides[2] - p.pad_begin[2];
          int32_t w0, w1, pw0, pw1;
          pool_tap_range(sw, p.kernel[2], p.dilations[2], 0, W, &w0, &w1);
          pool_tap_range(sw, p.kernel[2], p.dilations[2], -p.pad_begin[2], W + p.pad_end[2], &pw0, &pw1);
          acc.begin();
          for (int32_t kd = d0; kd < d1; ++kd) {
            const int32_t id = sd + kd * p.dilations[0];
            for (int32_t kh = h0; kh < h1; ++kh) {
              const int32_t row = (id * H + sh + kh * p.dilations[1]) * W;
              const T* xr = xp + row;
              if (p.dilations[2] == 1) {
                for (int32_t iw = sw + w0; iw < sw + w1; ++iw) acc.add(xr[iw], row + iw);
              } else {
                for (int32_t kw = w0; kw < w1; ++kw) {
                  const int32_t iw = sw + kw * p.dilations[2];
                  acc.add(xr[iw], row + iw);
                }
              }
            }
          }
          acc.end(c, o, (d1 - d0) * (h1 - h0) * (w1 - w0), (pd1 - pd0) * (ph1 - ph0) * (pw1 - pw0));
        }
      }
    }
  }
}

template <class T, bool kIndices>
struct MaxPoolAcc {
  const PoolParams* p;
  T* y;
  int64_t* indices;
  T best;
  int32_t arg;
  void begin() { arg = -1; }
  void add(T v, int32_t i) {
    if (arg < 0 || v > best) {
      best = v;
      arg = i;
    }
  }
  void end(int32_t c, int32_t o, int32_t, int32_t) {
    // A window entirely in the padding sees only -inf (the lowest value).
    y[o] = arg < 0 ? std::numeric_limits<T>::lowest() : best;
    if (kIndices) {
      const int32_t D = p->in_dims[0], H = p->in_dims[1], W = p->in_dims[2];
      int32_t i = arg < 0 ? 0 : arg;
      if (p->storage_order != 0) {
        // Column-major position within the plane: first axis fastest.
        const int32_t w = i % W, h = (i / W) % H, d = i / (W * H);
        i = d + D * (h + H * w);
      }
      indices[o] = static_cast<int64_t>(c) * (D * H * W) + i;
    }
  }
};

// MaxPool. Padding never wins; ties keep the first tap in row-major order.
template <class T>
inline void max_pool(const PoolParams& p, const T* x, T* y) {
  MaxPoolAcc<T, false> acc{&p, y, nullptr, T(0), -1};
  pool_loop(p, x, acc);
}

// MaxPool with its Indices output: the flat index of the maximum in the
// unpadded input tensor (N, C and spatial axes; row-major, or with the
// spatial axes column-major when storage_order = 1).
template <class T>
inline void max_pool_indices(const PoolParams& p, const T* x, T* y, int64_t* indices) {
  MaxPoolAcc<T, true> acc{&p, y, indices, T(0), -1};
  pool_loop(p, x, acc);
}

template <class T>
struct AvgPoolAcc {
  const PoolParams* p;
  T* y;
  T sum;
  void begin() { sum = T(0); }
  void add(T v, int32_t) { sum += v; }
  void end(int32_t, int32_t o, int32_t inside, int32_t padded) {
    const int32_t n = p->count_include_pad ? padded : inside;
    y[o] = n > 0 ? T(sum / T(n)) : T(0);
  }
};

// AveragePool: the mean of the taps inside the input; with
// count_include_pad, the sum divided by the taps inside the padded input.
template <class T>
inline void avg_pool(const PoolParams& p, const T* x, T* y) {
  AvgPoolAcc<T> acc{&p, y, T(0)};
  pool_loop(p, x, acc);
}

template <class T>
struct LpPoolAcc {
  const PoolParams* p;
  T* y;
  T sum;
  void begin() { sum = T(0); }
  void add(T v, int32_t) {
    const T a = v < T(0) ? T(-v) : v;
    sum += p->p == 2.0f ? a * a : (p->p == 1.0f ? a : T(std::pow(a, T(p->p))));
  }
  void end(int32_t, int32_t o, int32_t, int32_t) {
    y[o] = p->p == 2.0f ? T(std::sqrt(sum)) : (p->p == 1.0f ? sum : T(std::pow(sum, T(1) / T(p->p))));
  }
};

// LpPool: (sum of |x|^p over the window)^(1/p); padding contributes 0.
template <class T>
inline void lp_pool(const PoolParams& p, const T* x, T* y) {
  LpPoolAcc<T> acc{&p, y, T(0)};
  pool_loop(p, x, acc);
}

// ---- global pools: one value per plane of `size` elements -------------------

template <class T>
inline void global_avg_pool(const T* x, T* y, int32_t planes, int32_t size) {
  for (int32_t c = 0; c < planes; ++c) {
    const T* xp = x + c * size;
    T s = T(0);
    for (int32_t i = 0; i < size; ++i) s += xp[i];
    y[c] = size > 0 ? T(s / T(size)) : T(0);
  }
}

template <class T>
inline void global_max_pool(const T* x, T* y, int32_t planes, int32_t size) {
  for (int32_t c = 0; c < planes; ++c) {
    const T* xp = x + c * size;
    T m = size > 0 ? xp[0] : std::numeric_limits<T>::lowest();
    for (int32_t i = 1; i < size; ++i)
      if (xp[i] > m) m = xp[i];
    y[c] = m;
  }
}

template <class T>
inline void global_lp_pool(const T* x, T* y, int32_t planes, int32_t size, float p) {
  for (int32_t c = 0; c < planes; ++c) {
    const T* xp = x + c * size;
    T s = T(0);
    for (int32_t i = 0; i < size; ++i) {
      const T a = xp[i] < T(0) ? T(-xp[i]) : xp[i];
      s += p == 2.0f ? a * a : T(std::pow(a, T(p)));
    }
    y[c] = p == 2.0f ? T(std::sqrt(s)) : T(std::pow(s, T(1) / T(p)));
  }
}

}  // namespace rt
}  // namespace emlc

#endif
