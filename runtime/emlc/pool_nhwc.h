// emlc runtime: pooling in channels-last (NHWC) layout.
//
// X is (N, H, W, C), Y is (N, OH, OW, C); 1-D pools are H = 1. Every output
// pixel combines whole rows of C channels, so the inner loops run over
// contiguous channels and vectorise. Window geometry and padding rules are
// those of pool.h (taps in the padding are skipped; a window with no tap
// inside the input gives the lowest value for MaxPool and 0 for
// AveragePool), and each output sums or compares its taps in the same
// order as pool.h does, so both layouts give the same bits.
#ifndef EMLC_RUNTIME_POOL_NHWC_H
#define EMLC_RUNTIME_POOL_NHWC_H

#include <limits>

#include "common.h"
#include "pool.h"

namespace emlc {
namespace rt {

struct PoolNhwcParams {
  static constexpr const char* kName = "emlc::rt::PoolNhwcParams";
  int32_t batch, channels;
  int32_t in_h, in_w, out_h, out_w;
  int32_t k_h, k_w, stride_h, stride_w, dil_h, dil_w;
  int32_t pad_t, pad_l, pad_b, pad_r;
  int32_t count_include_pad;  // AveragePool: divide by the taps inside the padded input
  template <class V> void fields(V& v) const {
    v(batch, channels, in_h, in_w, out_h, out_w, k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_t, pad_l, pad_b,
      pad_r, count_include_pad);
  }
};

// Calls f(y_pixel, x_n, taps h0..h1 x w0..w1, ih0, iw0, inside, padded) for
// every output pixel: ih = ih0 + kh * dil_h for kh in [h0, h1), likewise w.
template <class T, class F>
inline void pool_nhwc_loop(const PoolNhwcParams& p, const T* x, T* y, F&& f) {
  const int32_t C = p.channels;
  for (int32_t n = 0; n < p.batch; ++n) {
    const T* xn = x + n * p.in_h * p.in_w * C;
    T* yn = y + n * p.out_h * p.out_w * C;
    for (int32_t oh = 0; oh < p.out_h; ++oh) {
      const int32_t sh = oh * p.stride_h - p.pad_t;
      int32_t h0, h1, ph0, ph1;
      pool_tap_range(sh, p.k_h, p.dil_h, 0, p.in_h, &h0, &h1);
      pool_tap_range(sh, p.k_h, p.dil_h, -p.pad_t, p.in_h + p.pad_b, &ph0, &ph1);
      for (int32_t ow = 0; ow < p.out_w; ++ow) {
        const int32_t sw = ow * p.stride_w - p.pad_l;
        int32_t w0, w1, pw0, pw1;
        pool_tap_range(sw, p.k_w, p.dil_w, 0, p.in_w, &w0, &w1);
        pool_tap_range(sw, p.k_w, p.dil_w, -p.pad_l, p.in_w + p.pad_r, &pw0, &pw1);
        f(yn + (oh * p.out_w + ow) * C, xn, h0, h1, w0, w1, sh, sw, (h1 - h0) * (w1 - w0),
          (ph1 - ph0) * (pw1 - pw0));
      }
    }
  }
}

template <class T>
inline void max_pool_nhwc(const PoolNhwcParams& p, const T* x, T* y) {
  const int32_t C = p.channels;
  pool_nhwc_loop(p, x, y, [&](T* yp, const T* xn, int32_t h0, int32_t h1, int32_t w0, int32_t w1, int32_t sh,
                              int32_t sw, int32_t inside, int32_t) {
    if (inside == 0) {
      fill(yp, C, std::numeric_limits<T>::lowest());
      return;
    }
    bool first = true;
    for (int32_t kh = h0; kh < h1; ++kh) {
      const T* xr = xn + (sh + kh * p.dil_h) * p.in_w * C;
      for (int32_t kw = w0; kw < w1; ++kw) {
        const T* xp = xr + (sw + kw * p.dil_w) * C;
        if (first) {
          for (int32_t c = 0; c < C; ++c) yp[c] = xp[c];
          first = false;
        } else {
          for (int32_t c = 0; c < C; ++c) yp[c] = xp[c] > yp[c] ? xp[c] : yp[c];
        }
      }
    }
  });
}

template <class T>
inline void avg_pool_nhwc(const PoolNhwcParams& p, const T* x, T* y) {
  const int32_t C = p.channels;
  pool_nhwc_loop(p, x, y, [&](T* yp, const T* xn, int32_t h0, int32_t h1, int32_t w0, int32_t w1, int32_t sh,
                              int32_t sw, int32_t inside, int32_t padded) {
    fill(yp, C, T(0));
    for (int32_t kh = h0; kh < h1; ++kh) {
      const T* xr = xn + (sh + kh * p.dil_h) * p.in_w * C;
      for (int32_t kw = w0; kw < w1; ++kw) {
        const T* xp = xr + (sw + kw * p.dil_w) * C;
        for (int32_t c = 0; c < C; ++c) yp[c] += xp[c];
      }
    }
    const int32_t count = p.count_include_pad ? padded : inside;
    if (count > 0) {
      const T d = T(count);
      for (int32_t c = 0; c < C; ++c) yp[c] = T(yp[c] / d);
    } else {
      fill(yp, C, T(0));
    }
  });
}

// Global pools over `pixels` positions of `channels` channels per batch item.
template <class T>
inline void global_avg_pool_nhwc(const T* x, T* y, int32_t batch, int32_t pixels, int32_t channels) {
  for (int32_t n = 0; n < batch; ++n) {
    const T* xn = x + n * pixels * channels;
    T* yn = y + n * channels;
    fill(yn, channels, T(0));
    for (int32_t i = 0; i < pixels; ++i)
      for (int32_t c = 0; c < channels; ++c) yn[c] += xn[i * channels + c];
    if (pixels > 0)
      for (int32_t c = 0; c < channels; ++c) yn[c] = T(yn[c] / T(pixels));
  }
}

template <class T>
inline void global_max_pool_nhwc(const T* x, T* y, int32_t batch, int32_t pixels, int32_t channels) {
  for (int32_t n = 0; n < batch; ++n) {
    const T* xn = x + n * pixels * channels;
    T* yn = y + n * channels;
    if (pixels == 0) {
      fill(yn, channels, std::numeric_limits<T>::lowest());
      continue;
    }
    for (int32_t c = 0; c < channels; ++c) yn[c] = xn[c];
    for (int32_t i = 1; i < pixels; ++i)
      for (int32_t c = 0; c < channels; ++c) yn[c] = xn[i * channels + c] > yn[c] ? xn[i * channels + c] : yn[c];
  }
}

}  // namespace rt
}  // namespace emlc

#endif
