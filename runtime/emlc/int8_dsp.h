// emlc runtime: int8 convolution and fully connected kernels for Cortex-M
// cores with the DSP extension (Armv7E-M: M4, M7; Armv8-M Mainline + DSP:
// M33), chosen by `emlc compile --target cortex-m4|cortex-m7|cortex-m33`.
//
// Contract: every kernel here gives the same bytes as its reference kernel
// in int8_conv.h (qconv, qgemm) for the cases the compiler sends here (int8
// activations and weights, weight zero point 0, the reference's
// requantisation). The sums are the same integers (int32 addition is exact
// and order-free modulo 2^32, as in the reference), and requantize_dsp is
// multiply_by_quantized_multiplier for non-negative multipliers.
//
// The work is a dot product of an int16 "column" (one output pixel's inputs
// with the input offset added; zero where the tap falls in the padding) with
// each output channel's weights, two 16-bit products per SMLAD. Columns are
// built into a small scratch buffer (two output pixels at a time, 2 * K8
// int16), so there is no full im2col buffer. Weights come packed by the
// compiler (pack order below), so one 32-bit load and two SXTB16 give two
// weight pairs.
//
// Packed weights: M rows of K8 = K rounded up to 8 int8 values, zero padded;
// within each group of four the order is (k, k+2, k+1, k+3): SXTB16 of such
// a word is the pair (k, k+1), SXTB16 of the word rotated by 8 is (k+2, k+3),
// the natural order of the int16 column. Rows go in pairs (m, m+1), word by
// word interleaved (group g of m, group g of m+1, group g+1 of m, ...), so a
// kernel reads both channels from one pointer; an odd last row stays alone.
// Packed weights and the scratch are 4-byte aligned.
//
// Without the DSP extension (host builds: the compiler's own evaluation runs
// these kernels too) the intrinsics are plain C with the same results.
#ifndef EMLC_RUNTIME_INT8_DSP_H
#define EMLC_RUNTIME_INT8_DSP_H

#include "common.h"
#include "conv.h"
#include "int8_common.h"
#include "int8_conv.h"

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)
#include <arm_acle.h>
#define EMLC_ACLE_DSP 1
#else
#define EMLC_ACLE_DSP 0
#endif

namespace emlc {
namespace rt {
namespace dsp {

inline int32_t load32(const void* p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

// A 32-bit load from a 4-byte aligned address (packed weights, columns):
// the compiler may pair two into one LDRD.
#if defined(__GNUC__)
inline int32_t load32a(const void* p) { return load32(__builtin_assume_aligned(p, 4)); }
#else
inline int32_t load32a(const void* p) { return load32(p); }
#endif

#if EMLC_ACLE_DSP
// Bytes 0 and 2 of x, sign-extended to the two halves.
inline int32_t sxtb16(int32_t x) { return __sxtb16(x); }
// Bytes 1 and 3 of x (ACLE has no rotated form of SXTB16; one instruction).
inline int32_t sxtb16_hi(int32_t x) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
// acc + lo(a) * lo(b) + hi(a) * hi(b), 16-bit halves.
inline int32_t smlad(int32_t a, int32_t b, int32_t acc) { return __smlad(a, b, acc); }
#else
inline int32_t half_lo(int32_t x) { return static_cast<int16_t>(static_cast<uint32_t>(x) & 0xFFFFu); }
inline int32_t half_hi(int32_t x) { return static_cast<int16_t>(static_cast<uint32_t>(x) >> 16); }
inline int32_t byte_at(int32_t x, int b) { return static_cast<int8_t>((static_cast<uint32_t>(x) >> (8 * b)) & 0xFFu); }
inline int32_t pack16(int32_t lo, int32_t hi) {
  return static_cast<int32_t>((static_cast<uint32_t>(lo) & 0xFFFFu) | (static_cast<uint32_t>(hi) << 16));
}
inline int32_t sxtb16(int32_t x) { return pack16(byte_at(x, 0), byte_at(x, 2)); }
inline int32_t sxtb16_hi(int32_t x) { return pack16(byte_at(x, 1), byte_at(x, 3)); }
inline int32_t smlad(int32_t a, int32_t b, int32_t acc) {
  const uint32_t s = static_cast<uint32_t>(acc) + static_cast<uint32_t>(half_lo(a) * half_lo(b)) +
                     static_cast<uint32_t>(half_hi(a) * half_hi(b));
  return static_cast<int32_t>(s);
}
#endif

// multiply_by_quantized_multiplier(x, multiplier, shift) for multiplier >= 0.
// The reference's rounding high multiply, (a*b + nudge) / 2^31 truncated
// toward zero with nudge 2^30 (a*b >= 0) or 1 - 2^30 (a*b < 0), equals
// floor((a*b + 2^30) / 2^31) in both cases, an arithmetic shift; its one
// saturating case needs multiplier == INT32_MIN, which a non-negative
// multiplier never is.
inline int32_t requantize(int32_t x, int32_t multiplier, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  const int64_t ab = static_cast<int64_t>(shift_left_wrapping(x, left)) * multiplier + (int64_t{1} << 30);
  return rounding_divide_by_pot(static_cast<int32_t>(ab >> 31), right);
}

inline int8_t requantize_store(int32_t acc, int32_t multiplier, int32_t shift, const QuantConvParams& q) {
  return static_cast<int8_t>(clamp_i32(requantize(acc, multiplier, shift) + q.output_offset, q.act_min, q.act_max));
}

// acc += the dot product of one group of four packed weights (word v) with
// four column values (words x01, x23).
inline int32_t mac4(int32_t v, int32_t x01, int32_t x23, int32_t acc) {
  return smlad(sxtb16_hi(v), x23, smlad(sxtb16(v), x01, acc));
}

// Output channels [m0, M) against one column; outputs y[m * ystride]. m0 is
// even (a pair boundary) or M - 1.
inline void dot1(const int16_t* col, int32_t k8, const int8_t* w, int32_t m0, int32_t M, const int32_t* bias,
                 const int32_t* mult, const int32_t* shift, const QuantConvParams& q, int8_t* y, int32_t ystride) {
  const int32_t pairs_end = M / 2 * 2;
  int32_t m = m0;
  for (; m + 4 <= pairs_end; m += 4) {  // two pairs: four channels
    const int8_t* p0 = w + m * k8;
    const int8_t* p1 = p0 + 2 * k8;
    int32_t a0 = bias ? bias[m] : 0, a1 = bias ? bias[m + 1] : 0;
    int32_t a2 = bias ? bias[m + 2] : 0, a3 = bias ? bias[m + 3] : 0;
    const int16_t* x = col;
    for (int32_t k = 0; k < k8; k += 4) {
      const int32_t x01 = load32a(x), x23 = load32a(x + 2);
      x += 4;
      a0 = mac4(load32a(p0), x01, x23, a0);
      a1 = mac4(load32a(p0 + 4), x01, x23, a1);
      a2 = mac4(load32a(p1), x01, x23, a2);
      a3 = mac4(load32a(p1 + 4), x01, x23, a3);
      p0 += 8;
      p1 += 8;
    }
    y[m * ystride] = requantize_store(a0, mult[m], shift[m], q);
    y[(m + 1) * ystride] = requantize_store(a1, mult[m + 1], shift[m + 1], q);
    y[(m + 2) * ystride] = requantize_store(a2, mult[m + 2], shift[m + 2], q);
    y[(m + 3) * ystride] = requantize_store(a3, mult[m + 3], shift[m + 3], q);
  }
  for (; m + 2 <= pairs_end; m += 2) {
    const int8_t* p0 = w + m * k8;
    int32_t a0 = bias ? bias[m] : 0, a1 = bias ? bias[m + 1] : 0;
    const int16_t* x = col;
    for (int32_t k = 0; k < k8; k += 4) {
      const int32_t x01 = load32a(x), x23 = load32a(x + 2);
      x += 4;
      a0 = mac4(load32a(p0), x01, x23, a0);
      a1 = mac4(load32a(p0 + 4), x01, x23, a1);
      p0 += 8;
    }
    y[m * ystride] = requantize_store(a0, mult[m], shift[m], q);
    y[(m + 1) * ystride] = requantize_store(a1, mult[m + 1], shift[m + 1], q);
  }
  if (m < M) {  // the odd last channel: its own row
    const int8_t* p0 = w + m * k8;
    int32_t a0 = bias ? bias[m] : 0;
    for (int32_t k = 0; k < k8; k += 4) a0 = mac4(load32a(p0 + k), load32a(col + k), load32a(col + k + 2), a0);
    y[m * ystride] = requantize_store(a0, mult[m], shift[m], q);
  }
}

// All M output channels against two columns: outputs y0[m * ystride] and
// y1[m * ystride]. Two channels x two columns x eight k per inner loop: the
// weights' unpacking is shared by both columns, each column load by both
// channels.
inline void dot2(const int16_t* c0, const int16_t* c1, int32_t k8, const int8_t* w, int32_t M, const int32_t* bias,
                 const int32_t* mult, const int32_t* shift, const QuantConvParams& q, int8_t* y0, int8_t* y1,
                 int32_t ystride) {
  int32_t m = 0;
  for (; m + 2 <= M; m += 2) {
    const int8_t* wp = w + m * k8;
    const int16_t* x0 = c0;
    const int16_t* x1 = c1;
    const int32_t b0 = bias ? bias[m] : 0, b1 = bias ? bias[m + 1] : 0;
    int32_t a00 = b0, a01 = b0, a10 = b1, a11 = b1;  // a<channel><column>
    // Fourteen live values (four sums, four weight pairs, two column
    // words, four pointers): what the core's registers hold without spills.
    const int16_t* const x0end = c0 + k8;
    while (x0 != x0end) {
      const int32_t v0 = load32a(wp), v1 = load32a(wp + 4);
      wp += 8;
      const int32_t w0lo = sxtb16(v0), w0hi = sxtb16_hi(v0);
      const int32_t w1lo = sxtb16(v1), w1hi = sxtb16_hi(v1);
      int32_t xlo = load32a(x0), xhi = load32a(x0 + 2);
      x0 += 4;
      a00 = smlad(w0hi, xhi, smlad(w0lo, xlo, a00));
      a10 = smlad(w1hi, xhi, smlad(w1lo, xlo, a10));
      xlo = load32a(x1);
      xhi = load32a(x1 + 2);
      x1 += 4;
      a01 = smlad(w0hi, xhi, smlad(w0lo, xlo, a01));
      a11 = smlad(w1hi, xhi, smlad(w1lo, xlo, a11));
    }
    y0[m * ystride] = requantize_store(a00, mult[m], shift[m], q);
    y1[m * ystride] = requantize_store(a01, mult[m], shift[m], q);
    y0[(m + 1) * ystride] = requantize_store(a10, mult[m + 1], shift[m + 1], q);
    y1[(m + 1) * ystride] = requantize_store(a11, mult[m + 1], shift[m + 1], q);
  }
  if (m < M) {
    dot1(c0, k8, w, m, M, bias, mult, shift, q, y0, ystride);
    dot1(c1, k8, w, m, M, bias, mult, shift, q, y1, ystride);
  }
}

// One output pixel's column of a 2-D convolution (group 1): for k = (c, kh,
// kw) in W's order, x + input_offset, or 0 where the tap is padding; zero
// up to k8.
inline void gather_column(const ConvParams& p, int32_t input_offset, const int8_t* x, int32_t oh, int32_t ow,
                          int32_t k8, int16_t* col) {
  const int32_t IH = p.in_dims[1], IW = p.in_dims[2];
  const int32_t KH = p.kernel[1], KW = p.kernel[2];
  const int32_t plane = IH * IW;
  const int32_t ih0 = oh * p.strides[1] - p.pads[1], iw0 = ow * p.strides[2] - p.pads[2];
  int16_t* o = col;
  if (KH == 1 && KW == 1 && ih0 >= 0 && ih0 < IH && iw0 >= 0 && iw0 < IW) {
    const int8_t* xp = x + ih0 * IW + iw0;
    for (int32_t c = 0; c < p.in_channels; ++c) *o++ = static_cast<int16_t>(xp[c * plane] + input_offset);
  } else {
    for (int32_t c = 0; c < p.in_channels; ++c) {
      const int8_t* xc = x + c * plane;
      for (int32_t kh = 0; kh < KH; ++kh) {
        const int32_t ih = ih0 + kh * p.dilations[1];
        if (ih < 0 || ih >= IH) {
          for (int32_t kw = 0; kw < KW; ++kw) *o++ = 0;
          continue;
        }
        const int8_t* xr = xc + ih * IW;
        for (int32_t kw = 0; kw < KW; ++kw) {
          const int32_t iw = iw0 + kw * p.dilations[2];
          *o++ = (iw >= 0 && iw < IW) ? static_cast<int16_t>(xr[iw] + input_offset) : int16_t{0};
        }
      }
    }
  }
  while (o < col + k8) *o++ = 0;
}

}  // namespace dsp

// K8 of a packed weight matrix with K values per output channel.
constexpr int32_t dsp_k8(int32_t k) { return (k + 7) / 8 * 8; }

// qconv for group 1, 2-D (in_dims[0] == kernel[0] == 1) convolutions of int8
// tensors: w_packed holds out_channels rows (pack order at the top) of
// K = in_channels * KH * KW; scratch holds 2 * dsp_k8(K) int16.
inline void qconv_dsp(const ConvParams& p, const QuantConvParams& q, const int8_t* x, const int8_t* w_packed,
                      const int32_t* bias, const int32_t* multiplier, const int32_t* shift, int8_t* y,
                      int16_t* scratch) {
  const int32_t k8 = dsp_k8(p.in_channels * p.kernel[1] * p.kernel[2]);
  const int32_t OH = p.out_dims[1], OW = p.out_dims[2];
  const int32_t P = OH * OW;
  int16_t* c0 = scratch;
  int16_t* c1 = scratch + k8;
  for (int32_t n = 0; n < p.batch; ++n) {
    const int8_t* xn = x + n * p.in_channels * p.in_dims[1] * p.in_dims[2];
    int8_t* yn = y + n * p.out_channels * P;
    int32_t pix = 0;
    for (; pix + 2 <= P; pix += 2) {
      dsp::gather_column(p, q.input_offset, xn, pix / OW, pix % OW, k8, c0);
      dsp::gather_column(p, q.input_offset, xn, (pix + 1) / OW, (pix + 1) % OW, k8, c1);
      dsp::dot2(c0, c1, k8, w_packed, p.out_channels, bias, multiplier, shift, q, yn + pix, yn + pix + 1, P);
    }
    if (pix < P) {
      dsp::gather_column(p, q.input_offset, xn, pix / OW, pix % OW, k8, c0);
      dsp::dot1(c0, k8, w_packed, 0, p.out_channels, bias, multiplier, shift, q, yn + pix, P);
    }
  }
}

// qgemm of int8 tensors, one product (batch 1): B packed as N rows of K
// (pack order at the top); scratch holds 2 * dsp_k8(K) int16.
inline void qgemm_dsp(const QuantGemmParams& p, const QuantConvParams& q, const int8_t* a, const int8_t* b_packed,
                      const int32_t* bias, const int32_t* multiplier, const int32_t* shift, int8_t* y,
                      int16_t* scratch) {
  const int32_t k8 = dsp_k8(p.K);
  int16_t* rows[2] = {scratch, p.M >= 2 ? scratch + k8 : scratch};  // scratch holds min(M, 2) rows
  int32_t i = 0;
  for (; i < p.M; i += 2) {
    const int32_t nr = p.M - i >= 2 ? 2 : 1;
    for (int32_t r = 0; r < nr; ++r) {
      const int8_t* ar = a + (i + r) * p.K;
      int16_t* o = rows[r];
      for (int32_t k = 0; k < p.K; ++k) o[k] = static_cast<int16_t>(ar[k] + q.input_offset);
      for (int32_t k = p.K; k < k8; ++k) o[k] = 0;
    }
    if (nr == 2)
      dsp::dot2(rows[0], rows[1], k8, b_packed, p.N, bias, multiplier, shift, q, y + i * p.N, y + (i + 1) * p.N, 1);
    else
      dsp::dot1(rows[0], k8, b_packed, 0, p.N, bias, multiplier, shift, q, y + i * p.N, 1);
  }
}

// Depthwise 3x3 convolution (group == in_channels == out_channels, kernel
// 3x3, dilation 1, any stride and padding, 2-D) of int8 tensors.
// w_packed: per channel and kernel row, the words (w0, w1) as int16 pairs
// and w2 (6 int32 per channel). scratch: 3 rows of dsp_dw_row(p) int16,
// input rows with the offset added and zeros where the taps read padding,
// kept in a ring (row ih in slot ih % 3) so each input row is expanded
// once per channel.
inline int32_t dsp_dw_row(const ConvParams& p) { return (p.out_dims[2] - 1) * p.strides[2] + 3; }

inline void qdepthwise3x3_dsp(const ConvParams& p, const QuantConvParams& q, const int8_t* x, const int32_t* w_packed,
                              const int32_t* bias, const int32_t* multiplier, const int32_t* shift, int8_t* y,
                              int16_t* scratch) {
  const int32_t IH = p.in_dims[1], IW = p.in_dims[2], OH = p.out_dims[1], OW = p.out_dims[2];
  const int32_t SH = p.strides[1], SW = p.strides[2], PH = p.pads[1], PW = p.pads[2];
  const int32_t wp = dsp_dw_row(p);
  const int32_t C = p.out_channels;
  for (int32_t n = 0; n < p.batch; ++n) {
    for (int32_t c = 0; c < C; ++c) {
      const int8_t* xc = x + (n * C + c) * IH * IW;
      int8_t* yc = y + (n * C + c) * OH * OW;
      const int32_t* wc = w_packed + 6 * c;
      const int32_t b = bias ? bias[c] : 0, mult = multiplier[c], sh = shift[c];
      int32_t held[3] = {-1 - IH, -1 - IH, -1 - IH};  // input row in each ring slot (none yet)
      for (int32_t oh = 0; oh < OH; ++oh) {
        const int16_t* rows[3];
        for (int32_t kh = 0; kh < 3; ++kh) {
          const int32_t ih = oh * SH - PH + kh;
          const int32_t slot = (ih + 3 * (PH + 1)) % 3;  // ih >= -PH
          int16_t* r = scratch + slot * wp;
          rows[kh] = r;
          if (held[slot] == ih) continue;
          held[slot] = ih;
          if (ih < 0 || ih >= IH) {
            for (int32_t j = 0; j < wp; ++j) r[j] = 0;
            continue;
          }
          const int8_t* xr = xc + ih * IW;
          for (int32_t j = 0; j < wp; ++j) {
            const int32_t iw = j - PW;
            r[j] = (iw >= 0 && iw < IW) ? static_cast<int16_t>(xr[iw] + q.input_offset) : int16_t{0};
          }
        }
        const int16_t* r0 = rows[0];
        const int16_t* r1 = rows[1];
        const int16_t* r2 = rows[2];
        int8_t* yr = yc + oh * OW;
        for (int32_t ow = 0; ow < OW; ++ow) {
          const int32_t j = ow * SW;
          int32_t acc = b;
          acc = dsp::smlad(dsp::load32(r0 + j), wc[0], acc);
          acc += r0[j + 2] * wc[1];
          acc = dsp::smlad(dsp::load32(r1 + j), wc[2], acc);
          acc += r1[j + 2] * wc[3];
          acc = dsp::smlad(dsp::load32(r2 + j), wc[4], acc);
          acc += r2[j + 2] * wc[5];
          yr[ow] = dsp::requantize_store(acc, mult, sh, q);
        }
      }
    }
  }
}

}  // namespace rt
}  // namespace emlc

#endif
