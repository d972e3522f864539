// emlc runtime: elementwise kernels (unary maps, broadcasting binary ops,
// clip, where).
//
// Unary and binary operations are small functor structs; one loop kernel per
// shape of iteration, so adding an operation is adding a functor. Functors
// are parameter structs (kName, fields()) so the compiler can print them.
#ifndef EMLC_RUNTIME_ELEMENTWISE_H
#define EMLC_RUNTIME_ELEMENTWISE_H

#include <cmath>

#include "common.h"

namespace emlc {
namespace rt {

#define EMLC_RT_FUNCTOR0(NAME, EXPR)                            \
  struct NAME {                                                 \
    static constexpr const char* kName = "emlc::rt::" #NAME;    \
    template <class V> void fields(V& v) const { v(); }         \
    template <class T> T operator()(T x) const { return EXPR; } \
  };

// ---- unary functors ---------------------------------------------------------
EMLC_RT_FUNCTOR0(Relu, is_negative(x) ? T(0) : x)
EMLC_RT_FUNCTOR0(Sigmoid, x >= T(0) ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x)))
EMLC_RT_FUNCTOR0(Tanh, std::tanh(x))
EMLC_RT_FUNCTOR0(Exp, std::exp(x))
EMLC_RT_FUNCTOR0(Log, std::log(x))
EMLC_RT_FUNCTOR0(Sqrt, std::sqrt(x))
EMLC_RT_FUNCTOR0(Abs, is_negative(x) ? T(-x) : x)
EMLC_RT_FUNCTOR0(Neg, T(-x))
EMLC_RT_FUNCTOR0(Reciprocal, T(1) / x)
EMLC_RT_FUNCTOR0(Floor, std::floor(x))
EMLC_RT_FUNCTOR0(Ceil, std::ceil(x))
EMLC_RT_FUNCTOR0(Round, std::nearbyint(x))  // ties to even in the default rounding mode
EMLC_RT_FUNCTOR0(Erf, std::erf(x))
EMLC_RT_FUNCTOR0(Softplus, x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)))
EMLC_RT_FUNCTOR0(Softsign, x / (T(1) + (x < T(0) ? -x : x)))
EMLC_RT_FUNCTOR0(Sign, T(is_negative(x) ? -1 : (x > T(0) ? 1 : 0)))
EMLC_RT_FUNCTOR0(Sin, std::sin(x))
EMLC_RT_FUNCTOR0(Cos, std::cos(x))
EMLC_RT_FUNCTOR0(Tan, std::tan(x))
EMLC_RT_FUNCTOR0(Asin, std::asin(x))
EMLC_RT_FUNCTOR0(Acos, std::acos(x))
EMLC_RT_FUNCTOR0(Atan, std::atan(x))
EMLC_RT_FUNCTOR0(Sinh, std::sinh(x))
EMLC_RT_FUNCTOR0(Cosh, std::cosh(x))
EMLC_RT_FUNCTOR0(Asinh, std::asinh(x))
EMLC_RT_FUNCTOR0(Acosh, std::acosh(x))
EMLC_RT_FUNCTOR0(Atanh, std::atanh(x))
EMLC_RT_FUNCTOR0(Not, !x)
EMLC_RT_FUNCTOR0(BitNot, T(~x))

struct LeakyRelu {
  static constexpr const char* kName = "emlc::rt::LeakyRelu";
  float alpha;
  template <class V> void fields(V& v) const { v(alpha); }
  template <class T> T operator()(T x) const { return x >= T(0) ? x : T(alpha * x); }
};
// Mish (ONNX opset 18): x * tanh(softplus(x)).
EMLC_RT_FUNCTOR0(Mish, x * std::tanh(Softplus{}(x)))
// Gelu (ONNX opset 20): exact 0.5 x (1 + erf(x / sqrt 2)), or with
// tanh = 1 the approximation 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
struct Gelu {
  static constexpr const char* kName = "emlc::rt::Gelu";
  int32_t tanh;
  template <class V> void fields(V& v) const { v(tanh); }
  template <class T> T operator()(T x) const {
    if (tanh) return T(0.5) * x * (T(1) + std::tanh(T(0.7978845608028654) * (x + T(0.044715) * x * x * x)));
    return T(0.5) * x * (T(1) + std::erf(x * T(0.7071067811865476)));
  }
};
struct Elu {
  static constexpr const char* kName = "emlc::rt::Elu";
  float alpha;
  template <class V> void fields(V& v) const { v(alpha); }
  template <class T> T operator()(T x) const { return x >= T(0) ? x : T(alpha * (std::exp(x) - T(1))); }
};
struct Celu {
  static constexpr const char* kName = "emlc::rt::Celu";
  float alpha;
  template <class V> void fields(V& v) const { v(alpha); }
  template <class T> T operator()(T x) const {
    return x >= T(0) ? x : T(alpha * (std::exp(x / T(alpha)) - T(1)));
  }
};
struct Selu {
  static constexpr const char* kName = "emlc::rt::Selu";
  float alpha, gamma;
  template <class V> void fields(V& v) const { v(alpha, gamma); }
  template <class T> T operator()(T x) const {
    return T(gamma) * (x > T(0) ? x : T(alpha) * (std::exp(x) - T(1)));
  }
};
struct HardSigmoid {
  static constexpr const char* kName = "emlc::rt::HardSigmoid";
  float alpha, beta;
  template <class V> void fields(V& v) const { v(alpha, beta); }
  template <class T> T operator()(T x) const {
    T y = T(alpha) * x + T(beta);
    return y < T(0) ? T(0) : (y > T(1) ? T(1) : y);
  }
};
struct HardSwish {
  static constexpr const char* kName = "emlc::rt::HardSwish";
  template <class V> void fields(V& v) const { v(); }
  template <class T> T operator()(T x) const {
    T y = x / T(6) + T(0.5);
    return x * (y < T(0) ? T(0) : (y > T(1) ? T(1) : y));
  }
};
struct ThresholdedRelu {
  static constexpr const char* kName = "emlc::rt::ThresholdedRelu";
  float alpha;
  template <class V> void fields(V& v) const { v(alpha); }
  template <class T> T operator()(T x) const { return x > T(alpha) ? x : T(0); }
};
struct Shrink {
  static constexpr const char* kName = "emlc::rt::Shrink";
  float bias, lambd;
  template <class V> void fields(V& v) const { v(bias, lambd); }
  template <class T> T operator()(T x) const {
    return x < T(-lambd) ? T(x + T(bias)) : (x > T(lambd) ? T(x - T(bias)) : T(0));
  }
};
// y = x * scale (Mean's final division; standalone scaling).
struct Scale {
  static constexpr const char* kName = "emlc::rt::Scale";
  float s;
  template <class V> void fields(V& v) const { v(s); }
  template <class T> T operator()(T x) const { return T(x * T(s)); }
};
struct IsNaN {
  static constexpr const char* kName = "emlc::rt::IsNaN";
  template <class V> void fields(V& v) const { v(); }
  template <class T> bool operator()(T x) const { return is_nan(x); }
};
struct IsInf {
  static constexpr const char* kName = "emlc::rt::IsInf";
  int32_t detect_positive, detect_negative;
  template <class V> void fields(V& v) const { v(detect_positive, detect_negative); }
  template <class T> bool operator()(T x) const {
    return (detect_positive && x == T(HUGE_VAL)) || (detect_negative && x == T(-HUGE_VAL));
  }
};

// y[i] = f(x[i]). x and y may be the same buffer.
template <class T, class R, class F>
inline void unary(const F& f, const T* x, R* y, int32_t n) {
  for (int32_t i = 0; i < n; ++i) y[i] = static_cast<R>(f(x[i]));
}

// ---- binary functors --------------------------------------------------------
#define EMLC_RT_FUNCTOR2(NAME, EXPR)                                  \
  struct NAME {                                                       \
    static constexpr const char* kName = "emlc::rt::" #NAME;          \
    template <class V> void fields(V& v) const { v(); }               \
    template <class A, class B> auto operator()(A a, B b) const { return EXPR; } \
  };

EMLC_RT_FUNCTOR2(Add, A(a + b))
EMLC_RT_FUNCTOR2(Sub, A(a - b))
EMLC_RT_FUNCTOR2(Mul, A(a * b))
// Integer division by zero gives 0 instead of undefined behaviour.
EMLC_RT_FUNCTOR2(Div, A(!std::is_floating_point<A>::value && b == B(0) ? A(0) : A(a / b)))
EMLC_RT_FUNCTOR2(Pow, A(std::pow(static_cast<double>(a), static_cast<double>(b))))
EMLC_RT_FUNCTOR2(PowF, A(std::pow(a, A(b))))
// NaN propagates, as in numpy.maximum.
EMLC_RT_FUNCTOR2(Max, A(is_nan(a) ? a : (is_nan(b) ? A(b) : (a < b ? A(b) : a))))
EMLC_RT_FUNCTOR2(Min, A(is_nan(a) ? a : (is_nan(b) ? A(b) : (b < a ? A(b) : a))))
EMLC_RT_FUNCTOR2(PRelu, A(is_negative(a) ? A(a * b) : a))
EMLC_RT_FUNCTOR2(Equal, bool(a == b))
EMLC_RT_FUNCTOR2(Less, bool(a < b))
EMLC_RT_FUNCTOR2(LessOrEqual, bool(a <= b))
EMLC_RT_FUNCTOR2(Greater, bool(a > b))
EMLC_RT_FUNCTOR2(GreaterOrEqual, bool(a >= b))
EMLC_RT_FUNCTOR2(And, bool(a && b))
EMLC_RT_FUNCTOR2(Or, bool(a || b))
EMLC_RT_FUNCTOR2(Xor, bool(bool(a) != bool(b)))
EMLC_RT_FUNCTOR2(BitAnd, A(a & b))
EMLC_RT_FUNCTOR2(BitOr, A(a | b))
EMLC_RT_FUNCTOR2(BitXor, A(a ^ b))
EMLC_RT_FUNCTOR2(ShiftLeft, A(b >= B(sizeof(A) * 8) ? A(0) : A(a << b)))
EMLC_RT_FUNCTOR2(ShiftRight, A(b >= B(sizeof(A) * 8) ? A(0) : A(a >> b)))
// Integer Mod with the sign of the divisor (ONNX fmod=0); C fmod for fmod=1.
EMLC_RT_FUNCTOR2(ModInt, A(b == B(0) ? A(0) : A(((a % b) + b) % b)))
EMLC_RT_FUNCTOR2(FMod, A(std::fmod(a, b)))
EMLC_RT_FUNCTOR2(FModInt, A(b == B(0) ? A(0) : A(a % b)))

// Broadcasting layout of a binary op: `rank` output dims, and for each input
// the element stride per output axis (0 where the input is broadcast).
struct BroadcastParams {
  static constexpr const char* kName = "emlc::rt::BroadcastParams";
  int32_t rank;
  int32_t dims[kMaxRank];
  int32_t a_strides[kMaxRank];
  int32_t b_strides[kMaxRank];
  template <class V> void fields(V& v) const { v(rank, dims, a_strides, b_strides); }
};

// y = f(a, b) with numpy broadcasting. y may alias a or b when that input
// already has the output's shape.
template <class A, class B, class R, class F>
inline void binary(const BroadcastParams& p, const F& f, const A* a, const B* b, R* y) {
  const int32_t r = p.rank;
  if (r == 0) {
    y[0] = static_cast<R>(f(a[0], b[0]));
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
    const A* pa = a + oa;
    const B* pb = b + ob;
    R* py = y + o * inner;
    if (sa == 1 && sb == 1) {
      for (int32_t j = 0; j < inner; ++j) py[j] = static_cast<R>(f(pa[j], pb[j]));
    } else if (sa == 1 && sb == 0) {
      const B vb = pb[0];
      for (int32_t j = 0; j < inner; ++j) py[j] = static_cast<R>(f(pa[j], vb));
    } else if (sa == 0 && sb == 1) {
      const A va = pa[0];
      for (int32_t j = 0; j < inner; ++j) py[j] = static_cast<R>(f(va, pb[j]));
    } else {
      for (int32_t j = 0; j < inner; ++j) py[j] = static_cast<R>(f(pa[j * sa], pb[j * sb]));
    }
    next_index(idx, p.dims, r - 1);
  }
}

// Clip with optional bounds (nullptr = unbounded).
template <class T>
inline void clip(const T* x, T* y, int32_t n, const T* lo, const T* hi) {
  for (int32_t i = 0; i < n; ++i) {
    T v = x[i];
    if (lo && v < *lo) v = *lo;
    if (hi && v > *hi) v = *hi;
    y[i] = v;
  }
}

// Clip with bounds fixed at compile time (Clip before opset 11).
struct ClipBounds {
  static constexpr const char* kName = "emlc::rt::ClipBounds";
  float lo, hi;
  template <class V> void fields(V& v) const { v(lo, hi); }
};
inline void clip_bounds(const ClipBounds& b, const float* x, float* y, int32_t n) {
  for (int32_t i = 0; i < n; ++i) y[i] = x[i] < b.lo ? b.lo : (x[i] > b.hi ? b.hi : x[i]);
}

// Where: y = cond ? a : b, all broadcast to the output. Uses two stride sets
// for (cond, a) and (b, _); the caller gives a second BroadcastParams for b.
template <class T>
inline void where(const BroadcastParams& pc_a, const BroadcastParams& pb, const bool* c, const T* a,
                  const T* b, T* y) {
  const int32_t r = pc_a.rank;
  const int32_t n = numel(pc_a.dims, r);
  int32_t idx[kMaxRank] = {0};
  for (int32_t i = 0; i < n; ++i) {
    int32_t oc = 0, oa = 0, ob = 0;
    for (int32_t k = 0; k < r; ++k) {
      oc += idx[k] * pc_a.a_strides[k];
      oa += idx[k] * pc_a.b_strides[k];
      ob += idx[k] * pb.a_strides[k];
    }
    y[i] = c[oc] ? a[oa] : b[ob];
    next_index(idx, pc_a.dims, r);
  }
}

}  // namespace rt
}  // namespace emlc

#endif
