// Cortex-M4 instruction counts of the dense and sparse conv/gemm kernels at
// several densities (benchmarks/sparse_kernels_m4.sh runs it under QEMU with
// the counting plugin; one marked window per kernel call, in the order
// printed by the script). Weights are zeroed deterministically at the given
// density; the values do not matter for the count beyond the zero pattern.
#include "emlc/runtime.h"

#define EMLC_BENCH_BEGIN() __asm__ volatile("mov r11, r11" ::: "memory")
#define EMLC_BENCH_END() __asm__ volatile("mov r10, r10" ::: "memory")

namespace rt = emlc::rt;

// conv 16 -> 32 channels, 3x3, pad 1, on 8x8; gemm 512 -> 64.
constexpr int32_t C = 16, M = 32, H = 8, W = 8, K = C * 9;
constexpr int32_t GK = 512, GN = 64;
static int8_t xq[C * H * W], wq[M * K], yq[M * H * W], vq[M * K], gaq[GK], gwq[GN * GK], gvq[GN * GK], gyq[GN];
static float xf[C * H * W], wf[M * K], yf[M * H * W], vf[M * K], bf[M], gaf[GK], gwf[GN * GK], gvf[GN * GK], gyf[GN],
    gbf[GN];
static uint8_t mask[M * ((K + 7) / 8)], gmask[GN * (GK / 8)];
static int32_t bias[M], mult[GN], shift[GN], gbias[GN], scratch[2 * K];

static uint32_t rng = 12345;
static uint32_t next() { return rng = rng * 1664525u + 1013904223u; }

// Zeroes weights so that about `keep_per_256 / 256` stay, and encodes them.
template <class T>
static int32_t encode(const T* dense_in, T* dense, T* values, uint8_t* m, int32_t rows, int32_t k, uint32_t keep) {
  const int32_t kb = (k + 7) / 8;
  int32_t n = 0, maxrow = 0;
  for (int32_t i = 0; i < rows * kb; ++i) m[i] = 0;
  for (int32_t r = 0; r < rows; ++r) {
    int32_t row = 0;
    for (int32_t j = 0; j < k; ++j) {
      const bool z = (next() >> 24) >= keep;
      dense[r * k + j] = z ? T(0) : dense_in[r * k + j];
      if (!z) {
        m[r * kb + j / 8] = static_cast<uint8_t>(m[r * kb + j / 8] | (1u << (j % 8)));
        values[n++] = dense_in[r * k + j];
        ++row;
      }
    }
    if (row > maxrow) maxrow = row;
  }
  return maxrow;
}

int main() {
  for (int32_t i = 0; i < C * H * W; ++i) { xq[i] = static_cast<int8_t>(next() >> 25); xf[i] = static_cast<float>(xq[i]) / 64.0f; }
  for (int32_t i = 0; i < GK; ++i) { gaq[i] = static_cast<int8_t>(next() >> 25); gaf[i] = static_cast<float>(gaq[i]) / 64.0f; }
  static int8_t w0[M * K], g0[GN * GK];
  static float wf0[M * K], gf0[GN * GK];
  for (int32_t i = 0; i < M * K; ++i) { w0[i] = static_cast<int8_t>((next() >> 25) | 1); wf0[i] = static_cast<float>(w0[i]); }
  for (int32_t i = 0; i < GN * GK; ++i) { g0[i] = static_cast<int8_t>((next() >> 25) | 1); gf0[i] = static_cast<float>(g0[i]); }
  for (int32_t i = 0; i < GN; ++i) { mult[i] = 1400000000; shift[i] = -8; gbias[i] = 100; gbf[i] = 0.5f; }
  rt::ConvParams p{};
  p.batch = 1; p.in_channels = C; p.out_channels = M; p.group = 1;
  p.in_dims[0] = 1; p.in_dims[1] = H; p.in_dims[2] = W;
  p.out_dims[0] = 1; p.out_dims[1] = H; p.out_dims[2] = W;
  p.kernel[0] = 1; p.kernel[1] = 3; p.kernel[2] = 3;
  p.strides[0] = p.strides[1] = p.strides[2] = 1;
  p.dilations[0] = p.dilations[1] = p.dilations[2] = 1;
  p.pads[0] = 0; p.pads[1] = p.pads[2] = 1;
  const rt::QuantConvParams q{5, 0, -3, -128, 127};
  const rt::QuantGemmParams gp{1, 1, GN, GK, 1, 0, 0, 0};
  rt::GemmParams fg{};
  fg.M = 1; fg.N = GN; fg.K = GK; fg.trans_a = 0; fg.trans_b = 1; fg.c_row_stride = 0; fg.c_col_stride = 1;
  fg.alpha = 1.0f; fg.beta = 1.0f;
  const rt::SparseGemmParams sg{1, GN, GK};
  const uint32_t keeps[3] = {192, 128, 64};  // density 0.75, 0.5, 0.25
  for (uint32_t keep : keeps) {
    const int32_t mr = encode(w0, wq, vq, mask, M, K, keep);
    EMLC_BENCH_BEGIN(); rt::qconv<int8_t, int8_t>(p, q, xq, wq, bias, mult, shift, yq); EMLC_BENCH_END();
    EMLC_BENCH_BEGIN(); rt::qconv_sparse<int8_t>(p, q, xq, mask, vq, bias, mult, shift, mr, scratch, yq); EMLC_BENCH_END();
    encode(wf0, wf, vf, mask, M, K, keep);
    EMLC_BENCH_BEGIN(); rt::conv<float>(p, xf, wf, bf, yf); EMLC_BENCH_END();
    EMLC_BENCH_BEGIN(); rt::conv_sparse_f32(p, xf, mask, vf, bf, mr, scratch, yf); EMLC_BENCH_END();
    encode(g0, gwq, gvq, gmask, GN, GK, keep);
    EMLC_BENCH_BEGIN(); rt::qgemm<int8_t, int8_t>(gp, q, gaq, gwq, gbias, mult, shift, gyq); EMLC_BENCH_END();
    EMLC_BENCH_BEGIN(); rt::qgemm_sparse<int8_t>(gp, q, gaq, gmask, gvq, gbias, mult, shift, gyq); EMLC_BENCH_END();
    encode(gf0, gwf, gvf, gmask, GN, GK, keep);
    EMLC_BENCH_BEGIN(); rt::gemm<float>(fg, gaf, gwf, gbf, gyf); EMLC_BENCH_END();
    EMLC_BENCH_BEGIN(); rt::gemm_sparse_f32(sg, gaf, gmask, gvf, gbf, gyf); EMLC_BENCH_END();
  }
  return 0;
}
