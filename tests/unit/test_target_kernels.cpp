// The target-kernels pass (--target): which int8 nodes get the Arm DSP
// kernels, and that the compiler's evaluation through those kernels (their
// intrinsics as plain C on the host) gives the same bytes as the reference
// kernels on MLPerf Tiny QDQ models. (tests/cortex_m runs them on the
// cores under QEMU.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <unistd.h>

#include "driver/compile.h"
#include "emlc/int8_dsp.h"
#include "eval/evaluator.h"
#include "passes/target_kernels.h"
#include "quant/measure.h"
#include "quant/ptq.h"
#include "model_builder.h"
#include "support/npy.h"

namespace emlc {
namespace {

std::string modelDir(const std::string& m) { return std::string(EMLC_SOURCE_DIR) + "/tests/models/mlperf_tiny/" + m; }

PreparedModel prepare(const std::string& m, PassOptions::Target t) {
  PassOptions po;
  po.target = t;
  auto pm = prepareModel(modelDir(m) + "/model_qdq.onnx", ImportOptions{}, po);
  EXPECT_TRUE(pm.isOk()) << (pm.isOk() ? "" : pm.error().message);
  return pm.isOk() ? std::move(*pm) : PreparedModel{};
}

size_t marked(const Graph& g) {
  size_t n = 0;
  for (const Node& node : g.nodes)
    if (!node.dead && node.attrString(kKernelAttr, "") == kArmDsp) ++n;
  return n;
}

size_t count(const Graph& g, std::initializer_list<const char*> ops) {
  size_t n = 0;
  for (const Node& node : g.nodes)
    for (const char* op : ops)
      if (!node.dead && node.domain == "emlc" && node.op_type == op) ++n;
  return n;
}

// The model's int8 output for input_0.npy.
std::vector<uint8_t> run(const PreparedModel& pm, const std::string& m) {
  auto in = readNpy(modelDir(m) + "/input_0.npy");
  EXPECT_TRUE(in.isOk());
  if (!in) return {};
  HostTensor x = *in;
  x.type = pm.graph.t(pm.graph.inputs[0]).type;
  auto out = runFloatBoundary(pm.graph, {dequantized(x)});
  EXPECT_TRUE(out.isOk()) << (out.isOk() ? "" : out.error().message);
  return out.isOk() ? out->at(0).data : std::vector<uint8_t>{};
}

TEST(TargetKernels, GenericMarksNothing) {
  PreparedModel pm = prepare("kws_dscnn", PassOptions::Target::Generic);
  EXPECT_EQ(marked(pm.graph), 0u);
}

TEST(TargetKernels, CortexMMarksEveryInt8ConvGemmAddAndAveragePool) {
  for (auto t : {PassOptions::Target::CortexM4, PassOptions::Target::CortexM7, PassOptions::Target::CortexM33}) {
    PreparedModel pm = prepare("ic_resnet8", t);
    const size_t convs = count(pm.graph, {"QConv"}), gemms = count(pm.graph, {"QGemm"}), adds = count(pm.graph, {"QAdd"});
    const size_t pools = count(pm.graph, {"QAvgPool"});  // (no MaxPool in ResNet-8)
    EXPECT_GT(convs, 0u);
    EXPECT_GT(adds, 0u);
    EXPECT_GT(pools, 0u);
    EXPECT_EQ(marked(pm.graph), convs + gemms + adds + pools);
  }
}

TEST(TargetKernels, DspKernelsGiveTheReferenceBytes) {
  for (const char* m : {"kws_dscnn", "ic_resnet8", "ad_autoencoder"}) {
    const std::vector<uint8_t> ref = run(prepare(m, PassOptions::Target::Generic), m);
    const std::vector<uint8_t> dsp = run(prepare(m, PassOptions::Target::CortexM4), m);
    ASSERT_FALSE(ref.empty()) << m;
    EXPECT_EQ(ref, dsp) << m;
  }
}

// RequantShort (SMMULR and one rounding add) against the reference
// requantisation on accumulators around every rounding tie, both signs.
TEST(TargetKernels, ShortRequantisationEqualsTheReference) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> mult((1 << 30) + 1, std::numeric_limits<int32_t>::max());
  std::uniform_int_distribution<int32_t> acc(-(1 << 20), 1 << 20);
  int ties = 0;
  for (int right = 1; right <= 30; ++right) {
    for (int i = 0; i < 2000; ++i) {
      const int32_t m = mult(rng), offset = static_cast<int32_t>(i % 7) - 3;
      const int64_t add = (int64_t{1} << (right - 1)) + int64_t{offset} * (int64_t{1} << right);
      if (std::llabs(add) > (int64_t{1} << 30)) continue;
      int32_t a = acc(rng);
      if (i % 2) {
        // An accumulator whose rounded product lands on a tie: h = q * 2^r + 2^(r-1).
        const int64_t span = int64_t{1} << std::max(0, 27 - right);  // keeps |acc| < 2^30
        const int64_t h = std::uniform_int_distribution<int64_t>(-span, span)(rng) * (int64_t{1} << right) +
                          (int64_t{1} << (right - 1));
        const int64_t a64 = (h * (int64_t{1} << 31)) / m;
        if (std::llabs(a64) >= (int64_t{1} << 30)) continue;  // RequantShort's precondition
        a = static_cast<int32_t>(a64);
        if (rt::sat_rounding_doubling_high_mul(a, m) == h) ++ties;
      }
      const rt::dsp::RequantShort<false>::Entry e{m, static_cast<int32_t>(add), right};
      const int32_t want = rt::multiply_by_quantized_multiplier(a, m, -right) + offset;
      const int8_t got = rt::dsp::RequantShort<false>::out(a, e, rt::dsp::OutputClamp{0, -128, 127});
      ASSERT_EQ(static_cast<int32_t>(got), rt::clamp_i32(want, -128, 127)) << "acc " << a << " M " << m << " r " << right;
    }
  }
  EXPECT_GT(ties, 1000);
}

// ---- random layers: every DSP kernel and requantisation policy -----------------

namespace fs = std::filesystem;

// One int8 QDQ layer: x int8 [xshape] -> DequantizeLinear -> Conv or Gemm
// (int8 per-channel weights, int32 bias) -> activation -> QuantizeLinear.
struct Layer {
  std::string op = "Conv";  // or "Gemm" (x [M, K], weights [N, K], transB)
  std::vector<int64_t> x;   // input shape
  int64_t out = 1;          // output channels (Conv) or N (Gemm)
  std::vector<int64_t> kernel{1, 1}, strides{1, 1}, pads{0, 0, 0, 0};
  int64_t group = 1;
  std::string act;          // "", "Relu" or "Relu6"
  float x_scale = 0.05f, y_scale = 0.1f;
  int x_zero = 3, y_zero = -7;
  float w_scale_min = 0.002f, w_scale_max = 0.02f;
  bool dead_channel = false;  // channel 0: tiny weight scale and a huge bias
  float residual = 0;         // > 0: y = Q(DQ(layer output) + DQ(x)) with this scale (a QAdd)
};

void buildLayer(const Layer& L, const fs::path& path, std::mt19937& rng) {
  testing::ModelBuilder b;
  b.input("x", L.x, onnx::TensorProto::INT8);
  b.output("y", onnx::TensorProto::INT8);
  if (L.op == "AveragePool" || L.op == "MaxPool") {  // input and output share scale and zero point
    b.floats("xs", {}, {L.x_scale});
    b.int8s("xz", {}, {static_cast<int8_t>(L.x_zero)});
    b.node("DequantizeLinear", {"x", "xs", "xz"}, {"xf"});
    auto& n = b.node(L.op, {"xf"}, {"p"}, "layer");
    testing::ModelBuilder::attr(n, "kernel_shape", L.kernel);
    testing::ModelBuilder::attr(n, "strides", L.strides);
    testing::ModelBuilder::attr(n, "pads", L.pads);
    testing::ModelBuilder::attr(n, L.op == "MaxPool" ? "ceil_mode" : "count_include_pad", L.group);
    b.node("QuantizeLinear", {"p", "xs", "xz"}, {"y"});
    ASSERT_TRUE(b.save(path.string()));
    return;
  }
  const bool conv = L.op == "Conv";
  const int64_t inPerGroup = conv ? L.x[1] / L.group : L.x[1];
  const int64_t perOut = inPerGroup * (conv ? L.kernel[0] * L.kernel[1] : 1);
  std::uniform_int_distribution<int> w8(-127, 127);
  std::uniform_real_distribution<float> ws(L.w_scale_min, L.w_scale_max);
  std::uniform_int_distribution<int32_t> bias(-5000, 5000);
  std::vector<int8_t> w(static_cast<size_t>(L.out * perOut));
  for (auto& v : w) v = static_cast<int8_t>(w8(rng));
  std::vector<float> wscale(static_cast<size_t>(L.out)), bscale(static_cast<size_t>(L.out));
  std::vector<int32_t> bq(static_cast<size_t>(L.out));
  for (size_t m = 0; m < wscale.size(); ++m) {
    wscale[m] = ws(rng);
    bq[m] = bias(rng);
  }
  if (L.dead_channel) {
    wscale[0] = 1e-9f;
    bq[0] = 1 << 30;
  }
  for (size_t m = 0; m < wscale.size(); ++m) bscale[m] = L.x_scale * wscale[m];
  std::vector<int64_t> wdims = conv ? std::vector<int64_t>{L.out, inPerGroup, L.kernel[0], L.kernel[1]}
                                    : std::vector<int64_t>{L.out, L.x[1]};
  b.floats("xs", {}, {L.x_scale});
  b.int8s("xz", {}, {static_cast<int8_t>(L.x_zero)});
  b.int8s("w", wdims, w);
  b.floats("ws", {L.out}, wscale);
  b.int8s("wz", {L.out}, std::vector<int8_t>(static_cast<size_t>(L.out), 0));
  b.int32s("b", {L.out}, bq);
  b.floats("bs", {L.out}, bscale);
  b.int32s("bz", {L.out}, std::vector<int32_t>(static_cast<size_t>(L.out), 0));
  b.floats("ys", {}, {L.y_scale});
  b.int8s("yz", {}, {static_cast<int8_t>(L.y_zero)});
  b.node("DequantizeLinear", {"x", "xs", "xz"}, {"xf"});
  testing::ModelBuilder::attr(b.node("DequantizeLinear", {"w", "ws", "wz"}, {"wf"}), "axis", 0);
  testing::ModelBuilder::attr(b.node("DequantizeLinear", {"b", "bs", "bz"}, {"bf"}), "axis", 0);
  if (conv) {
    auto& n = b.node("Conv", {"xf", "wf", "bf"}, {"c"}, "layer");
    testing::ModelBuilder::attr(n, "kernel_shape", L.kernel);
    testing::ModelBuilder::attr(n, "strides", L.strides);
    testing::ModelBuilder::attr(n, "pads", L.pads);
    testing::ModelBuilder::attr(n, "group", L.group);
  } else {
    testing::ModelBuilder::attr(b.node("Gemm", {"xf", "wf", "bf"}, {"c"}, "layer"), "transB", 1);
  }
  std::string y = "c";
  if (L.act == "Relu") {
    b.node("Relu", {"c"}, {"a"});
    y = "a";
  } else if (L.act == "Relu6") {
    b.floats("lo", {}, {0.0f});
    b.floats("hi", {}, {6.0f});
    b.node("Clip", {"c", "lo", "hi"}, {"a"});
    y = "a";
  }
  if (L.residual <= 0) {
    b.node("QuantizeLinear", {y, "ys", "yz"}, {"y"});
  } else {
    b.node("QuantizeLinear", {y, "ys", "yz"}, {"yq"});
    b.node("DequantizeLinear", {"yq", "ys", "yz"}, {"yd"});
    b.node("Add", {"yd", "xf"}, {"sum"}, "add");
    b.floats("rs", {}, {L.residual});
    b.int8s("rz", {}, {static_cast<int8_t>(5)});
    b.node("QuantizeLinear", {"sum", "rs", "rz"}, {"y"});
  }
  ASSERT_TRUE(b.save(path.string()));
}

// The layer's output on `inputs` random int8 tensors, and the generated code.
struct LayerRun {
  std::vector<std::vector<uint8_t>> outputs;
  std::string code;
};
LayerRun runLayer(const fs::path& model, PassOptions::Target t, const std::vector<HostTensor>& inputs) {
  CompileOptions co;
  co.model_path = model.string();
  co.name = "layer";
  co.passes.target = t;
  auto c = compileModel(co);
  EXPECT_TRUE(c.isOk()) << (c.isOk() ? "" : c.error().message);
  LayerRun r;
  if (!c) return r;
  if (auto f = c->files.find("layer.cpp"); f != c->files.end()) r.code = f->second;
  for (const HostTensor& x : inputs) {
    auto out = runGraph(c->model.graph, {x});
    EXPECT_TRUE(out.isOk()) << (out.isOk() ? "" : out.error().message);
    if (out) r.outputs.push_back(out->at(0).data);
  }
  return r;
}

TEST(TargetKernels, RandomLayersGiveTheReferenceBytesWithEveryPolicy) {
  const fs::path d = fs::temp_directory_path() / ("emlc_dsp_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  std::vector<Layer> layers;
  auto conv = [&](std::vector<int64_t> x, int64_t out, std::vector<int64_t> k, std::vector<int64_t> s,
                  std::vector<int64_t> pads, int64_t group = 1) {
    Layer L;
    L.x = std::move(x);
    L.out = out;
    L.kernel = std::move(k);
    L.strides = std::move(s);
    L.pads = std::move(pads);
    L.group = group;
    return L;
  };
  // Pointwise (odd pixel count: a one-pixel tail), 3x3 stride 1 with four
  // channels and more (the two-pixel gather; rows of odd width, an odd last
  // channel, remainder channels), 3x3 stride 2 with three channels, a
  // 10x4 first layer with asymmetric padding, depthwise 3x3 stride 1 and 2
  // and of other sizes (odd and even widths), fully connected with one and
  // three rows and K not a multiple of 8.
  layers.push_back(conv({1, 8, 5, 5}, 6, {1, 1}, {1, 1}, {0, 0, 0, 0}));
  layers.push_back(conv({1, 4, 6, 7}, 5, {3, 3}, {1, 1}, {1, 1, 1, 1}));
  layers.push_back(conv({1, 6, 5, 8}, 8, {3, 3}, {1, 1}, {1, 1, 1, 1}));
  layers.push_back(conv({1, 8, 4, 4}, 4, {3, 3}, {1, 1}, {0, 0, 0, 0}));
  layers.push_back(conv({1, 3, 9, 9}, 6, {3, 3}, {2, 2}, {1, 1, 1, 1}));
  layers.push_back(conv({1, 1, 13, 10}, 8, {10, 4}, {2, 2}, {4, 1, 5, 2}));
  layers.push_back(conv({1, 6, 7, 5}, 6, {3, 3}, {1, 1}, {1, 1, 1, 1}, 6));
  layers.push_back(conv({1, 5, 9, 8}, 5, {3, 3}, {2, 2}, {0, 1, 1, 1}, 5));
  layers.push_back(conv({1, 4, 9, 10}, 4, {5, 5}, {1, 1}, {2, 2, 2, 2}, 4));   // depthwise, other sizes
  layers.push_back(conv({1, 3, 11, 9}, 3, {3, 5}, {2, 1}, {1, 0, 1, 3}, 3));
  layers.push_back(conv({1, 2, 6, 40}, 2, {1, 4}, {1, 3}, {0, 0, 0, 0}, 2));
  Layer fc;
  fc.op = "Gemm";
  fc.x = {1, 37};
  fc.out = 7;
  layers.push_back(fc);
  fc.x = {3, 21};
  fc.out = 4;
  layers.push_back(fc);
  // Every shape four times: no activation; a clamp to the whole int8 range (Relu with
  // output zero point -128: RequantShort<true>); a narrower clamp (Relu or
  // Relu6 with zero point 0: [0, 127], RequantShort<false>) with a dead
  // channel 0 (tiny weight scale, huge bias: a constant output); and
  // real multipliers s_x * s_w / s_y up to 10 (left shifts: RequantFull).
  std::vector<Layer> all;
  for (const Layer& base : layers) {
    Layer a = base;
    a.act = "Relu";
    a.y_zero = -128;
    all.push_back(a);
    Layer n = base;
    n.act = base.op == "Gemm" ? "Relu6" : "Relu";
    n.y_zero = 0;
    n.y_scale = 0.03f;
    n.dead_channel = true;
    all.push_back(n);
    Layer plain = base;  // no activation: negative values are not clamped away
    all.push_back(plain);
    Layer f = base;
    f.y_scale = 0.0001f;  // s_x * s_w / s_y up to 10
    f.x_zero = -128;
    all.push_back(f);
  }
  // Average pools (group: count_include_pad): global, strided with
  // padding, rows of odd width.
  for (int64_t include = 0; include < 2; ++include) {
    Layer pool = conv({1, 5, 25, 5}, 5, {25, 5}, {1, 1}, {0, 0, 0, 0}, 0);
    pool.op = "AveragePool";
    all.push_back(pool);
    pool = conv({1, 3, 9, 11}, 3, {3, 3}, {2, 2}, {1, 1, 1, 1}, include);
    pool.op = "AveragePool";
    all.push_back(pool);
    pool = conv({1, 2, 40, 37}, 2, {40, 37}, {1, 1}, {0, 0, 0, 0}, include);  // a long run: 1,480 values
    pool.op = "AveragePool";
    pool.x_zero = -128;
    all.push_back(pool);
  }
  // Residual adds after a pointwise conv (the add's requantisation: short
  // with both scale orders, and the full sequence for a tiny output scale).
  for (float r : {0.12f, 0.04f, 3e-7f}) {  // 3e-7: an output multiplier in [0.5, 1)
    Layer res = conv({1, 6, 5, 7}, 6, {1, 1}, {1, 1}, {0, 0, 0, 0});
    res.residual = r;
    res.y_scale = r == 0.04f ? 0.02f : 0.1f;
    all.push_back(res);
  }
  // Max pools (group: ceil_mode): 2x2 stride 2 with an odd edge, 3x3
  // stride 2 with padding, 3x3 stride 1.
  for (int64_t ceil = 0; ceil < 2; ++ceil) {
    Layer pool = conv({1, 3, 9, 11}, 3, {2, 2}, {2, 2}, {0, 0, 0, 0}, ceil);
    pool.op = "MaxPool";
    all.push_back(pool);
    pool = conv({1, 2, 10, 7}, 2, {3, 3}, {2, 2}, {1, 1, 1, 1}, ceil);
    pool.op = "MaxPool";
    all.push_back(pool);
    pool = conv({1, 2, 6, 6}, 2, {3, 3}, {1, 1}, {0, 1, 2, 0}, ceil);
    pool.op = "MaxPool";
    all.push_back(pool);
  }
  std::mt19937 rng(20261125);
  std::uniform_int_distribution<int> x8(-128, 127);
  std::map<std::string, int> policies;
  for (size_t i = 0; i < all.size(); ++i) {
    const Layer& L = all[i];
    const fs::path model = d / ("layer" + std::to_string(i) + ".onnx");
    buildLayer(L, model, rng);
    std::vector<HostTensor> inputs(5);
    for (HostTensor& x : inputs) {
      x.type = TensorType{DType::I8, Shape(L.x.begin(), L.x.end())};
      x.data.resize(x.type.bytes());
      for (auto& v : x.data) v = static_cast<uint8_t>(static_cast<int8_t>(x8(rng)));
    }
    std::fill(inputs[4].data.begin(), inputs[4].data.end(), uint8_t{0x80});  // all -128: the range's edge
    const LayerRun ref = runLayer(model, PassOptions::Target::Generic, inputs);
    const LayerRun dsp = runLayer(model, PassOptions::Target::CortexM4, inputs);
    ASSERT_EQ(ref.outputs.size(), inputs.size()) << "layer " << i;
    EXPECT_EQ(ref.outputs, dsp.outputs) << "layer " << i << " (" << L.op << ")";
    for (const char* ref : {"emlc::rt::qconv<", "emlc::rt::qgemm<", "emlc::rt::qavgpool<", "emlc::rt::max_pool<",
                            "emlc::rt::qbinary<"})
      EXPECT_EQ(dsp.code.find(ref), std::string::npos) << "layer " << i << " kept the reference kernel " << ref;
    for (const char* p : {"RequantFull>", "RequantShort<true>>", "RequantShort<false>>", "qadd_dsp_short<true>",
                          "qadd_dsp("})
      if (dsp.code.find(p) != std::string::npos) ++policies[p];
  }
  EXPECT_GT(policies["RequantFull>"], 0);
  EXPECT_GT(policies["RequantShort<true>>"], 0);
  EXPECT_GT(policies["RequantShort<false>>"], 0);
  EXPECT_GT(policies["qadd_dsp_short<true>"], 0);
  EXPECT_GT(policies["qadd_dsp("], 0);
  fs::remove_all(d);
}

}  // namespace
}  // namespace emlc
