// emlc runtime: fast float convolutions in channels-last (NHWC) layout.
//
// The compiler's layout pass gives conv-net regions the NHWC layout: X is
// (N, H, W, C) and Y is (N, OH, OW, M); 1-D convolutions are H = 1. Weights
// are packed at compile time (see each kernel), so every inner loop reads
// contiguous memory. The kernels are plain C++ written for the compiler's
// auto-vectoriser (g++ -O2/-O3): the innermost loops run over a
// compile-time number of output channels (NR), and a tile of MR output
// pixels x NR channels stays in registers across the whole reduction.
// Nothing here is target-specific; on a scalar core the same loops are
// simply scalar.
//
// Padding: taps that fall outside the input read a row of zeros (`zeros`,
// C values of kernel scratch the kernel clears itself), so border pixels
// take the same path as interior ones. (The model-layout kernels skip such
// taps instead; the results agree unless a weight is infinite or NaN,
// where 0 * w is NaN.)
//
// Summation order per output: bias, then taps in (kh, kw) order, input
// channels in order; independent of MR/NR and of vectorisation (each lane
// is one output), so results do not depend on the host's vector width.
#ifndef EMLC_RUNTIME_CONV_NHWC_H
#define EMLC_RUNTIME_CONV_NHWC_H

#include "activation.h"
#include "common.h"

namespace emlc {
namespace rt {

struct ConvNhwcParams {
  static constexpr const char* kName = "emlc::rt::ConvNhwcParams";
  int32_t batch;
  int32_t in_h, in_w, in_c;     // X is (batch, in_h, in_w, in_c)
  int32_t out_h, out_w, out_c;  // Y is (batch, out_h, out_w, out_c)
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t dil_h, dil_w;
  int32_t pad_t, pad_l;  // begin pads (end pads are implied by out_h/out_w)
  template <class V> void fields(V& v) const {
    v(batch, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_t, pad_l);
  }
};

// Tile helpers. The accumulator tile is initialised from the bias (or 0),
// activated as a whole, and stored row by row; full-width stores have a
// compile-time length.
template <class T, int MR, int NR>
inline void init_tile(T (&acc)[MR][NR], const T* bias) {
  if (bias) {
    for (int32_t r = 0; r < MR; ++r)
      for (int32_t j = 0; j < NR; ++j) acc[r][j] = bias[j];
  } else {
    for (int32_t r = 0; r < MR; ++r)
      for (int32_t j = 0; j < NR; ++j) acc[r][j] = T(0);
  }
}

template <class T, int NR, class F>
inline void store_rows(T (*acc)[NR], int32_t rows, int32_t cols, T* y, int32_t y_stride, const F& f) {
  if (cols == NR) {
    for (int32_t r = 0; r < rows; ++r) {
      T* yr = y + r * y_stride;
      for (int32_t j = 0; j < NR; ++j) yr[j] = f(acc[r][j]);
    }
  } else {
    for (int32_t r = 0; r < rows; ++r) {
      T* yr = y + r * y_stride;
      for (int32_t j = 0; j < cols; ++j) yr[j] = f(acc[r][j]);
    }
  }
}

// Stores `rows` rows of `cols` channels of the tile to y + r * y_stride,
// applying the activation (the formulas of activation.h): Relu/Clip on the
// way out, so the store loop stays one vectorised pass.
template <class T, int NR>
inline void store_tile(const Activation& a, T (*acc)[NR], int32_t rows, int32_t cols, T* y, int32_t y_stride) {
  switch (a.kind) {
    case kActClamp: {
      const T lo = T(a.lo), hi = T(a.hi);
      store_rows<T, NR>(acc, rows, cols, y, y_stride, [lo, hi](T v) {
        v = v < lo ? lo : v;
        return v > hi ? hi : v;
      });
      break;
    }
    case kActNone: store_rows<T, NR>(acc, rows, cols, y, y_stride, [](T v) { return v; }); break;
    default:  // the rarer activations: in place, then stored
      for (int32_t r = 0; r < rows; ++r) activate(a, acc[r], NR);
      store_rows<T, NR>(acc, rows, cols, y, y_stride, [](T v) { return v; });
      break;
  }
}

// Output pixels are tiled MR at a time in row-major order over (OH, OW), so
// a tile may wrap to the next output row; `oh`/`ow` give each tile row's
// position (rows past the end repeat the last pixel: computed, never
// stored). The input pointers of a tile are computed once per group of up to
// kConvTapChunk taps: xp[t * MR + r] is pixel r's input row for tap t0 + t
// (zeros in the padding).
constexpr int32_t kConvTapChunk = 16;

template <class T, int MR>
inline void tile_positions(int32_t p0, int32_t rows, int32_t out_w, int32_t* oh, int32_t* ow) {
  for (int32_t r = 0; r < MR; ++r) {
    const int32_t q = p0 + (r < rows ? r : rows - 1);
    oh[r] = q / out_w;
    ow[r] = q - oh[r] * out_w;
  }
}

template <class T, int MR>
inline void tile_pointers(const ConvNhwcParams& p, const T* xn, const T* zeros, const int32_t* oh,
                          const int32_t* ow, int32_t t0, int32_t tn, const T** xp) {
  for (int32_t t = 0; t < tn; ++t) {
    const int32_t kh = (t0 + t) / p.k_w, kw = (t0 + t) - (t0 + t) / p.k_w * p.k_w;
    for (int32_t r = 0; r < MR; ++r) {
      const int32_t ih = oh[r] * p.stride_h - p.pad_t + kh * p.dil_h;
      const int32_t iw = ow[r] * p.stride_w - p.pad_l + kw * p.dil_w;
      xp[t * MR + r] = ih >= 0 && ih < p.in_h && iw >= 0 && iw < p.in_w ? xn + (ih * p.in_w + iw) * p.in_c : zeros;
    }
  }
}

// acc[r][0..NR) += sum over c < C of a[r][c] * w[c][0..NR) for MR rows a[r]
// (stride 1) and NR-wide weight rows (stride NR): the register-tile core.
template <class T, int MR, int NR>
inline void tile_madd(T (*acc)[NR], const T* const* a, const T* w, int32_t C) {
  const T* ar[MR];
  for (int32_t r = 0; r < MR; ++r) ar[r] = a[r];
  for (int32_t c = 0; c < C; ++c) {
    T av[MR];
#pragma GCC unroll 16
    for (int32_t r = 0; r < MR; ++r) av[r] = ar[r][c];
    const T* wc = w + c * NR;
    // One vector of NR channels per loop (kept a loop so the vectoriser,
    // not the unroller, takes it); the MR rows fully unrolled (also at
    // -O2), so the tile stays in registers.
#pragma GCC unroll 1
    for (int32_t j = 0; j < NR; ++j) {
      const T bv = wc[j];
#pragma GCC unroll 16
      for (int32_t r = 0; r < MR; ++r) acc[r][j] += av[r] * bv;
    }
  }
}

// Dense convolution (group 1). Packed weights w: for each block of NR output
// channels, (k_h, k_w, in_c, NR), channels beyond out_c zero; bias (nullptr
// = none) holds ceil(out_c / NR) * NR values, zero-padded. scratch: in_c
// values (the zero row). Tiles are MR consecutive pixels of one output row;
// kernel rows entirely in the padding are skipped for the whole tile.
// (A 1x1 stride-1 convolution is a plain matrix product over all pixels:
// the compiler lowers it to gemm_packed.)
template <class T, int MR, int NR>
inline void conv_nhwc(const ConvNhwcParams& p, const Activation& act, const T* x, const T* w, const T* bias,
                      T* scratch, T* y) {
  const int32_t C = p.in_c, M = p.out_c;
  const int32_t IH = p.in_h, IW = p.in_w, OH = p.out_h, OW = p.out_w;
  const int32_t blocks = (M + NR - 1) / NR;
  const int32_t block_size = p.k_h * p.k_w * C * NR;
  const T* zeros = scratch;
  fill(scratch, C, T(0));
  for (int32_t n = 0; n < p.batch; ++n) {
    const T* xn = x + n * IH * IW * C;
    T* yn = y + n * OH * OW * M;
    for (int32_t oh = 0; oh < OH; ++oh) {
      for (int32_t ow0 = 0; ow0 < OW; ow0 += MR) {
        const int32_t rows = OW - ow0 < MR ? OW - ow0 : MR;
        for (int32_t b = 0; b < blocks; ++b) {
          T acc[MR][NR];
          init_tile<T, MR, NR>(acc, bias ? bias + b * NR : nullptr);
          const T* wb = w + b * block_size;
          for (int32_t kh = 0; kh < p.k_h; ++kh) {
            const int32_t ih = oh * p.stride_h - p.pad_t + kh * p.dil_h;
            if (ih < 0 || ih >= IH) continue;  // the whole tile reads padding
            const T* xrow = xn + ih * IW * C;
            for (int32_t kw = 0; kw < p.k_w; ++kw) {
              const T* xp[MR];
              for (int32_t r = 0; r < MR; ++r) {
                // Rows past the end of the output row repeat the last pixel
                // (computed, never stored).
                const int32_t ow = ow0 + (r < rows ? r : rows - 1);
                const int32_t iw = ow * p.stride_w - p.pad_l + kw * p.dil_w;
                xp[r] = iw >= 0 && iw < IW ? xrow + iw * C : zeros;
              }
              tile_madd<T, MR, NR>(acc, xp, wb + (kh * p.k_w + kw) * C * NR, C);
            }
          }
          const int32_t cols = M - b * NR < NR ? M - b * NR : NR;
          store_tile<T, NR>(act, acc, rows, cols, yn + (oh * OW + ow0) * M + b * NR, M);
        }
      }
    }
  }
}

// Dense convolution for few input channels (the first layer of an image
// net: C = 1 or 3). Per tile the MR input patches (k_h * k_w * in_c values
// each, im2col) are gathered into scratch once and every block of output
// channels runs over them as one long dot product. Same packed weights as
// conv_nhwc; scratch: in_c + MR * k_h * k_w * in_c values.
template <class T, int MR, int NR>
inline void conv_nhwc_gather(const ConvNhwcParams& p, const Activation& act, const T* x, const T* w,
                             const T* bias, T* scratch, T* y) {
  const int32_t C = p.in_c, M = p.out_c, P = p.out_h * p.out_w;
  const int32_t taps = p.k_h * p.k_w, K = taps * C;
  const int32_t blocks = (M + NR - 1) / NR;
  T* patch = scratch + C;  // MR rows of K values (scratch[0, C) is unused here)
  const T* rows_a[MR];
  for (int32_t r = 0; r < MR; ++r) rows_a[r] = patch + r * K;
  const int32_t span = p.k_w * C;  // one kernel row of a patch
  for (int32_t n = 0; n < p.batch; ++n) {
    const T* xn = x + n * p.in_h * p.in_w * C;
    T* yn = y + n * P * M;
    for (int32_t p0 = 0; p0 < P; p0 += MR) {
      const int32_t rows = P - p0 < MR ? P - p0 : MR;
      int32_t oh[MR], ow[MR];
      tile_positions<T, MR>(p0, rows, p.out_w, oh, ow);
      // Gather each pixel's patch, kernel row by kernel row: a row that
      // lies inside the input (undilated) is one contiguous copy.
      for (int32_t r = 0; r < MR; ++r) {
        T* dst = patch + r * K;
        const int32_t ih0 = oh[r] * p.stride_h - p.pad_t, iw0 = ow[r] * p.stride_w - p.pad_l;
        const bool cols_inside = iw0 >= 0 && iw0 + (p.k_w - 1) * p.dil_w < p.in_w;
        for (int32_t kh = 0; kh < p.k_h; ++kh, dst += span) {
          const int32_t ih = ih0 + kh * p.dil_h;
          if (ih < 0 || ih >= p.in_h) {
            fill(dst, span, T(0));
            continue;
          }
          if (cols_inside && p.dil_w == 1) {
            const T* src = xn + (ih * p.in_w + iw0) * C;
            for (int32_t i = 0; i < span; ++i) dst[i] = src[i];
            continue;
          }
          for (int32_t kw = 0; kw < p.k_w; ++kw) {
            const int32_t iw = iw0 + kw * p.dil_w;
            T* d = dst + kw * C;
            if (iw < 0 || iw >= p.in_w) {
              fill(d, C, T(0));
            } else {
              const T* src = xn + (ih * p.in_w + iw) * C;
              for (int32_t c = 0; c < C; ++c) d[c] = src[c];
            }
          }
        }
      }
      for (int32_t b = 0; b < blocks; ++b) {
        T acc[MR][NR];
        init_tile<T, MR, NR>(acc, bias ? bias + b * NR : nullptr);
        tile_madd<T, MR, NR>(acc, rows_a, w + b * K * NR, K);
        const int32_t cols = M - b * NR < NR ? M - b * NR : NR;
        store_tile<T, NR>(act, acc, rows, cols, yn + p0 * M + b * NR, M);
      }
    }
  }
}

// Depthwise convolution (group = in_c = out_c). Packed weights w are
// (k_h, k_w, C): channels last. bias has C values (nullptr = none);
// scratch: C values (the zero row). Per tile of MR output pixels the tap
// pointers are computed once and reused by every block of channels: blocks
// of 16, then 8, then single channels.
template <class T, int MR, int NB>
inline void depthwise_block(const T* const* xp, int32_t t0, int32_t tn, const T* w, int32_t C, int32_t c0,
                            T (*acc)[NB]) {
  for (int32_t t = 0; t < tn; ++t) {
    const T* const* xt = xp + t * MR;
    const T* wt = w + (t0 + t) * C + c0;
#pragma GCC unroll 16
    for (int32_t r = 0; r < MR; ++r) {
      const T* xr = xt[r] + c0;
#pragma GCC unroll 1
      for (int32_t j = 0; j < NB; ++j) acc[r][j] += xr[j] * wt[j];
    }
  }
}

template <class T, int MR, int NB>
inline void depthwise_channels(const ConvNhwcParams& p, const Activation& act, const T* xn, const T* w,
                               const T* bias, const T* zeros, const int32_t* oh, const int32_t* ow, const T** xp,
                               bool have_pointers, int32_t rows, int32_t c0, T* y) {
  const int32_t C = p.in_c, taps = p.k_h * p.k_w;
  T acc[MR][NB];
  init_tile<T, MR, NB>(acc, bias ? bias + c0 : nullptr);
  for (int32_t t0 = 0; t0 < taps; t0 += kConvTapChunk) {
    const int32_t tn = taps - t0 < kConvTapChunk ? taps - t0 : kConvTapChunk;
    if (!have_pointers) tile_pointers<T, MR>(p, xn, zeros, oh, ow, t0, tn, xp);
    depthwise_block<T, MR, NB>(xp, t0, tn, w, C, c0, acc);
  }
  store_tile<T, NB>(act, acc, rows, NB, y + c0, C);
}

// A tile of MR pixels of one output row whose every tap lies inside the
// input: pixel r's input for tap (kh, kw) is x0 + r * stride_w * C plus the
// tap's offset, no table and no bounds checks.
template <class T, int MR, int NB>
inline void depthwise_interior(const ConvNhwcParams& p, const Activation& act, const T* x0, const T* w,
                               const T* bias, int32_t c0, T* y) {
  const int32_t C = p.in_c, step = p.stride_w * C;
  T acc[MR][NB];
  init_tile<T, MR, NB>(acc, bias ? bias + c0 : nullptr);
  for (int32_t kh = 0; kh < p.k_h; ++kh) {
    for (int32_t kw = 0; kw < p.k_w; ++kw) {
      const T* xt = x0 + (kh * p.dil_h * p.in_w + kw * p.dil_w) * C + c0;
      const T* wt = w + (kh * p.k_w + kw) * C + c0;
#pragma GCC unroll 16
      for (int32_t r = 0; r < MR; ++r) {
        const T* xr = xt + r * step;
#pragma GCC unroll 1
        for (int32_t j = 0; j < NB; ++j) acc[r][j] += xr[j] * wt[j];
      }
    }
  }
  store_tile<T, NB>(act, acc, MR, NB, y + c0, C);
}

template <class T, int MR>
inline void depthwise_nhwc(const ConvNhwcParams& p, const Activation& act, const T* x, const T* w, const T* bias,
                           T* scratch, T* y) {
  const int32_t C = p.in_c, P = p.out_h * p.out_w, taps = p.k_h * p.k_w;
  const T* zeros = scratch;
  fill(scratch, C, T(0));
  const bool one_chunk = taps <= kConvTapChunk;
  const T* xp[kConvTapChunk * MR];
  for (int32_t n = 0; n < p.batch; ++n) {
    const T* xn = x + n * p.in_h * p.in_w * C;
    T* yn = y + n * P * C;
    for (int32_t p0 = 0; p0 < P; p0 += MR) {
      const int32_t rows = P - p0 < MR ? P - p0 : MR;
      int32_t oh[MR], ow[MR];
      tile_positions<T, MR>(p0, rows, p.out_w, oh, ow);
      T* yt = yn + p0 * C;
      const int32_t ih0 = oh[0] * p.stride_h - p.pad_t, iw0 = ow[0] * p.stride_w - p.pad_l;
      if (rows == MR && oh[MR - 1] == oh[0] && ih0 >= 0 && ih0 + (p.k_h - 1) * p.dil_h < p.in_h && iw0 >= 0 &&
          iw0 + (MR - 1) * p.stride_w + (p.k_w - 1) * p.dil_w < p.in_w) {
        const T* x0 = xn + (ih0 * p.in_w + iw0) * C;
        int32_t c0 = 0;
        for (; c0 + 16 <= C; c0 += 16) depthwise_interior<T, MR, 16>(p, act, x0, w, bias, c0, yt);
        for (; c0 + 8 <= C; c0 += 8) depthwise_interior<T, MR, 8>(p, act, x0, w, bias, c0, yt);
        for (; c0 < C; ++c0) depthwise_interior<T, MR, 1>(p, act, x0, w, bias, c0, yt);
        continue;
      }
      if (one_chunk) tile_pointers<T, MR>(p, xn, zeros, oh, ow, 0, taps, xp);
      int32_t c0 = 0;
      for (; c0 + 16 <= C; c0 += 16)
        depthwise_channels<T, MR, 16>(p, act, xn, w, bias, zeros, oh, ow, xp, one_chunk, rows, c0, yt);
      for (; c0 + 8 <= C; c0 += 8)
        depthwise_channels<T, MR, 8>(p, act, xn, w, bias, zeros, oh, ow, xp, one_chunk, rows, c0, yt);
      for (; c0 < C; ++c0)
        depthwise_channels<T, MR, 1>(p, act, xn, w, bias, zeros, oh, ow, xp, one_chunk, rows, c0, yt);
    }
  }
}

}  // namespace rt
}  // namespace emlc

#endif
