// emlc runtime: float kernels for scalar single-precision FPUs (Cortex-M4F,
// M7F, M33F), chosen by --target cortex-m4|cortex-m7|cortex-m33.
//
// The channels-last kernels of conv_nhwc.h and gemm_packed.h keep tiles of
// up to 8 x 64 accumulators for a host's vector units; on a core with 32
// single-precision registers and no vectors those tiles live in memory
// (load, multiply-add, store per MAC). The kernels here keep a tile of MR
// output pixels (rows) x NR output channels (columns) with MR * NR <= 24 in
// s-registers across the whole reduction, so the inner loop per input value
// is MR loads of activations (one post-incremented VLDM each), NR loads of
// packed weights and MR * NR multiply-adds: about 1.6 instructions per MAC
// for 6 x 4 (benchmarks/cortexm_int8.sh float-cortex-m4 measures it).
// Plain C++: the compiler's own evaluation on the host runs the same loops.
//
// Data layout is the NHWC one of conv_nhwc.h (same ConvNhwcParams and
// GemmPackedParams); the weights are packed at compile time in the order
// the loops read them (see each kernel).
//
// Arithmetic: each output is bias, then the taps in (kh, kw) order and the
// input channels in order, like conv_nhwc.h, accumulated with fmadd below:
// a fused multiply-add (one rounding) where the target has one
// (__ARM_FEATURE_FMA: VFMA.F32 on the M4F/M7/M33), otherwise a * b + acc.
// So the device's results may differ from the generic kernels' in the last
// bits, and from the host's evaluation when the host does not fuse; the
// model tests compare both with the reference outputs within the float
// tolerances.
#ifndef EMLC_RUNTIME_FLOAT_FPU_H
#define EMLC_RUNTIME_FLOAT_FPU_H

#include "activation.h"
#include "common.h"
#include "conv_nhwc.h"    // ConvNhwcParams, tile_positions, tile_pointers, kConvTapChunk
#include "gemm_packed.h"  // GemmPackedParams

namespace emlc {
namespace rt {

// Makes GCC keep p as one register: without it, GCC splits `row + c0`
// (row varying, c0 fixed in the loop) into row + (c0 + j) with one
// precomputed offset per j, which costs an add per load (Thumb-2 VLDR has
// no register offset). An empty asm statement; nothing on other compilers.
template <class T>
inline void keep_in_register(T*& p) {
#if defined(__GNUC__)
  __asm__("" : "+r"(p));
#else
  (void)p;
#endif
}

inline float fmadd(float acc, float a, float b) {
#if defined(__ARM_FEATURE_FMA) && defined(__ARM_FP) && (__ARM_FP & 4)
  return __builtin_fmaf(a, b, acc);
#else
  return acc + a * b;
#endif
}

// The register tile: acc[r][0..NR) += sum over t < taps, c < C of
// a[t * MR + r][c] * w[(t * C + c) * NR + 0..NR). a holds, per tap, one
// input row pointer per tile row (C contiguous values each); w is read
// straight through. The tile is copied into locals so no store through
// a, w or y can alias it and it stays in registers.
template <int MR, int NR>
inline void fpu_tile(float (&tile)[MR][NR], const float* const* a, int32_t taps, const float* w, int32_t C) {
  float acc[MR][NR];
#pragma GCC unroll 32
  for (int32_t r = 0; r < MR; ++r)
#pragma GCC unroll 32
    for (int32_t j = 0; j < NR; ++j) acc[r][j] = tile[r][j];
  for (int32_t t = 0; t < taps; ++t) {
    const float* ap[MR];
#pragma GCC unroll 32
    for (int32_t r = 0; r < MR; ++r) ap[r] = a[t * MR + r];
    for (int32_t c = 0; c < C; ++c) {
      float av[MR];
#pragma GCC unroll 32
      for (int32_t r = 0; r < MR; ++r) av[r] = *ap[r]++;
#pragma GCC unroll 32
      for (int32_t j = 0; j < NR; ++j) {
        const float b = w[j];
#pragma GCC unroll 32
        for (int32_t r = 0; r < MR; ++r) acc[r][j] = fmadd(acc[r][j], av[r], b);
      }
      w += NR;
    }
  }
#pragma GCC unroll 32
  for (int32_t r = 0; r < MR; ++r)
#pragma GCC unroll 32
    for (int32_t j = 0; j < NR; ++j) tile[r][j] = acc[r][j];
}

template <int MR, int NR>
inline void fpu_init(float (&acc)[MR][NR], const float* bias) {
#pragma GCC unroll 32
  for (int32_t r = 0; r < MR; ++r)
#pragma GCC unroll 32
    for (int32_t j = 0; j < NR; ++j) acc[r][j] = bias ? bias[j] : 0.0f;
}

// Stores rows x cols of the tile to y + r * y_stride + j, activated with the
// formulas of activation.h. The full tile (the common case) is stored with
// constant indices only, so the tile never leaves the registers; partial
// tiles and the rarer activations go through a copy in memory.
template <int MR, int NR>
inline void fpu_store(const Activation& a, const float (&acc)[MR][NR], int32_t rows, int32_t cols, float* y,
                      int32_t y_stride) {
  const float lo = a.lo, hi = a.hi;
  if (rows == MR && cols == NR && (a.kind == kActNone || a.kind == kActClamp)) {
    if (a.kind == kActNone) {
#pragma GCC unroll 32
      for (int32_t r = 0; r < MR; ++r)
#pragma GCC unroll 32
        for (int32_t j = 0; j < NR; ++j) y[r * y_stride + j] = acc[r][j];
    } else if (!(hi < 3.40282347e38f)) {
      // Relu (hi = +inf): v > hi never holds, so only the lower bound (one
      // compare instead of two on a core without VMAXNM).
#pragma GCC unroll 32
      for (int32_t r = 0; r < MR; ++r)
#pragma GCC unroll 32
        for (int32_t j = 0; j < NR; ++j) {
          const float v = acc[r][j];
          y[r * y_stride + j] = v < lo ? lo : v;
        }
    } else {
#pragma GCC unroll 32
      for (int32_t r = 0; r < MR; ++r)
#pragma GCC unroll 32
        for (int32_t j = 0; j < NR; ++j) {
          float v = acc[r][j];
          v = v < lo ? lo : v;
          y[r * y_stride + j] = v > hi ? hi : v;
        }
    }
    return;
  }
  float v[MR][NR];
#pragma GCC unroll 32
  for (int32_t r = 0; r < MR; ++r)
#pragma GCC unroll 32
    for (int32_t j = 0; j < NR; ++j) v[r][j] = acc[r][j];
  for (int32_t r = 0; r < rows; ++r) {
    activate(a, v[r], cols);
    for (int32_t j = 0; j < cols; ++j) y[r * y_stride + j] = v[r][j];
  }
}

// Matrix product with the packed B of gemm_packed.h (column panels of NR;
// bias: ceil(N / NR) * NR values or nullptr). Tiles of MR rows; rows past
// M repeat the last row (computed, never stored).
template <int MR, int NR>
inline void fpu_gemm(const GemmPackedParams& p, const Activation& act, const float* a, const float* b,
                     const float* bias, float* y) {
  const int32_t blocks = (p.N + NR - 1) / NR;
  for (int32_t i0 = 0; i0 < p.M; i0 += MR) {
    const int32_t rows = p.M - i0 < MR ? p.M - i0 : MR;
    const float* ap[MR];
    for (int32_t r = 0; r < MR; ++r) ap[r] = a + (i0 + (r < rows ? r : rows - 1)) * p.K;
    for (int32_t blk = 0; blk < blocks; ++blk) {
      float acc[MR][NR];
      fpu_init<MR, NR>(acc, bias ? bias + blk * NR : nullptr);
      fpu_tile<MR, NR>(acc, ap, 1, b + blk * p.K * NR, p.K);
      const int32_t cols = p.N - blk * NR < NR ? p.N - blk * NR : NR;
      fpu_store<MR, NR>(act, acc, rows, cols, y + i0 * p.N + blk * NR, p.N);
    }
  }
}

// Dense convolution (group 1) with the packed weights of conv_nhwc (blocks
// of NR output channels, each (k_h, k_w, in_c, NR), zero beyond out_c) and
// bias of ceil(out_c / NR) * NR values (or nullptr). Tiles are MR
// consecutive output pixels in row-major order (a tile may wrap to the next
// row); per tile the input row pointer of every (tap, pixel) is computed once
// (a row of zeros in the padding) and used by every block of channels.
// scratch: in_c values (the zero row).
template <int MR, int NR>
inline void fpu_conv(const ConvNhwcParams& p, const Activation& act, const float* x, const float* w,
                     const float* bias, float* scratch, float* y) {
  const int32_t C = p.in_c, M = p.out_c, P = p.out_h * p.out_w, taps = p.k_h * p.k_w;
  const int32_t blocks = (M + NR - 1) / NR;
  const float* zeros = scratch;
  fill(scratch, C, 0.0f);
  const float* xp[kConvTapChunk * MR];
  for (int32_t n = 0; n < p.batch; ++n) {
    const float* xn = x + n * p.in_h * p.in_w * C;
    float* yn = y + n * P * M;
    for (int32_t p0 = 0; p0 < P; p0 += MR) {
      const int32_t rows = P - p0 < MR ? P - p0 : MR;
      int32_t oh[MR], ow[MR];
      tile_positions<float, MR>(p0, rows, p.out_w, oh, ow);
      const bool one_chunk = taps <= kConvTapChunk;
      if (one_chunk) tile_pointers<float, MR>(p, xn, zeros, oh, ow, 0, taps, xp);
      for (int32_t b = 0; b < blocks; ++b) {
        float acc[MR][NR];
        fpu_init<MR, NR>(acc, bias ? bias + b * NR : nullptr);
        const float* wb = w + b * taps * C * NR;
        for (int32_t t0 = 0; t0 < taps; t0 += kConvTapChunk) {
          const int32_t tn = taps - t0 < kConvTapChunk ? taps - t0 : kConvTapChunk;
          if (!one_chunk) tile_pointers<float, MR>(p, xn, zeros, oh, ow, t0, tn, xp);
          fpu_tile<MR, NR>(acc, xp, tn, wb + t0 * C * NR, C);
        }
        const int32_t cols = M - b * NR < NR ? M - b * NR : NR;
        fpu_store<MR, NR>(act, acc, rows, cols, yn + p0 * M + b * NR, M);
      }
    }
  }
}

// Dense convolution for few input channels (a first layer, C = 1 or 3),
// undilated along W: one kernel row of one output pixel is k_w * in_c
// contiguous input values, so the reduction runs over k_h rows of
// k_w * in_c values instead of k_h * k_w taps of in_c (less loop overhead
// per MAC). A kernel row that lies in the padding reads a zero row; one
// that crosses the left or right border is gathered, zero-filled, into
// scratch. Same weights as fpu_conv. scratch: (1 + MR * k_h) * k_w * in_c
// values.
template <int MR, int NR>
inline void fpu_conv_rows(const ConvNhwcParams& p, const Activation& act, const float* x, const float* w,
                          const float* bias, float* scratch, float* y) {
  const int32_t C = p.in_c, M = p.out_c, P = p.out_h * p.out_w, span = p.k_w * C;
  const int32_t blocks = (M + NR - 1) / NR;
  const float* zeros = scratch;
  fill(scratch, span, 0.0f);
  float* gathered = scratch + span;  // row kh of pixel r at (r * k_h + kh) * span
  const bool one_chunk = p.k_h <= kConvTapChunk;
  const float* xp[kConvTapChunk * MR];
  for (int32_t n = 0; n < p.batch; ++n) {
    const float* xn = x + n * p.in_h * p.in_w * C;
    float* yn = y + n * P * M;
    for (int32_t p0 = 0; p0 < P; p0 += MR) {
      const int32_t rows = P - p0 < MR ? P - p0 : MR;
      int32_t oh[MR], ow[MR];
      tile_positions<float, MR>(p0, rows, p.out_w, oh, ow);
      // Row pointers of kernel rows [h0, h0 + hn) into xp[(kh - h0) * MR + r].
      auto pointers = [&](int32_t h0, int32_t hn) {
        for (int32_t r = 0; r < MR; ++r) {
          const int32_t iw0 = ow[r] * p.stride_w - p.pad_l;
          const bool inside_w = iw0 >= 0 && iw0 + p.k_w <= p.in_w;
          for (int32_t kh = h0; kh < h0 + hn; ++kh) {
            const int32_t ih = oh[r] * p.stride_h - p.pad_t + kh * p.dil_h;
            const float* row = zeros;
            if (ih >= 0 && ih < p.in_h) {
              const float* src = xn + ih * p.in_w * C;
              if (inside_w) {
                row = src + iw0 * C;
              } else {
                float* d = gathered + (r * p.k_h + kh) * span;
                for (int32_t kw = 0; kw < p.k_w; ++kw) {
                  const int32_t iw = iw0 + kw;
                  for (int32_t c = 0; c < C; ++c) d[kw * C + c] = iw >= 0 && iw < p.in_w ? src[iw * C + c] : 0.0f;
                }
                row = d;
              }
            }
            xp[(kh - h0) * MR + r] = row;
          }
        }
      };
      if (one_chunk) pointers(0, p.k_h);
      for (int32_t b = 0; b < blocks; ++b) {
        float acc[MR][NR];
        fpu_init<MR, NR>(acc, bias ? bias + b * NR : nullptr);
        const float* wb = w + b * p.k_h * span * NR;
        for (int32_t h0 = 0; h0 < p.k_h; h0 += kConvTapChunk) {
          const int32_t hn = p.k_h - h0 < kConvTapChunk ? p.k_h - h0 : kConvTapChunk;
          if (!one_chunk) pointers(h0, hn);
          fpu_tile<MR, NR>(acc, xp, hn, wb + h0 * span * NR, span);
        }
        const int32_t cols = M - b * NR < NR ? M - b * NR : NR;
        fpu_store<MR, NR>(act, acc, rows, cols, yn + p0 * M + b * NR, M);
      }
    }
  }
}

// Depthwise convolution (group = in_c = out_c). Packed weights: channels in
// groups of kFpuDwGroup, each group (k_h, k_w, kFpuDwGroup), then the
// C % kFpuDwGroup remaining channels one by one, each (k_h, k_w). bias: C
// values or nullptr. Tiles of MR consecutive output pixels (row-major,
// wrapping rows) share one table of input pointers per tap and pixel (the
// zero row in the padding); each group of channels keeps MR x group
// accumulators in registers over all taps. scratch: C values (the zero row).
constexpr int32_t kFpuDwGroup = 4;

template <int MR, int NC>
inline void fpu_dw_tile(float (&tile)[MR][NC], const float* const* xp, int32_t taps, const float* w, int32_t c0) {
  float acc[MR][NC];
#pragma GCC unroll 32
  for (int32_t r = 0; r < MR; ++r)
#pragma GCC unroll 32
    for (int32_t j = 0; j < NC; ++j) acc[r][j] = tile[r][j];
  for (int32_t t = 0; t < taps; ++t) {
    float wv[NC];
#pragma GCC unroll 32
    for (int32_t j = 0; j < NC; ++j) wv[j] = w[j];
    w += NC;
#pragma GCC unroll 32
    for (int32_t r = 0; r < MR; ++r) {
      const float* xr = xp[t * MR + r] + c0;
      keep_in_register(xr);
#pragma GCC unroll 32
      for (int32_t j = 0; j < NC; ++j) acc[r][j] = fmadd(acc[r][j], xr[j], wv[j]);
    }
  }
#pragma GCC unroll 32
  for (int32_t r = 0; r < MR; ++r)
#pragma GCC unroll 32
    for (int32_t j = 0; j < NC; ++j) tile[r][j] = acc[r][j];
}

template <int MR, int NC>
inline void fpu_dw_channels(const ConvNhwcParams& p, const Activation& act, const float* xn, const float* w,
                            const float* bias, const float* zeros, const int32_t* oh, const int32_t* ow,
                            const float** xp, bool have_pointers, int32_t rows, int32_t c0, float* y) {
  const int32_t taps = p.k_h * p.k_w;
  float acc[MR][NC];
  fpu_init<MR, NC>(acc, bias ? bias + c0 : nullptr);
  for (int32_t t0 = 0; t0 < taps; t0 += kConvTapChunk) {
    const int32_t tn = taps - t0 < kConvTapChunk ? taps - t0 : kConvTapChunk;
    if (!have_pointers) tile_pointers<float, MR>(p, xn, zeros, oh, ow, t0, tn, xp);
    fpu_dw_tile<MR, NC>(acc, xp, tn, w + t0 * NC, c0);
  }
  fpu_store<MR, NC>(act, acc, rows, NC, y + c0, p.in_c);
}

template <int MR>
inline void fpu_depthwise(const ConvNhwcParams& p, const Activation& act, const float* x, const float* w,
                          const float* bias, float* scratch, float* y) {
  const int32_t C = p.in_c, P = p.out_h * p.out_w, taps = p.k_h * p.k_w;
  const int32_t grouped = C / kFpuDwGroup * kFpuDwGroup;
  const float* zeros = scratch;
  fill(scratch, C, 0.0f);
  const bool one_chunk = taps <= kConvTapChunk;
  const float* xp[kConvTapChunk * MR];
  for (int32_t n = 0; n < p.batch; ++n) {
    const float* xn = x + n * p.in_h * p.in_w * C;
    float* yn = y + n * P * C;
    for (int32_t p0 = 0; p0 < P; p0 += MR) {
      const int32_t rows = P - p0 < MR ? P - p0 : MR;
      int32_t oh[MR], ow[MR];
      tile_positions<float, MR>(p0, rows, p.out_w, oh, ow);
      if (one_chunk) tile_pointers<float, MR>(p, xn, zeros, oh, ow, 0, taps, xp);
      float* yt = yn + p0 * C;
      for (int32_t c0 = 0; c0 < grouped; c0 += kFpuDwGroup)
        fpu_dw_channels<MR, kFpuDwGroup>(p, act, xn, w + c0 * taps, bias, zeros, oh, ow, xp, one_chunk, rows, c0,
                                         yt);
      for (int32_t c0 = grouped; c0 < C; ++c0)
        fpu_dw_channels<MR, 1>(p, act, xn, w + c0 * taps, bias, zeros, oh, ow, xp, one_chunk, rows, c0, yt);
    }
  }
}

}  // namespace rt
}  // namespace emlc

#endif
