// emlc runtime: float matrix product with weights packed at compile time.
//
// Y (M x N) = act(A (M x K) * B (K x N) + bias). The compiler packs the
// constant B (Gemm's alpha, transB folded in) into column panels of NR:
// panel b holds B[:, b*NR .. b*NR+NR) as K rows of NR values, zero beyond N;
// bias (nullptr = none; Gemm's beta * C when C is one row) holds
// ceil(N/NR)*NR values, zero-padded. A tile of MR rows x NR columns stays in
// registers over the whole K loop, and the innermost loop runs over NR
// contiguous columns, which the compiler vectorises (see conv_nhwc.h).
// Each output sums bias, then k = 0..K-1 in order.
#ifndef EMLC_RUNTIME_GEMM_PACKED_H
#define EMLC_RUNTIME_GEMM_PACKED_H

#include "activation.h"
#include "common.h"
#include "conv_nhwc.h"  // init_tile, tile_madd, store_tile

namespace emlc {
namespace rt {

struct GemmPackedParams {
  static constexpr const char* kName = "emlc::rt::GemmPackedParams";
  int32_t M, N, K;
  template <class V> void fields(V& v) const { v(M, N, K); }
};

template <class T, int MR, int NR>
inline void gemm_packed(const GemmPackedParams& p, const Activation& act, const T* a, const T* b, const T* bias,
                        T* y) {
  const int32_t blocks = (p.N + NR - 1) / NR;
  for (int32_t i0 = 0; i0 < p.M; i0 += MR) {
    const int32_t rows = p.M - i0 < MR ? p.M - i0 : MR;
    const T* ap[MR];
    for (int32_t r = 0; r < MR; ++r) ap[r] = a + (i0 + (r < rows ? r : rows - 1)) * p.K;
    for (int32_t blk = 0; blk < blocks; ++blk) {
      T acc[MR][NR];
      init_tile<T, MR, NR>(acc, bias ? bias + blk * NR : nullptr);
      tile_madd<T, MR, NR>(acc, ap, b + blk * p.K * NR, p.K);
      const int32_t cols = p.N - blk * NR < NR ? p.N - blk * NR : NR;
      store_tile<T, NR>(act, acc, rows, cols, y + i0 * p.N + blk * NR, p.N);
    }
  }
}

}  // namespace rt
}  // namespace emlc

#endif
