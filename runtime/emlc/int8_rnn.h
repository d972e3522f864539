// emlc runtime: int8 recurrent layers (ONNX RNN, GRU, LSTM with int8
// weights and inputs, int16 state). Created by the int8 lowering as
// emlc.QRNN / emlc.QGRU / emlc.QLSTM (compiler/ops/qrnn.cpp).
//
// Number formats (real value = raw * 2^-fraction_bits):
//   X            int8, per-tensor scale s_x and zero point z_x
//   W, R         int8, symmetric, one scale per gate row (or one per tensor)
//   gate pre-activations   int32 in units of 2^-12 (Q.12), saturated to int16
//                (Q3.12, [-8, 8)) only where they enter a nonlinearity
//   nonlinearity outputs, hidden state h   int16 Q0.15 ([-1, 1))
//   LSTM cell state c      int16 Q4.11 ([-16, 16))
//   Y, Y_h, Y_c  int8 with their own scale and zero point
//
// One step, for each gate row j (G = 1, 3, 4 gates of H rows each):
//   gx[j] = M_x[j] * (xbias[j] + sum_k W[j,k] * x[k])    (xbias folds -z_x * sum_k W[j,k]
//                                                          and Wb / (s_x s_w[j]))
//   gh[j] = M_h[j] * (hbias[j] + sum_k R[j,k] * h[k])    (hbias = Rb / (2^-15 s_r[j]))
// with the multipliers M_x = s_x s_w[j] / 2^-12, M_h = 2^-15 s_r[j] / 2^-12
// applied as TFLite's quantized multipliers (int8_common.h). The
// nonlinearities are tables of 257 int16 values (Q0.15) over [-8, 8] in steps
// of 1/16, linearly interpolated: the compiler fills them from the op's
// activation functions (with clip), so any bounded activation costs the same.
// Then, as the float kernels in rnn.h (gate order GRU z, r, h; LSTM i, o, f, c):
//   RNN   h = f(gx + gh)
//   GRU   z = f(.), r = f(.); n = g(gx_n + r (.) gh_n)        linear_before_reset
//                            n = g(gx_n + M_h (hbias_n + R_n (r (.) h)))  otherwise
//         h = n + z (.) (h - n)
//   LSTM  i = f(.), f = f(.) (or 1 - i), o = f(.), c = f (.) c + i (.) g(.),
//         h = o (.) h(c)
// Products of Q0.15 values round half up (add 2^14, shift right by 15).
//
// The state of a sequence starts from state_h/state_c (int16, the streaming
// state) when given, else from initial_h/initial_c (int8, converted with
// their multipliers), else zero. state_h_out/state_c_out receive the final
// state (zero for an empty sequence, like Y_h).
//
// Scratch: qrnn_scratch_elems(kind, hidden) int32 values.
#ifndef EMLC_RUNTIME_INT8_RNN_H
#define EMLC_RUNTIME_INT8_RNN_H

#include "int8_common.h"
#include "rnn.h"

namespace emlc {
namespace rt {

constexpr int32_t kQRnnTableSize = 257;   // entries per nonlinearity table
constexpr int32_t kQRnnGateBits = 12;     // fraction bits of gate pre-activations
constexpr int32_t kQRnnStateBits = 15;    // fraction bits of h and nonlinearity outputs
constexpr int32_t kQRnnCellBits = 11;     // fraction bits of the LSTM cell state

struct QuantRnnParams {
  static constexpr const char* kName = "emlc::rt::QuantRnnParams";
  int32_t kind;                 // kRnnKindRnn, kRnnKindGru, kRnnKindLstm
  int32_t seq_length, batch, input, hidden;
  int32_t directions, reverse, layout, linear_before_reset, input_forget;  // as RnnParams
  int32_t y_zero_point, y_mult, y_shift;     // Y, Y_h: h (Q0.15) -> int8
  int32_t yh_zero_point, yh_mult, yh_shift;
  int32_t yc_zero_point, yc_mult, yc_shift;  // Y_c: c (Q4.11) -> int8
  int32_t h0_zero_point, h0_mult, h0_shift;  // initial_h (int8) -> Q0.15
  int32_t c0_zero_point, c0_mult, c0_shift;  // initial_c (int8) -> Q4.11
  template <class V> void fields(V& v) const {
    v(kind, seq_length, batch, input, hidden, directions, reverse, layout, linear_before_reset, input_forget,
      y_zero_point, y_mult, y_shift, yh_zero_point, yh_mult, yh_shift, yc_zero_point, yc_mult, yc_shift,
      h0_zero_point, h0_mult, h0_shift, c0_zero_point, c0_mult, c0_shift);
  }
};

inline int32_t qrnn_scratch_elems(int32_t kind, int32_t hidden) {
  const int32_t gates = kind == kRnnKindRnn ? 1 : (kind == kRnnKindGru ? 3 : 4);
  return 2 * gates * hidden + 3 * hidden;
}

namespace qrnn_detail {

inline int32_t sat16(int32_t v) { return clamp_i32(v, -32768, 32767); }

// Table lookup with linear interpolation: v in Q.12 (saturated to Q3.12).
inline int32_t lookup(const int16_t* table, int32_t v) {
  const int32_t u = sat16(v) + 32768;  // 0 .. 65535
  const int32_t i = u >> 8, f = u & 255;
  const int32_t a = table[i], b = table[i + 1];
  return a + (((b - a) * f + 128) >> 8);
}

// round(a * b / 2^15) for Q0.15 products (ties toward +infinity).
inline int32_t mul15(int32_t a, int32_t b) {
  return static_cast<int32_t>((static_cast<int64_t>(a) * b + (int64_t{1} << 14)) >> 15);
}

inline int32_t to_int8(int32_t v, int32_t mult, int32_t shift, int32_t zero_point) {
  return clamp_i32(multiply_by_quantized_multiplier(v, mult, shift) + zero_point, -128, 127);
}

// out[j] = M[j] * (bias[j] + sum_k w[j, k] * v[k]) for j < rows.
template <class V>
inline void project(const int8_t* w, const V* v, int32_t rows, int32_t cols, const int32_t* bias,
                    const int32_t* mult, const int32_t* shift, int32_t* out) {
  for (int32_t j = 0; j < rows; ++j) {
    const int8_t* row = w + j * cols;
    int32_t acc = bias[j];
    for (int32_t k = 0; k < cols; ++k) acc += static_cast<int32_t>(row[k]) * static_cast<int32_t>(v[k]);
    out[j] = multiply_by_quantized_multiplier(acc, mult[j], shift[j]);
  }
}

}  // namespace qrnn_detail

// Per-row constants, all [directions * gates * hidden]: xbias, hbias (biases
// in accumulator units) and the multipliers (x_mult, x_shift), (h_mult,
// h_shift) of the two products. tables: [directions][3][257] int16 (slots
// f, g, h of each direction).
inline void qrecurrent(const QuantRnnParams& p, const int8_t* X, const int8_t* W, const int8_t* R,
                       const int32_t* xbias, const int32_t* hbias, const int32_t* x_mult, const int32_t* x_shift,
                       const int32_t* h_mult, const int32_t* h_shift, const int16_t* tables, const int32_t* seq_lens,
                       const int8_t* initial_h, const int8_t* initial_c, const int16_t* state_h,
                       const int16_t* state_c, int8_t* Y, int8_t* Y_h, int8_t* Y_c, int16_t* state_h_out,
                       int16_t* state_c_out, int32_t* scratch) {
  using qrnn_detail::lookup;
  using qrnn_detail::mul15;
  using qrnn_detail::sat16;
  const int32_t S = p.seq_length, N = p.batch, I = p.input, H = p.hidden, D = p.directions;
  const int32_t G = p.kind == kRnnKindRnn ? 1 : (p.kind == kRnnKindGru ? 3 : 4);
  const int32_t GH = G * H;
  const int32_t x_t = p.layout ? I : N * I, x_b = p.layout ? S * I : I;
  const int32_t y_t = p.layout ? D * H : D * N * H, y_d = p.layout ? H : N * H, y_b = p.layout ? S * D * H : H;
  const int32_t s_d = p.layout ? H : N * H, s_b = p.layout ? D * H : H;
  const int32_t one = int32_t{1} << kQRnnStateBits;
  int32_t* gx = scratch;
  int32_t* gh = gx + GH;
  int32_t* h = gh + GH;
  int32_t* c = h + H;
  int32_t* tmp = c + H;
  for (int32_t d = 0; d < D; ++d) {
    const bool backwards = D == 2 ? d == 1 : p.reverse != 0;
    const int8_t* Wd = W + d * GH * I;
    const int8_t* Rd = R + d * GH * H;
    const int32_t o = d * GH;
    const int16_t* tf = tables + d * 3 * kQRnnTableSize;
    const int16_t* tg = tf + kQRnnTableSize;
    const int16_t* th = tg + kQRnnTableSize;
    for (int32_t b = 0; b < N; ++b) {
      const int32_t so = d * s_d + b * s_b;
      for (int32_t j = 0; j < H; ++j) {
        if (state_h) h[j] = state_h[so + j];
        else if (initial_h)
          h[j] = sat16(multiply_by_quantized_multiplier(initial_h[so + j] - p.h0_zero_point, p.h0_mult, p.h0_shift));
        else h[j] = 0;
        if (state_c) c[j] = state_c[so + j];
        else if (initial_c)
          c[j] = sat16(multiply_by_quantized_multiplier(initial_c[so + j] - p.c0_zero_point, p.c0_mult, p.c0_shift));
        else c[j] = 0;
      }
      int32_t len = seq_lens ? seq_lens[b] : S;
      len = len < 0 ? 0 : (len > S ? S : len);
      for (int32_t s = 0; s < len; ++s) {
        const int32_t t = backwards ? len - 1 - s : s;
        const int8_t* x = X + t * x_t + b * x_b;
        qrnn_detail::project(Wd, x, GH, I, xbias + o, x_mult + o, x_shift + o, gx);
        if (p.kind == kRnnKindRnn) {
          qrnn_detail::project(Rd, h, H, H, hbias + o, h_mult + o, h_shift + o, gh);
          for (int32_t j = 0; j < H; ++j) h[j] = lookup(tf, gx[j] + gh[j]);
        } else if (p.kind == kRnnKindGru) {
          // z and r (and the h row's R h when linear_before_reset).
          const int32_t hrows = p.linear_before_reset ? 3 * H : 2 * H;
          qrnn_detail::project(Rd, h, hrows, H, hbias + o, h_mult + o, h_shift + o, gh);
          int32_t* z = gx;
          int32_t* r = gx + H;
          for (int32_t j = 0; j < 2 * H; ++j) gx[j] = lookup(tf, gx[j] + gh[j]);
          int32_t* n = gx + 2 * H;
          if (p.linear_before_reset) {
            for (int32_t j = 0; j < H; ++j) n[j] = lookup(tg, n[j] + mul15(r[j], gh[2 * H + j]));
          } else {
            for (int32_t j = 0; j < H; ++j) tmp[j] = mul15(r[j], h[j]);
            qrnn_detail::project(Rd + 2 * H * H, tmp, H, H, hbias + o + 2 * H, h_mult + o + 2 * H,
                                 h_shift + o + 2 * H, gh + 2 * H);
            for (int32_t j = 0; j < H; ++j) n[j] = lookup(tg, n[j] + gh[2 * H + j]);
          }
          for (int32_t j = 0; j < H; ++j) h[j] = sat16(n[j] + mul15(z[j], h[j] - n[j]));
        } else {
          qrnn_detail::project(Rd, h, GH, H, hbias + o, h_mult + o, h_shift + o, gh);
          for (int32_t j = 0; j < H; ++j) {
            const int32_t i = lookup(tf, gx[j] + gh[j]);
            const int32_t og = lookup(tf, gx[H + j] + gh[H + j]);
            const int32_t fg = p.input_forget ? one - i : lookup(tf, gx[2 * H + j] + gh[2 * H + j]);
            const int32_t cc = lookup(tg, gx[3 * H + j] + gh[3 * H + j]);
            // f c (Q0.15 x Q4.11) + i g (Q0.15 x Q0.15), in units of 2^-26, to Q4.11.
            const int64_t sum = static_cast<int64_t>(fg) * c[j] +
                                ((static_cast<int64_t>(i) * cc + 8) >> (2 * kQRnnStateBits - 26));
            c[j] = sat16(static_cast<int32_t>((sum + (int64_t{1} << 14)) >> 15));
            // h(c): c in Q4.11 is 2 c in Q.12.
            h[j] = mul15(og, lookup(th, 2 * c[j]));
          }
        }
        if (Y)
          for (int32_t j = 0; j < H; ++j)
            Y[t * y_t + d * y_d + b * y_b + j] =
                static_cast<int8_t>(qrnn_detail::to_int8(h[j], p.y_mult, p.y_shift, p.y_zero_point));
      }
      if (Y)
        for (int32_t t = len; t < S; ++t)
          for (int32_t j = 0; j < H; ++j) Y[t * y_t + d * y_d + b * y_b + j] = static_cast<int8_t>(p.y_zero_point);
      for (int32_t j = 0; j < H; ++j) {
        const int32_t hj = len > 0 ? h[j] : 0, cj = len > 0 ? c[j] : 0;
        if (Y_h) Y_h[so + j] = static_cast<int8_t>(qrnn_detail::to_int8(hj, p.yh_mult, p.yh_shift, p.yh_zero_point));
        if (Y_c) Y_c[so + j] = static_cast<int8_t>(qrnn_detail::to_int8(cj, p.yc_mult, p.yc_shift, p.yc_zero_point));
        if (state_h_out) state_h_out[so + j] = static_cast<int16_t>(hj);
        if (state_c_out) state_c_out[so + j] = static_cast<int16_t>(cj);
      }
    }
  }
}

}  // namespace rt
}  // namespace emlc

#endif
