// emlc runtime: int8 elementwise kernels (Add, Mul, lookup tables,
// requantisation) and the float <-> int8 conversions (ONNX QuantizeLinear and
// DequantizeLinear), the reference definition of their arithmetic.
//
// Add and Mul are TFLite's int8 ADD and MUL (see int8_common.h):
//   ADD: both inputs are brought to a common scale 2 * max(s_a, s_b) with
//        20 bits of headroom (left_shift), summed, and requantised:
//          a' = mbqm((a + a_offset) << left_shift, a_multiplier, a_shift)
//          b' = mbqm((b + b_offset) << left_shift, b_multiplier, b_shift)
//          y  = clamp(mbqm(a' + b', output_multiplier, output_shift)
//                     + output_offset, act_min, act_max)
//   MUL:   y  = clamp(mbqm((a + a_offset) * (b + b_offset), multiplier, shift)
//                     + output_offset, act_min, act_max)
// where mbqm is multiply_by_quantized_multiplier and offsets are minus the
// inputs' zero points. Both broadcast like numpy (BroadcastParams).
//
// A lookup table maps each of the 256 int8 (or uint8) codes to its result:
// the compiler fills it by running the float op on the dequantised codes and
// quantising the results, which is exact for any elementwise function of one
// int8 input (Sigmoid, Tanh, HardSwish, LeakyRelu, ...).
#ifndef EMLC_RUNTIME_INT8_ELEMENTWISE_H
#define EMLC_RUNTIME_INT8_ELEMENTWISE_H

#include <limits>

#include "common.h"
#include "elementwise.h"  // BroadcastParams
#include "int8_common.h"

namespace emlc {
namespace rt {

struct QuantAdd {
  static constexpr const char* kName = "emlc::rt::QuantAdd";
  int32_t a_offset, b_offset, output_offset;
  int32_t left_shift;
  int32_t a_multiplier, a_shift;
  int32_t b_multiplier, b_shift;
  int32_t output_multiplier, output_shift;
  int32_t act_min, act_max;
  template <class V> void fields(V& v) const {
    v(a_offset, b_offset, output_offset, left_shift, a_multiplier, a_shift, b_multiplier, b_shift, output_multiplier,
      output_shift, act_min, act_max);
  }
  int32_t operator()(int32_t a, int32_t b) const {
    const int32_t sa = multiply_by_quantized_multiplier(shift_left_wrapping(a + a_offset, left_shift), a_multiplier,
                                                        a_shift);
    const int32_t sb = multiply_by_quantized_multiplier(shift_left_wrapping(b + b_offset, left_shift), b_multiplier,
                                                        b_shift);
    const int32_t r = multiply_by_quantized_multiplier(sa + sb, output_multiplier, output_shift) + output_offset;
    return clamp_i32(r, act_min, act_max);
  }
};

struct QuantMul {
  static constexpr const char* kName = "emlc::rt::QuantMul";
  int32_t a_offset, b_offset, output_offset;
  int32_t multiplier, shift;
  int32_t act_min, act_max;
  template <class V> void fields(V& v) const { v(a_offset, b_offset, output_offset, multiplier, shift, act_min, act_max); }
  int32_t operator()(int32_t a, int32_t b) const {
    const int32_t r = multiply_by_quantized_multiplier((a + a_offset) * (b + b_offset), multiplier, shift) + output_offset;
    return clamp_i32(r, act_min, act_max);
  }
};

// y = f(a, b) on integer codes with numpy broadcasting; f is QuantAdd or
// QuantMul. y may alias an input that has the output's shape.
template <class T, class F>
inline void qbinary(const BroadcastParams& p, const F& f, const T* a, const T* b, T* y) {
  const int32_t r = p.rank;
  if (r == 0) {
    y[0] = static_cast<T>(f(a[0], b[0]));
    return;
  }
  const int32_t inner = p.dims[r - 1];
  const int32_t sa = p.a_strides[r - 1], sb = p.b_strides[r - 1];
  int32_t idx[kMaxRank] = {0};
  int32_t outer = 1;
  for (int32_t i = 0; i + 1 < r; ++i) outer *= p.dims[i];
  for (int32_t o = 0; o < outer; ++o) {
    int32_t oa = 0, ob = 0;
    for (int32_t i = 0; i + 1 < r; ++i) {
      oa += idx[i] * p.a_strides[i];
      ob += idx[i] * p.b_strides[i];
    }
    T* py = y + o * inner;
    for (int32_t j = 0; j < inner; ++j) py[j] = static_cast<T>(f(a[oa + j * sa], b[ob + j * sb]));
    next_index(idx, p.dims, r - 1);
  }
}

// y[i] = table[x[i] - lowest code]: 256 entries, from the type's lowest code
// up. y may alias x.
template <class T>
inline void qlut(const T* x, const T* table, T* y, int32_t n) {
  const int32_t lowest = std::numeric_limits<T>::min();
  for (int32_t i = 0; i < n; ++i) y[i] = table[static_cast<int32_t>(x[i]) - lowest];
}

// Requantisation of one int8/uint8 tensor to another scale and zero point
// (and clamp): y = clamp(mbqm(x + input_offset, multiplier, shift)
// + output_offset, act_min, act_max), TFLite's int8 QUANTIZE.
struct QuantRequant {
  static constexpr const char* kName = "emlc::rt::QuantRequant";
  int32_t input_offset, output_offset;
  int32_t multiplier, shift;
  int32_t act_min, act_max;
  template <class V> void fields(V& v) const { v(input_offset, output_offset, multiplier, shift, act_min, act_max); }
};

template <class X, class Y>
inline void requantize(const QuantRequant& p, const X* x, Y* y, int32_t n) {
  for (int32_t i = 0; i < n; ++i) {
    const int32_t r =
        multiply_by_quantized_multiplier(static_cast<int32_t>(x[i]) + p.input_offset, p.multiplier, p.shift) +
        p.output_offset;
    y[i] = static_cast<Y>(clamp_i32(r, p.act_min, p.act_max));
  }
}

// ONNX QuantizeLinear: y = saturate(round_half_even(x / scale) + zero_point)
// over `outer` blocks of `channels` x `inner` values, with one scale and
// zero point per channel (channels = 1: per tensor). zero_point may be
// nullptr (0). NaN gives the zero point.
template <class T>
inline void quantize_linear(const float* x, const float* scale, const T* zero_point, T* y, int32_t outer,
                            int32_t channels, int32_t inner) {
  const float lo = static_cast<float>(std::numeric_limits<T>::min());
  const float hi = static_cast<float>(std::numeric_limits<T>::max());
  for (int32_t o = 0; o < outer; ++o) {
    for (int32_t c = 0; c < channels; ++c) {
      const float s = scale[c];
      const float z = zero_point ? static_cast<float>(zero_point[c]) : 0.0f;
      const int32_t base = (o * channels + c) * inner;
      for (int32_t i = 0; i < inner; ++i) {
        float v = round_half_even(x[base + i] / s) + z;
        if (v != v) v = z;
        v = v < lo ? lo : (v > hi ? hi : v);
        y[base + i] = static_cast<T>(v);
      }
    }
  }
}

// ONNX DequantizeLinear: y = (x - zero_point) * scale, laid out like
// quantize_linear. T is int8_t, uint8_t or int32_t; zero_point may be nullptr.
template <class T>
inline void dequantize_linear(const T* x, const float* scale, const T* zero_point, float* y, int32_t outer,
                              int32_t channels, int32_t inner) {
  for (int32_t o = 0; o < outer; ++o) {
    for (int32_t c = 0; c < channels; ++c) {
      const float s = scale[c];
      const int64_t z = zero_point ? static_cast<int64_t>(zero_point[c]) : 0;
      const int32_t base = (o * channels + c) * inner;
      for (int32_t i = 0; i < inner; ++i)
        y[base + i] = static_cast<float>(static_cast<int64_t>(x[base + i]) - z) * s;
    }
  }
}

// ONNX DynamicQuantizeLinear: uint8 quantization with a scale and zero point
// computed from the data: range [min(0, min x), max(0, max x)], scale =
// range / 255, zero point = saturate(round_half_even(-min / scale)).
inline void dynamic_quantize_linear(const float* x, uint8_t* y, float* y_scale, uint8_t* y_zero_point, int32_t n) {
  float lo = 0.0f, hi = 0.0f;
  for (int32_t i = 0; i < n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  const float scale = (hi - lo) / 255.0f;
  float z = scale > 0.0f ? round_half_even(0.0f - lo / scale) : 0.0f;
  z = z < 0.0f ? 0.0f : (z > 255.0f ? 255.0f : z);
  *y_scale = scale;
  *y_zero_point = static_cast<uint8_t>(z);
  // One channel: arrays of one, as quantize_linear indexes per channel.
  const float scales[1] = {scale};
  const uint8_t zps[1] = {static_cast<uint8_t>(z)};
  if (scale > 0.0f) quantize_linear<uint8_t>(x, scales, zps, y, 1, 1, n);
  else fill(y, n, zps[0]);
}

// Per-tensor conversions at a model's boundary (the generated NAME_run_f32
// of an int8 model): the same arithmetic as quantize_linear and
// dequantize_linear.
template <class T>
inline void quantize_tensor(const float* x, T* y, int32_t n, float scale, int32_t zero_point) {
  const T z = static_cast<T>(zero_point);
  quantize_linear<T>(x, &scale, &z, y, 1, 1, n);
}
template <class T>
inline void dequantize_tensor(const T* x, float* y, int32_t n, float scale, int32_t zero_point) {
  const T z = static_cast<T>(zero_point);
  dequantize_linear<T>(x, &scale, &z, y, 1, 1, n);
}

}  // namespace rt
}  // namespace emlc

#endif
