// emlc runtime: the integer arithmetic every int8 kernel is built from.
//
// This header is the definition of emlc's int8 arithmetic. It is the scheme
// TensorFlow Lite (and CMSIS-NN, which matches it bit for bit) uses, so a
// model quantized the TFLite way gives the same output bytes here:
//
//   real value      r = scale * (q - zero_point)
//   requantisation  a real multiplier M (e.g. s_x * s_w / s_y) is stored as
//                   M = multiplier * 2^(shift - 31), multiplier in
//                   [2^30, 2^31) (or 0), and applied to an int32
//                   accumulator as
//                     rounding_divide_by_pot(
//                       sat_rounding_doubling_high_mul(acc * 2^max(shift,0),
//                                                      multiplier),
//                       max(-shift, 0))
//                   i.e. a rounding high multiply (ties toward +infinity:
//                   -7.5 gives -7) followed by a rounding arithmetic right
//                   shift (ties away from zero: -2.5 gives -3): two
//                   roundings, as TFLite does by default.
//
// The compiler computes every multiplier and shift (see
// compiler/ops/quant_util.h); kernels only apply them. Optimised variants of
// the int8 kernels (other layouts, DSP instructions) must give the same bytes
// as the reference kernels built on these functions.
//
// The fixed-point helpers at the end (exp on negative values, 1/(1+x)) are
// the ones of gemmlowp's fixedpoint.h, which TFLite's int8 softmax uses; they
// are written here on raw int32 values with the number of integer bits
// spelled out in each name.
#ifndef EMLC_RUNTIME_INT8_COMMON_H
#define EMLC_RUNTIME_INT8_COMMON_H

#include "common.h"

namespace emlc {
namespace rt {

constexpr int32_t kInt32Min = -2147483647 - 1;
constexpr int32_t kInt32Max = 2147483647;

// round(a * b / 2^31) with ties toward +infinity (the nudge is 2^30 for a
// non-negative product and 1 - 2^30 for a negative one, then the division
// truncates); the one overflowing case, INT32_MIN * INT32_MIN, saturates to
// INT32_MAX. (ARM's VQRDMULH.)
inline int32_t sat_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == kInt32Min) return kInt32Max;
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge = ab >= 0 ? (int64_t{1} << 30) : (int64_t{1} - (int64_t{1} << 30));
  return static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));
}

// round(x / 2^exponent), ties away from zero; exponent in [0, 31].
inline int32_t rounding_divide_by_pot(int32_t x, int32_t exponent) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// x * 2^left as the hardware computes it (wrapping, no undefined behaviour).
// The compiler keeps left shifts small enough that nothing wraps for
// accumulators of real models.
inline int32_t shift_left_wrapping(int32_t x, int32_t left) {
  return static_cast<int32_t>(static_cast<uint32_t>(x) << static_cast<uint32_t>(left));
}

// Applies a quantized multiplier (multiplier, shift): x * M rounded as
// described at the top. shift > 0 shifts left before the multiply; shift < 0
// shifts right after it (at most 31 places).
inline int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  return rounding_divide_by_pot(sat_rounding_doubling_high_mul(shift_left_wrapping(x, left), multiplier), right);
}

inline int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Count of leading zero bits of a 32-bit value (32 for 0).
inline int32_t count_leading_zeros(uint32_t x) {
  int32_t n = 0;
  for (uint32_t bit = 0x80000000u; bit != 0 && (x & bit) == 0; bit >>= 1) ++n;
  return n;
}

// ---- fixed point (gemmlowp's Q formats on raw int32) --------------------------
// A "Qm" value with m integer bits represents raw / 2^(31 - m).

// x * 2^exponent with saturation (exponent > 0), as gemmlowp's
// SaturatingRoundingMultiplyByPOT for positive exponents.
inline int32_t saturating_shift_left(int32_t x, int32_t exponent) {
  const int32_t threshold = static_cast<int32_t>((int64_t{1} << (31 - exponent)) - 1);
  if (x > threshold) return kInt32Max;
  if (x < -threshold) return kInt32Min;
  return shift_left_wrapping(x, exponent);
}

// exp(a) for a Q0 value a in [-1/4, 0), result Q0. Taylor expansion around
// -1/8 (gemmlowp's exp_on_interval_between_negative_one_quarter_and_0_excl).
inline int32_t fx_exp_on_negative_quarter_q0(int32_t a) {
  const int32_t exp_minus_one_eighth = 1895147668;  // exp(-1/8) in Q0
  const int32_t one_third = 715827883;              // 1/3 in Q0
  const int32_t x = a + (int32_t{1} << 28);         // a + 1/8
  const int32_t x2 = sat_rounding_doubling_high_mul(x, x);
  const int32_t x3 = sat_rounding_doubling_high_mul(x2, x);
  const int32_t x4 = sat_rounding_doubling_high_mul(x2, x2);
  const int32_t x4_over_4 = rounding_divide_by_pot(x4, 2);
  const int32_t poly = rounding_divide_by_pot(sat_rounding_doubling_high_mul(x4_over_4 + x3, one_third) + x2, 1);
  return exp_minus_one_eighth + sat_rounding_doubling_high_mul(exp_minus_one_eighth, x + poly);
}

// exp(a) for a Q5 value a <= 0, result Q0 (gemmlowp's exp_on_negative_values
// with 5 integer bits): exp of the remainder modulo 1/4 times a product of
// exp(-2^k) factors for the bits of the rest.
inline int32_t fx_exp_on_negative_values_q5(int32_t a) {
  constexpr int32_t kFractionalBits = 26;  // Q5: 31 - 5
  const int32_t one_quarter = int32_t{1} << (kFractionalBits - 2);
  const int32_t a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
  int32_t result = fx_exp_on_negative_quarter_q0(saturating_shift_left(a_mod_quarter_minus_quarter, 5));
  const int32_t remainder = a_mod_quarter_minus_quarter - a;
  // exp(-2^k) in Q0 for k = -2 .. 4.
  const int32_t factors[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  for (int32_t k = 0; k < 7; ++k) {
    const int32_t bit = int32_t{1} << (kFractionalBits - 2 + k);
    if (remainder & bit) result = sat_rounding_doubling_high_mul(result, factors[k]);
  }
  return a == 0 ? kInt32Max : result;
}

// 1 / (1 + a) for a Q0 value a in [0, 1), result Q0: three Newton-Raphson
// steps on the half denominator in Q2 (gemmlowp's
// one_over_one_plus_x_for_x_in_0_1).
inline int32_t fx_one_over_one_plus_x_q0(int32_t a) {
  const int64_t sum = static_cast<int64_t>(a) + kInt32Max;  // a + 1 (Q0 one is INT32_MAX)
  const int32_t half_denominator = static_cast<int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t c48_over_17 = 1515870810;       // 48/17 in Q2
  const int32_t c_neg_32_over_17 = -1010580540;  // -32/17 in Q2
  const int32_t one_q2 = int32_t{1} << 29;
  int32_t x = c48_over_17 + sat_rounding_doubling_high_mul(half_denominator, c_neg_32_over_17);
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = sat_rounding_doubling_high_mul(half_denominator, x);  // Q2
    const int32_t one_minus = one_q2 - half_denominator_times_x;                               // Q2
    x = x + saturating_shift_left(sat_rounding_doubling_high_mul(x, one_minus), 2);           // Q4 -> Q2
  }
  return saturating_shift_left(x, 1);  // x / 2 as Q1 -> Q0
}

}  // namespace rt
}  // namespace emlc

#endif
