// int8 recurrent layers (emlc.QRNN/QGRU/QLSTM): kernel arithmetic by hand,
// static quantization of one-node RNN/GRU/LSTM graphs in every direction
// against the float kernels (an independent implementation), the report's
// state precision, the float fallback for unbounded activations, and
// --stateful streaming in int8 (frame by frame == full sequence, bit for bit).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <cstdio>
#include <random>
#include <vector>

#include "emlc/int8_rnn.h"
#include "eval/evaluator.h"
#include "passes/infer.h"
#include "passes/stateful.h"
#include "quant/lower_qdq.h"
#include "quant/measure.h"
#include "quant/ptq.h"
#include "support/npy.h"

namespace emlc {
namespace {

namespace fs = std::filesystem;

// ---- kernel arithmetic by hand ---------------------------------------------------

// A table that is the identity clamped to [-1, 1] (entry k = -8 + k/16):
// interpolation between entries 128 (0.0) and 129 (1/16) is exact.
std::vector<int16_t> clampedIdentityTables(int32_t dirs) {
  std::vector<int16_t> t;
  for (int32_t i = 0; i < dirs * 3; ++i)
    for (int32_t k = 0; k < rt::kQRnnTableSize; ++k) {
      const double v = std::max(-1.0, std::min(1.0, -8.0 + k / 16.0));
      t.push_back(static_cast<int16_t>(std::max(-32768.0, std::min(32767.0, std::round(v * 32768.0)))));
    }
  return t;
}

// RNN, hidden 1, input 1, two steps, f = identity on [-1, 1]:
// x codes 10, 20 (scale 1/64, zero point 0), W = 64 (scale 1/128: w = 0.5),
// R = 127 (scale 0.5/127: r = 0.5), biases 0.
//   h1 = 0.5 * 10/64 = 0.078125,  h2 = 0.5 * 20/64 + 0.5 * h1 = 0.1953125
// Y scale 1/128, zero point 0: codes round(10) = 10, round(25) = 25.
TEST(QRnnKernel, SimpleRnnTwoStepsByHand) {
  rt::QuantRnnParams p{};
  p.kind = rt::kRnnKindRnn;
  p.seq_length = 2;
  p.batch = 1;
  p.input = 1;
  p.hidden = 1;
  p.directions = 1;
  // Multipliers: x: (1/64 * 1/128) / 2^-12 = 0.5; h: 2^-15 * (0.5/127) / 2^-12 = 4/127 / 8 ... as the compiler
  // does (M = multiplier * 2^(shift - 31)).
  auto qm = [](double m, int32_t* mult, int32_t* shift) {
    int e = 0;
    const double f = std::frexp(m, &e);
    *mult = static_cast<int32_t>(std::llround(f * 2147483648.0));
    *shift = e;
  };
  int32_t xm, xs, hm, hs;
  qm(1.0 / 64 / 128 * 4096, &xm, &xs);
  qm(std::ldexp(1.0, -15) * (0.5 / 127) * 4096, &hm, &hs);
  qm(std::ldexp(1.0, -15) * 128, &p.y_mult, &p.y_shift);
  const int8_t X[2] = {10, 20}, W[1] = {64}, R[1] = {127};
  const int32_t zero[1] = {0};
  const std::vector<int16_t> tables = clampedIdentityTables(1);
  int8_t Y[2] = {0, 0};
  int16_t hOut[1] = {0};
  int32_t scratch[8] = {};
  rt::qrecurrent(p, X, W, R, zero, zero, &xm, &xs, &hm, &hs, tables.data(), nullptr, nullptr, nullptr, nullptr,
                 nullptr, Y, nullptr, nullptr, hOut, nullptr, scratch);
  EXPECT_EQ(Y[0], 10);
  EXPECT_EQ(Y[1], 25);
  EXPECT_NEAR(hOut[0] / 32768.0, 0.1953125, 2.0 / 32768);
}

// ---- the kernel against the float kernels (rnn.h), same dequantized operands -------

namespace kernel_check {
using namespace emlc::rt;
void qmult(double m, int32_t& mult, int32_t& shift) {
  if (m == 0) { mult = 0; shift = 0; return; }
  int e; double f = std::frexp(m, &e);
  long long q = std::llround(f * 2147483648.0);
  if (q == 2147483648LL) { q /= 2; ++e; }
  mult = (int32_t)q; shift = e;
}
double actOf(const RnnParams& p, int d, int s, double v) { return rnn_detail::act(p, d, s)(v); }
// Quantizes a random layer like the compiler does (X asymmetric, W/R per
// row, biases folded, tables) and runs the int8 kernel against the float one
// on the dequantized inputs and weights; returns the worst errors.
int kernelVsFloat(int kind, int dirs, int lbr, int layout, bool initial) {
  const int S = 6, N = 2, I = 5, H = 8, G = kind == 0 ? 1 : (kind == 1 ? 3 : 4), D = dirs, GH = G * H;
  std::mt19937 rng(kind * 10 + dirs + lbr * 100 + layout * 7);
  std::normal_distribution<double> nd(0, 1);
  const double k = 1 / std::sqrt((double)H);
  std::vector<double> W(D * GH * I), R(D * GH * H), B(D * 2 * GH), X(S * N * I), h0(D * N * H), c0(D * N * H);
  for (auto& v : W) v = nd(rng) * k;
  for (auto& v : R) v = nd(rng) * k;
  for (auto& v : B) v = nd(rng) * k;
  for (auto& v : X) v = nd(rng) * 0.5;
  for (auto& v : h0) v = std::tanh(nd(rng));
  for (auto& v : c0) v = nd(rng);
  RnnParams rp{};
  rp.seq_length = S; rp.batch = N; rp.input = I; rp.hidden = H; rp.directions = D; rp.reverse = 0;
  rp.layout = layout; rp.linear_before_reset = lbr;
  for (int d = 0; d < D; ++d) {
    if (kind == 0) { rp.act[d * 3] = kRnnTanh; }
    else { rp.act[d * 3] = kRnnSigmoid; rp.act[d * 3 + 1] = kRnnTanh; rp.act[d * 3 + 2] = kRnnTanh; }
  }
  // quantize X asymmetric
  double lo = 0, hi = 0; for (double v : X) { lo = std::min(lo, v); hi = std::max(hi, v); }
  const double sx = (hi - lo) / 255; const int zx = (int)std::lround(-128 - lo / sx);
  std::vector<int8_t> Xq(X.size()); std::vector<double> Xd(X.size());
  for (size_t i = 0; i < X.size(); ++i) { int q = (int)std::lround(X[i] / sx) + zx; q = std::max(-128, std::min(127, q)); Xq[i] = (int8_t)q; Xd[i] = (q - zx) * sx; }
  auto quantW = [&](const std::vector<double>& w, int cols, std::vector<int8_t>& q, std::vector<double>& sc, std::vector<double>& deq) {
    sc.assign(GH, 0); q.resize(w.size()); deq.resize(w.size());
    for (int d = 0; d < D; ++d) for (int j = 0; j < GH; ++j) for (int c = 0; c < cols; ++c) sc[j] = std::max(sc[j], std::fabs(w[(d * GH + j) * cols + c]) / 127);
    for (size_t i = 0; i < w.size(); ++i) { int j = (int)((i / cols) % GH); q[i] = (int8_t)std::lround(w[i] / sc[j]); deq[i] = q[i] * sc[j]; }
  };
  std::vector<int8_t> Wq, Rq; std::vector<double> sw, sr, Wd, Rd;
  quantW(W, I, Wq, sw, Wd); quantW(R, H, Rq, sr, Rd);
  const int rows = D * GH;
  std::vector<int32_t> xb(rows), hb(rows), xm(rows), xs(rows), hm(rows), hs(rows);
  for (int d = 0; d < D; ++d) for (int j = 0; j < GH; ++j) {
    int r = d * GH + j; long rowsum = 0; for (int c = 0; c < I; ++c) rowsum += Wq[r * I + c];
    double xacc = sx * sw[j], hacc = std::ldexp(1.0, -15) * sr[j];
    xb[r] = (int32_t)std::lround(B[d * 2 * GH + j] / xacc - (double)zx * rowsum);
    hb[r] = (int32_t)std::lround(B[d * 2 * GH + GH + j] / hacc);
    qmult(xacc * 4096, xm[r], xs[r]); qmult(hacc * 4096, hm[r], hs[r]);
  }
  std::vector<int16_t> tab;
  for (int d = 0; d < D; ++d) for (int s = 0; s < 3; ++s) for (int e = 0; e < 257; ++e) {
    double v = std::round(actOf(rp, d, s, -8.0 + e / 16.0) * 32768.0); tab.push_back((int16_t)std::max(-32768.0, std::min(32767.0, v)));
  }
  QuantRnnParams p{};
  p.kind = kind; p.seq_length = S; p.batch = N; p.input = I; p.hidden = H; p.directions = D; p.layout = layout;
  p.linear_before_reset = lbr;
  const double sy = 1.0 / 128, sc = 4.0 / 128; // Y, Y_h: 1/128; Y_c: 4/128
  qmult(std::ldexp(1.0, -15) / sy, p.y_mult, p.y_shift); qmult(std::ldexp(1.0, -15) / sy, p.yh_mult, p.yh_shift);
  qmult(std::ldexp(1.0, -11) / sc, p.yc_mult, p.yc_shift);
  // initial states int8: h0 scale 1/128, c0 scale 4/128
  std::vector<int8_t> h0q(h0.size()), c0q(c0.size()); std::vector<double> h0d(h0.size()), c0d(c0.size());
  for (size_t i = 0; i < h0.size(); ++i) { int q = std::max(-128, std::min(127, (int)std::lround(h0[i] * 128))); h0q[i] = (int8_t)q; h0d[i] = q / 128.0;
    int qc = std::max(-128, std::min(127, (int)std::lround(c0[i] / sc))); c0q[i] = (int8_t)qc; c0d[i] = qc * sc; }
  qmult(sy / std::ldexp(1.0, -15), p.h0_mult, p.h0_shift); qmult(sc / std::ldexp(1.0, -11), p.c0_mult, p.c0_shift);
  std::vector<int8_t> Y(S * D * N * H), Yh(D * N * H), Yc(D * N * H); std::vector<int16_t> so(D * N * H);
  std::vector<int32_t> scratch(static_cast<size_t>(qrnn_scratch_elems(kind, H)));
  qrecurrent(p, Xq.data(), Wq.data(), Rq.data(), xb.data(), hb.data(), xm.data(), xs.data(), hm.data(), hs.data(), tab.data(),
             nullptr, initial ? h0q.data() : nullptr, initial && kind == 2 ? c0q.data() : nullptr, nullptr, nullptr,
             Y.data(), Yh.data(), kind == 2 ? Yc.data() : nullptr, so.data(), nullptr, scratch.data());
  std::vector<double> Yf(Y.size()), Yhf(Yh.size()), Ycf(Yc.size()), sf((GH + 3) * H + 100);
  const double* ih = initial ? h0d.data() : nullptr; const double* ic = initial && kind == 2 ? c0d.data() : nullptr;
  if (kind == 0) emlc::rt::rnn<double>(rp, Xd.data(), Wd.data(), Rd.data(), B.data(), nullptr, ih, Yf.data(), Yhf.data(), sf.data());
  if (kind == 1) emlc::rt::gru<double>(rp, Xd.data(), Wd.data(), Rd.data(), B.data(), nullptr, ih, Yf.data(), Yhf.data(), sf.data());
  if (kind == 2) emlc::rt::lstm<double>(rp, Xd.data(), Wd.data(), Rd.data(), B.data(), nullptr, ih, ic, nullptr, Yf.data(), Yhf.data(), Ycf.data(), sf.data());
  double e = 0, eh = 0, ec = 0, es = 0;
  for (size_t i = 0; i < Y.size(); ++i) e = std::max(e, std::fabs(Y[i] / 128.0 - Yf[i]));
  for (size_t i = 0; i < Yh.size(); ++i) { eh = std::max(eh, std::fabs(Yh[i] / 128.0 - Yhf[i])); es = std::max(es, std::fabs(so[i] / 32768.0 - Yhf[i])); }
  if (kind == 2) for (size_t i = 0; i < Yc.size(); ++i) ec = std::max(ec, std::fabs(Yc[i] * sc - Ycf[i]));
  const char* names[] = {"RNN", "GRU", "LSTM"};
  std::printf("  %-4s dirs=%d lbr=%d layout=%d initial=%d: max|Y err| %.4f  Y_h %.4f  int16 state %.5f  Y_c %.4f\n", names[kind], dirs, lbr, layout, (int)initial, e, eh, es, ec);
  return e < 0.03 && eh < 0.03 && ec < 0.1 ? 0 : 1;
}
}  // namespace kernel_check

// int8 output steps are 1/128 (Y, Y_h) and 4/128 (Y_c): the kernel stays
// within about half a step of the float recurrence on the same operands.
TEST(QRnnKernel, MatchesFloatKernelsOnDequantizedOperands) {
  EXPECT_EQ(kernel_check::kernelVsFloat(0, 1, 0, 0, false), 0);
  EXPECT_EQ(kernel_check::kernelVsFloat(0, 2, 0, 1, true), 0);
  EXPECT_EQ(kernel_check::kernelVsFloat(1, 1, 0, 0, false), 0);
  EXPECT_EQ(kernel_check::kernelVsFloat(1, 1, 1, 0, true), 0);
  EXPECT_EQ(kernel_check::kernelVsFloat(1, 2, 1, 1, true), 0);
  EXPECT_EQ(kernel_check::kernelVsFloat(1, 2, 0, 0, false), 0);
  EXPECT_EQ(kernel_check::kernelVsFloat(2, 1, 0, 0, true), 0);
  EXPECT_EQ(kernel_check::kernelVsFloat(2, 2, 0, 1, false), 0);
}

// ---- quantized graphs against the float kernels ------------------------------------

fs::path tmpDir() {
  fs::path p = fs::temp_directory_path() / ("emlc_qrnn_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

HostTensor randomTensor(Shape s, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  HostTensor h;
  h.type = TensorType{DType::F32, std::move(s)};
  h.data.resize(h.type.bytes());
  for (int64_t i = 0; i < h.type.numel(); ++i) h.as<float>()[i] = d(rng);
  return h;
}

struct Case {
  std::string op;          // RNN, GRU, LSTM
  std::string direction;   // forward, reverse, bidirectional
  int64_t lbr = 0;         // GRU linear_before_reset
  int64_t layout = 0;
  bool initial = false;    // initial_h (and initial_c) as graph inputs
  std::vector<std::string> activations;  // empty: the defaults
};

constexpr int64_t S = 6, N = 2, I = 5, H = 8;

// X [S, N, I] (layout 0) -> op -> Y (and Y_h), with random weights in
// PyTorch's init range.
Graph recurrentGraph(const Case& c, int64_t steps = S) {
  Graph g;
  const int64_t D = c.direction == "bidirectional" ? 2 : 1;
  const int64_t G = c.op == "RNN" ? 1 : (c.op == "GRU" ? 3 : 4);
  auto add = [&](const std::string& name, Shape s, const HostTensor* data, bool input) {
    Tensor t;
    t.name = name;
    t.type = TensorType{DType::F32, std::move(s)};
    t.typed = true;
    t.is_input = input;
    if (data) t.data = data->data;
    const TensorId id = g.addTensor(t);
    if (input) g.inputs.push_back(id);
    return id;
  };
  const Shape xs = c.layout ? Shape{N, steps, I} : Shape{steps, N, I};
  const Shape st = c.layout ? Shape{N, D, H} : Shape{D, N, H};
  const float k = 1.0f / std::sqrt(static_cast<float>(H));
  HostTensor w = randomTensor({D, G * H, I}, 11, k), r = randomTensor({D, G * H, H}, 12, k),
             b = randomTensor({D, 2 * G * H}, 13, k);
  Node n;
  n.op_type = c.op;
  n.name = "rec";
  n.opset = 14;
  n.inputs = {add("x", xs, nullptr, true), add("w", {D, G * H, I}, &w, false), add("r", {D, G * H, H}, &r, false),
              add("b", {D, 2 * G * H}, &b, false)};
  if (c.initial) {
    n.inputs.push_back(kNoTensor);
    n.inputs.push_back(add("h0", st, nullptr, true));
    if (c.op == "LSTM") n.inputs.push_back(add("c0", st, nullptr, true));
  }
  Attribute a;
  a.kind = Attribute::Kind::String;
  a.s = c.direction;
  n.attrs["direction"] = a;
  a = Attribute{};
  a.kind = Attribute::Kind::Int;
  a.i = H;
  n.attrs["hidden_size"] = a;
  if (c.op == "GRU") {
    a.i = c.lbr;
    n.attrs["linear_before_reset"] = a;
  }
  a.i = c.layout;
  n.attrs["layout"] = a;
  if (!c.activations.empty()) {
    Attribute s;
    s.kind = Attribute::Kind::Strings;
    s.strings = c.activations;
    n.attrs["activations"] = s;
  }
  for (const char* o : {"y", "y_h"}) {
    Tensor t;
    t.name = o;
    t.is_output = true;
    n.outputs.push_back(g.addTensor(t));
    g.outputs.push_back(n.outputs.back());
  }
  g.addNode(n);
  EXPECT_TRUE(inferAndFold(g, InferOptions{}).isOk());
  return g;
}

// A sample for graph input k: normal(0, 0.5); initial_h through tanh (a
// hidden state lies in [-1, 1], the int16 state's range: Q0.15).
HostTensor inputSample(const Graph& g, size_t k, Shape s, uint32_t seed) {
  HostTensor h = randomTensor(std::move(s), seed, 0.5f);
  if (g.t(g.inputs[k]).name == "h0")
    for (int64_t i = 0; i < h.type.numel(); ++i) h.as<float>()[i] = std::tanh(h.as<float>()[i] * 2.0f);
  return h;
}

// Calibration files (one per input) of `count` samples.
std::vector<std::string> calibration(const Graph& g, const fs::path& dir, size_t count) {
  std::vector<std::string> files;
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    Shape s = g.t(g.inputs[k]).type.shape;
    s.insert(s.begin(), static_cast<int64_t>(count));
    const std::string f = (dir / ("calib" + std::to_string(k) + ".npy")).string();
    EXPECT_TRUE(writeNpy(f, inputSample(g, k, s, 100 + static_cast<uint32_t>(k))).isOk());
    files.push_back(f);
  }
  return files;
}

size_t count(const Graph& g, const std::string& domain, const std::string& op) {
  size_t c = 0;
  for (const Node& n : g.nodes) c += !n.dead && n.domain == domain && n.op_type == op;
  return c;
}

// Quantizes and lowers; checks the node became int8 and tracks float.
void checkCase(const Case& c) {
  SCOPED_TRACE(c.op + " " + c.direction + " lbr " + std::to_string(c.lbr) + " layout " + std::to_string(c.layout));
  const fs::path d = tmpDir();
  const Graph flt = recurrentGraph(c);
  Graph g = flt;
  QuantOptions q;
  q.mode = "int8";
  q.calibration = calibration(flt, d, 16);
  QuantResult res;
  auto qd = quantizeGraph(g, q, &res);
  ASSERT_TRUE(qd.isOk()) << qd.error().message;
  auto low = lowerQdq(g, &res.lowering);
  ASSERT_TRUE(low.isOk()) << low.error().message;
  EXPECT_EQ(count(g, "emlc", "Q" + c.op), 1u);
  EXPECT_EQ(count(g, "", c.op), 0u);
  bool reported = false;
  for (const auto& r : res.lowering.nodes)
    if (r.op_type == c.op) {
      EXPECT_TRUE(r.lowered) << r.result;
      EXPECT_NE(r.result.find("int16 state"), std::string::npos) << r.result;
      reported = true;
    }
  EXPECT_TRUE(reported);
  // int8 vs float on fresh inputs in the calibrated range: Y and Y_h lie in
  // [-1, 1] with int8 step 1/128; allow a few steps of accumulated error.
  double maxErr = 0;
  for (uint32_t seed = 0; seed < 4; ++seed) {
    std::vector<HostTensor> in;
    for (size_t k = 0; k < flt.inputs.size(); ++k)
      in.push_back(inputSample(flt, k, flt.t(flt.inputs[k]).type.shape, 500 + seed + 10 * static_cast<uint32_t>(k)));
    auto f = runGraph(flt, in);
    auto i8 = runFloatBoundary(g, in);
    ASSERT_TRUE(f.isOk() && i8.isOk()) << (f.isOk() ? i8.error().message : f.error().message);
    for (size_t o = 0; o < f->size(); ++o)
      for (int64_t i = 0; i < (*f)[o].type.numel(); ++i)
        maxErr = std::max(maxErr, std::fabs(static_cast<double>((*f)[o].as<float>()[i]) - (*i8)[o].as<float>()[i]));
  }
  EXPECT_LT(maxErr, 0.04) << "max |float - int8|";
  std::printf("  %s %s lbr=%lld layout=%lld initial=%d: max |float - int8| = %.4f\n", c.op.c_str(),
              c.direction.c_str(), static_cast<long long>(c.lbr), static_cast<long long>(c.layout), c.initial, maxErr);
}

TEST(QRnnOps, RnnForward) { checkCase({"RNN", "forward"}); }
TEST(QRnnOps, RnnBidirectionalSigmoid) { checkCase({"RNN", "bidirectional", 0, 0, false, {"Sigmoid", "Tanh"}}); }
TEST(QRnnOps, GruForwardResetBeforeLinear) { checkCase({"GRU", "forward", 0}); }
TEST(QRnnOps, GruReverseLinearBeforeReset) { checkCase({"GRU", "reverse", 1}); }
TEST(QRnnOps, GruBidirectionalLayout1WithInitialState) { checkCase({"GRU", "bidirectional", 1, 1, true}); }
TEST(QRnnOps, LstmForwardWithInitialStates) { checkCase({"LSTM", "forward", 0, 0, true}); }
TEST(QRnnOps, LstmBidirectional) { checkCase({"LSTM", "bidirectional"}); }
TEST(QRnnOps, GruHardSigmoid) { checkCase({"GRU", "forward", 1, 0, false, {"HardSigmoid", "Tanh"}}); }

TEST(QRnnOps, UnboundedActivationStaysFloatWithReason) {
  const fs::path d = tmpDir();
  const Graph flt = recurrentGraph({"RNN", "forward", 0, 0, false, {"Relu"}});
  Graph g = flt;
  QuantOptions q;
  q.mode = "int8";
  q.calibration = calibration(flt, d, 4);
  QuantResult res;
  ASSERT_TRUE(quantizeGraph(g, q, &res).isOk());
  ASSERT_TRUE(lowerQdq(g, &res.lowering).isOk());
  EXPECT_EQ(count(g, "", "RNN"), 1u);
  bool said = false;
  for (const auto& s : res.float_nodes) said |= s.find("bounded activations") != std::string::npos;
  EXPECT_TRUE(said);
  auto o = runFloatBoundary(g, {randomTensor(flt.t(flt.inputs[0]).type.shape, 3, 0.5f)});
  EXPECT_TRUE(o.isOk());
}

// --stateful on the int8 GRU: one state of int16 [1, N, H]; frame by frame
// (runGraphStep) equals the full sequence bit for bit when both models have
// the same quantization (the recurrent output scale is fixed at 1/128 and
// the input calibration holds the same values).
TEST(QRnnStateful, FrameByFrameEqualsFullSequenceBitForBit) {
  const fs::path d = tmpDir();
  Case c{"GRU", "forward", 1};
  const Graph fullF = recurrentGraph(c);
  const Graph streamF = recurrentGraph(c, 1);  // the same node (same weights) on one frame
  // Calibration: the same 8 sequences, as sequences and as their frames.
  HostTensor seqs = randomTensor({8, S, N, I}, 77, 0.5f);
  HostTensor frames = seqs;
  frames.type.shape = {8 * S, 1, N, I};
  ASSERT_TRUE(writeNpy((d / "seq.npy").string(), seqs).isOk());
  ASSERT_TRUE(writeNpy((d / "frames.npy").string(), frames).isOk());
  QuantOptions q;
  q.mode = "int8";
  Graph full = fullF, stream = streamF;
  q.calibration = {(d / "seq.npy").string()};
  ASSERT_TRUE(quantizeGraph(full, q, nullptr).isOk());
  ASSERT_TRUE(lowerQdq(full, nullptr).isOk());
  q.calibration = {(d / "frames.npy").string()};
  ASSERT_TRUE(quantizeGraph(stream, q, nullptr).isOk());
  ASSERT_TRUE(lowerQdq(stream, nullptr).isOk());
  StateOptions so;
  so.recurrent = true;
  Status st = makeStateful(stream, so);
  ASSERT_TRUE(st.isOk()) << st.error().message;
  ASSERT_EQ(stream.states.size(), 1u);
  EXPECT_EQ(stream.t(stream.states[0].value).type.dtype, DType::I16);
  EXPECT_EQ(stream.t(stream.states[0].value).type.shape, (Shape{1, N, H}));

  HostTensor x = randomTensor({S, N, I}, 91, 0.5f);
  auto fr = runFloatBoundary(full, {x});
  ASSERT_TRUE(fr.isOk()) << fr.error().message;
  // Y of the full run: [S, 1, N, H]; Y_h: [1, N, H].
  std::vector<std::vector<uint8_t>> state(stream.states.size());
  for (int pass = 0; pass < 2; ++pass) {
    for (int64_t t = 0; t < S; ++t) {
      HostTensor xf;
      xf.type = TensorType{DType::F32, {1, N, I}};
      const auto* p = reinterpret_cast<const uint8_t*>(x.as<float>() + t * N * I);
      xf.data.assign(p, p + N * I * 4);
      // runFloatBoundary has no state; quantize the frame as NAME_run_f32 does.
      auto xq = toInputType(xf, stream.t(stream.inputs[0]).type);
      ASSERT_TRUE(xq.isOk());
      auto r = runGraphStep(stream, {*xq}, state);
      ASSERT_TRUE(r.isOk()) << r.error().message;
      const HostTensor y = dequantized((*r)[0]);
      for (int64_t j = 0; j < N * H; ++j)
        ASSERT_EQ(y.as<float>()[j], (*fr)[0].as<float>()[t * N * H + j]) << "pass " << pass << " frame " << t;
      if (t == S - 1) {
        const HostTensor yh = dequantized((*r)[1]);
        for (int64_t j = 0; j < N * H; ++j) ASSERT_EQ(yh.as<float>()[j], (*fr)[1].as<float>()[j]);
      }
    }
    state.assign(stream.states.size(), {});  // a reset
  }
}

}  // namespace
}  // namespace emlc
