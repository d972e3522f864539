// emlc runtime: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
//
// The input is viewed as [n, c, d] (d = product of the trailing dims) and the
// target as [n, d]. A target equal to ignore_index, or outside [0, c),
// contributes neither loss nor weight. Reductions: none (one loss per target),
// sum, or mean (the sum divided by the sum of the targets' weights).
#ifndef EMLC_RUNTIME_LOSS_H
#define EMLC_RUNTIME_LOSS_H

#include <cmath>

#include "common.h"

namespace emlc {
namespace rt {

struct LossParams {
  static constexpr const char* kName = "emlc::rt::LossParams";
  int32_t n;
  int32_t c;
  int32_t d;
  int32_t reduction;     // 0 none, 1 sum, 2 mean
  int32_t ignore_index;  // a class in [0, c) to ignore, or -1
  template <class V> void fields(V& v) const { v(n, c, d, reduction, ignore_index); }
};

namespace detail {
// Weight of target t (0 if ignored or out of range).
template <class T, class I>
inline T loss_weight(const LossParams& p, I t, const T* weight) {
  if (is_negative(t) || t >= static_cast<I>(p.c) || t == static_cast<I>(p.ignore_index)) return T(0);
  return weight ? weight[t] : T(1);
}

// Accumulates loss l with weight w at position i, or stores it (reduction none).
template <class T>
struct LossSink {
  const LossParams& p;
  T* y;
  T sum = T(0), wsum = T(0);
  void add(int32_t i, T l, T w) {
    if (p.reduction == 0) y[i] = l;
    sum += l;
    wsum += w;
  }
  void finish() {
    if (p.reduction == 1) y[0] = sum;
    else if (p.reduction == 2) y[0] = sum / wsum;
  }
};
}  // namespace detail

// loss[n, d] = -x[n, target[n, d], d] * weight[target[n, d]].
template <class T, class I>
inline void nll_loss(const LossParams& p, const T* x, const I* target, const T* weight, T* y) {
  detail::LossSink<T> sink{p, y};
  for (int32_t n = 0; n < p.n; ++n) {
    for (int32_t d = 0; d < p.d; ++d) {
      const I t = target[n * p.d + d];
      const T w = detail::loss_weight(p, t, weight);
      T l = T(0);
      if (w != T(0)) l = -x[(n * p.c + static_cast<int32_t>(t)) * p.d + d] * w;
      sink.add(n * p.d + d, l, w);
    }
  }
  sink.finish();
}

// As nll_loss on log_softmax(x) over the class axis. log_prob (shaped like
// x, or nullptr) receives log_softmax(x).
template <class T, class I>
inline void softmax_cross_entropy_loss_log_prob(const LossParams& p, const T* x, const I* target, const T* weight,
                                                T* y, T* log_prob) {
  detail::LossSink<T> sink{p, y};
  for (int32_t n = 0; n < p.n; ++n) {
    const T* xn = x + n * p.c * p.d;
    for (int32_t d = 0; d < p.d; ++d) {
      T m = xn[d];
      for (int32_t c = 1; c < p.c; ++c) m = max_of(m, xn[c * p.d + d]);
      T s = T(0);
      for (int32_t c = 0; c < p.c; ++c) s += std::exp(xn[c * p.d + d] - m);
      const T log_s = std::log(s);
      if (log_prob) {
        T* lp = log_prob + n * p.c * p.d;
        for (int32_t c = 0; c < p.c; ++c) lp[c * p.d + d] = xn[c * p.d + d] - m - log_s;
      }
      const I t = target[n * p.d + d];
      const T w = detail::loss_weight(p, t, weight);
      T l = T(0);
      if (w != T(0)) l = -(xn[static_cast<int32_t>(t) * p.d + d] - m - log_s) * w;
      sink.add(n * p.d + d, l, w);
    }
  }
  sink.finish();
}

template <class T, class I>
inline void softmax_cross_entropy_loss(const LossParams& p, const T* x, const I* target, const T* weight, T* y) {
  softmax_cross_entropy_loss_log_prob<T, I>(p, x, target, weight, y, nullptr);
}

}  // namespace rt
}  // namespace emlc

#endif
