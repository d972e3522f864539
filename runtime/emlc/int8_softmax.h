// emlc runtime: int8 softmax, the reference definition of its arithmetic
// (TFLite's int8 SOFTMAX, gemmlowp fixed point; output scale 1/256, zero
// point -128).
//
// For each row of `depth` values (stride `inner` apart):
//   d      = x - max(row)                       (<= 0, integer codes)
//   skip d < diff_min                           (exp underflows to 0)
//   e      = exp(mbqm_left(d, input_multiplier, input_left_shift) as Q5.26)
//            in Q0.31 (fx_exp_on_negative_values_q5)
//   sum    = sum of e rescaled to Q12.19 (rounding shift right by 12)
//   recip  = 1 / sum as a Q0.31 fraction and an exponent
//            (count_leading_zeros, fx_one_over_one_plus_x_q0)
//   y      = clamp(round(recip * e / 2^(bits_over_unit + 23)) - 128, -128, 127)
// input_multiplier/input_left_shift encode beta * s_x * 2^26 and diff_min the
// most negative d that still matters; the compiler computes all three.
#ifndef EMLC_RUNTIME_INT8_SOFTMAX_H
#define EMLC_RUNTIME_INT8_SOFTMAX_H

#include "common.h"
#include "int8_common.h"

namespace emlc {
namespace rt {

struct QuantSoftmaxParams {
  static constexpr const char* kName = "emlc::rt::QuantSoftmaxParams";
  int32_t outer, depth, inner;  // the softmax axis has `depth` values, `inner` apart
  int32_t input_multiplier;
  int32_t input_left_shift;
  int32_t diff_min;
  template <class V> void fields(V& v) const { v(outer, depth, inner, input_multiplier, input_left_shift, diff_min); }
};

// exp(d * beta * s_x) in Q0.31 for an integer difference d >= diff_min.
inline int32_t qsoftmax_exp(const QuantSoftmaxParams& p, int32_t d) {
  const int32_t scaled = sat_rounding_doubling_high_mul(shift_left_wrapping(d, p.input_left_shift), p.input_multiplier);
  return fx_exp_on_negative_values_q5(scaled);
}

inline void qsoftmax(const QuantSoftmaxParams& p, const int8_t* x, int8_t* y) {
  for (int32_t o = 0; o < p.outer; ++o) {
    for (int32_t i = 0; i < p.inner; ++i) {
      const int8_t* xr = x + o * p.depth * p.inner + i;
      int8_t* yr = y + o * p.depth * p.inner + i;
      int32_t mx = -128;
      for (int32_t c = 0; c < p.depth; ++c) mx = max_of<int32_t>(mx, xr[c * p.inner]);
      int32_t sum = 0;  // Q12.19
      for (int32_t c = 0; c < p.depth; ++c) {
        const int32_t d = static_cast<int32_t>(xr[c * p.inner]) - mx;
        if (d >= p.diff_min) sum += rounding_divide_by_pot(qsoftmax_exp(p, d), 12);
      }
      // 1 / sum: sum = 2^(bits_over_unit) * (1 + f), f in [0, 1).
      const int32_t headroom_plus_one = count_leading_zeros(static_cast<uint32_t>(sum));
      const int32_t bits_over_unit = 12 - headroom_plus_one;
      const int32_t shifted_minus_one = static_cast<int32_t>(
          (static_cast<uint32_t>(sum) << static_cast<uint32_t>(headroom_plus_one)) - (uint32_t{1} << 31));
      const int32_t recip = fx_one_over_one_plus_x_q0(shifted_minus_one);
      const int32_t exponent = bits_over_unit + 31 - 8;
      for (int32_t c = 0; c < p.depth; ++c) {
        const int32_t d = static_cast<int32_t>(xr[c * p.inner]) - mx;
        int32_t out = -128;
        if (d >= p.diff_min) {
          const int32_t e = qsoftmax_exp(p, d);
          out = rounding_divide_by_pot(sat_rounding_doubling_high_mul(recip, e), exponent) - 128;
        }
        yr[c * p.inner] = static_cast<int8_t>(clamp_i32(out, -128, 127));
      }
    }
  }
}

}  // namespace rt
}  // namespace emlc

#endif
