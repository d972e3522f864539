// emlc runtime: recurrent layers (ONNX RNN, GRU, LSTM), float and double.
//
// One loop shape serves the three ops: for every direction and batch entry,
// the state starts from initial_h/initial_c (zero if omitted) and one cell
// step runs per time step of that entry's sequence (forward, or backwards
// within the sequence's valid length for the reverse direction). Steps past
// a sequence length write zeros to Y; Y_h/Y_c get the last state (zero for
// an empty sequence, as ONNX Runtime does).
//
// Every cell computes, per step, gate pre-activations into scratch:
//   gates = W[d] x_t + Wb[d] + R[d] h + Rb[d]      (G * hidden rows)
// then applies the op's activations (inputs clipped to [-clip, clip] when
// clip > 0). Gate order is ONNX's: GRU z, r, h; LSTM i, o, f, c.
//
// Scratch: rnn_scratch_elems(kind, hidden) elements of T.
#ifndef EMLC_RUNTIME_RNN_H
#define EMLC_RUNTIME_RNN_H

#include <cmath>

#include "common.h"
#include "elementwise.h"

namespace emlc {
namespace rt {

// Activation codes of the `activations` attribute.
constexpr int32_t kRnnRelu = 0;
constexpr int32_t kRnnTanh = 1;
constexpr int32_t kRnnSigmoid = 2;
constexpr int32_t kRnnAffine = 3;
constexpr int32_t kRnnLeakyRelu = 4;
constexpr int32_t kRnnThresholdedRelu = 5;
constexpr int32_t kRnnScaledTanh = 6;
constexpr int32_t kRnnHardSigmoid = 7;
constexpr int32_t kRnnElu = 8;
constexpr int32_t kRnnSoftsign = 9;
constexpr int32_t kRnnSoftplus = 10;

constexpr int32_t kRnnKindRnn = 0;
constexpr int32_t kRnnKindGru = 1;
constexpr int32_t kRnnKindLstm = 2;

struct RnnParams {
  static constexpr const char* kName = "emlc::rt::RnnParams";
  int32_t seq_length, batch, input, hidden;
  int32_t directions;           // 1 or 2 (bidirectional: direction 1 runs backwards)
  int32_t reverse;              // directions == 1: the direction runs backwards
  int32_t layout;               // 0: X [T,B,I], Y [T,D,B,H], states [D,B,H]; 1: X [B,T,I], Y [B,T,D,H], states [B,D,H]
  int32_t linear_before_reset;  // GRU
  int32_t input_forget;         // LSTM: f = 1 - i
  float clip;                   // > 0: activation inputs clipped to [-clip, clip]
  int32_t act[6];               // activation codes, 3 slots per direction (f, g, h)
  float alpha[6], beta[6];      // their parameters
  template <class V> void fields(V& v) const {
    v(seq_length, batch, input, hidden, directions, reverse, layout, linear_before_reset, input_forget, clip, act,
      alpha, beta);
  }
};

// Scratch elements one call needs: the gates, one more row of `hidden` for
// GRU (r (.) h or R_h h + Rb_h), the hidden and the cell state.
inline int32_t rnn_scratch_elems(int32_t kind, int32_t hidden) {
  const int32_t gates = kind == kRnnKindRnn ? 1 : (kind == kRnnKindGru ? 3 : 4);
  return (gates + 3) * hidden;
}

namespace rnn_detail {

template <class T>
inline T activate(int32_t code, T x, float alpha, float beta) {
  switch (code) {
    case kRnnRelu: return Relu{}(x);
    case kRnnTanh: return Tanh{}(x);
    case kRnnSigmoid: return Sigmoid{}(x);
    case kRnnAffine: return T(alpha) * x + T(beta);
    case kRnnLeakyRelu: return x >= T(0) ? x : T(alpha) * x;
    case kRnnThresholdedRelu: return x >= T(alpha) ? x : T(0);
    case kRnnScaledTanh: return T(alpha) * std::tanh(T(beta) * x);
    case kRnnHardSigmoid: return HardSigmoid{alpha, beta}(x);
    case kRnnElu: return Elu{alpha}(x);
    case kRnnSoftsign: return Softsign{}(x);
    case kRnnSoftplus: return Softplus{}(x);
    default: return x;
  }
}

// One activation slot of one direction, with the op's clip.
struct Act {
  int32_t code;
  float alpha, beta, clip;
  template <class T> T operator()(T x) const {
    if (clip > 0.0f) x = x < T(-clip) ? T(-clip) : (x > T(clip) ? T(clip) : x);
    return activate(code, x, alpha, beta);
  }
};

inline Act act(const RnnParams& p, int32_t d, int32_t slot) {
  const int32_t i = d * 3 + slot;
  return Act{p.act[i], p.alpha[i], p.beta[i], p.clip};
}

// y[r] (+)= sum_k w[r * cols + k] * x[k] for r < rows (w row-major).
template <class T>
inline void matvec(const T* w, const T* x, int32_t rows, int32_t cols, T* y, bool accumulate) {
  for (int32_t r = 0; r < rows; ++r) {
    const T* row = w + r * cols;
    T s = accumulate ? y[r] : T(0);
    for (int32_t k = 0; k < cols; ++k) s += row[k] * x[k];
    y[r] = s;
  }
}

template <class T>
inline void add(T* y, const T* b, int32_t n) {
  if (b)
    for (int32_t i = 0; i < n; ++i) y[i] += b[i];
}

// Pointers of one direction's weights.
template <class T>
struct Weights {
  const T* w;   // [G*H, I]
  const T* r;   // [G*H, H]
  const T* wb;  // [G*H] or nullptr
  const T* rb;  // [G*H] or nullptr
  const T* p;   // LSTM peepholes [3H] (i, o, f) or nullptr
};

// gates[0, rows) = W x + Wb + R h + Rb.
template <class T>
inline void project(const Weights<T>& wt, const T* x, const T* h, int32_t rows, int32_t in, int32_t hid, T* gates) {
  matvec(wt.w, x, rows, in, gates, false);
  matvec(wt.r, h, rows, hid, gates, true);
  add(gates, wt.wb, rows);
  add(gates, wt.rb, rows);
}

// Drives the recurrence: directions, batch entries, sequence steps, and the
// Y/Y_h/Y_c bookkeeping; `step(d, wt, x_t, h, c, work)` advances the state.
template <class T, class Step>
void recur(const RnnParams& p, int32_t gates, const T* X, const T* W, const T* R, const T* B,
           const int32_t* seq_lens, const T* initial_h, const T* initial_c, const T* P, T* Y, T* Y_h, T* Y_c,
           T* scratch, const Step& step) {
  const int32_t S = p.seq_length, N = p.batch, I = p.input, H = p.hidden, D = p.directions;
  // Element strides of X (time, batch), Y (time, direction, batch) and states (direction, batch).
  const int32_t x_t = p.layout ? I : N * I, x_b = p.layout ? S * I : I;
  const int32_t y_t = p.layout ? D * H : D * N * H, y_d = p.layout ? H : N * H, y_b = p.layout ? S * D * H : H;
  const int32_t s_d = p.layout ? H : N * H, s_b = p.layout ? D * H : H;
  const int32_t GH = gates * H;
  T* h = scratch;
  T* c = h + H;
  T* work = c + H;
  for (int32_t d = 0; d < D; ++d) {
    const bool backwards = D == 2 ? d == 1 : p.reverse != 0;
    Weights<T> wt{W + d * GH * I, R + d * GH * H, B ? B + d * 2 * GH : nullptr, B ? B + d * 2 * GH + GH : nullptr,
                  P ? P + d * 3 * H : nullptr};
    for (int32_t b = 0; b < N; ++b) {
      const int32_t so = d * s_d + b * s_b;
      for (int32_t j = 0; j < H; ++j) {
        h[j] = initial_h ? initial_h[so + j] : T(0);
        c[j] = initial_c ? initial_c[so + j] : T(0);
      }
      int32_t len = seq_lens ? seq_lens[b] : S;
      len = len < 0 ? 0 : (len > S ? S : len);
      for (int32_t s = 0; s < len; ++s) {
        const int32_t t = backwards ? len - 1 - s : s;
        step(d, wt, X + t * x_t + b * x_b, h, c, work);
        if (Y)
          for (int32_t j = 0; j < H; ++j) Y[t * y_t + d * y_d + b * y_b + j] = h[j];
      }
      if (Y)
        for (int32_t t = len; t < S; ++t)
          for (int32_t j = 0; j < H; ++j) Y[t * y_t + d * y_d + b * y_b + j] = T(0);
      for (int32_t j = 0; j < H; ++j) {
        if (Y_h) Y_h[so + j] = len > 0 ? h[j] : T(0);
        if (Y_c) Y_c[so + j] = len > 0 ? c[j] : T(0);
      }
    }
  }
}

}  // namespace rnn_detail

// ONNX RNN: h = f(W x + Wb + R h + Rb).
template <class T>
void rnn(const RnnParams& p, const T* X, const T* W, const T* R, const T* B, const int32_t* seq_lens,
         const T* initial_h, T* Y, T* Y_h, T* scratch) {
  const int32_t I = p.input, H = p.hidden;
  auto step = [&](int32_t d, const rnn_detail::Weights<T>& wt, const T* x, T* h, T*, T* gates) {
    rnn_detail::project(wt, x, h, H, I, H, gates);
    const rnn_detail::Act f = rnn_detail::act(p, d, 0);
    for (int32_t j = 0; j < H; ++j) h[j] = f(gates[j]);
  };
  rnn_detail::recur(p, 1, X, W, R, B, seq_lens, initial_h, static_cast<const T*>(nullptr),
                    static_cast<const T*>(nullptr), Y, Y_h, static_cast<T*>(nullptr), scratch, step);
}

// ONNX GRU (gates z, r, h; f = sigmoid-like, g = tanh-like):
//   z = f(Wz x + Wbz + Rz h + Rbz), r = f(Wr x + Wbr + Rr h + Rbr)
//   linear_before_reset = 0: n = g(Wh x + Wbh + Rh (r (.) h) + Rbh)
//   linear_before_reset = 1: n = g(Wh x + Wbh + r (.) (Rh h + Rbh))
//   h = (1 - z) (.) n + z (.) h
template <class T>
void gru(const RnnParams& p, const T* X, const T* W, const T* R, const T* B, const int32_t* seq_lens,
         const T* initial_h, T* Y, T* Y_h, T* scratch) {
  const int32_t I = p.input, H = p.hidden;
  auto step = [&](int32_t d, const rnn_detail::Weights<T>& wt, const T* x, T* h, T*, T* gates) {
    T* z = gates;
    T* r = gates + H;
    T* n = gates + 2 * H;
    T* extra = gates + 3 * H;
    // x projections of all three gates, recurrent part of z and r.
    rnn_detail::matvec(wt.w, x, 3 * H, I, gates, false);
    rnn_detail::add(gates, wt.wb, 3 * H);
    rnn_detail::matvec(wt.r, h, 2 * H, H, gates, true);
    rnn_detail::add(gates, wt.rb, 2 * H);
    const rnn_detail::Act f = rnn_detail::act(p, d, 0), g = rnn_detail::act(p, d, 1);
    for (int32_t j = 0; j < 2 * H; ++j) gates[j] = f(gates[j]);
    const T* rh_w = wt.r + 2 * H * H;
    const T* rh_b = wt.rb ? wt.rb + 2 * H : nullptr;
    if (p.linear_before_reset) {
      rnn_detail::matvec(rh_w, h, H, H, extra, false);  // Rh h
      rnn_detail::add(extra, rh_b, H);
      for (int32_t j = 0; j < H; ++j) n[j] += r[j] * extra[j];
    } else {
      for (int32_t j = 0; j < H; ++j) extra[j] = r[j] * h[j];
      rnn_detail::matvec(rh_w, extra, H, H, n, true);
      rnn_detail::add(n, rh_b, H);
    }
    for (int32_t j = 0; j < H; ++j) h[j] = (T(1) - z[j]) * g(n[j]) + z[j] * h[j];
  };
  rnn_detail::recur(p, 3, X, W, R, B, seq_lens, initial_h, static_cast<const T*>(nullptr),
                    static_cast<const T*>(nullptr), Y, Y_h, static_cast<T*>(nullptr), scratch, step);
}

// ONNX LSTM (gates i, o, f, c; activations f, g, h; peepholes P = i, o, f):
//   i = f(Wi x + Wbi + Ri h + Rbi + Pi (.) c)
//   f = f(Wf x + Wbf + Rf h + Rbf + Pf (.) c)   (1 - i when input_forget)
//   c = f (.) c + i (.) g(Wc x + Wbc + Rc h + Rbc)
//   o = f(Wo x + Wbo + Ro h + Rbo + Po (.) c)  (the new c)
//   h = o (.) h(c)
template <class T>
void lstm(const RnnParams& p, const T* X, const T* W, const T* R, const T* B, const int32_t* seq_lens,
          const T* initial_h, const T* initial_c, const T* P, T* Y, T* Y_h, T* Y_c, T* scratch) {
  const int32_t I = p.input, H = p.hidden;
  auto step = [&](int32_t d, const rnn_detail::Weights<T>& wt, const T* x, T* h, T* c, T* gates) {
    rnn_detail::project(wt, x, h, 4 * H, I, H, gates);
    T* gi = gates;
    T* go = gates + H;
    T* gf = gates + 2 * H;
    T* gc = gates + 3 * H;
    const T* pi = wt.p;
    const T* po = wt.p ? wt.p + H : nullptr;
    const T* pf = wt.p ? wt.p + 2 * H : nullptr;
    const rnn_detail::Act f = rnn_detail::act(p, d, 0), g = rnn_detail::act(p, d, 1), hh = rnn_detail::act(p, d, 2);
    for (int32_t j = 0; j < H; ++j) {
      const T i = f(gi[j] + (pi ? pi[j] * c[j] : T(0)));
      const T fg = p.input_forget ? T(1) - i : f(gf[j] + (pf ? pf[j] * c[j] : T(0)));
      c[j] = fg * c[j] + i * g(gc[j]);
      const T o = f(go[j] + (po ? po[j] * c[j] : T(0)));
      h[j] = o * hh(c[j]);
    }
  };
  rnn_detail::recur(p, 4, X, W, R, B, seq_lens, initial_h, initial_c, P, Y, Y_h, Y_c, scratch, step);
}

}  // namespace rt
}  // namespace emlc

#endif
