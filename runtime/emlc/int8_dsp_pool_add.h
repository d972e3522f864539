// emlc runtime: int8 average pooling and addition for Cortex-M cores with
// the DSP extension (--target cortex-m4|cortex-m7|cortex-m33), giving the
// reference kernels' bytes (int8_pool.h, int8_elementwise.h). Primitives:
// int8_dsp.h.
#ifndef EMLC_RUNTIME_INT8_DSP_POOL_ADD_H
#define EMLC_RUNTIME_INT8_DSP_POOL_ADD_H

#include "int8_dsp.h"
#include "int8_pool.h"

namespace emlc {
namespace rt {

namespace dsp {
// The sum of n int8 values: four per 32-bit load, two SXTAB16 add bytes
// (0, 2) and (1, 3) into int16 halves; at most 255 loads per round, so no
// half passes 255 * 128 (int16), then the halves go into the int32 sum.
inline int32_t sum_int8(const int8_t* x, int32_t n) {
  int32_t sum = 0;
  while (n > 0 && (reinterpret_cast<uintptr_t>(x) & 3u) != 0) {  // to a word boundary
    sum += *x++;
    --n;
  }
  while (n >= 4) {
    int32_t words = n / 4 < 255 ? n / 4 : 255;
    n -= 4 * words;
    int32_t h02 = 0, h13 = 0;
    for (; words > 0; --words, x += 4) {
      const int32_t v = load32a(x);
      h02 = sxtab16(h02, v);
      h13 = sxtab16_hi(h13, v);
    }
    sum += half_lo16(h02) + half_hi16(h02) + half_lo16(h13) + half_hi16(h13);
  }
  for (; n > 0; --n) sum += *x++;
  return sum;
}
}  // namespace dsp

// qavgpool<int8_t> of 2-D pools (in_dims[0] == kernel[0] == 1) with
// dilation 1: the same arithmetic (int8_pool.h), each window's rows summed
// by dsp::sum_int8, a window of whole rows (global pooling) in one run.
inline void qavgpool_dsp(const PoolParams& p, const QuantPoolParams& q, const int8_t* x, int8_t* y) {
  const int32_t H = p.in_dims[1], W = p.in_dims[2], OH = p.out_dims[1], OW = p.out_dims[2];
  int32_t o = 0;
  for (int32_t c = 0; c < p.planes; ++c) {
    const int8_t* xp = x + c * H * W;
    for (int32_t oh = 0; oh < OH; ++oh) {
      const int32_t sh = oh * p.strides[1] - p.pad_begin[1];
      int32_t h0, h1, ph0, ph1;
      pool_tap_range(sh, p.kernel[1], 1, 0, H, &h0, &h1);
      pool_tap_range(sh, p.kernel[1], 1, -p.pad_begin[1], H + p.pad_end[1], &ph0, &ph1);
      for (int32_t ow = 0; ow < OW; ++ow, ++o) {
        const int32_t sw = ow * p.strides[2] - p.pad_begin[2];
        int32_t w0, w1, pw0, pw1;
        pool_tap_range(sw, p.kernel[2], 1, 0, W, &w0, &w1);
        pool_tap_range(sw, p.kernel[2], 1, -p.pad_begin[2], W + p.pad_end[2], &pw0, &pw1);
        int32_t sum = 0;
        if (sw + w0 == 0 && sw + w1 == W) {
          sum = dsp::sum_int8(xp + (sh + h0) * W, (h1 - h0) * W);
        } else {
          for (int32_t kh = h0; kh < h1; ++kh) sum += dsp::sum_int8(xp + (sh + kh) * W + sw + w0, w1 - w0);
        }
        const int32_t inside = (h1 - h0) * (w1 - w0);
        int32_t count = inside;
        if (p.count_include_pad) {
          const int32_t padded = (ph1 - ph0) * (pw1 - pw0);
          sum += (padded - inside) * q.zero_point;
          count = padded;
        }
        const int32_t avg = count > 0 ? rounded_average(sum, count) : q.zero_point;
        y[o] = static_cast<int8_t>(clamp_i32(avg, q.act_min, q.act_max));
      }
    }
  }
}

// max_pool<int8_t> of 2-D pools (in_dims[0] == kernel[0] == 1) with
// dilation 1 and one output: the same bytes without the generic loop
// nest's per-tap callbacks. Window ranges clipped to the input (dilation 1:
// no division); 2x2 windows unrolled; a window entirely in the padding
// gives -128, as the reference's.
inline void qmaxpool_dsp(const PoolParams& p, const int8_t* x, int8_t* y) {
  const int32_t H = p.in_dims[1], W = p.in_dims[2], OH = p.out_dims[1], OW = p.out_dims[2];
  const int32_t KH = p.kernel[1], KW = p.kernel[2];
  for (int32_t c = 0; c < p.planes; ++c) {
    const int8_t* xp = x + c * H * W;
    for (int32_t oh = 0; oh < OH; ++oh) {
      const int32_t sh = oh * p.strides[1] - p.pad_begin[1];
      const int32_t h0 = sh < 0 ? -sh : 0, h1 = H - sh < KH ? H - sh : KH;
      for (int32_t ow = 0; ow < OW; ++ow) {
        const int32_t sw = ow * p.strides[2] - p.pad_begin[2];
        const int32_t w0 = sw < 0 ? -sw : 0, w1 = W - sw < KW ? W - sw : KW;
        const int8_t* r = xp + (sh + h0) * W + sw;
        int32_t m = -128;
        if (h1 - h0 == 2 && w0 == 0 && w1 == 2) {
          const int32_t a = r[0] > r[1] ? r[0] : r[1], b = r[W] > r[W + 1] ? r[W] : r[W + 1];
          m = a > b ? a : b;
        } else {
          for (int32_t kh = h0; kh < h1; ++kh, r += W)
            for (int32_t kw = w0; kw < w1; ++kw) m = r[kw] > m ? r[kw] : m;
        }
        *y++ = static_cast<int8_t>(m);
      }
    }
  }
}

// One requantisation (multiplier >= 0, shift) with its shifts and rounding
// mask worked out once: multiply_by_quantized_multiplier, see requant_out.
struct Requant1 {
  int32_t multiplier, left, right, mask;
  Requant1(int32_t mult, int32_t shift)
      : multiplier(mult),
        left(shift > 0 ? shift : 0),
        right(shift > 0 ? 0 : -shift),
        mask(static_cast<int32_t>((int64_t{1} << right) - 1)) {}
  int32_t operator()(int32_t x) const {
    const int64_t ab = static_cast<int64_t>(shift_left_wrapping(x, left)) * multiplier + (int64_t{1} << 30);
    const int32_t h = static_cast<int32_t>(ab >> 31);
    const int32_t threshold = (mask >> 1) + static_cast<int32_t>(static_cast<uint32_t>(h) >> 31);
    return (h >> right) + ((h & mask) > threshold ? 1 : 0);
  }
};

// qbinary<int8_t, QuantAdd> for two int8 tensors of the output's shape
// (no broadcasting), n elements: the same arithmetic with the shifts and
// masks worked out once per call.
inline void qadd_dsp(const QuantAdd& f, const int8_t* a, const int8_t* b, int8_t* y, int32_t n) {
  const Requant1 ra(f.a_multiplier, f.a_shift), rb(f.b_multiplier, f.b_shift);
  const Requant1 ry(f.output_multiplier, f.output_shift);
  for (int32_t i = 0; i < n; ++i) {
    const int32_t sa = ra(shift_left_wrapping(a[i] + f.a_offset, f.left_shift));
    const int32_t sb = rb(shift_left_wrapping(b[i] + f.b_offset, f.left_shift));
    y[i] = static_cast<int8_t>(clamp_i32(ry(sa + sb) + f.output_offset, f.act_min, f.act_max));
  }
}

// The short form of qadd_dsp (RequantShort's arithmetic, int8_dsp.h), for
// adds where the compiler proved it exact: per input, x = (v + offset) <<
// shift_in (shift_in = 20 + 1: SMMULR of 2x; |x| < 2^30), h = SMMULR(x, M),
// s = (h - [h < 0] + add) >> right with right >= 1; an input whose
// multiplier is exactly 0.5 (the larger scale's, shift 0: s = x / 2) is
// written as shift_in 22, right 1, add 1, which gives the same. The output:
// the same with x = 2 (sa + sb) and the output offset in add.
struct QuantAddShort {
  static constexpr const char* kName = "emlc::rt::QuantAddShort";
  int32_t a_offset, a_shift_in, a_multiplier, a_add, a_right;  // a_offset: the offset << a_shift_in
  int32_t b_offset, b_shift_in, b_multiplier, b_add, b_right;
  int32_t output_multiplier, output_add, output_right;
  int32_t act_min, act_max;
  template <class V> void fields(V& v) const {
    v(a_offset, a_shift_in, a_multiplier, a_add, a_right, b_offset, b_shift_in, b_multiplier, b_add, b_right,
      output_multiplier, output_add, output_right, act_min, act_max);
  }
};
namespace dsp {
inline int32_t round_shift(int32_t h, int32_t add, int32_t right) {
  return (h - static_cast<int32_t>(static_cast<uint32_t>(h) >> 31) + add) >> right;
}
}  // namespace dsp
template <bool kSat8>
inline void qadd_dsp_short(const QuantAddShort& f, const int8_t* a, const int8_t* b, int8_t* y, int32_t n) {
  const QuantAddShort g = f;  // in registers: the int8 stores may alias anything
  for (int32_t i = 0; i < n; ++i) {
    const int32_t xa = static_cast<int32_t>(static_cast<uint32_t>(a[i]) << g.a_shift_in) + g.a_offset;
    const int32_t xb = static_cast<int32_t>(static_cast<uint32_t>(b[i]) << g.b_shift_in) + g.b_offset;
    const int32_t sa = dsp::round_shift(dsp::smmulr(xa, g.a_multiplier), g.a_add, g.a_right);
    const int32_t sb = dsp::round_shift(dsp::smmulr(xb, g.b_multiplier), g.b_add, g.b_right);
    const int32_t v = dsp::round_shift(dsp::smmulr((sa + sb) * 2, g.output_multiplier), g.output_add, g.output_right);
    y[i] = static_cast<int8_t>(kSat8 ? dsp::ssat8(v) : clamp_i32(v, g.act_min, g.act_max));
  }
}

}  // namespace rt
}  // namespace emlc

#endif
