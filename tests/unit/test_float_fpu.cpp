// The single-precision FPU float kernels (runtime/emlc/float_fpu.h,
// --target cortex-m4/m7/m33): which kernel each float Conv/Gemm lowers to,
// and agreement with the generic kernels on random inputs. Each case runs
// the graph as the model gives it (the model-layout generic kernels) and
// after target-kernels + layout-nhwc (the FPU kernels), over shapes that
// hit every tail: pixel counts that are not multiples of the tile rows,
// channel counts not multiples of 4, padding on every side, strides,
// dilations, more than one tap chunk, batch 2, every fused activation.
// Summation order differs from the generic kernels (and the FPU kernels
// fuse multiply-adds where the target has FMA), so the outputs agree to a
// tight tolerance rather than bit for bit. The models under QEMU:
// tests/cortex_m (cortexm_*_float_fpu).
#include <gtest/gtest.h>

#include <cmath>

#include "graph_builder.h"
#include "ops/fused_activation.h"
#include "ops/lowering.h"
#include "ops/nhwc.h"
#include "ops/op.h"
#include "passes/target_kernels.h"

namespace emlc {
namespace {

using namespace testing_util;

// Captures the emitted kernel call of a node.
class CallSink final : public EmitSink {
 public:
  std::vector<std::string> statements;
  std::string tensorExpr(TensorId id, const char*, bool) override { return "t" + std::to_string(id); }
  bool sameStorage(TensorId, TensorId) override { return false; }
  std::string declare(const std::string&, const std::string&) override { return "p"; }
  std::string declareArray(const char*, const std::vector<std::string>&) override { return "a"; }
  std::string localArray(const std::string&, const std::vector<std::string>&) override { return "l"; }
  void statement(const std::string& s) override { statements.push_back(s); }
  std::string scratchExpr(const char*, size_t) override { return "scratch"; }
};

// The kernel the (only) Conv or Gemm of g calls, e.g. "emlc::rt::fpu_conv<6, 4>".
std::string kernelOf(const Graph& g) {
  for (const Node& n : g.nodes) {
    if (n.dead || (n.op_type != "Conv" && n.op_type != "Gemm")) continue;
    const Op* op = findOp(n.domain, n.op_type);
    if (!op) return "no op";
    CallSink sink;
    Lowering l(g, n, &sink);
    if (Status st = op->lower(l); !st) return "error: " + st.error().message;
    for (const std::string& s : sink.statements)
      if (s.rfind("emlc::rt::", 0) == 0) return s.substr(0, s.find('('));
    return "no call";
  }
  return "no node";
}

// Runs target-kernels (cortex-m4) and layout-nhwc on a copy of `before` and
// checks it against `before` (generic kernels, model layout) on three
// random inputs; returns the kernel the Conv/Gemm calls.
std::string checkFpu(const Graph& before, double tol = 2e-6) {
  Graph g = before;
  PassOptions o;
  o.target = PassOptions::Target::CortexM4;
  auto r1 = runPass(g, "target-kernels", o);
  EXPECT_TRUE(r1.isOk() && r1->changed) << (r1.isOk() ? "not marked" : r1.error().message);
  auto r2 = runPass(g, "layout-nhwc", o);
  EXPECT_TRUE(r2.isOk()) << (r2.isOk() ? "" : r2.error().message);
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    auto in = randomInputs(before, seed);
    auto want = runGraph(before, in);
    auto got = runGraph(g, in);
    EXPECT_TRUE(want.isOk() && got.isOk());
    if (!want.isOk() || !got.isOk()) return "run failed";
    const HostTensor& a = (*want)[0];
    const HostTensor& b = (*got)[0];
    EXPECT_EQ(a.type.shape, b.type.shape);
    if (a.type.shape != b.type.shape) return "shape";
    double maxerr = 0;
    for (int64_t i = 0; i < a.type.numel(); ++i) {
      const double x = a.as<float>()[i], y = b.as<float>()[i];
      const double e = std::fabs(x - y) / std::max(1.0, std::fabs(x));
      maxerr = std::max(maxerr, std::isnan(e) ? INFINITY : e);
    }
    EXPECT_LE(maxerr, tol) << "seed " << seed;
  }
  return kernelOf(g);
}

struct ConvCase {
  Shape x;    // N, C, spatial...
  int64_t m;  // output channels
  Shape k;    // kernel
  std::vector<int64_t> strides, pads, dilations;
  int64_t group;
  const char* act;     // fused activation or nullptr
  const char* kernel;  // expected kernel (prefix)
};

Graph convGraph(const ConvCase& c, uint32_t seed) {
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
  if (c.act) {
    const bool relu = std::string(c.act) == "Relu";
    setFusedActivation(b.g.nodes.back(), c.act, relu ? 0.0f : -0.5f, relu ? HUGE_VALF : 0.75f, 0.1f);
  }
  b.infer();
  return b.g;
}

void runCases(const std::vector<ConvCase>& cases, uint32_t seed) {
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(shapeStr(c.x) + " -> " + std::to_string(c.m) + " kernel " + shapeStr(c.k) + " group " +
                 std::to_string(c.group) + " " + (c.act ? c.act : ""));
    const std::string k = checkFpu(convGraph(c, ++seed));
    EXPECT_EQ(k.rfind(c.kernel, 0), 0u) << k;
  }
}

TEST(FpuKernels, DenseConvolutions) {
  runCases(
      {
          {{1, 16, 9, 7}, 16, {3, 3}, {}, {1, 1, 1, 1}, {}, 1, "Relu", "emlc::rt::fpu_conv<"},
          {{2, 5, 8, 6}, 37, {3, 2}, {2, 1}, {1, 0, 2, 1}, {}, 1, "Clip", "emlc::rt::fpu_conv<"},      // M tail, batch 2
          {{1, 12, 7, 7}, 7, {3, 3}, {1, 1}, {2, 2, 2, 2}, {2, 2}, 1, nullptr, "emlc::rt::fpu_conv<"},  // dilation
          {{1, 6, 4, 4}, 18, {5, 5}, {}, {4, 4, 4, 4}, {}, 1, "Tanh", "emlc::rt::fpu_conv<"},          // 25 taps: 2 chunks
          {{1, 8, 5, 3}, 3, {1, 1}, {2, 2}, {}, {}, 1, "Sigmoid", "emlc::rt::fpu_conv<"},              // 1x1 strided
          {{1, 9, 20}, 17, {5}, {2}, {2, 1}, {}, 1, "LeakyRelu", "emlc::rt::fpu_conv<"},               // 1-D
          {{1, 5, 1, 1}, 5, {1, 1}, {}, {1, 1, 1, 1}, {}, 1, "HardSwish", "emlc::rt::fpu_conv<"},      // one pixel in, 9 out
      },
      100);
}

TEST(FpuKernels, FewInputChannelsReduceOverKernelRows) {
  runCases(
      {
          {{1, 3, 10, 10}, 8, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, 1, "Relu", "emlc::rt::fpu_conv_rows<"},  // VWW's first layer
          {{1, 1, 13, 6}, 24, {6, 4}, {2, 2}, {3, 1, 2, 1}, {}, 1, nullptr, "emlc::rt::fpu_conv_rows<"},  // KWS-like, C = 1
          {{2, 3, 7, 9}, 5, {3, 5}, {1, 2}, {0, 2, 1, 3}, {}, 1, "Clip", "emlc::rt::fpu_conv_rows<"},    // batch 2, M tail
          {{1, 4, 6, 6}, 16, {17, 2}, {}, {8, 1, 8, 0}, {}, 1, "Tanh", "emlc::rt::fpu_conv_rows<"},      // 17 kernel rows: 2 chunks
          {{1, 2, 8, 8}, 6, {3, 3}, {}, {1, 1, 1, 1}, {2, 1}, 1, nullptr, "emlc::rt::fpu_conv_rows<"},   // dilated along H only
          {{1, 3, 9, 9}, 6, {3, 3}, {}, {2, 2, 2, 2}, {1, 2}, 1, "Relu", "emlc::rt::fpu_conv<"},         // dilated along W
      },
      200);
}

TEST(FpuKernels, PointwiseConvolutionsAreMatrixProducts) {
  runCases(
      {
          {{1, 20, 6, 5}, 33, {1, 1}, {}, {}, {}, 1, "HardSwish", "emlc::rt::fpu_gemm<"},
          {{2, 8, 3, 3}, 16, {1, 1}, {}, {}, {}, 1, "Relu", "emlc::rt::fpu_gemm<"},   // 18 pixels over the batch
          {{1, 64, 1, 1}, 10, {1, 1}, {}, {}, {}, 1, nullptr, "emlc::rt::fpu_gemm<1, 16>"},  // one pixel: a vector
          {{1, 7, 5, 5}, 3, {1, 1}, {}, {}, {}, 1, "Clip", "emlc::rt::fpu_gemm<"},
      },
      300);
}

TEST(FpuKernels, DepthwiseConvolutions) {
  runCases(
      {
          {{1, 8, 9, 9}, 8, {3, 3}, {}, {1, 1, 1, 1}, {}, 8, "Relu", "emlc::rt::fpu_depthwise<"},
          {{1, 41, 7, 5}, 41, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, 41, nullptr, "emlc::rt::fpu_depthwise<"},  // 10 groups + 1
          {{2, 3, 6, 6}, 3, {5, 3}, {1, 2}, {2, 0, 2, 1}, {1, 2}, 3, "Clip", "emlc::rt::fpu_depthwise<"},  // channels < 4
          {{1, 16, 11, 11}, 16, {5, 5}, {}, {2, 2, 2, 2}, {}, 16, "Tanh", "emlc::rt::fpu_depthwise<"},       // 2 chunks
          {{1, 6, 1, 1}, 6, {3, 3}, {}, {1, 1, 1, 1}, {}, 6, "Sigmoid", "emlc::rt::fpu_depthwise<1>"},       // one pixel
          {{1, 22, 30}, 22, {7}, {1}, {3, 3}, {}, 22, "LeakyRelu", "emlc::rt::fpu_depthwise<"},              // 1-D
      },
      400);
}

// Gemm (and MatMul by constant weights, which becomes Gemm) against the
// generic packed kernel, over one-row (vector) and many-row shapes.
TEST(FpuKernels, Gemm) {
  struct GemmCase {
    int64_t m, k, n;
    bool trans_b;
    float alpha, beta;
    Shape c;  // empty: no C
    const char* act;
    const char* kernel;
  };
  const std::vector<GemmCase> cases = {
      {1, 70, 130, true, 1.0f, 1.0f, {130}, "Relu", "emlc::rt::fpu_gemm<1, 16>"},
      {1, 9, 5, false, 0.5f, 2.0f, {1, 5}, nullptr, "emlc::rt::fpu_gemm<1, 8>"},
      {1, 33, 3, false, 1.0f, 1.0f, {}, "Tanh", "emlc::rt::fpu_gemm<1, 4>"},
      {6, 21, 19, true, 1.5f, 1.0f, {19}, "Clip", "emlc::rt::fpu_gemm<6, 4>"},
      {7, 5, 9, false, 1.0f, 1.0f, {1}, nullptr, "emlc::rt::fpu_gemm<"},
      {13, 1, 4, true, 1.0f, 1.0f, {}, "Relu", "emlc::rt::fpu_gemm<"},
  };
  uint32_t seed = 500;
  for (const GemmCase& c : cases) {
    SCOPED_TRACE(std::to_string(c.m) + "x" + std::to_string(c.k) + "x" + std::to_string(c.n));
    Builder b;
    b.rng.seed(++seed);
    TensorId a = b.input("a", {c.m, c.k});
    TensorId w = b.random("b", c.trans_b ? Shape{c.n, c.k} : Shape{c.k, c.n});
    std::vector<TensorId> ins{a, w};
    if (!c.c.empty()) ins.push_back(b.random("c", c.c));
    b.output(b.node("Gemm", ins, {{"transB", i1(c.trans_b)}, {"alpha", f1(c.alpha)}, {"beta", f1(c.beta)}}, "y"));
    if (c.act) {
      const bool relu = std::string(c.act) == "Relu";
      setFusedActivation(b.g.nodes.back(), c.act, relu ? 0.0f : -0.5f, relu ? HUGE_VALF : 0.5f, 0.0f);
    }
    b.infer();
    const std::string k = checkFpu(b.g);
    EXPECT_EQ(k.rfind(c.kernel, 0), 0u) << k;
  }
}

TEST(FpuKernels, GenericTargetKeepsTheGenericKernels) {
  Graph g = convGraph({{1, 16, 9, 7}, 16, {3, 3}, {}, {1, 1, 1, 1}, {}, 1, "Relu", ""}, 1);
  PassOptions o;  // --target generic
  auto r1 = runPass(g, "target-kernels", o);
  ASSERT_TRUE(r1.isOk());
  EXPECT_FALSE(r1->changed);
  ASSERT_TRUE(runPass(g, "layout-nhwc", o).isOk());
  EXPECT_EQ(kernelOf(g).rfind("emlc::rt::conv_nhwc<", 0), 0u) << kernelOf(g);
}

// The marks for each Cortex-M target: every float Conv and Gemm, no int8
// mark on them.
TEST(FpuKernels, CortexMTargetsMarkFloatConvAndGemm) {
  for (auto t : {PassOptions::Target::CortexM4, PassOptions::Target::CortexM7, PassOptions::Target::CortexM33}) {
    Builder b;
    TensorId x = b.input("x", {1, 3, 8, 8});
    TensorId c = b.node("Conv", {x, b.random("w", {4, 3, 3, 3})});
    TensorId f = b.node("Flatten", {c});
    b.output(b.node("Gemm", {f, b.random("g", {144, 5})}, {}, "y"));
    b.infer();
    PassOptions o;
    o.target = t;
    ASSERT_TRUE(runPass(b.g, "target-kernels", o).isOk());
    int marked = 0;
    for (const Node& n : b.g.nodes) {
      if (n.dead) continue;
      const bool want = n.op_type == "Conv" || n.op_type == "Gemm";
      EXPECT_EQ(n.attrString(kKernelAttr, ""), want ? kArmFpu : "") << n.op_type;
      marked += want;
    }
    EXPECT_EQ(marked, 2);
  }
}

}  // namespace
}  // namespace emlc
