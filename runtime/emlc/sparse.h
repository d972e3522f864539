// emlc runtime: zero-skipping convolution and matrix kernels on sparse
// weights (magnitude-pruned, or sparse from training), int8 and float.
//
// Encoding (the compiler writes it, prune/sparse.h): the weights are M rows
// (one per output channel; a Gemm's B is stored [N, K], a Conv's W is
// [M, C/group * k...]) of K columns. `mask` holds ceil(K/8) bytes per row,
// bit j (LSB first) of byte b set when column 8b + j is nonzero; `values`
// holds the nonzero weights row after row, in column order. Flash per layer:
// M * ceil(K/8) + nnz * sizeof(weight) instead of M * K * sizeof(weight).
//
// The kernels visit the set bits only, so they do one multiply-accumulate
// per nonzero weight. int8 results are bit-identical to qconv/qgemm
// (int8_conv.h) on the same weights with the zeros in place: the skipped
// terms are exactly (x + input_offset) * 0 and integer sums do not depend on
// order (the compiler only encodes symmetric weights: weight_offset 0).
// Float results equal conv/gemm up to the order of the float sums.
//
// A convolution's column t is (c, r) with r = t mod ksize the tap
// (kd, kh, kw) of input channel c of the group; the kernel keeps tap offsets
// for up to kMaxSparseTaps taps on the stack (the compiler checks ksize).
#ifndef EMLC_RUNTIME_SPARSE_H
#define EMLC_RUNTIME_SPARSE_H

#include "common.h"
#include "conv.h"
#include "int8_common.h"
#include "int8_conv.h"

namespace emlc {
namespace rt {

constexpr int32_t kMaxSparseTaps = 64;

// Index of the lowest set bit of a nonzero byte.
inline int32_t sparse_ctz8(uint32_t v) {
#if defined(__GNUC__)
  return static_cast<int32_t>(__builtin_ctz(v));
#else
  int32_t n = 0;
  while (!(v & 1u)) { v >>= 1; ++n; }
  return n;
#endif
}

// Nonzero columns of one mask row.
inline int32_t sparse_row_nnz(const uint8_t* row, int32_t bytes) {
  int32_t n = 0;
  for (int32_t b = 0; b < bytes; ++b)
    for (uint32_t v = row[b]; v; v &= v - 1u) ++n;
  return n;
}

// Tap tables of a convolution: input offset of tap r (relative to the
// window's origin) and its kernel coordinates.
struct SparseTaps {
  int32_t off[kMaxSparseTaps];
  int32_t kd[kMaxSparseTaps], kh[kMaxSparseTaps], kw[kMaxSparseTaps];
};

inline void sparse_taps(const ConvParams& p, SparseTaps* t) {
  const int32_t IH = p.in_dims[1], IW = p.in_dims[2];
  const int32_t KH = p.kernel[1], KW = p.kernel[2];
  const int32_t ksize = p.kernel[0] * KH * KW;
  for (int32_t r = 0; r < ksize && r < kMaxSparseTaps; ++r) {
    t->kd[r] = r / (KH * KW);
    t->kh[r] = (r / KW) % KH;
    t->kw[r] = r % KW;
    t->off[r] = (t->kd[r] * p.dilations[0] * IH + t->kh[r] * p.dilations[1]) * IW + t->kw[r] * p.dilations[2];
  }
}

// Decodes one mask row of a convolution into `off` (input offset of each
// nonzero weight from the window origin of the row's first input channel)
// and `tap` (its tap index r); returns the row's nonzero count. Columns come
// in increasing order, so the (channel, tap) cursor only moves forward.
inline int32_t sparse_decode_conv_row(const SparseTaps& taps, int32_t ksize, int32_t in_plane, const uint8_t* mask,
                                      int32_t mask_bytes, int32_t* off, int32_t* tap) {
  int32_t n = 0, t = 0, r = 0, coff = 0;
  for (int32_t b = 0; b < mask_bytes; ++b) {
    for (uint32_t bits = mask[b]; bits; bits &= bits - 1u) {
      const int32_t col = b * 8 + sparse_ctz8(bits);
      r += col - t;
      t = col;
      while (r >= ksize) {
        r -= ksize;
        coff += in_plane;
      }
      off[n] = coff + taps.off[r];
      tap[n] = r;
      ++n;
    }
  }
  return n;
}

// Scratch (int32 elements) the sparse convolutions need: 2 per nonzero
// weight of the densest row (the compiler plans it in the arena).
// The output loop shared by the int8 and float sparse convolutions. Per row
// (output channel) the nonzeros are decoded once into `scratch`; then every
// output position calls `out(m, y_index, nnz, values, off, tap, base,
// interior, lo, hi)`.
template <class W, class Out>
inline void sparse_conv_loop(const ConvParams& p, const uint8_t* mask, const W* values, int32_t* scratch,
                             int32_t max_row_nnz, Out&& out) {
  const int32_t ID = p.in_dims[0], IH = p.in_dims[1], IW = p.in_dims[2];
  const int32_t OD = p.out_dims[0], OH = p.out_dims[1], OW = p.out_dims[2];
  const int32_t KD = p.kernel[0], KH = p.kernel[1], KW = p.kernel[2];
  const int32_t cg = p.in_channels / p.group;
  const int32_t mg = p.out_channels / p.group;
  const int32_t in_plane = ID * IH * IW;
  const int32_t out_plane = OD * OH * OW;
  const int32_t ksize = KD * KH * KW;
  const int32_t mask_bytes = (cg * ksize + 7) / 8;
  int32_t* off = scratch;
  int32_t* tap = scratch + max_row_nnz;
  SparseTaps taps;
  sparse_taps(p, &taps);
  for (int32_t n = 0; n < p.batch; ++n) {
    const W* v = values;
    for (int32_t m = 0; m < p.out_channels; ++m) {
      const int32_t nnz = sparse_decode_conv_row(taps, ksize, in_plane, mask + m * mask_bytes, mask_bytes, off, tap);
      const int32_t xg = (n * p.in_channels + (m / mg) * cg) * in_plane;
      const int32_t yo = (n * p.out_channels + m) * out_plane;
      for (int32_t od = 0; od < OD; ++od) {
        int32_t lo[3], hi[3];
        conv_valid_range(ID, KD, p.dilations[0], od * p.strides[0] - p.pads[0], &lo[0], &hi[0]);
        for (int32_t oh = 0; oh < OH; ++oh) {
          conv_valid_range(IH, KH, p.dilations[1], oh * p.strides[1] - p.pads[1], &lo[1], &hi[1]);
          for (int32_t ow = 0; ow < OW; ++ow) {
            conv_valid_range(IW, KW, p.dilations[2], ow * p.strides[2] - p.pads[2], &lo[2], &hi[2]);
            const bool interior = lo[0] == 0 && hi[0] == KD && lo[1] == 0 && hi[1] == KH && lo[2] == 0 && hi[2] == KW;
            const int32_t base = xg + ((od * p.strides[0] - p.pads[0]) * IH + (oh * p.strides[1] - p.pads[1])) * IW +
                                 (ow * p.strides[2] - p.pads[2]);
            out(m, yo + (od * OH + oh) * OW + ow, nnz, v, off, tap, base, interior, taps, lo, hi);
          }
        }
      }
      v += nnz;
    }
  }
}

inline int32_t ksize_of(const ConvParams& p) { return p.kernel[0] * p.kernel[1] * p.kernel[2]; }

// valid[r] = 1 when tap r lies inside the input at this (border) output
// position, whose valid kernel ranges are [lo, hi).
inline void sparse_valid_taps(const SparseTaps& t, int32_t ksize, const int32_t lo[3], const int32_t hi[3],
                              uint8_t* valid) {
  for (int32_t r = 0; r < ksize; ++r)
    valid[r] = static_cast<uint8_t>(t.kd[r] >= lo[0] && t.kd[r] < hi[0] && t.kh[r] >= lo[1] && t.kh[r] < hi[1] &&
                                    t.kw[r] >= lo[2] && t.kw[r] < hi[2]);
}

// int8 convolution on sparse weights: qconv (int8_conv.h) with W encoded.
// Inside the input, sum (x + input_offset) * w = sum x * w + input_offset *
// sum w, the latter once per row; at the borders only the taps inside count.
template <class X>
inline void qconv_sparse(const ConvParams& p, const QuantConvParams& q, const X* x, const uint8_t* mask,
                         const int8_t* values, const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
                         int32_t max_row_nnz, int32_t* scratch, X* y) {
  int32_t row_m = -1, row_offset = 0;
  sparse_conv_loop(p, mask, values, scratch, max_row_nnz,
                   [&](int32_t m, int32_t yi, int32_t nnz, const int8_t* w, const int32_t* off, const int32_t* tap,
                       int32_t base, bool interior, const SparseTaps& taps, const int32_t lo[3], const int32_t hi[3]) {
                     if (m != row_m) {
                       int32_t sum = 0;
                       for (int32_t i = 0; i < nnz; ++i) sum += w[i];
                       row_offset = sum * q.input_offset;
                       row_m = m;
                     }
                     int32_t acc = 0;
                     const X* xb = x + base;
                     if (interior) {
                       for (int32_t i = 0; i < nnz; ++i)
                         acc += static_cast<int32_t>(xb[off[i]]) * static_cast<int32_t>(w[i]);
                       acc += row_offset;
                     } else {
                       uint8_t valid[kMaxSparseTaps];
                       sparse_valid_taps(taps, ksize_of(p), lo, hi, valid);
                       for (int32_t i = 0; i < nnz; ++i)
                         if (valid[tap[i]])
                           acc += (static_cast<int32_t>(xb[off[i]]) + q.input_offset) * static_cast<int32_t>(w[i]);
                     }
                     acc = multiply_by_quantized_multiplier(acc + (bias ? bias[m] : 0), multiplier[m], shift[m]) +
                           q.output_offset;
                     y[yi] = static_cast<X>(clamp_i32(acc, q.act_min, q.act_max));
                   });
}

// Float convolution on sparse weights: conv (conv.h) with W encoded (a fused
// activation runs after it, as after conv).
inline void conv_sparse_f32(const ConvParams& p, const float* x, const uint8_t* mask, const float* values,
                            const float* bias, int32_t max_row_nnz, int32_t* scratch, float* y) {
  sparse_conv_loop(p, mask, values, scratch, max_row_nnz,
                   [&](int32_t m, int32_t yi, int32_t nnz, const float* w, const int32_t* off, const int32_t* tap,
                       int32_t base, bool interior, const SparseTaps& taps, const int32_t lo[3], const int32_t hi[3]) {
                     float acc = bias ? bias[m] : 0.0f;
                     const float* xb = x + base;
                     if (interior) {
                       for (int32_t i = 0; i < nnz; ++i) acc += xb[off[i]] * w[i];
                     } else {
                       uint8_t valid[kMaxSparseTaps];
                       sparse_valid_taps(taps, ksize_of(p), lo, hi, valid);
                       for (int32_t i = 0; i < nnz; ++i)
                         if (valid[tap[i]]) acc += xb[off[i]] * w[i];
                     }
                     y[yi] = acc;
                   });
}

// int8 fully connected layer on sparse weights: qgemm (int8_conv.h) with
// p.batch == 1 and B encoded as [N, K] rows. `bias` (never nullptr) already
// holds bias[j] + input_offset * sum_k B[j][k] (the compiler folds it, as
// TFLite does), so the loop is one multiply-accumulate per nonzero weight.
template <class X>
inline void qgemm_sparse(const QuantGemmParams& p, const QuantConvParams& q, const X* a, const uint8_t* mask,
                         const int8_t* values, const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
                         X* y) {
  const int32_t mask_bytes = (p.K + 7) / 8;
  for (int32_t i = 0; i < p.M; ++i) {
    const X* ar = a + i * p.K;
    const int8_t* v = values;
    const uint8_t* mr = mask;
    for (int32_t j = 0; j < p.N; ++j) {
      int32_t acc = bias[j];
      for (int32_t b = 0; b < mask_bytes; ++b, ++mr) {
        const X* ab = ar + b * 8;
        for (uint32_t bits = *mr; bits; bits &= bits - 1u)
          acc += static_cast<int32_t>(ab[sparse_ctz8(bits)]) * static_cast<int32_t>(*v++);
      }
      acc = multiply_by_quantized_multiplier(acc, multiplier[j], shift[j]) + q.output_offset;
      y[i * p.N + j] = static_cast<X>(clamp_i32(acc, q.act_min, q.act_max));
    }
  }
}

// Float fully connected layer on sparse weights: Y[M,N] = A[M,K] B^T + bias
// (bias per column, may be nullptr).
struct SparseGemmParams {
  static constexpr const char* kName = "emlc::rt::SparseGemmParams";
  int32_t M, N, K;
  template <class V> void fields(V& v) const { v(M, N, K); }
};

inline void gemm_sparse_f32(const SparseGemmParams& p, const float* a, const uint8_t* mask, const float* values,
                            const float* bias, float* y) {
  const int32_t mask_bytes = (p.K + 7) / 8;
  for (int32_t i = 0; i < p.M; ++i) {
    const float* ar = a + i * p.K;
    const float* v = values;
    const uint8_t* mr = mask;
    for (int32_t j = 0; j < p.N; ++j) {
      float acc = bias ? bias[j] : 0.0f;
      for (int32_t b = 0; b < mask_bytes; ++b, ++mr) {
        const float* ab = ar + b * 8;
        for (uint32_t bits = *mr; bits; bits &= bits - 1u) acc += ab[sparse_ctz8(bits)] * *v++;
      }
      y[i * p.N + j] = acc;
    }
  }
}

}  // namespace rt
}  // namespace emlc

#endif
