// emlc runtime: matrix products (Gemm, batched MatMul).
//
// One core, matmul_block(), computes Y = op(A) * op(B) for one matrix pair;
// Gemm adds alpha/beta/C on top, MatMul iterates it over broadcast batches.
// Loop order follows memory: with B stored (K, N) the core runs i-k-j (the
// innermost loop streams a row of B into a row of Y); with B stored (N, K)
// (Gemm's transB, the usual Linear layout) it runs i-j-k dot products over
// contiguous rows of A and B.
//
// Integer products wrap around (two's complement) like numpy instead of
// overflowing into undefined behaviour.
#ifndef EMLC_RUNTIME_MATMUL_H
#define EMLC_RUNTIME_MATMUL_H

#include "common.h"

namespace emlc {
namespace rt {

// acc + a * b, wrapping for integers.
template <class T>
inline T mul_add(T acc, T a, T b) {
  if constexpr (std::is_integral<T>::value) {
    using U = typename std::make_unsigned<T>::type;
    return static_cast<T>(static_cast<U>(static_cast<U>(acc) + static_cast<U>(a) * static_cast<U>(b)));
  } else {
    return acc + a * b;
  }
}

// Y[M, N] = A' * B' where A'(i, k) = a[i * a_rs + k * a_cs] and B' is
// b as (K, N) row-major, or b as (N, K) row-major transposed if trans_b.
template <class T>
inline void matmul_block(int32_t M, int32_t N, int32_t K, const T* a, int32_t a_rs, int32_t a_cs,
                         const T* b, int32_t trans_b, T* y) {
  if (trans_b) {
    for (int32_t i = 0; i < M; ++i) {
      const T* ar = a + i * a_rs;
      T* yr = y + i * N;
      for (int32_t j = 0; j < N; ++j) {
        const T* br = b + j * K;
        T acc = T(0);
        if (a_cs == 1) {
          for (int32_t k = 0; k < K; ++k) acc = mul_add(acc, ar[k], br[k]);
        } else {
          for (int32_t k = 0; k < K; ++k) acc = mul_add(acc, ar[k * a_cs], br[k]);
        }
        yr[j] = acc;
      }
    }
    return;
  }
  for (int32_t i = 0; i < M; ++i) {
    const T* ar = a + i * a_rs;
    T* yr = y + i * N;
    fill(yr, N, T(0));
    for (int32_t k = 0; k < K; ++k) {
      const T av = ar[k * a_cs];
      const T* br = b + k * N;
      for (int32_t j = 0; j < N; ++j) yr[j] = mul_add(yr[j], av, br[j]);
    }
  }
}

// Gemm: Y = alpha * op(A) * op(B) + beta * C, with A (M, K) or (K, M) if
// trans_a, B (K, N) or (N, K) if trans_b, and C (optional, nullptr) read
// through strides that broadcast it to (M, N).
struct GemmParams {
  static constexpr const char* kName = "emlc::rt::GemmParams";
  int32_t M, N, K;
  int32_t trans_a, trans_b;
  int32_t c_row_stride, c_col_stride;  // 0 on broadcast axes
  float alpha, beta;
  template <class V> void fields(V& v) const {
    v(M, N, K, trans_a, trans_b, c_row_stride, c_col_stride, alpha, beta);
  }
};

template <class T>
inline void gemm(const GemmParams& p, const T* a, const T* b, const T* c, T* y) {
  const int32_t a_rs = p.trans_a ? 1 : p.K;
  const int32_t a_cs = p.trans_a ? p.M : 1;
  matmul_block(p.M, p.N, p.K, a, a_rs, a_cs, b, p.trans_b, y);
  const bool scale = p.alpha != 1.0f;
  const bool add_c = c != nullptr && p.beta != 0.0f;
  if (!scale && !add_c) return;
  // Integer types: the compiler checked that alpha and beta are whole
  // numbers within int32; going through int64 keeps negative ones defined
  // for unsigned T (they wrap like numpy).
  T alpha, beta;
  if constexpr (std::is_integral<T>::value) {
    alpha = static_cast<T>(static_cast<int64_t>(p.alpha));
    beta = static_cast<T>(static_cast<int64_t>(p.beta));
  } else {
    alpha = static_cast<T>(p.alpha);
    beta = static_cast<T>(p.beta);
  }
  for (int32_t i = 0; i < p.M; ++i) {
    T* yr = y + i * p.N;
    if (scale)
      for (int32_t j = 0; j < p.N; ++j) yr[j] = mul_add(T(0), alpha, yr[j]);
    if (add_c) {
      const T* cr = c + i * p.c_row_stride;
      for (int32_t j = 0; j < p.N; ++j) yr[j] = mul_add(yr[j], beta, cr[j * p.c_col_stride]);
    }
  }
}

// MatMul with numpy semantics: `batch_rank` broadcast batch dims of the
// output, each input's element stride per batch axis (0 where broadcast),
// and (M, K) x (K, N) matrices. The output is contiguous (batch..., M, N).
struct MatMulParams {
  static constexpr const char* kName = "emlc::rt::MatMulParams";
  int32_t batch_rank;
  int32_t batch_dims[kMaxRank];
  int32_t a_strides[kMaxRank];
  int32_t b_strides[kMaxRank];
  int32_t M, N, K;
  template <class V> void fields(V& v) const { v(batch_rank, batch_dims, a_strides, b_strides, M, N, K); }
};

template <class T>
inline void matmul(const MatMulParams& p, const T* a, const T* b, T* y) {
  const int32_t batches = numel(p.batch_dims, p.batch_rank);
  const int32_t mn = p.M * p.N;
  int32_t idx[kMaxRank] = {0};
  for (int32_t bi = 0; bi < batches; ++bi) {
    int32_t oa = 0, ob = 0;
    for (int32_t d = 0; d < p.batch_rank; ++d) {
      oa += idx[d] * p.a_strides[d];
      ob += idx[d] * p.b_strides[d];
    }
    matmul_block(p.M, p.N, p.K, a + oa, p.K, 1, b + ob, 0, y + bi * mn);
    next_index(idx, p.batch_dims, p.batch_rank);
  }
}

// MatMulInteger: Y = (A - a_zp) * (B - b_zp) in int32, batched like
// matmul(). Zero points are single values (nullptr = 0).
template <class TA, class TB>
inline void matmul_integer(const MatMulParams& p, const TA* a, const TB* b, const TA* a_zp, const TB* b_zp,
                           int32_t* y) {
  const int32_t az = a_zp ? static_cast<int32_t>(*a_zp) : 0;
  const int32_t bz = b_zp ? static_cast<int32_t>(*b_zp) : 0;
  const int32_t batches = numel(p.batch_dims, p.batch_rank);
  int32_t idx[kMaxRank] = {0};
  for (int32_t bi = 0; bi < batches; ++bi) {
    int32_t oa = 0, ob = 0;
    for (int32_t d = 0; d < p.batch_rank; ++d) {
      oa += idx[d] * p.a_strides[d];
      ob += idx[d] * p.b_strides[d];
    }
    for (int32_t i = 0; i < p.M; ++i) {
      const TA* ar = a + oa + i * p.K;
      int32_t* yr = y + (bi * p.M + i) * p.N;
      fill(yr, p.N, int32_t(0));
      for (int32_t k = 0; k < p.K; ++k) {
        const int32_t av = static_cast<int32_t>(ar[k]) - az;
        const TB* br = b + ob + k * p.N;
        for (int32_t j = 0; j < p.N; ++j) yr[j] = mul_add(yr[j], av, static_cast<int32_t>(br[j]) - bz);
      }
    }
    next_index(idx, p.batch_dims, p.batch_rank);
  }
}

}  // namespace rt
}  // namespace emlc

#endif
