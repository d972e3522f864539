// int8 arithmetic (runtime/emlc/int8_common.h, compiler/ops/quant_util.h) and
// the reference int8 kernels on hand-computed cases. Expected values are
// worked out by hand or by an independent exact-integer model of the
// documented rounding (two roundings, ties away from zero), never by the
// code under test.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "emlc/int8_common.h"
#include "emlc/int8_conv.h"
#include "emlc/int8_elementwise.h"
#include "emlc/int8_pool.h"
#include "emlc/int8_softmax.h"
#include "ops/quant_util.h"

namespace emlc {
namespace {

// Exact model of multiply_by_quantized_multiplier: x * 2^left * m / 2^31
// rounded to nearest with ties toward +infinity, then / 2^right rounded to
// nearest with ties away from zero, on 128-bit integers.
__int128 floorDiv(__int128 num, __int128 den) {  // den > 0
  __int128 q = num / den;
  return (num % den != 0 && num < 0) ? q - 1 : q;
}
int64_t roundHalfUp(__int128 num, __int128 den) { return static_cast<int64_t>(floorDiv(2 * num + den, 2 * den)); }
int64_t roundHalfAway(__int128 num, __int128 den) {
  const bool neg = num < 0;
  const __int128 q = floorDiv(2 * (neg ? -num : num) + den, 2 * den);
  return static_cast<int64_t>(neg ? -q : q);
}
int32_t modelRequant(int32_t x, int32_t m, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  const __int128 xs = static_cast<__int128>(x) * (static_cast<__int128>(1) << left);
  int64_t hi = roundHalfUp(xs * m, static_cast<__int128>(1) << 31);
  if (hi > INT32_MAX) hi = INT32_MAX;  // the INT32_MIN * INT32_MIN case
  return static_cast<int32_t>(roundHalfAway(hi, static_cast<__int128>(1) << right));
}

TEST(Int8Arith, DoublingHighMul) {
  EXPECT_EQ(rt::sat_rounding_doubling_high_mul(INT32_MIN, INT32_MIN), INT32_MAX);  // saturates
  EXPECT_EQ(rt::sat_rounding_doubling_high_mul(1 << 30, 1 << 30), 1 << 29);
  EXPECT_EQ(rt::sat_rounding_doubling_high_mul(1, 1 << 30), 1);    // 0.5 -> 1
  EXPECT_EQ(rt::sat_rounding_doubling_high_mul(-1, 1 << 30), 0);   // -0.5 -> 0 (ties up)
  EXPECT_EQ(rt::sat_rounding_doubling_high_mul(3, 1 << 30), 2);    // 1.5 -> 2
  EXPECT_EQ(rt::sat_rounding_doubling_high_mul(-15, 1 << 30), -7); // -7.5 -> -7
  EXPECT_EQ(rt::sat_rounding_doubling_high_mul(-31, 1 << 29), -8); // -7.75 -> -8
  EXPECT_EQ(rt::sat_rounding_doubling_high_mul(5, 1 << 29), 1);    // 1.25 -> 1
  EXPECT_EQ(rt::sat_rounding_doubling_high_mul(INT32_MAX, INT32_MAX), INT32_MAX - 1);
  EXPECT_EQ(rt::sat_rounding_doubling_high_mul(INT32_MIN, INT32_MAX), -INT32_MAX);
}

TEST(Int8Arith, RoundingDivideByPowerOfTwo) {
  EXPECT_EQ(rt::rounding_divide_by_pot(5, 1), 3);    // 2.5
  EXPECT_EQ(rt::rounding_divide_by_pot(-5, 1), -3);  // -2.5
  EXPECT_EQ(rt::rounding_divide_by_pot(4, 1), 2);
  EXPECT_EQ(rt::rounding_divide_by_pot(7, 2), 2);    // 1.75
  EXPECT_EQ(rt::rounding_divide_by_pot(-7, 2), -2);
  EXPECT_EQ(rt::rounding_divide_by_pot(6, 2), 2);    // 1.5
  EXPECT_EQ(rt::rounding_divide_by_pot(-6, 2), -2);  // -1.5
  EXPECT_EQ(rt::rounding_divide_by_pot(-5, 2), -1);  // -1.25
  EXPECT_EQ(rt::rounding_divide_by_pot(123, 0), 123);
  EXPECT_EQ(rt::rounding_divide_by_pot(INT32_MAX, 31), 1);  // 0.99999...
  EXPECT_EQ(rt::rounding_divide_by_pot(INT32_MIN, 31), -1);
  EXPECT_EQ(rt::rounding_divide_by_pot(1 << 29, 31), 0);    // 0.25
  EXPECT_EQ(rt::rounding_divide_by_pot(1 << 30, 31), 1);    // 0.5 -> 1
  EXPECT_EQ(rt::rounding_divide_by_pot(-(1 << 30), 31), -1);
}

TEST(Int8Arith, QuantizeMultiplier) {
  QuantMultiplier m = quantizeMultiplier(0.5);
  EXPECT_EQ(m.multiplier, 1 << 30);
  EXPECT_EQ(m.shift, 0);
  m = quantizeMultiplier(1.0);
  EXPECT_EQ(m.multiplier, 1 << 30);
  EXPECT_EQ(m.shift, 1);
  m = quantizeMultiplier(0.75);
  EXPECT_EQ(m.multiplier, 1610612736);  // 0.75 * 2^31
  EXPECT_EQ(m.shift, 0);
  m = quantizeMultiplier(3.0);  // 0.75 * 2^2
  EXPECT_EQ(m.multiplier, 1610612736);
  EXPECT_EQ(m.shift, 2);
  // Just below 1: the 31-bit mantissa rounds up to 2^31, which is halved
  // and the shift bumped, giving exactly 1.0.
  m = quantizeMultiplier(1.0 - std::ldexp(1.0, -40));
  EXPECT_EQ(m.multiplier, 1 << 30);
  EXPECT_EQ(m.shift, 1);
  // Just above 1.
  m = quantizeMultiplier(1.0 + std::ldexp(1.0, -25));
  EXPECT_EQ(m.multiplier, (1 << 30) + 32);
  EXPECT_EQ(m.shift, 1);
  // Tiny multipliers: 2^-32 keeps shift -31, 2^-33 flushes to 0.
  m = quantizeMultiplier(std::ldexp(1.0, -32));
  EXPECT_EQ(m.multiplier, 1 << 30);
  EXPECT_EQ(m.shift, -31);
  m = quantizeMultiplier(std::ldexp(1.0, -33));
  EXPECT_EQ(m.multiplier, 0);
  EXPECT_EQ(m.shift, 0);
  m = quantizeMultiplier(0.0);
  EXPECT_EQ(m.multiplier, 0);
}

TEST(Int8Arith, MultiplyByQuantizedMultiplier) {
  // 0.5 exactly: the high multiply rounds ties up; a tie in the shift
  // rounds away from zero.
  EXPECT_EQ(rt::multiply_by_quantized_multiplier(3, 1 << 30, 0), 2);
  EXPECT_EQ(rt::multiply_by_quantized_multiplier(-3, 1 << 30, 0), -1);
  EXPECT_EQ(rt::multiply_by_quantized_multiplier(-6, 1 << 30, -1), -2);  // -3 / 2 -> -2
  EXPECT_EQ(rt::multiply_by_quantized_multiplier(-5, 1 << 30, -1), -1);  // -2.5 -> -2, / 2 -> -1
  // Left shift before the multiply: 3 * 4 * 0.5 = 6.
  EXPECT_EQ(rt::multiply_by_quantized_multiplier(3, 1 << 30, 2), 6);
  // The largest right shift: 2^31-1 * 0.5 * 2^-31 = 0.49999... but the two
  // roundings give 1 (2^30 - 0.5 rounds up to 2^30, then 0.5 rounds up).
  EXPECT_EQ(rt::multiply_by_quantized_multiplier(INT32_MAX, 1 << 30, -31), 1);
  EXPECT_EQ(rt::multiply_by_quantized_multiplier(INT32_MAX - 2, 1 << 30, -31), 0);
  // Multiplier exactly 1.0 is the identity.
  for (int32_t x : {0, 1, -1, 127, -128, 123456789, -987654321, (1 << 30) - 1, -(1 << 30)})
    EXPECT_EQ(rt::multiply_by_quantized_multiplier(x, 1 << 30, 1), x) << x;
  // Random cases against the exact model.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> acc(-(1 << 24), 1 << 24);
  std::uniform_real_distribution<double> real(-20.0, 1.0);
  for (int i = 0; i < 20000; ++i) {
    const int32_t x = acc(rng);
    const QuantMultiplier m = quantizeMultiplier(std::pow(2.0, real(rng)));
    ASSERT_EQ(rt::multiply_by_quantized_multiplier(x, m.multiplier, m.shift), modelRequant(x, m.multiplier, m.shift))
        << x << " " << m.multiplier << " " << m.shift;
  }
}

TEST(Int8Arith, ActivationBounds) {
  QuantScalar q{0.1f, -20};
  EXPECT_EQ(quantizeBound(0.0f, q), -20);
  EXPECT_EQ(quantizeBound(6.0f, q), 40);
  EXPECT_EQ(quantizeBound(0.25f, q), -17);   // 2.5 rounds away from zero
  EXPECT_EQ(quantizeBound(-0.25f, q), -23);  // -2.5
  EXPECT_EQ(codeRange(DType::I8).lo, -128);
  EXPECT_EQ(codeRange(DType::U8).hi, 255);
}

// ---- kernels ------------------------------------------------------------------

rt::ConvParams conv2d(int32_t c, int32_t m, int32_t group, int32_t h, int32_t w, int32_t k, int32_t stride,
                      int32_t pad) {
  rt::ConvParams p{};
  p.batch = 1;
  p.in_channels = c;
  p.out_channels = m;
  p.group = group;
  const int32_t oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
  const int32_t in[3] = {1, h, w}, out[3] = {1, oh, ow}, kk[3] = {1, k, k}, s[3] = {1, stride, stride};
  for (int i = 0; i < 3; ++i) {
    p.in_dims[i] = in[i];
    p.out_dims[i] = out[i];
    p.kernel[i] = kk[i];
    p.strides[i] = s[i];
    p.dilations[i] = 1;
    p.pads[i] = i == 0 ? 0 : pad;
  }
  return p;
}

TEST(Int8Kernels, ConvPerChannelWithPaddingAndClamp) {
  // X 1x1x2x2 = [[1,2],[3,4]] with zero point -1 (real 2,3,4,5 times s_x);
  // 3x3 kernel all ones for channel 0, all twos for channel 1, pad 1.
  // Output position (0,0) sees x[0][0], x[0][1], x[1][0], x[1][1]: every
  // position of a 2x2 input with pad 1 and a 3x3 kernel sees all four.
  const std::vector<int8_t> xs = {1, 2, 3, 4};  // a vector: GCC cannot see its size and warn falsely
  const int8_t* x = xs.data();
  int8_t w[18];
  for (int i = 0; i < 9; ++i) {
    w[i] = 1;
    w[9 + i] = 2;
  }
  const int32_t bias[2] = {10, -1000};
  // acc channel 0 = (2+3+4+5) * 1 + 10 = 24; channel 1 = 14 * 2 - 1000 = -972.
  // Multipliers 0.25 and 0.5: 6 -> + zp 5 = 11; -486 + 5 -> clamped to -128.
  const int32_t mult[2] = {1 << 30, 1 << 30}, shift[2] = {-1, 0};
  rt::QuantConvParams q{1, 0, 5, -128, 127};
  int8_t y[8];
  rt::qconv<int8_t, int8_t>(conv2d(1, 2, 1, 2, 2, 3, 1, 1), q, x, w, bias, mult, shift, y);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(y[i], 11) << i;
    EXPECT_EQ(y[4 + i], -128) << i;
  }
  // Fused Relu as act_min = zero point: a negative result clamps to 5.
  q.act_min = 5;
  const int32_t bias2[2] = {-100, 0};  // channel 0: 14 - 100 = -86 -> -21.5 -> -22 + 5 < 5
  rt::qconv<int8_t, int8_t>(conv2d(1, 2, 1, 2, 2, 3, 1, 1), q, x, w, bias2, mult, shift, y);
  EXPECT_EQ(y[0], 5);
  EXPECT_EQ(y[4], 5 + 14);  // 28 * 0.5 = 14
}

TEST(Int8Kernels, DepthwiseConvStride2) {
  // Two channels, each its own 2x2 kernel, stride 2 over a 4x4 input: four
  // disjoint windows. Channel c's kernel is all (c + 1); zero points 0.
  int8_t x[32];
  for (int i = 0; i < 32; ++i) x[i] = static_cast<int8_t>(i - 16);
  int8_t w[8] = {1, 1, 1, 1, 2, 2, 2, 2};
  const int32_t mult[2] = {1 << 30, 1 << 30}, shift[2] = {1, 1};  // multiplier 1
  rt::QuantConvParams q{0, 0, 0, -128, 127};
  int8_t y[8];
  rt::qconv<int8_t, int8_t>(conv2d(2, 2, 2, 4, 4, 2, 2, 0), q, x, w, nullptr, mult, shift, y);
  // Channel 0 window (0,0): x = -16,-15,-12,-11 -> -54.
  EXPECT_EQ(y[0], -54);
  EXPECT_EQ(y[1], -54 + 8);   // window (0,1): +2 each
  EXPECT_EQ(y[2], -54 + 32);  // window (1,0): +8 each
  EXPECT_EQ(y[3], -54 + 40);
  // Channel 1 window (0,0): x = 0,1,4,5 times 2 = 20.
  EXPECT_EQ(y[4], 20);
  EXPECT_EQ(y[7], 2 * (10 + 11 + 14 + 15));  // 100
}

TEST(Int8Kernels, GemmSaturatesAndUsesWeightOffset) {
  // A 1x3 = [10, 20, 30] (zp 0), B (trans, 2x3) rows [1,1,1] and [127,127,127]
  // with weight zero point 1 (offset -1): row 0 contributes 0, row 1 126 each.
  const int8_t a[3] = {10, 20, 30};
  const int8_t b[6] = {1, 1, 1, 127, 127, 127};
  const int32_t mult[2] = {1 << 30, 1 << 30}, shift[2] = {1, 1};
  rt::QuantGemmParams g{1, 1, 2, 3, 1, 0, 0, 0};
  rt::QuantConvParams q{0, -1, -3, -128, 127};
  int8_t y[2];
  rt::qgemm<int8_t, int8_t>(g, q, a, b, nullptr, mult, shift, y);
  EXPECT_EQ(y[0], -3);   // 0 + zp
  EXPECT_EQ(y[1], 127);  // 7560 saturates
  // Untransposed B (3x2) gives the same products.
  const int8_t bt[6] = {1, 127, 1, 127, 1, 127};
  g.b_trans = 0;
  rt::qgemm<int8_t, int8_t>(g, q, a, bt, nullptr, mult, shift, y);
  EXPECT_EQ(y[0], -3);
  EXPECT_EQ(y[1], 127);
}

TEST(Int8Kernels, AddTfliteArithmetic) {
  // Equal scales 1, zero points 0: TFLite's ADD reproduces a + b exactly.
  rt::QuantAdd f{};
  f.left_shift = 20;
  QuantMultiplier in = quantizeMultiplier(0.5), out = quantizeMultiplier(2.0 / (1 << 20));
  f.a_multiplier = f.b_multiplier = in.multiplier;
  f.a_shift = f.b_shift = in.shift;
  f.output_multiplier = out.multiplier;
  f.output_shift = out.shift;
  f.act_min = -128;
  f.act_max = 127;
  EXPECT_EQ(f(3, 4), 7);
  EXPECT_EQ(f(-100, -5), -105);
  EXPECT_EQ(f(100, 100), 127);  // saturates
  // Zero points: a = 10 (zp 10) is real 0, so the sum is b's real value 5.
  f.a_offset = -10;
  EXPECT_EQ(f(10, 5), 5);
}

TEST(Int8Kernels, MulAndBroadcast) {
  // y = (a - 2) * (b + 0) * 0.5, b broadcast along the last axis.
  const QuantMultiplier m = quantizeMultiplier(0.5);
  rt::QuantMul f{-2, 0, 0, m.multiplier, m.shift, -128, 127};
  rt::BroadcastParams p{};
  p.rank = 2;
  p.dims[0] = 2;
  p.dims[1] = 3;
  p.a_strides[0] = 3;
  p.a_strides[1] = 1;
  p.b_strides[0] = 1;  // b is [2,1]
  p.b_strides[1] = 0;
  const int8_t a[6] = {2, 3, 4, 5, 6, 7}, b[2] = {3, -5};
  int8_t y[6];
  rt::qbinary<int8_t, rt::QuantMul>(p, f, a, b, y);
  // row 0: (0,1,2) * 3 * 0.5 = 0, 1.5 -> 2, 3; row 1: (3,4,5) * -5 * 0.5 =
  // -7.5 -> -7, -10, -12.5 -> -12 (the high multiply rounds ties up)
  const int8_t want[6] = {0, 2, 3, -7, -10, -12};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(y[i], want[i]) << i;
}

TEST(Int8Kernels, AveragePoolRoundsHalfAwayFromZero) {
  EXPECT_EQ(rt::rounded_average(3, 2), 2);    // 1.5
  EXPECT_EQ(rt::rounded_average(-3, 2), -2);  // -1.5
  EXPECT_EQ(rt::rounded_average(5, 4), 1);    // 1.25
  EXPECT_EQ(rt::rounded_average(-5, 4), -1);
  EXPECT_EQ(rt::rounded_average(7, 4), 2);    // 1.75
  // A 1x1x2x3 plane, 2x2 windows, stride 1, pad 0 -> 1x2 output.
  rt::PoolParams p{};
  p.planes = 1;
  const int32_t in[3] = {1, 2, 3}, out[3] = {1, 1, 2}, k[3] = {1, 2, 2};
  for (int i = 0; i < 3; ++i) {
    p.in_dims[i] = in[i];
    p.out_dims[i] = out[i];
    p.kernel[i] = k[i];
    p.strides[i] = 1;
    p.dilations[i] = 1;
  }
  const int8_t x[6] = {-128, -127, 1, -126, -128, 2};
  int8_t y[2];
  rt::qavgpool<int8_t>(p, rt::QuantPoolParams{-128, -128, 127}, x, y);
  EXPECT_EQ(y[0], -127);  // -509 / 4 = -127.25
  EXPECT_EQ(y[1], -63);   // -252 / 4 = -63
  // count_include_pad with a pad of 1 on the right: the padded tap adds the
  // zero point and counts.
  p.pad_end[2] = 1;
  p.out_dims[2] = 3;
  p.count_include_pad = 1;
  int8_t y3[3];
  rt::qavgpool<int8_t>(p, rt::QuantPoolParams{-128, -128, 127}, x, y3);
  EXPECT_EQ(y3[2], -63);  // (1 + 2 - 128 - 128) / 4 = -63.25
}

TEST(Int8Arith, FixedPointFunctions) {
  // exp on negative Q5 values and 1/(1+x) against double precision.
  for (double v : {-0.01, -0.2, -0.25, -0.7, -1.0, -2.7, -12.7, -31.0}) {
    const int32_t q = static_cast<int32_t>(std::lround(v * (1 << 26)));
    EXPECT_NEAR(rt::fx_exp_on_negative_values_q5(q) / 2147483648.0, std::exp(q / 67108864.0), 5e-7) << v;
  }
  EXPECT_EQ(rt::fx_exp_on_negative_values_q5(0), INT32_MAX);
  for (double v : {0.0, 0.1, 0.5634, 0.9, 0.999}) {
    const int32_t q = static_cast<int32_t>(v * 2147483648.0);
    EXPECT_NEAR(rt::fx_one_over_one_plus_x_q0(q) / 2147483648.0, 1.0 / (1.0 + q / 2147483648.0), 5e-7) << v;
  }
  EXPECT_EQ(rt::count_leading_zeros(0u), 32);
  EXPECT_EQ(rt::count_leading_zeros(1u), 31);
  EXPECT_EQ(rt::count_leading_zeros(0x80000000u), 0);
  EXPECT_EQ(rt::count_leading_zeros(819690u), 12);
}

TEST(Int8Kernels, SoftmaxUniformAndSkewed) {
  // Four equal inputs: each 1/4 = 64/256 -> code 64 - 128.
  rt::QuantSoftmaxParams p{1, 4, 1, 0, 0, 0};
  const QuantMultiplier m = quantizeMultiplier(0.1 * (1 << 26));  // input scale 0.1
  p.input_multiplier = m.multiplier;
  p.input_left_shift = m.shift;
  p.diff_min = -static_cast<int32_t>(std::floor(31.0 * (1 << 26) / std::ldexp(1.0, m.shift)));
  const int8_t x[4] = {5, 5, 5, 5};
  int8_t y[4];
  rt::qsoftmax(p, x, y);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(y[i], -64);
  // Against float softmax: within one code.
  const int8_t x2[4] = {-100, 0, 20, 27};
  rt::qsoftmax(p, x2, y);
  double e[4], sum = 0;
  for (int i = 0; i < 4; ++i) sum += (e[i] = std::exp(0.1 * (x2[i] - 27)));
  for (int i = 0; i < 4; ++i) {
    const double want = std::round(e[i] / sum * 256.0) - 128.0;
    EXPECT_NEAR(y[i], std::min(want, 127.0), 1.0) << i;
  }
}

TEST(Int8Kernels, QuantizeDequantizeLinear) {
  const float x[6] = {0.0f, 0.25f, 0.75f, -0.25f, 1000.0f, -1000.0f};
  const float s = 0.5f;
  const int8_t zp = 3;
  int8_t y[6];
  rt::quantize_linear<int8_t>(x, &s, &zp, y, 1, 1, 6);
  // 0 -> 3; 0.5 -> 0 (half to even) + 3; 1.5 -> 2 + 3; -0.5 -> -0 + 3; saturation.
  const int8_t want[6] = {3, 3, 5, 3, 127, -128};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(y[i], want[i]) << i;
  float back[6];
  rt::dequantize_linear<int8_t>(y, &s, &zp, back, 1, 1, 6);
  EXPECT_EQ(back[2], 1.0f);
  EXPECT_EQ(back[4], 62.0f);
  // Requantize int8 -> uint8 with the same scale: a shift of the zero point.
  rt::QuantRequant r{-3, 128, 1 << 30, 1, 0, 255};
  uint8_t u[6];
  rt::requantize<int8_t, uint8_t>(r, y, u, 6);
  EXPECT_EQ(u[0], 128);
  EXPECT_EQ(u[4], 252);
  EXPECT_EQ(u[5], 0);
}

}  // namespace
}  // namespace emlc
