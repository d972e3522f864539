// Pruning: the spec parser, magnitude and structured pruning on small graphs
// (the structured result equals the original with the removed channels
// zeroed), and the zero-skipping kernels against the dense ones on the same
// zeroed weights (int8 bit for bit, float within rounding).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "emlc/int8_conv.h"
#include "emlc/sparse.h"
#include "graph_builder.h"
#include "prune/prune.h"
#include "prune/structured.h"

namespace emlc {
namespace {

using namespace testing_util;

// ---- the encoding, written independently of the compiler's ------------------

template <class T>
void encodeRows(const std::vector<T>& w, int32_t rows, int32_t K, std::vector<uint8_t>* mask, std::vector<T>* vals) {
  const int32_t kb = (K + 7) / 8;
  mask->assign(static_cast<size_t>(rows * kb), 0);
  vals->clear();
  for (int32_t r = 0; r < rows; ++r)
    for (int32_t k = 0; k < K; ++k) {
      const T v = w[static_cast<size_t>(r * K + k)];
      if (v == T(0)) continue;
      (*mask)[static_cast<size_t>(r * kb + k / 8)] = static_cast<uint8_t>((*mask)[static_cast<size_t>(r * kb + k / 8)] | (1u << (k % 8)));
      vals->push_back(v);
    }
}

int32_t maxRow(const std::vector<uint8_t>& mask, int32_t rows) {
  const size_t kb = mask.size() / static_cast<size_t>(rows);
  int32_t best = 0;
  for (int32_t r = 0; r < rows; ++r) {
    int32_t c = 0;
    for (size_t b = 0; b < kb; ++b)
      for (unsigned v = mask[static_cast<size_t>(r) * kb + b]; v; v &= v - 1) ++c;
    best = std::max(best, c);
  }
  return best;
}

struct ConvCase {
  int32_t C, M, group, H, W, KH, KW, stride, pad, dil;
  double zeros;
};

rt::ConvParams params(const ConvCase& c) {
  rt::ConvParams p{};
  p.batch = 2;
  p.in_channels = c.C;
  p.out_channels = c.M;
  p.group = c.group;
  p.in_dims[0] = 1;
  p.in_dims[1] = c.H;
  p.in_dims[2] = c.W;
  p.kernel[0] = 1;
  p.kernel[1] = c.KH;
  p.kernel[2] = c.KW;
  p.strides[0] = 1;
  p.strides[1] = p.strides[2] = c.stride;
  p.dilations[0] = 1;
  p.dilations[1] = p.dilations[2] = c.dil;
  p.pads[0] = 0;
  p.pads[1] = p.pads[2] = c.pad;
  p.out_dims[0] = 1;
  p.out_dims[1] = (c.H + 2 * c.pad - c.dil * (c.KH - 1) - 1) / c.stride + 1;
  p.out_dims[2] = (c.W + 2 * c.pad - c.dil * (c.KW - 1) - 1) / c.stride + 1;
  return p;
}

const ConvCase kConvCases[] = {
    {3, 5, 1, 7, 6, 3, 3, 1, 1, 1, 0.5},   // 3x3, same padding
    {4, 6, 1, 9, 9, 3, 3, 2, 1, 1, 0.7},   // stride 2
    {8, 8, 8, 6, 5, 3, 3, 1, 1, 1, 0.4},   // depthwise
    {6, 4, 2, 8, 8, 3, 3, 1, 2, 2, 0.6},   // groups, dilation 2
    {5, 7, 1, 1, 12, 1, 5, 1, 2, 1, 0.5},  // 1-D (kernel 5)
    {16, 3, 1, 4, 4, 1, 1, 1, 0, 1, 0.9},  // pointwise, very sparse
    {3, 4, 1, 5, 5, 3, 3, 1, 1, 1, 1.0},   // all zeros
};

TEST(SparseKernels, QConvSparseEqualsDenseBitForBit) {
  std::mt19937 rng(7);
  for (const ConvCase& c : kConvCases) {
    const rt::ConvParams p = params(c);
    const int32_t K = c.C / c.group * c.KH * c.KW;
    std::uniform_int_distribution<int> xd(-128, 127), wd(-127, 127), bd(-3000, 3000);
    std::bernoulli_distribution zero(c.zeros);
    std::vector<int8_t> x(static_cast<size_t>(p.batch * c.C * c.H * c.W)), w(static_cast<size_t>(c.M * K));
    for (auto& v : x) v = static_cast<int8_t>(xd(rng));
    for (auto& v : w) v = zero(rng) ? 0 : static_cast<int8_t>(wd(rng));
    std::vector<int32_t> bias(static_cast<size_t>(c.M)), mult(static_cast<size_t>(c.M)), shift(static_cast<size_t>(c.M));
    for (int32_t m = 0; m < c.M; ++m) {
      bias[static_cast<size_t>(m)] = bd(rng);
      mult[static_cast<size_t>(m)] = 1300000000 + m * 1000;
      shift[static_cast<size_t>(m)] = -8 - (m % 3);
    }
    const rt::QuantConvParams q{13, 0, -5, -128, 127};
    const size_t ny = static_cast<size_t>(p.batch * c.M * p.out_dims[1] * p.out_dims[2]);
    std::vector<int8_t> dense(ny), sparse(ny, 99);
    rt::qconv<int8_t, int8_t>(p, q, x.data(), w.data(), bias.data(), mult.data(), shift.data(), dense.data());
    std::vector<uint8_t> mask;
    std::vector<int8_t> vals;
    encodeRows(w, c.M, K, &mask, &vals);
    const int32_t mr = maxRow(mask, c.M);
    std::vector<int32_t> scratch(static_cast<size_t>(2 * std::max(mr, 1)));
    rt::qconv_sparse<int8_t>(p, q, x.data(), mask.data(), vals.data(), bias.data(), mult.data(), shift.data(), mr,
                             scratch.data(), sparse.data());
    EXPECT_EQ(dense, sparse) << "case C=" << c.C << " M=" << c.M << " group=" << c.group;
  }
}

TEST(SparseKernels, QConvSparseUint8Input) {
  const ConvCase c{3, 4, 1, 6, 6, 3, 3, 1, 1, 1, 0.5};
  const rt::ConvParams p = params(c);
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> xd(0, 255), wd(-127, 127);
  std::vector<uint8_t> x(static_cast<size_t>(p.batch * c.C * c.H * c.W));
  std::vector<int8_t> w(static_cast<size_t>(c.M * c.C * 9));
  for (auto& v : x) v = static_cast<uint8_t>(xd(rng));
  for (size_t i = 0; i < w.size(); ++i) w[i] = i % 3 ? 0 : static_cast<int8_t>(wd(rng));
  std::vector<int32_t> mult(4, 1500000000), shift(4, -9);
  const rt::QuantConvParams q{-128, 0, 3, 0, 255};
  const size_t ny = static_cast<size_t>(p.batch * c.M * 36);
  std::vector<uint8_t> dense(ny), sparse(ny);
  rt::qconv<uint8_t, int8_t>(p, q, x.data(), w.data(), nullptr, mult.data(), shift.data(), dense.data());
  std::vector<uint8_t> mask;
  std::vector<int8_t> vals;
  encodeRows(w, c.M, c.C * 9, &mask, &vals);
  std::vector<int32_t> scratch(64);
  rt::qconv_sparse<uint8_t>(p, q, x.data(), mask.data(), vals.data(), nullptr, mult.data(), shift.data(),
                            maxRow(mask, c.M), scratch.data(), sparse.data());
  EXPECT_EQ(dense, sparse);
}

TEST(SparseKernels, QGemmSparseEqualsDenseBitForBit) {
  std::mt19937 rng(11);
  for (int32_t K : {1, 7, 8, 33, 512}) {
    const int32_t M = 3, N = 10;
    std::uniform_int_distribution<int> xd(-128, 127), wd(-127, 127), bd(-5000, 5000);
    std::vector<int8_t> a(static_cast<size_t>(M * K)), b(static_cast<size_t>(N * K));
    for (auto& v : a) v = static_cast<int8_t>(xd(rng));
    for (size_t i = 0; i < b.size(); ++i) b[i] = (i * 7 + 3) % 5 < 3 ? 0 : static_cast<int8_t>(wd(rng));
    std::vector<int32_t> bias(static_cast<size_t>(N)), mult(static_cast<size_t>(N), 1400000000),
        shift(static_cast<size_t>(N), -7);
    for (auto& v : bias) v = bd(rng);
    const rt::QuantConvParams q{-21, 0, 4, -128, 127};
    rt::QuantGemmParams p{1, M, N, K, 1, 0, 0, 0};
    std::vector<int8_t> dense(static_cast<size_t>(M * N)), sparse(static_cast<size_t>(M * N));
    rt::qgemm<int8_t, int8_t>(p, q, a.data(), b.data(), bias.data(), mult.data(), shift.data(), dense.data());
    // The sparse kernel's bias holds bias + input_offset * sum(row) (TFLite's folding).
    std::vector<int32_t> folded = bias;
    for (int32_t j = 0; j < N; ++j)
      for (int32_t k = 0; k < K; ++k) folded[static_cast<size_t>(j)] += q.input_offset * b[static_cast<size_t>(j * K + k)];
    std::vector<uint8_t> mask;
    std::vector<int8_t> vals;
    encodeRows(b, N, K, &mask, &vals);
    rt::qgemm_sparse<int8_t>(p, q, a.data(), mask.data(), vals.data(), folded.data(), mult.data(), shift.data(),
                             sparse.data());
    EXPECT_EQ(dense, sparse) << "K=" << K;
  }
}

TEST(SparseKernels, FloatConvAndGemmMatchDense) {
  std::mt19937 rng(5);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (const ConvCase& c : kConvCases) {
    const rt::ConvParams p = params(c);
    const int32_t K = c.C / c.group * c.KH * c.KW;
    std::bernoulli_distribution zero(c.zeros);
    std::vector<float> x(static_cast<size_t>(p.batch * c.C * c.H * c.W)), w(static_cast<size_t>(c.M * K)),
        bias(static_cast<size_t>(c.M));
    for (auto& v : x) v = d(rng);
    for (auto& v : w) v = zero(rng) ? 0.0f : d(rng);
    for (auto& v : bias) v = d(rng);
    const size_t ny = static_cast<size_t>(p.batch * c.M * p.out_dims[1] * p.out_dims[2]);
    std::vector<float> dense(ny), sparse(ny);
    rt::conv<float>(p, x.data(), w.data(), bias.data(), dense.data());
    std::vector<uint8_t> mask;
    std::vector<float> vals;
    encodeRows(w, c.M, K, &mask, &vals);
    const int32_t mr = maxRow(mask, c.M);
    std::vector<int32_t> scratch(static_cast<size_t>(2 * std::max(mr, 1)));
    rt::conv_sparse_f32(p, x.data(), mask.data(), vals.data(), bias.data(), mr, scratch.data(), sparse.data());
    for (size_t i = 0; i < ny; ++i) EXPECT_NEAR(dense[i], sparse[i], 1e-4f * (1.0f + std::fabs(dense[i])));
  }
  const int32_t M = 2, N = 5, K = 19;
  std::vector<float> a(static_cast<size_t>(M * K)), b(static_cast<size_t>(N * K)), bias(static_cast<size_t>(N));
  for (auto& v : a) v = d(rng);
  for (size_t i = 0; i < b.size(); ++i) b[i] = i % 2 ? 0.0f : d(rng);
  for (auto& v : bias) v = d(rng);
  std::vector<uint8_t> mask;
  std::vector<float> vals;
  encodeRows(b, N, K, &mask, &vals);
  std::vector<float> y(static_cast<size_t>(M * N));
  rt::gemm_sparse_f32(rt::SparseGemmParams{M, N, K}, a.data(), mask.data(), vals.data(), bias.data(), y.data());
  for (int32_t i = 0; i < M; ++i)
    for (int32_t j = 0; j < N; ++j) {
      double want = bias[static_cast<size_t>(j)];
      for (int32_t k = 0; k < K; ++k) want += double(a[static_cast<size_t>(i * K + k)]) * b[static_cast<size_t>(j * K + k)];
      EXPECT_NEAR(y[static_cast<size_t>(i * N + j)], want, 1e-4);
    }
}

// ---- spec parsing ------------------------------------------------------------

TEST(PruneSpec, ParsesAndRejects) {
  auto o = parsePruneSpecs({"magnitude:0.5", "conv_2=structured:0.25:l2"});
  ASSERT_TRUE(o.isOk()) << o.error().message;
  ASSERT_EQ(o->rules.size(), 2u);
  EXPECT_EQ(o->rules[0].kind, PruneRule::Kind::Magnitude);
  EXPECT_DOUBLE_EQ(o->rules[0].fraction, 0.5);
  EXPECT_EQ(o->rules[1].node, "conv_2");
  EXPECT_EQ(o->rules[1].kind, PruneRule::Kind::Structured);
  EXPECT_EQ(o->rules[1].norm, 2);
  for (const char* bad : {"magnitude", "magnitude:1.5", "magnitude:-0.1", "magnitude:x", "foo:0.5", "=magnitude:0.5",
                          "magnitude:0.5:l2", "auto:-1", "x=auto:1"})
    EXPECT_FALSE(parsePruneSpecs({bad}).isOk()) << bad;
  EXPECT_FALSE(parsePruneSpecs({"magnitude:0.5", "structured:0.5"}).isOk());  // two global rules
  EXPECT_FALSE(parsePruneSpecs({"auto:1", "a=magnitude:0.5"}).isOk());
}

// ---- magnitude ------------------------------------------------------------------

TEST(PruneMagnitude, ZeroesTheSmallestPerLayer) {
  Builder b;
  TensorId x = b.input("x", {1, 4});
  TensorId w = b.constant("w", {3, 4}, {0.1f, -5, 0.2f, 3, -0.05f, 1, 2, -0.3f, 4, 4, -4, 0.01f});
  TensorId y = b.node("Gemm", {x, w}, {{"transB", i1(1)}});
  b.output(y);
  b.infer();
  PruneOptions o = parsePruneSpecs({"magnitude:0.5"}).value();
  PruneResult r;
  auto ch = pruneGraph(b.g, o, &r);
  ASSERT_TRUE(ch.isOk()) << ch.error().message;
  EXPECT_TRUE(ch.value());
  const Node* n = findNode(b.g, "Gemm");
  ASSERT_NE(n, nullptr);
  const float* v = b.g.t(n->in(1)).as<float>();
  const std::vector<float> want = {0, -5, 0, 3, 0, 0, 2, 0, 4, 4, -4, 0};  // the 6 smallest |w| zeroed
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(v[i], want[i]) << i;
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.layers[0].zeros_before, 0);
  EXPECT_EQ(r.layers[0].zeros_after, 6);
}

TEST(PruneMagnitude, UnknownNodeIsAnError) {
  Builder b;
  TensorId x = b.input("x", {1, 4});
  TensorId y = b.node("Gemm", {x, b.random("w", {3, 4})}, {{"transB", i1(1)}});
  b.output(y);
  b.infer();
  auto r = pruneGraph(b.g, parsePruneSpecs({"nope=magnitude:0.5"}).value(), nullptr);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.error().message.find("Gemm_0"), std::string::npos) << r.error().message;
}

// ---- structured -----------------------------------------------------------------

// Zeroes output channels `drop` of a Conv/Gemm layer's weights (and bias too
// when `bias`).
void maskChannels(Graph& g, const std::string& node, const std::vector<int64_t>& drop, bool bias) {
  for (Node& n : g.nodes) {
    if (n.name != node) continue;
    for (size_t k : {size_t{1}, size_t{2}}) {
      if (k == 2 && !bias) continue;
      if (n.in(k) == kNoTensor) continue;
      Tensor& t = g.t(n.in(k));
      const int64_t rows = t.type.shape[0], cols = t.type.numel() / rows;
      float* v = reinterpret_cast<float*>(t.data->data());
      for (int64_t c : drop)
        for (int64_t j = 0; j < cols; ++j) v[c * cols + j] = 0.0f;
    }
  }
}

void expectSameOutputs(const Graph& a, const Graph& b) {
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    auto in = randomInputs(a, seed);
    auto ya = runGraph(a, in);
    auto yb = runGraph(b, in);
    ASSERT_TRUE(ya.isOk()) << ya.error().message;
    ASSERT_TRUE(yb.isOk()) << yb.error().message;
    for (size_t k = 0; k < ya->size(); ++k) {
      ASSERT_EQ((*ya)[k].type.shape, (*yb)[k].type.shape);
      for (int64_t i = 0; i < (*ya)[k].type.numel(); ++i)
        EXPECT_NEAR((*ya)[k].as<float>()[i], (*yb)[k].as<float>()[i], 1e-4);
    }
  }
}

// x -> convA -> relu -> convB(+) <- convC(x)  (residual Add couples B and C)
//   -> relu -> depthwise -> concat(with convD(x)) -> convE -> flatten -> gemm
// After B and C nothing pads, so a removed channel's constant value
// (act(bias)) reaches the consumers exactly (no borders).
struct ResidualGraph {
  Builder b;
  ResidualGraph() {
    TensorId x = b.input("x", {1, 3, 6, 6});
    std::map<std::string, Attribute> same{{"pads", ints({1, 1, 1, 1})}};
    TensorId a = b.node("Conv", {x, b.random("wa", {8, 3, 3, 3}), b.random("ba", {8})}, same);
    TensorId ra = b.node("Relu", {a});
    TensorId cb = b.node("Conv", {ra, b.random("wb", {6, 8, 3, 3}), b.random("bb", {6})}, same);
    TensorId cc = b.node("Conv", {x, b.random("wc", {6, 3, 1, 1}), b.random("bc", {6})});
    TensorId add = b.node("Add", {cb, cc});
    TensorId r2 = b.node("Relu", {add});
    TensorId dw = b.node("Conv", {r2, b.random("wdw", {6, 1, 3, 3}), b.random("bdw", {6})}, {{"group", i1(6)}});
    TensorId cd = b.node("Conv", {x, b.random("wd", {4, 3, 3, 3}), b.random("bd", {4})});
    TensorId rd = b.node("Relu", {cd});
    TensorId cat = b.node("Concat", {dw, rd}, {{"axis", i1(1)}});
    TensorId ce = b.node("Conv", {cat, b.random("we", {5, 10, 3, 3}), b.random("be", {5})});
    TensorId re = b.node("Relu", {ce});
    TensorId fl = b.node("Flatten", {re}, {{"axis", i1(1)}});
    TensorId y = b.node("Gemm", {fl, b.random("wf", {4, 20}), b.random("bf", {4})}, {{"transB", i1(1)}});
    b.output(y);
    b.infer();
  }
  std::string name(int i) const { return b.g.nodes[static_cast<size_t>(i)].name; }
};

TEST(PruneStructured, ResidualGroupConcatAndFlattenStayValid) {
  ResidualGraph rg;
  const Graph orig = rg.b.g;
  // Conv_2 (B) is coupled with Conv_3 (C) through the Add, and the depthwise
  // Conv_6 and the Concat follow.
  const std::string convB = rg.name(2), convC = rg.name(3);
  ASSERT_EQ(rg.b.g.nodes[2].op_type, "Conv");
  PruneResult r;
  auto ch = pruneGraph(rg.b.g, parsePruneSpecs({convB + "=structured:0.5"}).value(), &r);
  ASSERT_TRUE(ch.isOk()) << ch.error().message;
  ASSERT_TRUE(ch.value());
  ASSERT_TRUE(verifyGraph(rg.b.g).isOk());
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.layers[0].channels_before, 6);
  EXPECT_EQ(r.layers[0].channels_after, 3);
  ASSERT_EQ(r.layers[0].removed.size(), 3u);
  EXPECT_LT(r.macs_after, r.macs_before);
  EXPECT_LT(r.weight_bytes_after, r.weight_bytes_before);
  // Shapes: B and C now have 3 output channels, the depthwise has group 3,
  // the concat 7 channels, E 7 input channels.
  for (const Node& n : rg.b.g.nodes) {
    if (n.name == convB || n.name == convC) {
      EXPECT_EQ(rg.b.g.inType(n, 1).shape[0], 3) << n.name;
    }
    if (n.op_type == "Conv" && n.attrInt("group", 1) > 1) {
      EXPECT_EQ(n.attrInt("group", 1), 3);
    }
    if (n.op_type == "Concat") {
      EXPECT_EQ(rg.b.g.t(n.out(0)).type.shape[1], 7);
    }
  }
  // Output equals the original with the removed channels' weights zeroed in
  // both coupled layers (their biases stay: the pruner folds act(bias) into
  // the consumers' biases).
  EXPECT_EQ(r.layers[0].how.find("no bias compensation"), std::string::npos) << r.layers[0].how;
  Graph masked = orig;
  maskChannels(masked, convB, r.layers[0].removed, false);
  maskChannels(masked, convC, r.layers[0].removed, false);
  expectSameOutputs(masked, rg.b.g);
  // Without compensation it would equal the original with whole channels
  // (biases too) zeroed, which is a different function here.
  Graph zeroed = orig;
  maskChannels(zeroed, convB, r.layers[0].removed, true);
  maskChannels(zeroed, convC, r.layers[0].removed, true);
  maskChannels(zeroed, rg.name(6), r.layers[0].removed, true);
  auto in = randomInputs(orig, 1);
  auto ya = runGraph(zeroed, in);
  auto yb = runGraph(rg.b.g, in);
  ASSERT_TRUE(ya.isOk() && yb.isOk());
  double diff = 0;
  for (int64_t i = 0; i < (*ya)[0].type.numel(); ++i)
    diff = std::max(diff, double(std::fabs((*ya)[0].as<float>()[i] - (*yb)[0].as<float>()[i])));
  EXPECT_GT(diff, 1e-3);
}

TEST(PruneStructured, GlobalRuleShrinksEveryPrunableGroup) {
  ResidualGraph rg;
  PruneResult r;
  auto ch = pruneGraph(rg.b.g, parsePruneSpecs({"structured:0.25"}).value(), &r);
  ASSERT_TRUE(ch.isOk()) << ch.error().message;
  ASSERT_TRUE(verifyGraph(rg.b.g).isOk());
  // The Gemm feeds the graph output: frozen, and said so.
  bool gemmSkipped = false;
  for (const LayerPrune& l : r.layers)
    if (l.op_type == "Gemm") gemmSkipped = l.how.find("skipped") != std::string::npos;
  EXPECT_TRUE(gemmSkipped);
  EXPECT_LT(r.macs_after, r.macs_before * 0.8);
  auto in = randomInputs(rg.b.g, 1);
  EXPECT_TRUE(runGraph(rg.b.g, in).isOk());
}

TEST(PruneStructured, GraphOutputFreezesTheGroup) {
  Builder b;
  TensorId x = b.input("x", {1, 2, 4, 4});
  TensorId c = b.node("Conv", {x, b.random("w", {4, 2, 1, 1})});
  b.output(c);
  b.infer();
  PruneResult r;
  auto ch = pruneGraph(b.g, parsePruneSpecs({"structured:0.5"}).value(), &r);
  ASSERT_TRUE(ch.isOk()) << ch.error().message;
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_NE(r.layers[0].how.find("graph output"), std::string::npos) << r.layers[0].how;
  EXPECT_EQ(b.g.inType(b.g.nodes[0], 1).shape[0], 4);
}

// ---- the command line ------------------------------------------------------------

struct Cli {
  int code = -1;
  std::string out, err;
};

Cli runEmlc(const std::string& args) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("emlc_prune_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string cmd = std::string(EMLC_BINARY) + " " + args + " > " + (dir / "o").string() + " 2> " +
                          (dir / "e").string();
  const int rc = std::system(cmd.c_str());
  Cli r;
  r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  auto slurp = [](const fs::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  r.out = slurp(dir / "o");
  r.err = slurp(dir / "e");
  fs::remove_all(dir);
  return r;
}

TEST(PruneCli, BadSpecsAreUserErrorsAndTheReportPrints) {
  const std::string model = std::string(EMLC_SOURCE_DIR) + "/tests/models/digits_cnn/model.onnx";
  Cli bad = runEmlc("inspect " + model + " --prune magnitude:2");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("[0, 1)"), std::string::npos) << bad.err;
  Cli node = runEmlc("inspect " + model + " --prune nope=magnitude:0.5");
  EXPECT_EQ(node.code, 1);
  EXPECT_NE(node.err.find("/fc1/Gemm"), std::string::npos) << node.err;  // lists the prunable nodes
  Cli noData = runEmlc("inspect " + model + " --prune-report");
  EXPECT_EQ(noData.code, 1);
  EXPECT_NE(noData.err.find("--test-data"), std::string::npos) << noData.err;
  Cli ok = runEmlc("inspect " + model + " --prune magnitude:0.5 --optimize size");
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("/fc1/Gemm"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("50.0%"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("sparse weights"), std::string::npos) << ok.out;
}

}  // namespace
}  // namespace emlc
