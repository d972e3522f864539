// emlc runtime: int8 convolution and fully connected (matrix) kernels, the
// reference definition of their arithmetic.
//
// Layout is the ONNX model's: X (N, C, [D,] [H,] W), W (M, C/group, k...),
// exactly as the float conv (conv.h, whose ConvParams describe the geometry:
// 1-D and 2-D convolutions are 3-D ones with leading size-1 axes). Depthwise
// and pointwise convolutions are the group = C and 1x1 cases of the same
// kernel.
//
// Arithmetic (TFLite's CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED):
//   acc = bias[m] + sum over taps inside the input of
//         (x + input_offset) * (w + weight_offset)
//   y   = clamp(multiply_by_quantized_multiplier(acc, multiplier[m], shift[m])
//               + output_offset, act_min, act_max)
// input_offset = -x_zero_point, weight_offset = -w_zero_point (0 for the
// symmetric int8 weights TFLite uses), output_offset = y_zero_point.
// Padding taps are skipped, which is padding with the real value 0. One
// multiplier/shift per output channel (the compiler repeats a per-tensor
// one); act_min/act_max hold the fused activation (Relu, Clip) and the
// element type's range.
//
// X, W are int8_t or uint8_t (uint8 for ONNX QLinearConv/QLinearMatMul
// models); Y has X's type.
#ifndef EMLC_RUNTIME_INT8_CONV_H
#define EMLC_RUNTIME_INT8_CONV_H

#include "common.h"
#include "conv.h"
#include "int8_common.h"

namespace emlc {
namespace rt {

struct QuantConvParams {
  static constexpr const char* kName = "emlc::rt::QuantConvParams";
  int32_t input_offset;   // -x zero point
  int32_t weight_offset;  // -w zero point
  int32_t output_offset;  // y zero point
  int32_t act_min;        // output clamp (fused activation and type range)
  int32_t act_max;
  template <class V> void fields(V& v) const { v(input_offset, weight_offset, output_offset, act_min, act_max); }
};

// Y = requantise(conv(X, W) + B). bias may be nullptr; multiplier and shift
// have one entry per output channel.
template <class X, class W>
inline void qconv(const ConvParams& p, const QuantConvParams& q, const X* x, const W* w, const int32_t* bias,
                  const int32_t* multiplier, const int32_t* shift, X* y) {
  const int32_t ID = p.in_dims[0], IH = p.in_dims[1], IW = p.in_dims[2];
  const int32_t OD = p.out_dims[0], OH = p.out_dims[1], OW = p.out_dims[2];
  const int32_t KD = p.kernel[0], KH = p.kernel[1], KW = p.kernel[2];
  const int32_t SD = p.strides[0], SH = p.strides[1], SW = p.strides[2];
  const int32_t DD = p.dilations[0], DH = p.dilations[1], DW = p.dilations[2];
  const int32_t PD = p.pads[0], PH = p.pads[1], PW = p.pads[2];
  const int32_t cg = p.in_channels / p.group;
  const int32_t mg = p.out_channels / p.group;
  const int32_t in_plane = ID * IH * IW;
  const int32_t out_plane = OD * OH * OW;
  const int32_t ksize = KD * KH * KW;

  for (int32_t n = 0; n < p.batch; ++n) {
    for (int32_t m = 0; m < p.out_channels; ++m) {
      const X* xg = x + (n * p.in_channels + (m / mg) * cg) * in_plane;
      const W* wm = w + m * cg * ksize;
      X* ym = y + (n * p.out_channels + m) * out_plane;
      const int32_t b = bias ? bias[m] : 0;
      const int32_t mult = multiplier[m], sh = shift[m];
      for (int32_t od = 0; od < OD; ++od) {
        int32_t kd_lo, kd_hi;
        conv_valid_range(ID, KD, DD, od * SD - PD, &kd_lo, &kd_hi);
        for (int32_t oh = 0; oh < OH; ++oh) {
          int32_t kh_lo, kh_hi;
          conv_valid_range(IH, KH, DH, oh * SH - PH, &kh_lo, &kh_hi);
          for (int32_t ow = 0; ow < OW; ++ow) {
            const int32_t x0 = ow * SW - PW;  // input x of tap kw = 0
            int32_t kw_lo, kw_hi;
            conv_valid_range(IW, KW, DW, x0, &kw_lo, &kw_hi);
            int32_t acc = 0;
            for (int32_t c = 0; c < cg; ++c) {
              const X* xc = xg + c * in_plane;
              const W* wc = wm + c * ksize;
              for (int32_t kd = kd_lo; kd < kd_hi; ++kd) {
                const int32_t id = od * SD - PD + kd * DD;
                for (int32_t kh = kh_lo; kh < kh_hi; ++kh) {
                  const int32_t ih = oh * SH - PH + kh * DH;
                  const X* xr = xc + (id * IH + ih) * IW;
                  const W* wr = wc + (kd * KH + kh) * KW;
                  for (int32_t kw = kw_lo; kw < kw_hi; ++kw)
                    acc += (static_cast<int32_t>(xr[x0 + kw * DW]) + q.input_offset) *
                           (static_cast<int32_t>(wr[kw]) + q.weight_offset);
                }
              }
            }
            acc = multiply_by_quantized_multiplier(acc + b, mult, sh) + q.output_offset;
            ym[(od * OH + oh) * OW + ow] = static_cast<X>(clamp_i32(acc, q.act_min, q.act_max));
          }
        }
      }
    }
  }
}

// Matrix geometry of qgemm: `batch` products Y[M,N] = A[M,K] * op(B), with
// op(B) = B^T when b_trans (B stored [N,K], a fully connected layer's
// weights) else B ([K,N]). Batch strides are in elements (0 broadcasts).
struct QuantGemmParams {
  static constexpr const char* kName = "emlc::rt::QuantGemmParams";
  int32_t batch;
  int32_t M, N, K;
  int32_t b_trans;
  int32_t a_batch_stride, b_batch_stride, y_batch_stride;
  template <class V> void fields(V& v) const {
    v(batch, M, N, K, b_trans, a_batch_stride, b_batch_stride, y_batch_stride);
  }
};

// Y = requantise(A * op(B) + bias) with QuantConvParams' offsets and clamp;
// bias (one per column n) may be nullptr; multiplier/shift have N entries.
template <class X, class W>
inline void qgemm(const QuantGemmParams& p, const QuantConvParams& q, const X* a, const W* b, const int32_t* bias,
                  const int32_t* multiplier, const int32_t* shift, X* y) {
  const int32_t bk = p.b_trans ? 1 : p.N;  // B's stride along k
  const int32_t bn = p.b_trans ? p.K : 1;  // and along n
  for (int32_t t = 0; t < p.batch; ++t) {
    const X* at = a + t * p.a_batch_stride;
    const W* bt = b + t * p.b_batch_stride;
    X* yt = y + t * p.y_batch_stride;
    for (int32_t i = 0; i < p.M; ++i) {
      const X* ar = at + i * p.K;
      for (int32_t j = 0; j < p.N; ++j) {
        const W* bc = bt + j * bn;
        int32_t acc = 0;
        for (int32_t k = 0; k < p.K; ++k)
          acc += (static_cast<int32_t>(ar[k]) + q.input_offset) * (static_cast<int32_t>(bc[k * bk]) + q.weight_offset);
        if (bias) acc += bias[j];
        acc = multiply_by_quantized_multiplier(acc, multiplier[j], shift[j]) + q.output_offset;
        yt[i * p.N + j] = static_cast<X>(clamp_i32(acc, q.act_min, q.act_max));
      }
    }
  }
}

}  // namespace rt
}  // namespace emlc

#endif
