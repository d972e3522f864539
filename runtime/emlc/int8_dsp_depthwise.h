// emlc runtime: int8 depthwise convolutions for Cortex-M cores with the DSP
// extension (--target cortex-m4|cortex-m7|cortex-m33): 3x3 and any other
// kernel size with dilation 1. The primitives, the requantisation policies
// (the kernels' RQ) and the contract (the reference kernels' bytes) are
// int8_dsp.h's.
#ifndef EMLC_RUNTIME_INT8_DSP_DEPTHWISE_H
#define EMLC_RUNTIME_INT8_DSP_DEPTHWISE_H

#include "int8_dsp.h"

namespace emlc {
namespace rt {
namespace dsp {

// Rows ih0 .. ih0 + rows - 1 of one channel (xc points at column -PW of
// row 0) into int16 rows wp apart, input offset added, columns [lo, hi);
// rows outside the input are zeros (the padding columns stay as they are).
inline void fill_rows(const int8_t* xc, int32_t IH, int32_t IW, int32_t ih0, int32_t rows, int32_t input_offset,
                      int32_t lo, int32_t hi, int32_t wp, int16_t* scratch) {
  for (int32_t i = 0; i < rows; ++i) {
    int16_t* r = scratch + i * wp;
    const int32_t ih = ih0 + i;
    if (ih < 0 || ih >= IH) {
      for (int32_t j = lo; j < hi; ++j) r[j] = 0;
    } else {
      const int8_t* xr = xc + ih * IW;
      for (int32_t j = lo; j < hi; ++j) r[j] = static_cast<int16_t>(xr[j] + input_offset);
    }
  }
}

}  // namespace dsp

// Depthwise 3x3 convolution (group == in_channels == out_channels, kernel
// 3x3, dilation 1, any stride and padding, 2-D) of int8 tensors.
// w_packed: per channel and kernel row, the words (w0, w1) as int16 pairs
// and w2 (6 int32 per channel). scratch: dsp_dw_scratch(p) int16 holding a
// block of input rows of one channel with the offset added and zero columns
// where the taps read padding, for dsp_dw_block(p) output rows at a time.
constexpr int32_t kDwScratchBytes = 1024;  // block buffer budget (at least three rows)
constexpr int32_t kDwRun = 64;             // outputs summed before requantising them
inline int32_t dsp_dw_row(const ConvParams& p) { return (p.out_dims[2] - 1) * p.strides[2] + 3; }
// Narrow outputs (three rows or more fit acc[]): a block's sums at once.
inline bool dsp_dw_narrow(const ConvParams& p) { return 3 * p.out_dims[2] <= kDwRun; }
inline int32_t dsp_dw_block(const ConvParams& p) {
  const int32_t rows = kDwScratchBytes / (2 * dsp_dw_row(p));
  int32_t r = rows < 3 ? 1 : (rows - 3) / p.strides[1] + 1;
  if (dsp_dw_narrow(p) && r > kDwRun / p.out_dims[2]) r = kDwRun / p.out_dims[2];  // a block's sums fit acc[]
  return r < p.out_dims[1] ? r : p.out_dims[1];
}
inline int32_t dsp_dw_scratch(const ConvParams& p) { return ((dsp_dw_block(p) - 1) * p.strides[1] + 3) * dsp_dw_row(p); }

template <class RQ>
inline void qdepthwise3x3_dsp(const ConvParams& p, const QuantConvParams& q, const int8_t* x, const int32_t* w_packed,
                              const int32_t* bias, const int32_t* requant, int8_t* y,
                              int16_t* scratch) {
  const int32_t IH = p.in_dims[1], IW = p.in_dims[2], OH = p.out_dims[1], OW = p.out_dims[2];
  const int32_t SH = p.strides[1], SW = p.strides[2], PH = p.pads[1], PW = p.pads[2];
  const int32_t wp = dsp_dw_row(p), R = dsp_dw_block(p);
  const int32_t C = p.out_channels;
  const int32_t lo = PW < wp ? PW : wp;            // buffer columns [0, lo): left padding
  const int32_t hi = IW + PW < wp ? IW + PW : wp;  // [hi, wp): right padding
  const int32_t total = dsp_dw_scratch(p);
  const dsp::OutputClamp oc = dsp::output_clamp(q);
  const bool narrow = dsp_dw_narrow(p);
  for (int32_t j = 0; j < total; ++j) scratch[j] = 0;  // the padding columns stay zero
  for (int32_t n = 0; n < p.batch; ++n) {
    for (int32_t c = 0; c < C; ++c) {
      const int8_t* xc = x + (n * C + c) * IH * IW - PW;
      int8_t* yc = y + (n * C + c) * OH * OW;
      const int32_t* wc = w_packed + 6 * c;
      const int32_t w01a = wc[0], w2a = wc[1], w01b = wc[2], w2b = wc[3], w01c = wc[4], w2c = wc[5];
      const int32_t b = bias ? bias[c] : 0;
      const typename RQ::Entry rq = RQ::entry(requant + dsp::kRequantStride * c);
      for (int32_t oh0 = 0; oh0 < OH; oh0 += R) {
        const int32_t rows_out = OH - oh0 < R ? OH - oh0 : R;
        const int32_t ih0 = oh0 * SH - PH;
        dsp::fill_rows(xc, IH, IW, ih0, (rows_out - 1) * SH + 3, q.input_offset, lo, hi, wp, scratch);
        if (narrow) {
          // All rows of the block: sums, then one requantisation loop over
          // the block's outputs (contiguous in y).
          int32_t acc[kDwRun];
          int32_t* a = acc;
          for (int32_t o = 0; o < rows_out; ++o) {
            const int16_t* r0 = scratch + o * SH * wp;
            for (int32_t ow = 0; ow < OW; ++ow, r0 += SW) {
              int32_t s = dsp::smlad(dsp::load32(r0), w01a, b + r0[2] * w2a);
              s = dsp::smlad(dsp::load32(r0 + wp), w01b, s + r0[wp + 2] * w2b);
              *a++ = dsp::smlad(dsp::load32(r0 + 2 * wp), w01c, s + r0[2 * wp + 2] * w2c);
            }
          }
          int8_t* yb = yc + oh0 * OW;
          const int32_t n_out = rows_out * OW;
          for (int32_t i = 0; i < n_out; ++i) yb[i] = RQ::out(acc[i], rq, oc);
          continue;
        }
        for (int32_t o = 0; o < rows_out; ++o) {
          const int16_t* row = scratch + o * SH * wp;
          int8_t* yr = yc + (oh0 + o) * OW;
          for (int32_t ow0 = 0; ow0 < OW; ow0 += kDwRun) {
            const int32_t run = OW - ow0 < kDwRun ? OW - ow0 : kDwRun;
            int32_t acc[kDwRun];
            const int16_t* r0 = row + ow0 * SW;
            for (int32_t i = 0; i < run; ++i) {
              int32_t a = dsp::smlad(dsp::load32(r0), w01a, b + r0[2] * w2a);
              a = dsp::smlad(dsp::load32(r0 + wp), w01b, a + r0[wp + 2] * w2b);
              acc[i] = dsp::smlad(dsp::load32(r0 + 2 * wp), w01c, a + r0[2 * wp + 2] * w2c);
              r0 += SW;
            }
            for (int32_t i = 0; i < run; ++i) yr[ow0 + i] = RQ::out(acc[i], rq, oc);
          }
        }
      }
    }
  }
}

// Depthwise convolution of any kernel size (group == in_channels ==
// out_channels, dilation 1, any stride and padding, 2-D; 3x3 has its own
// kernel above) of int8 tensors. w_packed: per channel and kernel row,
// dsp_dwg_pairs(p) words of int16 pairs (w[kw], w[kw + 1]), an odd last
// tap paired with 0. scratch: dsp_dwg_scratch(p) int16, a block of padded
// input rows of one channel (offset added, zeros for padding), each
// dsp_dwg_row(p) wide (one spare zero column for the odd tap's pair).
inline int32_t dsp_dwg_pairs(const ConvParams& p) { return (p.kernel[2] + 1) / 2; }
inline int32_t dsp_dwg_row(const ConvParams& p) { return (p.out_dims[2] - 1) * p.strides[2] + 2 * dsp_dwg_pairs(p); }
inline int32_t dsp_dwg_block(const ConvParams& p) {
  const int32_t rows = kDwScratchBytes / (2 * dsp_dwg_row(p));
  const int32_t r = rows < p.kernel[1] ? 1 : (rows - p.kernel[1]) / p.strides[1] + 1;
  return r < p.out_dims[1] ? r : p.out_dims[1];
}
inline int32_t dsp_dwg_scratch(const ConvParams& p) {
  return ((dsp_dwg_block(p) - 1) * p.strides[1] + p.kernel[1]) * dsp_dwg_row(p);
}

template <class RQ>
inline void qdepthwise_dsp(const ConvParams& p, const QuantConvParams& q, const int8_t* x, const int32_t* w_packed,
                           const int32_t* bias, const int32_t* requant, int8_t* y, int16_t* scratch) {
  const int32_t IH = p.in_dims[1], IW = p.in_dims[2], OH = p.out_dims[1], OW = p.out_dims[2];
  const int32_t SH = p.strides[1], SW = p.strides[2], PH = p.pads[1], PW = p.pads[2];
  const int32_t KH = p.kernel[1], KP = dsp_dwg_pairs(p);
  const int32_t wp = dsp_dwg_row(p), R = dsp_dwg_block(p), C = p.out_channels;
  const int32_t lo = PW < wp ? PW : wp;            // buffer columns [0, lo): left padding
  const int32_t hi = IW + PW < wp ? IW + PW : wp;  // [hi, wp): right padding
  const dsp::OutputClamp oc = dsp::output_clamp(q);
  const int32_t total = dsp_dwg_scratch(p);
  for (int32_t j = 0; j < total; ++j) scratch[j] = 0;  // the padding columns stay zero
  for (int32_t n = 0; n < p.batch; ++n) {
    for (int32_t c = 0; c < C; ++c) {
      const int8_t* xc = x + (n * C + c) * IH * IW - PW;
      int8_t* yc = y + (n * C + c) * OH * OW;
      const int32_t* wc = w_packed + KH * KP * c;
      const int32_t b = bias ? bias[c] : 0;
      const typename RQ::Entry rq = RQ::entry(requant + dsp::kRequantStride * c);
      for (int32_t oh0 = 0; oh0 < OH; oh0 += R) {
        const int32_t rows_out = OH - oh0 < R ? OH - oh0 : R;
        const int32_t ih0 = oh0 * SH - PH;
        dsp::fill_rows(xc, IH, IW, ih0, (rows_out - 1) * SH + KH, q.input_offset, lo, hi, wp, scratch);
        for (int32_t o = 0; o < rows_out; ++o) {
          int8_t* yr = yc + (oh0 + o) * OW;
          for (int32_t ow = 0; ow < OW; ++ow) {
            int32_t a = b;
            const int32_t* w = wc;
            for (int32_t kh = 0; kh < KH; ++kh) {
              const int16_t* r = scratch + (o * SH + kh) * wp + ow * SW;
              for (int32_t j = 0; j < KP; ++j) a = dsp::smlad(dsp::load32(r + 2 * j), *w++, a);
            }
            yr[ow] = RQ::out(a, rq, oc);
          }
        }
      }
    }
  }
}

}  // namespace rt
}  // namespace emlc

#endif
