// The layout-nhwc pass and the fast float kernels behind it: structure of
// the converted graph, and numerical agreement of every channels-last kernel
// (conv_nhwc, conv_nhwc_gather, depthwise_nhwc, gemm_packed for pointwise
// convolutions, the NHWC pools) with the model-layout reference kernels
// (runtime/emlc/conv.h, pool.h) on random inputs, over shapes chosen to hit
// every tail (channel counts that are not multiples of the tile, short rows,
// padding on every side, strides, dilations, several tap chunks, batch 2).
// The packed Gemm is checked against products computed here in double.
#include <gtest/gtest.h>

#include "graph_builder.h"
#include "ops/fused_activation.h"
#include "ops/nhwc.h"

namespace emlc {
namespace {

using namespace testing_util;

int countWithLayout(const Graph& g) {
  int n = 0;
  for (const Node& x : g.nodes) n += isNhwc(x);
  return n;
}

TEST(LayoutNhwc, ConvNetRegionWithBoundaryTransposes) {
  Builder b;
  TensorId x = b.input("x", {1, 3, 12, 12});
  TensorId c1 = b.node("Conv", {x, b.random("w1", {8, 3, 3, 3}), b.random("b1", {8})}, {{"pads", ints({1, 1, 1, 1})}});
  TensorId r1 = b.node("Relu", {c1});
  TensorId m = b.node("MaxPool", {r1}, {{"kernel_shape", ints({2, 2})}, {"strides", ints({2, 2})}});
  TensorId c2 = b.node("Conv", {m, b.random("w2", {16, 8, 3, 3})});
  TensorId gp = b.node("GlobalAveragePool", {c2});
  TensorId f = b.node("Flatten", {gp});
  b.output(b.node("Gemm", {f, b.random("wg", {16, 4})}, {}, "y"));
  b.infer();
  Result r = runChecked(b.g, "layout-nhwc");
  EXPECT_TRUE(r.rec.changed);
  // Conv, Relu, MaxPool, Conv and GlobalAveragePool run channels-last; one
  // transpose into the region, one out of it (before Flatten).
  EXPECT_EQ(countWithLayout(r.g), 5);
  EXPECT_EQ(histogram(r.g)["Transpose"], 2);
  for (const Node& n : r.g.nodes) {
    if (isNhwc(n)) {
      EXPECT_EQ(r.g.t(n.outputs[0]).type.layout, Layout::NHWC) << n.name;
    }
  }
  // The graph's input and output keep the model's layout.
  EXPECT_EQ(r.g.t(r.g.inputs[0]).type.layout, Layout::Onnx);
  EXPECT_EQ(r.g.t(r.g.inputs[0]).type.shape, (Shape{1, 3, 12, 12}));
  // transpose-cancel then makes the [1, 16, 1, 1] exit a Reshape (a view).
  Graph g2 = r.g;
  ASSERT_TRUE(runPass(g2, "transpose-cancel").isOk());
  EXPECT_EQ(histogram(g2)["Transpose"], 1);
  EXPECT_EQ(histogram(g2)["Reshape"], 1);
}

TEST(LayoutNhwc, ResidualAddAndElementwiseJoinTheRegion) {
  Builder b;
  TensorId x = b.input("x", {2, 8, 6, 6});
  TensorId c1 = b.node("Conv", {x, b.random("w1", {8, 8, 3, 3})}, {{"pads", ints({1, 1, 1, 1})}});
  TensorId c2 = b.node("Conv", {x, b.random("w2", {8, 8, 1, 1})});
  TensorId a = b.node("Add", {c1, c2});
  TensorId s = b.node("Sigmoid", {a});
  TensorId k = b.node("Mul", {s, b.constant("half", {}, {0.5f})});
  b.output(b.node("Clip", {k, b.constant("lo", {}, {0.1f}), b.constant("hi", {}, {0.4f})}, {}, "y"));
  b.infer();
  Result r = runChecked(b.g, "layout-nhwc");
  EXPECT_EQ(countWithLayout(r.g), 6);
  EXPECT_EQ(histogram(r.g)["Transpose"], 2);  // x in once (shared), y out
}

// Nodes without an NHWC kernel stay as they are: ConvTranspose, a grouped
// (not depthwise) Conv, a 3-D Conv, LpPool, float64; and pools do not start
// a region of their own.
TEST(LayoutNhwc, LeavesNodesWithoutNhwcKernels) {
  Builder b;
  TensorId x = b.input("x", {1, 4, 5, 5});
  TensorId t = b.node("ConvTranspose", {x, b.random("wt", {4, 4, 2, 2})});
  TensorId g = b.node("Conv", {t, b.random("wg", {4, 2, 3, 3})}, {{"group", i1(2)}});
  TensorId p = b.node("MaxPool", {g}, {{"kernel_shape", ints({2, 2})}});
  TensorId x3 = b.input("x3", {1, 2, 3, 4, 4});
  b.output(b.node("LpPool", {p}, {{"kernel_shape", ints({2, 2})}}, "y"));
  b.output(b.node("Conv", {x3, b.random("w3", {2, 2, 1, 1, 1})}, {}, "y3"));
  b.infer();
  Result r = runChecked(b.g, "layout-nhwc");
  EXPECT_FALSE(r.rec.changed);
  EXPECT_EQ(countWithLayout(r.g), 0);
}

TEST(LayoutNhwc, OptimizeSizeKeepsTheModelLayout) {
  Builder b;
  TensorId x = b.input("x", {1, 2, 4, 4});
  b.output(b.node("Conv", {x, b.random("w", {4, 2, 3, 3})}, {}, "y"));
  b.infer();
  PassOptions o;
  o.optimize = PassOptions::Optimize::Size;
  Graph g = b.g;
  auto rec = runPass(g, "layout-nhwc", o);
  ASSERT_TRUE(rec.isOk());
  EXPECT_FALSE(rec->changed);
  EXPECT_EQ(countWithLayout(g), 0);
}

// --io-layout nhwc: the graph's input and output become channels-last, the
// boundary transposes cancel against the region's, and the model computes
// the same values on the transposed data (indices permuted here by hand).
TEST(IoLayout, NhwcBoundaryWithoutTransposes) {
  Builder b;
  const int64_t C = 3, H = 6, W = 5, M = 4;
  TensorId x = b.input("x", {1, C, H, W});
  TensorId c1 = b.node("Conv", {x, b.random("w1", {M, C, 3, 3}), b.random("b1", {M})}, {{"pads", ints({1, 1, 1, 1})}});
  b.output(b.node("Relu", {c1}, {}, "y"));
  b.infer();
  const Graph before = b.g;
  Graph g = b.g;
  PassOptions o;
  o.io_nhwc = true;
  std::vector<PassRecord> log;
  ASSERT_TRUE(runPipeline(g, o, &log).isOk());
  EXPECT_EQ(histogram(g)["Transpose"], 0);
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.t(g.inputs[0]).name, "x");
  EXPECT_EQ(g.t(g.inputs[0]).type.shape, (Shape{1, H, W, C}));
  EXPECT_EQ(g.t(g.outputs[0]).name, "y");
  EXPECT_EQ(g.t(g.outputs[0]).type.shape, (Shape{1, H, W, M}));
  auto in = randomInputs(before, 7);
  HostTensor xn = in[0];
  xn.type = g.t(g.inputs[0]).type;
  const float* src = in[0].as<float>();
  for (int64_t c = 0; c < C; ++c)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w) xn.as<float>()[(h * W + w) * C + c] = src[(c * H + h) * W + w];
  auto want = runGraph(before, in);
  auto got = runGraph(g, {xn});
  ASSERT_TRUE(want.isOk() && got.isOk());
  double maxerr = 0;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w)
        maxerr = std::max(maxerr, std::fabs(double{(*want)[0].as<float>()[(m * H + h) * W + w]} -
                                            double{(*got)[0].as<float>()[(h * W + w) * M + m]}));
  EXPECT_LE(maxerr, 1e-5);
  // Off by default: the model's layout at the boundary.
  Graph g2 = b.g;
  ASSERT_TRUE(runPipeline(g2, PassOptions{}, nullptr).isOk());
  EXPECT_EQ(g2.t(g2.inputs[0]).type.shape, (Shape{1, C, H, W}));
}

// ---- kernels: channels-last against the model-layout reference ---------------

struct ConvCase {
  Shape x;       // N, C, spatial...
  int64_t m;     // output channels
  Shape k;       // kernel
  std::vector<int64_t> strides, pads, dilations;
  int64_t group;
  const char* act;  // fused activation or nullptr
};

void checkConv(const ConvCase& c, uint32_t seed) {
  Builder b;
  b.rng.seed(seed);
  TensorId x = b.input("x", c.x);
  Shape ws{c.m, c.x[1] / c.group};
  ws.insert(ws.end(), c.k.begin(), c.k.end());
  std::map<std::string, Attribute> attrs{{"group", i1(c.group)}};
  if (!c.strides.empty()) attrs["strides"] = ints(c.strides);
  if (!c.pads.empty()) attrs["pads"] = ints(c.pads);
  if (!c.dilations.empty()) attrs["dilations"] = ints(c.dilations);
  TensorId y = b.node("Conv", {x, b.random("w", ws), b.random("bias", {c.m})}, attrs, "y");
  b.output(y);
  if (c.act) setFusedActivation(b.g.nodes.back(), c.act, 0.0f, 0.75f, 0.1f);
  b.infer();
  Result r = runChecked(b.g, "layout-nhwc", 2e-6);
  EXPECT_EQ(countWithLayout(r.g), 1) << "conv not converted";
}

TEST(NhwcKernels, DenseConvolutions) {
  const std::vector<ConvCase> cases = {
      {{1, 16, 9, 7}, 16, {3, 3}, {}, {1, 1, 1, 1}, {}, 1, nullptr},         // 4 x 16 tiles, short rows
      {{2, 5, 8, 6}, 37, {3, 2}, {2, 1}, {1, 0, 2, 1}, {}, 1, "Relu"},        // tails on M, batch 2
      {{1, 12, 7, 7}, 7, {3, 3}, {1, 1}, {2, 2, 2, 2}, {2, 2}, 1, "Clip"},    // 8 x 8 tiles, dilation
      {{1, 3, 10, 10}, 40, {5, 5}, {2, 2}, {2, 2, 2, 2}, {}, 1, "LeakyRelu"}, // im2col path, 2 tap chunks
      {{1, 1, 13, 6}, 24, {6, 4}, {2, 2}, {3, 1, 2, 1}, {}, 1, nullptr},      // im2col, C = 1
      {{1, 20, 6, 5}, 33, {1, 1}, {}, {}, {}, 1, "HardSwish"},                 // pointwise: gemm_packed
      {{2, 8, 4, 4}, 5, {1, 1}, {2, 2}, {}, {}, 1, "Sigmoid"},                 // 1x1 strided: conv_nhwc
      {{1, 6, 4, 4}, 18, {5, 5}, {}, {4, 4, 4, 4}, {}, 1, "Tanh"},             // mostly padding
      {{1, 9, 20}, 17, {5}, {2}, {2, 1}, {}, 1, "Relu"},                       // 1-D
  };
  uint32_t seed = 10;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(shapeStr(c.x) + " -> " + std::to_string(c.m) + " kernel " + shapeStr(c.k));
    checkConv(c, ++seed);
  }
}

TEST(NhwcKernels, DepthwiseConvolutions) {
  const std::vector<ConvCase> cases = {
      {{1, 8, 9, 9}, 8, {3, 3}, {}, {1, 1, 1, 1}, {}, 8, "Relu"},
      {{1, 41, 7, 5}, 41, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, 41, nullptr},     // blocks of 16, 8 and 1
      {{2, 3, 6, 6}, 3, {5, 3}, {1, 2}, {2, 0, 2, 1}, {1, 2}, 3, "Clip"},
      {{1, 16, 11, 11}, 16, {5, 5}, {}, {2, 2, 2, 2}, {}, 16, nullptr},       // 25 taps: 2 chunks
      {{1, 24, 30}, 24, {7}, {1}, {3, 3}, {}, 24, "LeakyRelu"},               // 1-D
  };
  uint32_t seed = 40;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(shapeStr(c.x) + " depthwise kernel " + shapeStr(c.k));
    checkConv(c, ++seed);
  }
}

TEST(NhwcKernels, Pools) {
  struct PoolCase {
    const char* op;
    Shape x;
    std::map<std::string, Attribute> attrs;
  };
  const std::vector<PoolCase> cases = {
      {"MaxPool", {1, 5, 9, 9}, {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}, {"pads", ints({1, 1, 1, 1})}}},
      {"MaxPool", {2, 3, 8, 7}, {{"kernel_shape", ints({2, 3})}, {"dilations", ints({2, 1})}, {"ceil_mode", i1(1)}}},
      {"AveragePool", {1, 6, 7, 7}, {{"kernel_shape", ints({3, 3})}, {"pads", ints({1, 2, 1, 0})}}},
      {"AveragePool",
       {1, 6, 7, 7},
       {{"kernel_shape", ints({3, 2})}, {"pads", ints({1, 1, 1, 1})}, {"count_include_pad", i1(1)}, {"strides", ints({2, 2})}}},
      {"AveragePool", {1, 4, 12}, {{"kernel_shape", ints({4})}, {"strides", ints({3})}, {"ceil_mode", i1(1)}}},
      {"GlobalAveragePool", {2, 7, 5, 3}, {}},
      {"GlobalMaxPool", {1, 9, 4, 4}, {}},
      {"GlobalAveragePool", {1, 7, 10}, {}},
  };
  uint32_t seed = 70;
  for (const PoolCase& c : cases) {
    SCOPED_TRACE(std::string(c.op) + " " + shapeStr(c.x));
    Builder b;
    b.rng.seed(++seed);
    TensorId x = b.input("x", c.x);
    Shape ws{c.x[1], c.x[1]};
    for (size_t i = 2; i < c.x.size(); ++i) ws.push_back(1);
    // A 1x1 Conv starts the region the pool joins.
    TensorId conv = b.node("Conv", {x, b.random("w", ws)});
    b.output(b.node(c.op, {conv}, c.attrs, "y"));
    b.infer();
    Result r = runChecked(b.g, "layout-nhwc", 1e-6);
    EXPECT_EQ(countWithLayout(r.g), 2);
  }
}

// gemm_packed (Gemm with constant B) against products computed here.
TEST(NhwcKernels, PackedGemm) {
  struct GemmCase {
    int64_t m, k, n;
    bool trans_b;
    float alpha, beta;
    Shape c;  // empty: no C
    const char* act;
  };
  const std::vector<GemmCase> cases = {
      {1, 70, 130, true, 1.0f, 1.0f, {130}, "Relu"},
      {1, 9, 5, false, 0.5f, 2.0f, {1, 5}, nullptr},
      {1, 33, 40, false, 1.0f, 1.0f, {}, "Tanh"},
      {1, 16, 17, true, 1.0f, -1.0f, {1}, nullptr},
      {6, 21, 19, true, 1.5f, 1.0f, {19}, "Clip"},
      {3, 8, 4, false, 1.0f, 1.0f, {3, 4}, nullptr},  // C varies by row: the generic kernel
  };
  uint32_t seed = 90;
  for (const GemmCase& c : cases) {
    SCOPED_TRACE(std::to_string(c.m) + "x" + std::to_string(c.k) + "x" + std::to_string(c.n));
    Builder b;
    b.rng.seed(++seed);
    TensorId a = b.input("a", {c.m, c.k});
    TensorId w = b.random("b", c.trans_b ? Shape{c.n, c.k} : Shape{c.k, c.n});
    std::vector<TensorId> ins{a, w};
    if (!c.c.empty()) ins.push_back(b.random("c", c.c));
    TensorId y = b.node("Gemm", ins,
                        {{"transB", i1(c.trans_b)}, {"alpha", f1(c.alpha)}, {"beta", f1(c.beta)}}, "y");
    b.output(y);
    if (c.act) {
      const bool relu = std::string(c.act) == "Relu";
      setFusedActivation(b.g.nodes.back(), c.act, relu ? 0.0f : -0.5f, relu ? HUGE_VALF : 0.5f, 0.0f);
    }
    b.infer();
    auto in = randomInputs(b.g, seed);
    auto out = runGraph(b.g, in);
    ASSERT_TRUE(out.isOk()) << out.error().message;
    const float* av = in[0].as<float>();
    const float* bv = b.g.t(w).as<float>();
    const float* cv = c.c.empty() ? nullptr : b.g.t(ins[2]).as<float>();
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        double s = 0;
        for (int64_t k = 0; k < c.k; ++k) s += double(av[i * c.k + k]) * bv[c.trans_b ? j * c.k + k : k * c.n + j];
        s *= c.alpha;
        if (cv) {
          const int64_t ci = c.c.size() == 2 && c.c[0] != 1 ? i * c.n + j : (shapeNumel(c.c) == 1 ? 0 : j);
          s += double(c.beta) * cv[ci];
        }
        if (c.act && std::string(c.act) == "Relu") s = s < 0 ? 0 : s;
        if (c.act && std::string(c.act) == "Clip") s = s < -0.5 ? -0.5 : (s > 0.5 ? 0.5 : s);
        if (c.act && std::string(c.act) == "Tanh") s = std::tanh(s);
        EXPECT_NEAR((*out)[0].as<float>()[i * c.n + j], s, 1e-5 * std::max(1.0, std::fabs(s))) << i << "," << j;
      }
  }
}

}  // namespace
}  // namespace emlc
