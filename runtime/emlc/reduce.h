// emlc runtime: reductions (ReduceSum, ReduceMean, ... over any axis set),
// ArgMax/ArgMin, and Einsum (a sum of products over labelled axes).
//
// Reductions share one loop kernel, `reduce`, driven by a functor that says
// how to start, accumulate and finish. The compiler splits the input's axes
// into kept ("outer") and reduced ("inner") ones, merges neighbours of the
// same kind, and passes the element strides of each; so the kernel sees at
// most a few axes and its innermost loop runs over the last reduced axis.
#ifndef EMLC_RUNTIME_REDUCE_H
#define EMLC_RUNTIME_REDUCE_H

#include <cmath>
#include <limits>

#include "common.h"

namespace emlc {
namespace rt {

// Accumulator type: T for floating types, 64-bit for integers (sums and
// products wrap modulo 2^64 instead of overflowing, see acc_add/acc_mul).
template <class T>
using reduce_acc_t = typename std::conditional<
    std::is_floating_point<T>::value, T,
    typename std::conditional<std::is_signed<T>::value, int64_t, uint64_t>::type>::type;

template <class A>
inline A acc_add(A a, A b) {
  if constexpr (std::is_integral<A>::value) return static_cast<A>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  else return a + b;
}
template <class A>
inline A acc_mul(A a, A b) {
  if constexpr (std::is_integral<A>::value) return static_cast<A>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  else return a * b;
}
template <class A>
inline A acc_abs(A a) { return is_negative(a) ? static_cast<A>(A(0) - a) : a; }

// Converts a floating result to T: truncates toward zero for integers (as
// numpy's astype does), saturating out-of-range values and mapping NaN to 0.
template <class T>
inline T from_double(double v) {
  if constexpr (std::is_floating_point<T>::value) {
    return static_cast<T>(v);
  } else {
    if (v != v) return T(0);
    if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  }
}

// ---- reduction functors -----------------------------------------------------
// init<A>(): starting accumulator. step(acc, x): next accumulator.
// finish<T>(acc, n): the output from the accumulator and the element count.
// kNeedsMax: the kernel first finds the maximum m of the reduced elements and
// passes it to step/finish (for a stable log-sum-exp); m is 0 otherwise.

struct ReduceSumF {
  static constexpr const char* kName = "emlc::rt::ReduceSumF";
  static constexpr bool kNeedsMax = false;
  template <class V> void fields(V& v) const { v(); }
  template <class A> A init() const { return A(0); }
  template <class A> A step(A acc, A x, A) const { return acc_add(acc, x); }
  template <class T, class A> T finish(A acc, int32_t, A) const { return static_cast<T>(acc); }
};
struct ReduceMeanF {
  static constexpr const char* kName = "emlc::rt::ReduceMeanF";
  static constexpr bool kNeedsMax = false;
  template <class V> void fields(V& v) const { v(); }
  template <class A> A init() const { return A(0); }
  template <class A> A step(A acc, A x, A) const { return acc_add(acc, x); }
  template <class T, class A> T finish(A acc, int32_t n, A) const {
    if constexpr (std::is_floating_point<A>::value) return static_cast<T>(acc / static_cast<A>(n));
    else return n == 0 ? T(0) : static_cast<T>(acc / static_cast<A>(n));
  }
};
struct ReduceProdF {
  static constexpr const char* kName = "emlc::rt::ReduceProdF";
  static constexpr bool kNeedsMax = false;
  template <class V> void fields(V& v) const { v(); }
  template <class A> A init() const { return A(1); }
  template <class A> A step(A acc, A x, A) const { return acc_mul(acc, x); }
  template <class T, class A> T finish(A acc, int32_t, A) const { return static_cast<T>(acc); }
};
// Max/Min propagate NaN (as numpy.max does); an empty reduction gives the
// identity (-inf/+inf or the type's lowest/highest value).
struct ReduceMaxF {
  static constexpr const char* kName = "emlc::rt::ReduceMaxF";
  static constexpr bool kNeedsMax = false;
  template <class V> void fields(V& v) const { v(); }
  template <class A> A init() const {
    if constexpr (std::is_floating_point<A>::value) return -std::numeric_limits<A>::infinity();
    else return std::numeric_limits<A>::lowest();
  }
  template <class A> A step(A acc, A x, A) const { return is_nan(acc) || !(acc < x || is_nan(x)) ? acc : x; }
  template <class T, class A> T finish(A acc, int32_t, A) const { return static_cast<T>(acc); }
};
struct ReduceMinF {
  static constexpr const char* kName = "emlc::rt::ReduceMinF";
  static constexpr bool kNeedsMax = false;
  template <class V> void fields(V& v) const { v(); }
  template <class A> A init() const {
    if constexpr (std::is_floating_point<A>::value) return std::numeric_limits<A>::infinity();
    else return std::numeric_limits<A>::max();
  }
  template <class A> A step(A acc, A x, A) const { return is_nan(acc) || !(x < acc || is_nan(x)) ? acc : x; }
  template <class T, class A> T finish(A acc, int32_t, A) const { return static_cast<T>(acc); }
};
struct ReduceL1F {
  static constexpr const char* kName = "emlc::rt::ReduceL1F";
  static constexpr bool kNeedsMax = false;
  template <class V> void fields(V& v) const { v(); }
  template <class A> A init() const { return A(0); }
  template <class A> A step(A acc, A x, A) const { return acc_add(acc, acc_abs(x)); }
  template <class T, class A> T finish(A acc, int32_t, A) const { return static_cast<T>(acc); }
};
struct ReduceL2F {
  static constexpr const char* kName = "emlc::rt::ReduceL2F";
  static constexpr bool kNeedsMax = false;
  template <class V> void fields(V& v) const { v(); }
  template <class A> A init() const { return A(0); }
  template <class A> A step(A acc, A x, A) const { return acc_add(acc, acc_mul(x, x)); }
  template <class T, class A> T finish(A acc, int32_t, A) const {
    if constexpr (std::is_floating_point<A>::value) return static_cast<T>(std::sqrt(acc));
    else return from_double<T>(std::sqrt(static_cast<double>(acc)));
  }
};
struct ReduceSumSquareF {
  static constexpr const char* kName = "emlc::rt::ReduceSumSquareF";
  static constexpr bool kNeedsMax = false;
  template <class V> void fields(V& v) const { v(); }
  template <class A> A init() const { return A(0); }
  template <class A> A step(A acc, A x, A) const { return acc_add(acc, acc_mul(x, x)); }
  template <class T, class A> T finish(A acc, int32_t, A) const { return static_cast<T>(acc); }
};
struct ReduceLogSumF {
  static constexpr const char* kName = "emlc::rt::ReduceLogSumF";
  static constexpr bool kNeedsMax = false;
  template <class V> void fields(V& v) const { v(); }
  template <class A> A init() const { return A(0); }
  template <class A> A step(A acc, A x, A) const { return acc_add(acc, x); }
  template <class T, class A> T finish(A acc, int32_t, A) const {
    if constexpr (std::is_floating_point<A>::value) return static_cast<T>(std::log(acc));
    else return from_double<T>(std::log(static_cast<double>(acc)));
  }
};
// log(sum(exp(x))) computed as m + log(sum(exp(x - m))) with m the maximum.
// Floating types only.
struct ReduceLogSumExpF {
  static constexpr const char* kName = "emlc::rt::ReduceLogSumExpF";
  static constexpr bool kNeedsMax = true;
  template <class V> void fields(V& v) const { v(); }
  template <class A> A init() const { return A(0); }
  template <class A> A step(A acc, A x, A m) const { return acc + std::exp(x - m); }
  template <class T, class A> T finish(A acc, int32_t, A m) const {
    if (std::isinf(m)) return static_cast<T>(m);  // an infinity dominates; avoids inf - inf
    return static_cast<T>(m + std::log(acc));
  }
};

// Axes of a reduction after the compiler merged neighbours: `outer` axes are
// kept (they index the output in row-major order), `inner` axes are reduced.
// Strides are element strides into the input. `count` = product of inner_dims.
struct ReduceParams {
  static constexpr const char* kName = "emlc::rt::ReduceParams";
  int32_t outer_rank;
  int32_t outer_dims[kMaxRank];
  int32_t outer_strides[kMaxRank];
  int32_t inner_rank;
  int32_t inner_dims[kMaxRank];
  int32_t inner_strides[kMaxRank];
  int32_t count;
  template <class V> void fields(V& v) const {
    v(outer_rank, outer_dims, outer_strides, inner_rank, inner_dims, inner_strides, count);
  }
};

namespace detail {
// Calls g(x) for every reduced element of the block starting at `x`.
template <class T, class G>
inline void for_each_reduced(const ReduceParams& p, const T* x, G&& g) {
  if (p.count == 0) return;
  if (p.inner_rank == 0) {
    g(x[0]);
    return;
  }
  const int32_t r = p.inner_rank;
  const int32_t n = p.inner_dims[r - 1], s = p.inner_strides[r - 1];
  const int32_t rows = p.count / n;
  int32_t idx[kMaxRank] = {0};
  for (int32_t row = 0; row < rows; ++row) {
    int32_t off = 0;
    for (int32_t a = 0; a + 1 < r; ++a) off += idx[a] * p.inner_strides[a];
    const T* px = x + off;
    if (s == 1) {
      for (int32_t j = 0; j < n; ++j) g(px[j]);
    } else {
      for (int32_t j = 0; j < n; ++j) g(px[j * s]);
    }
    next_index(idx, p.inner_dims, r - 1);
  }
}
}  // namespace detail

// y[o] = f.finish(fold of f.step over the reduced elements of block o).
template <class T, class F>
inline void reduce(const ReduceParams& p, const F& f, const T* x, T* y) {
  using A = reduce_acc_t<T>;
  const int32_t n_out = numel(p.outer_dims, p.outer_rank);
  int32_t idx[kMaxRank] = {0};
  for (int32_t o = 0; o < n_out; ++o) {
    int32_t base = 0;
    for (int32_t a = 0; a < p.outer_rank; ++a) base += idx[a] * p.outer_strides[a];
    const T* px = x + base;
    A m = A(0);
    if constexpr (F::kNeedsMax) {
      bool first = true;
      detail::for_each_reduced(p, px, [&](T v) {
        const A av = static_cast<A>(v);
        if (first || m < av) m = av;
        first = false;
      });
    }
    A acc = f.template init<A>();
    detail::for_each_reduced(p, px, [&](T v) { acc = f.step(acc, static_cast<A>(v), m); });
    y[o] = f.template finish<T>(acc, p.count, m);
    next_index(idx, p.outer_dims, p.outer_rank);
  }
}

// ---- ArgMax / ArgMin --------------------------------------------------------

// The input viewed as [outer, axis, inner]; the output as [outer, inner].
struct ArgParams {
  static constexpr const char* kName = "emlc::rt::ArgParams";
  int32_t outer;
  int32_t axis;
  int32_t inner;
  int32_t select_last;  // ties: 0 = first index, 1 = last index
  template <class V> void fields(V& v) const { v(outer, axis, inner, select_last); }
};

// Index of the largest (IsMax) or smallest element along the axis. NaN counts
// as the extreme value (the first NaN wins, as in numpy).
template <class T, bool IsMax>
inline void arg_extreme(const ArgParams& p, const T* x, int64_t* y) {
  for (int32_t o = 0; o < p.outer; ++o) {
    const T* xo = x + o * p.axis * p.inner;
    int64_t* yo = y + o * p.inner;
    for (int32_t i = 0; i < p.inner; ++i) {
      int32_t best = 0;
      T bv = p.axis > 0 ? xo[i] : T(0);
      for (int32_t k = 1; k < p.axis && !is_nan(bv); ++k) {
        const T v = xo[k * p.inner + i];
        const bool better = is_nan(v) || (IsMax ? (p.select_last ? !(v < bv) : bv < v)
                                                : (p.select_last ? !(bv < v) : v < bv));
        if (better) {
          best = k;
          bv = v;
        }
      }
      yo[i] = best;
    }
  }
}

template <class T>
inline void argmax(const ArgParams& p, const T* x, int64_t* y) { arg_extreme<T, true>(p, x, y); }
template <class T>
inline void argmin(const ArgParams& p, const T* x, int64_t* y) { arg_extreme<T, false>(p, x, y); }

// ---- Einsum -----------------------------------------------------------------

constexpr int kMaxEinsumInputs = 4;
constexpr int kMaxEinsumLabels = 12;

// Every distinct label of the equation is one loop axis: the first out_rank
// are the output's axes (in output order), the remaining ones are summed.
// strides[i * kMaxEinsumLabels + l] is input i's element stride for label l
// (0 if the input lacks it or broadcasts it; the sum of strides when a label
// repeats within one input, which walks a diagonal).
struct EinsumParams {
  static constexpr const char* kName = "emlc::rt::EinsumParams";
  int32_t n_inputs;
  int32_t n_labels;
  int32_t out_rank;
  int32_t dims[kMaxEinsumLabels];
  int32_t strides[kMaxEinsumInputs * kMaxEinsumLabels];
  template <class V> void fields(V& v) const { v(n_inputs, n_labels, out_rank, dims, strides); }
};

// y[out] = sum over summed labels of prod_i x_i[...]. Accumulates in T for
// floating types, in wrapping 64-bit arithmetic for integers.
template <class T>
inline void einsum(const EinsumParams& p, const T* const* xs, T* y) {
  using A = reduce_acc_t<T>;
  const int32_t n_out = numel(p.dims, p.out_rank);
  const int32_t sum_rank = p.n_labels - p.out_rank;
  const int32_t* sdims = p.dims + p.out_rank;
  const int32_t n_sum = numel(sdims, sum_rank);
  // Innermost summed label (contiguous-ish in the inputs) runs in the inner loop.
  const int32_t inner = sum_rank > 0 ? sdims[sum_rank - 1] : 1;
  const int32_t rows = inner > 0 ? n_sum / inner : 0;
  int32_t oidx[kMaxEinsumLabels] = {0};
  for (int32_t o = 0; o < n_out; ++o) {
    int32_t base[kMaxEinsumInputs] = {0};
    for (int32_t i = 0; i < p.n_inputs; ++i)
      for (int32_t l = 0; l < p.out_rank; ++l) base[i] += oidx[l] * p.strides[i * kMaxEinsumLabels + l];
    A acc = A(0);
    int32_t sidx[kMaxEinsumLabels] = {0};
    for (int32_t row = 0; row < rows; ++row) {
      int32_t off[kMaxEinsumInputs];
      int32_t step[kMaxEinsumInputs];
      for (int32_t i = 0; i < p.n_inputs; ++i) {
        const int32_t* st = p.strides + i * kMaxEinsumLabels + p.out_rank;
        off[i] = base[i];
        for (int32_t l = 0; l + 1 < sum_rank; ++l) off[i] += sidx[l] * st[l];
        step[i] = sum_rank > 0 ? st[sum_rank - 1] : 0;
      }
      for (int32_t j = 0; j < inner; ++j) {
        A prod = A(1);
        for (int32_t i = 0; i < p.n_inputs; ++i) prod = acc_mul(prod, static_cast<A>(xs[i][off[i] + j * step[i]]));
        acc = acc_add(acc, prod);
      }
      if (sum_rank > 1) next_index(sidx, sdims, sum_rank - 1);
    }
    y[o] = static_cast<T>(acc);
    next_index(oidx, p.dims, p.out_rank);
  }
}

}  // namespace rt
}  // namespace emlc

#endif
