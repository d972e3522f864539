// emlc runtime: normalisation kernels (BatchNormalization in inference form,
// InstanceNormalization, LayerNormalization, LRN, MeanVarianceNormalization).
//
// Means and variances are computed in two passes (mean, then the mean of
// squared deviations), which is accurate even when the mean is large. All
// kernels read x and write y; y must not alias x unless stated.
#ifndef EMLC_RUNTIME_NORM_H
#define EMLC_RUNTIME_NORM_H

#include <cmath>

#include "common.h"

namespace emlc {
namespace rt {

// Shape of a per-channel normalisation: x is [batch, channels, inner].
struct ChannelNormParams {
  static constexpr const char* kName = "emlc::rt::ChannelNormParams";
  int32_t batch;
  int32_t channels;
  int32_t inner;
  float epsilon;
  template <class V> void fields(V& v) const { v(batch, channels, inner, epsilon); }
};

// BatchNormalization (inference): y = (x - mean) / sqrt(var + eps) * scale + b,
// as y = x * m + o with m and o computed per channel. x may alias y.
template <class T, class S, class M>
inline void batch_norm(const ChannelNormParams& p, const T* x, const S* scale, const S* bias, const M* mean,
                       const M* var, T* y) {
  for (int32_t c = 0; c < p.channels; ++c) {
    const T m = T(scale[c]) / std::sqrt(T(var[c]) + T(p.epsilon));
    const T o = T(bias[c]) - T(mean[c]) * m;
    for (int32_t n = 0; n < p.batch; ++n) {
      const int32_t base = (n * p.channels + c) * p.inner;
      const T* xp = x + base;
      T* yp = y + base;
      for (int32_t i = 0; i < p.inner; ++i) yp[i] = xp[i] * m + o;
    }
  }
}

// Mean and 1/sqrt(variance + eps) of n values (computed in U).
template <class T, class U>
inline void mean_inv_std(const T* x, int32_t n, float epsilon, U* mean, U* inv_std) {
  U s = U(0);
  for (int32_t i = 0; i < n; ++i) s += U(x[i]);
  const U mu = n > 0 ? U(s / U(n)) : U(0);
  U q = U(0);
  for (int32_t i = 0; i < n; ++i) {
    const U d = U(x[i]) - mu;
    q += d * d;
  }
  const U var = n > 0 ? U(q / U(n)) : U(0);
  *mean = mu;
  *inv_std = U(1) / std::sqrt(var + U(epsilon));
}

// InstanceNormalization: each [n, c] plane is normalised by its own mean and
// variance, then scaled and shifted per channel.
template <class T>
inline void instance_norm(const ChannelNormParams& p, const T* x, const T* scale, const T* bias, T* y) {
  for (int32_t n = 0; n < p.batch; ++n) {
    for (int32_t c = 0; c < p.channels; ++c) {
      const int32_t base = (n * p.channels + c) * p.inner;
      T mu, inv;
      mean_inv_std<T, T>(x + base, p.inner, p.epsilon, &mu, &inv);
      const T m = scale[c] * inv;
      const T o = bias[c] - mu * m;
      for (int32_t i = 0; i < p.inner; ++i) y[base + i] = x[base + i] * m + o;
    }
  }
}

// LayerNormalization: x is [outer, inner]; each row is normalised over its
// `inner` elements (statistics in U, the stash type), then multiplied by
// scale and shifted by bias. scale repeats every scale_size elements of a row
// and bias every bias_size elements (trailing-axes broadcasting; 1 for a
// scalar); bias may be nullptr. mean and inv_std (one per row) are optional.
struct LayerNormParams {
  static constexpr const char* kName = "emlc::rt::LayerNormParams";
  int32_t outer;
  int32_t inner;
  int32_t scale_size;
  int32_t bias_size;
  float epsilon;
  template <class V> void fields(V& v) const { v(outer, inner, scale_size, bias_size, epsilon); }
};

template <class T, class U>
inline void layer_norm(const LayerNormParams& p, const T* x, const T* scale, const T* bias, T* y, U* mean,
                       U* inv_std) {
  for (int32_t r = 0; r < p.outer; ++r) {
    const T* xr = x + r * p.inner;
    T* yr = y + r * p.inner;
    U mu, inv;
    mean_inv_std<T, U>(xr, p.inner, p.epsilon, &mu, &inv);
    if (mean) mean[r] = mu;
    if (inv_std) inv_std[r] = inv;
    for (int32_t j0 = 0; j0 < p.inner; j0 += p.scale_size)
      for (int32_t j = 0; j < p.scale_size; ++j)
        yr[j0 + j] = T(U(U(xr[j0 + j]) - mu) * inv * U(scale[j]));
    if (bias) {
      for (int32_t j0 = 0; j0 < p.inner; j0 += p.bias_size)
        for (int32_t j = 0; j < p.bias_size; ++j) yr[j0 + j] = T(yr[j0 + j] + bias[j]);
    }
  }
}

// LRN across channels: y = x / (bias + alpha / size * sum of x^2 over the
// channels [c - (size-1)/2, c + size/2]) ^ beta. x is [batch, channels, inner].
struct LrnParams {
  static constexpr const char* kName = "emlc::rt::LrnParams";
  int32_t batch;
  int32_t channels;
  int32_t inner;
  int32_t size;
  float alpha;
  float beta;
  float bias;
  template <class V> void fields(V& v) const { v(batch, channels, inner, size, alpha, beta, bias); }
};

template <class T>
inline void lrn(const LrnParams& p, const T* x, T* y) {
  const int32_t before = (p.size - 1) / 2, after = p.size / 2;
  const T k = T(p.alpha) / T(p.size);
  for (int32_t n = 0; n < p.batch; ++n) {
    for (int32_t c = 0; c < p.channels; ++c) {
      T* yp = y + (n * p.channels + c) * p.inner;
      const T* xp = x + (n * p.channels + c) * p.inner;
      // The output plane holds the sum of squares until the last step.
      fill(yp, p.inner, T(0));
      const int32_t c0 = c - before < 0 ? 0 : c - before;
      const int32_t c1 = c + after >= p.channels ? p.channels - 1 : c + after;
      for (int32_t cc = c0; cc <= c1; ++cc) {
        const T* xq = x + (n * p.channels + cc) * p.inner;
        for (int32_t i = 0; i < p.inner; ++i) yp[i] += xq[i] * xq[i];
      }
      for (int32_t i = 0; i < p.inner; ++i)
        yp[i] = xp[i] / T(std::pow(T(p.bias) + k * yp[i], T(p.beta)));
    }
  }
}

// MeanVarianceNormalization: y = (x - mean) / (sqrt(variance) + 1e-9), the
// statistics taken over the reduced axes, separately for each index of the
// kept axes. The compiler merges adjacent axes of the same kind; the kept
// and reduced axes are each described by dims and element strides into x.
struct MvnParams {
  static constexpr const char* kName = "emlc::rt::MvnParams";
  int32_t kept_rank;
  int32_t kept_dims[kMaxRank];
  int32_t kept_strides[kMaxRank];
  int32_t red_rank;  // >= 1
  int32_t red_dims[kMaxRank];
  int32_t red_strides[kMaxRank];
  template <class V> void fields(V& v) const {
    v(kept_rank, kept_dims, kept_strides, red_rank, red_dims, red_strides);
  }
};

// Calls f(offset) for each element of the reduced sub-space starting at
// `base`; the innermost reduced axis is a plain strided loop.
template <class F>
inline void mvn_for_each(const MvnParams& p, int32_t base, F f) {
  const int32_t r = p.red_rank;
  const int32_t n = p.red_dims[r - 1], s = p.red_strides[r - 1];
  int32_t idx[kMaxRank] = {0};
  int32_t outer = 1;
  for (int32_t i = 0; i + 1 < r; ++i) outer *= p.red_dims[i];
  for (int32_t o = 0; o < outer; ++o) {
    int32_t off = base;
    for (int32_t i = 0; i + 1 < r; ++i) off += idx[i] * p.red_strides[i];
    for (int32_t j = 0; j < n; ++j) f(off + j * s);
    next_index(idx, p.red_dims, r - 1);
  }
}

template <class T>
inline void mvn(const MvnParams& p, const T* x, T* y) {
  const int32_t kept = numel(p.kept_dims, p.kept_rank);
  const int32_t count = numel(p.red_dims, p.red_rank);
  int32_t idx[kMaxRank] = {0};
  for (int32_t k = 0; k < kept; ++k) {
    int32_t base = 0;
    for (int32_t i = 0; i < p.kept_rank; ++i) base += idx[i] * p.kept_strides[i];
    T s = T(0);
    mvn_for_each(p, base, [&](int32_t i) { s += x[i]; });
    const T mu = count > 0 ? T(s / T(count)) : T(0);
    T q = T(0);
    mvn_for_each(p, base, [&](int32_t i) {
      const T d = x[i] - mu;
      q += d * d;
    });
    const T sd = count > 0 ? T(std::sqrt(q / T(count))) : T(0);
    const T inv = T(1) / (sd + T(1e-9));
    mvn_for_each(p, base, [&](int32_t i) { y[i] = (x[i] - mu) * inv; });
    next_index(idx, p.kept_dims, p.kept_rank);
  }
}

// LpNormalization: y = x / ||x||_p along one axis (p = 1 or 2), the axis
// described as [outer, len, inner] of the row-major shape. A zero norm gives
// y = 0 (x is all zeros there).
struct LpNormParams {
  static constexpr const char* kName = "emlc::rt::LpNormParams";
  int32_t outer, len, inner;
  int32_t p;  // 1 or 2
  template <class V> void fields(V& v) const { v(outer, len, inner, p); }
};

template <class T>
inline void lp_norm(const LpNormParams& p, const T* x, T* y) {
  for (int32_t o = 0; o < p.outer; ++o) {
    for (int32_t i = 0; i < p.inner; ++i) {
      const int32_t base = o * p.len * p.inner + i;
      T s = T(0);
      for (int32_t k = 0; k < p.len; ++k) {
        const T v = x[base + k * p.inner];
        s += p.p == 1 ? (v < T(0) ? T(-v) : v) : v * v;
      }
      const T norm = p.p == 1 ? s : T(std::sqrt(s));
      for (int32_t k = 0; k < p.len; ++k) y[base + k * p.inner] = norm > T(0) ? T(x[base + k * p.inner] / norm) : T(0);
    }
  }
}

}  // namespace rt
}  // namespace emlc

#endif
