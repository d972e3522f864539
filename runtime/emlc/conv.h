// emlc runtime: direct convolution and transposed convolution (1-D to 3-D).
//
// Layout is ONNX's: X is (N, C, [D,] [H,] W), Conv weights are
// (M, C/group, kD, kH, kW), ConvTranspose weights are (C, M/group, kD, kH, kW).
// The compiler maps 1-D and 2-D convolutions onto the 3-D iteration space by
// giving the missing leading spatial dims size 1 (kernel 1, stride 1,
// dilation 1, pad 0), so one kernel serves every rank.
//
// Padding is never materialised: for every kernel tap the kernels compute
// the range of output (Conv) or input (ConvTranspose) positions whose partner
// lies inside the tensor, and loop over that range only. No scratch memory.
#ifndef EMLC_RUNTIME_CONV_H
#define EMLC_RUNTIME_CONV_H

#include "common.h"
#include "matmul.h"  // mul_add

namespace emlc {
namespace rt {

// Geometry of a convolution, all computed by the compiler. For Conv, `in`
// is X and `out` is Y; ConvTranspose uses the same fields with the same
// meaning (in_dims are X's spatial dims, out_dims Y's). pads are the
// begin pads only (end pads are implied by out_dims); ConvTranspose pads may
// be negative (output_shape larger than the natural size).
struct ConvParams {
  static constexpr const char* kName = "emlc::rt::ConvParams";
  int32_t batch;
  int32_t in_channels;   // C
  int32_t out_channels;  // M
  int32_t group;
  int32_t in_dims[3];    // D, H, W (1 for absent spatial dims)
  int32_t out_dims[3];
  int32_t kernel[3];
  int32_t strides[3];
  int32_t dilations[3];
  int32_t pads[3];
  template <class V> void fields(V& v) const {
    v(batch, in_channels, out_channels, group, in_dims, out_dims, kernel, strides, dilations, pads);
  }
};

// [*lo, *hi): the i in [0, count) with 0 <= i * step + off < limit (step > 0).
inline void conv_valid_range(int32_t limit, int32_t count, int32_t step, int32_t off, int32_t* lo,
                             int32_t* hi) {
  int32_t l = off >= 0 ? 0 : (-off + step - 1) / step;
  int32_t h = limit - 1 - off < 0 ? 0 : (limit - 1 - off) / step + 1;
  if (h > count) h = count;
  if (l > h) l = h;
  *lo = l;
  *hi = h;
}

// The direct convolution behind conv() and conv_integer(): Y = conv(X - x_zp,
// W - w_zp) + B with accumulator/output type A. Zero points are used only
// for integer A (x_zp: one value or nullptr; w_zp: one value or one per
// output channel, or nullptr); bias may be nullptr.
//
// For every output channel and output row, the row starts at the bias and
// accumulates every kernel tap of every input channel of the group; the
// innermost loop runs over the row's output x positions that see real input.
// Skipping padded positions is the same as padding with the zero point.
template <class X, class W, class A>
inline void conv_direct(const ConvParams& p, const X* x, const W* w, const A* bias, A* y, const X* x_zp,
                        const W* w_zp, int32_t w_zp_per_channel) {
  constexpr bool kInteger = std::is_integral<A>::value;
  const int32_t ID = p.in_dims[0], IH = p.in_dims[1], IW = p.in_dims[2];
  const int32_t OD = p.out_dims[0], OH = p.out_dims[1], OW = p.out_dims[2];
  const int32_t KD = p.kernel[0], KH = p.kernel[1], KW = p.kernel[2];
  const int32_t SD = p.strides[0], SH = p.strides[1], SW = p.strides[2];
  const int32_t DD = p.dilations[0], DH = p.dilations[1], DW = p.dilations[2];
  const int32_t PD = p.pads[0], PH = p.pads[1], PW = p.pads[2];
  const int32_t cg = p.in_channels / p.group;  // input channels per group
  const int32_t mg = p.out_channels / p.group; // output channels per group
  const int32_t in_plane = ID * IH * IW;
  const int32_t out_plane = OD * OH * OW;
  const int32_t ksize = KD * KH * KW;
  const A xz = kInteger && x_zp ? static_cast<A>(*x_zp) : A(0);

  for (int32_t n = 0; n < p.batch; ++n) {
    for (int32_t m = 0; m < p.out_channels; ++m) {
      const int32_t g = m / mg;
      const X* xg = x + (n * p.in_channels + g * cg) * in_plane;
      const W* wm = w + m * cg * ksize;
      A* ym = y + (n * p.out_channels + m) * out_plane;
      const A b = bias ? bias[m] : A(0);
      const A wz = kInteger && w_zp ? static_cast<A>(w_zp[w_zp_per_channel ? m : 0]) : A(0);
      for (int32_t od = 0; od < OD; ++od) {
        int32_t kd_lo, kd_hi;
        conv_valid_range(ID, KD, DD, od * SD - PD, &kd_lo, &kd_hi);
        for (int32_t oh = 0; oh < OH; ++oh) {
          int32_t kh_lo, kh_hi;
          conv_valid_range(IH, KH, DH, oh * SH - PH, &kh_lo, &kh_hi);
          A* row = ym + (od * OH + oh) * OW;
          fill(row, OW, b);
          for (int32_t kd = kd_lo; kd < kd_hi; ++kd) {
            const int32_t id = od * SD - PD + kd * DD;
            for (int32_t kh = kh_lo; kh < kh_hi; ++kh) {
              const int32_t ih = oh * SH - PH + kh * DH;
              const int32_t x_row = (id * IH + ih) * IW;
              const int32_t w_tap = (kd * KH + kh) * KW;
              for (int32_t kw = 0; kw < KW; ++kw) {
                // Output x positions whose input x = ow * SW + off is inside.
                const int32_t off = kw * DW - PW;
                int32_t lo, hi;
                conv_valid_range(IW, OW, SW, off, &lo, &hi);
                if (lo >= hi) continue;
                const int32_t cnt = hi - lo;
                A* yp = row + lo;
                for (int32_t c = 0; c < cg; ++c) {
                  const X* xp = xg + c * in_plane + x_row + lo * SW + off;
                  if constexpr (kInteger) {
                    const A wv = static_cast<A>(static_cast<A>(wm[c * ksize + w_tap + kw]) - wz);
                    for (int32_t i = 0; i < cnt; ++i)
                      yp[i] = mul_add(yp[i], wv, static_cast<A>(static_cast<A>(xp[i * SW]) - xz));
                  } else {
                    const A wv = wm[c * ksize + w_tap + kw];
                    if (SW == 1) {
                      for (int32_t i = 0; i < cnt; ++i) yp[i] += wv * xp[i];
                    } else {
                      for (int32_t i = 0; i < cnt; ++i) yp[i] += wv * xp[i * SW];
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

// Y = conv(X, W) + B (Conv). `bias` may be nullptr.
template <class T>
inline void conv(const ConvParams& p, const T* x, const T* w, const T* bias, T* y) {
  conv_direct<T, T, T>(p, x, w, bias, y, nullptr, nullptr, 0);
}

// Y = conv(X - x_zp, W - w_zp) in int32 (ConvInteger). x_zp and w_zp may be
// nullptr (zero); w_zp has one value per output channel if
// w_zp_per_channel, else one.
template <class X, class W>
inline void conv_integer(const ConvParams& p, const X* x, const W* w, const X* x_zp, const W* w_zp,
                         int32_t w_zp_per_channel, int32_t* y) {
  conv_direct<X, W, int32_t>(p, x, w, nullptr, y, x_zp, w_zp, w_zp_per_channel);
}

// Y = conv_transpose(X, W) + B. `bias` may be nullptr.
//
// Scatter form: every output channel's plane starts at the bias; then each
// input element of each input channel of the group adds its weighted kernel
// footprint. Output position = input position * stride + tap * dilation - pad;
// the loops only visit input positions whose output lands inside Y.
template <class T>
inline void conv_transpose(const ConvParams& p, const T* x, const T* w, const T* bias, T* y) {
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
      const int32_t g = m / mg;
      const int32_t mo = m - g * mg;  // index within the group
      T* ym = y + (n * p.out_channels + m) * out_plane;
      fill(ym, out_plane, bias ? bias[m] : T(0));
      for (int32_t c = 0; c < cg; ++c) {
        const int32_t ic = g * cg + c;
        const T* xc = x + (n * p.in_channels + ic) * in_plane;
        const T* wc = w + (ic * mg + mo) * ksize;
        for (int32_t kd = 0; kd < KD; ++kd) {
          const int32_t offd = kd * DD - PD;
          int32_t id_lo, id_hi;
          conv_valid_range(OD, ID, SD, offd, &id_lo, &id_hi);
          for (int32_t kh = 0; kh < KH; ++kh) {
            const int32_t offh = kh * DH - PH;
            int32_t ih_lo, ih_hi;
            conv_valid_range(OH, IH, SH, offh, &ih_lo, &ih_hi);
            for (int32_t kw = 0; kw < KW; ++kw) {
              const int32_t offw = kw * DW - PW;
              int32_t iw_lo, iw_hi;
              conv_valid_range(OW, IW, SW, offw, &iw_lo, &iw_hi);
              if (iw_lo >= iw_hi) continue;
              const T wv = wc[(kd * KH + kh) * KW + kw];
              for (int32_t id = id_lo; id < id_hi; ++id) {
                const int32_t od = id * SD + offd;
                for (int32_t ih = ih_lo; ih < ih_hi; ++ih) {
                  const int32_t oh = ih * SH + offh;
                  const T* xr = xc + (id * IH + ih) * IW + iw_lo;
                  T* yr = ym + (od * OH + oh) * OW + iw_lo * SW + offw;
                  for (int32_t i = 0; i < iw_hi - iw_lo; ++i) yr[i * SW] += wv * xr[i];
                }
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace rt
}  // namespace emlc

#endif
