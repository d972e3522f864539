// int8 passes: QDQ import on hand-built QDQ models (structure after lowering
// and hand-computed int8 outputs), static quantization of a small float
// model (structure, numerics against float, reports, options and errors),
// and the calibration pieces (sample files, ranges, int8 parameters).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

#include "driver/compile.h"
#include "eval/evaluator.h"
#include "model_builder.h"
#include "quant/calibration.h"
#include "quant/measure.h"
#include "quant/ptq.h"
#include "support/npy.h"

namespace fs = std::filesystem;

namespace emlc {
namespace {

using testing::ModelBuilder;

fs::path tmpDir() {
  fs::path p = fs::temp_directory_path() / ("emlc_int8_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

void int8Init(ModelBuilder& b, const std::string& name, std::vector<int64_t> dims, std::vector<int8_t> v) {
  b.int8s(name, std::move(dims), v);
}
void int32Init(ModelBuilder& b, const std::string& name, std::vector<int64_t> dims, std::vector<int32_t> v) {
  b.int32s(name, std::move(dims), v);
}
// Scalar (dims {}) or 1-D scale.
void scaleInit(ModelBuilder& b, const std::string& name, std::vector<float> v, bool vector) {
  b.floats(name, vector ? std::vector<int64_t>{static_cast<int64_t>(v.size())} : std::vector<int64_t>{}, v);
}

HostTensor int8Tensor(Shape s, std::vector<int8_t> v) {
  HostTensor h;
  h.type = TensorType{DType::I8, std::move(s)};
  h.data.assign(reinterpret_cast<const uint8_t*>(v.data()), reinterpret_cast<const uint8_t*>(v.data()) + v.size());
  return h;
}

std::map<std::string, int> histogram(const Graph& g) {
  std::map<std::string, int> h;
  for (const Node& n : g.nodes) h[(n.domain.empty() ? "" : n.domain + ".") + n.op_type]++;
  return h;
}

Expected<PreparedModel> prepare(const fs::path& model, const QuantOptions* q = nullptr) {
  PassOptions po;
  po.quant = q;
  return prepareModel(model.string(), ImportOptions{}, po);
}

// x (int8, scale 0.5) -> Conv 1x1 with per-channel weights {2, -3} (scales
// 0.25, 0.5) and int32 bias {4, -8} (scales 0.125, 0.25) -> Relu ->
// Quantize (scale 0.25, zero point -10).
void convQdq(ModelBuilder& b) {
  b.input("x", {1, 1, 2, 2}, onnx::TensorProto::INT8);
  scaleInit(b, "xs", {0.5f}, false);
  int8Init(b, "xz", {}, {0});
  int8Init(b, "w", {2, 1, 1, 1}, {2, -3});
  scaleInit(b, "ws", {0.25f, 0.5f}, true);
  int8Init(b, "wz", {2}, {0, 0});
  int32Init(b, "b", {2}, {4, -8});
  scaleInit(b, "bs", {0.125f, 0.25f}, true);
  int32Init(b, "bz", {2}, {0, 0});
  scaleInit(b, "ys", {0.25f}, false);
  int8Init(b, "yz", {}, {-10});
  b.node("DequantizeLinear", {"x", "xs", "xz"}, {"xf"}, "dq_x");
  ModelBuilder::attr(b.node("DequantizeLinear", {"w", "ws", "wz"}, {"wf"}, "dq_w"), "axis", 0);
  ModelBuilder::attr(b.node("DequantizeLinear", {"b", "bs", "bz"}, {"bf"}, "dq_b"), "axis", 0);
  b.node("Conv", {"xf", "wf", "bf"}, {"c"}, "conv");
  b.node("Relu", {"c"}, {"r"}, "relu");
  b.node("QuantizeLinear", {"r", "ys", "yz"}, {"y"}, "q_y");
}

TEST(Int8Qdq, ConvReluBecomesOneQConvWithHandComputedOutput) {
  fs::path d = tmpDir();
  ModelBuilder b;
  convQdq(b);
  b.output("y", onnx::TensorProto::INT8);
  ASSERT_TRUE(b.save((d / "m.onnx").string()));
  auto pm = prepare(d / "m.onnx");
  ASSERT_TRUE(pm.isOk()) << pm.error().message;
  const Graph& g = pm->graph;
  EXPECT_EQ(histogram(g), (std::map<std::string, int>{{"emlc.QConv", 1}}));
  const TensorType& in = g.t(g.inputs[0]).type;
  ASSERT_TRUE(in.quant.quantized());
  EXPECT_EQ(in.quant.scale[0], 0.5f);
  const TensorType& out = g.t(g.outputs[0]).type;
  EXPECT_EQ(out.dtype, DType::I8);
  EXPECT_EQ(out.quant.scale[0], 0.25f);
  EXPECT_EQ(out.quant.zero_point[0], -10);
  // Channel 0: acc = 2x + 4, times s_x*s_w/s_y = 0.5 -> x + 2, + zp -10,
  // clamped below at the zero point (Relu). Channel 1: acc = -3x - 8, times
  // 1.0, -10, clamped at -10.
  auto o = runGraph(g, {int8Tensor({1, 1, 2, 2}, {-4, 1, 6, 20})});
  ASSERT_TRUE(o.isOk()) << o.error().message;
  const int8_t* y = o->at(0).as<int8_t>();
  const int8_t want[8] = {-10, -7, -2, 12, -6, -10, -10, -10};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y[i], want[i]) << i;
  ASSERT_EQ(pm->quant.lowering.nodes.size(), 1u);
  EXPECT_TRUE(pm->quant.lowering.nodes[0].lowered);
  EXPECT_EQ(pm->quant.lowering.nodes[0].result, "emlc.QConv");
}

TEST(Int8Qdq, OpWithoutInt8KernelStaysFloatBetweenRealConversions) {
  fs::path d = tmpDir();
  ModelBuilder b;
  convQdq(b);
  // y -> DequantizeLinear -> Sqrt (no int8 kernel) -> QuantizeLinear -> z
  scaleInit(b, "zs", {0.125f}, false);
  int8Init(b, "zz", {}, {0});
  b.node("DequantizeLinear", {"y", "ys", "yz"}, {"yf"}, "dq_y");
  b.node("Sqrt", {"yf"}, {"s"}, "sqrt");
  b.node("QuantizeLinear", {"s", "zs", "zz"}, {"z"}, "q_z");
  b.output("z", onnx::TensorProto::INT8);
  ASSERT_TRUE(b.save((d / "m.onnx").string()));
  auto pm = prepare(d / "m.onnx");
  ASSERT_TRUE(pm.isOk()) << pm.error().message;
  EXPECT_EQ(histogram(pm->graph), (std::map<std::string, int>{
                                      {"emlc.QConv", 1}, {"DequantizeLinear", 1}, {"Sqrt", 1}, {"QuantizeLinear", 1}}));
  bool reported = false;
  for (const auto& n : pm->quant.lowering.nodes)
    if (n.op_type == "Sqrt") {
      reported = true;
      EXPECT_FALSE(n.lowered);
      EXPECT_NE(n.result.find("no int8 kernel"), std::string::npos) << n.result;
    }
  EXPECT_TRUE(reported);
  // x = 20 -> y code 12 -> real (12 + 10) * 0.25 = 5.5 -> sqrt 2.345 -> /0.125 = 18.76 -> 19.
  auto o = runGraph(pm->graph, {int8Tensor({1, 1, 2, 2}, {-4, 1, 6, 20})});
  ASSERT_TRUE(o.isOk()) << o.error().message;
  EXPECT_EQ(o->at(0).as<int8_t>()[3], 19);
  EXPECT_EQ(o->at(0).as<int8_t>()[0], 0);  // y = -10 -> real 0 -> 0
}

TEST(Int8Qdq, DequantizeQuantizePairsBecomeRequantizeOrIdentity) {
  fs::path d = tmpDir();
  ModelBuilder b;
  b.input("x", {1, 4}, onnx::TensorProto::INT8);
  scaleInit(b, "s1", {1.0f}, false);
  int8Init(b, "z0", {}, {0});
  scaleInit(b, "s2", {2.0f}, false);
  int8Init(b, "z1", {}, {1});
  b.node("DequantizeLinear", {"x", "s1", "z0"}, {"xf"}, "dq");
  b.node("QuantizeLinear", {"xf", "s2", "z1"}, {"y"}, "requant");
  b.node("QuantizeLinear", {"xf", "s1", "z0"}, {"same"}, "same");
  b.output("y", onnx::TensorProto::INT8);
  b.output("same", onnx::TensorProto::INT8);
  ASSERT_TRUE(b.save((d / "m.onnx").string()));
  auto pm = prepare(d / "m.onnx");
  ASSERT_TRUE(pm.isOk()) << pm.error().message;
  EXPECT_EQ(histogram(pm->graph), (std::map<std::string, int>{{"emlc.Requantize", 1}, {"Identity", 1}}));
  // TFLite's requantisation of x * 0.5: the high multiply rounds ties up
  // (1.5 -> 2, -1.5 -> -1), then + 1.
  auto o = runGraph(pm->graph, {int8Tensor({1, 4}, {3, -3, 100, -128})});
  ASSERT_TRUE(o.isOk()) << o.error().message;
  const int8_t want[4] = {3, 0, 51, -63};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(o->at(0).as<int8_t>()[i], want[i]) << i;
  const int8_t same[4] = {3, -3, 100, -128};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(o->at(1).as<int8_t>()[i], same[i]) << i;
}

// ---- static quantization ---------------------------------------------------------

// x [1,1,4,4] -> Conv (2 channels, 3x3, pad 1) -> Relu -> Flatten -> Gemm (3 outputs).
void floatModel(const fs::path& path) {
  ModelBuilder b;
  b.input("x", {1, 1, 4, 4});
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> w(18), bias = {0.1f, -0.2f}, fc(3 * 32), fcb = {0.05f, 0.0f, -0.05f};
  for (float& v : w) v = u(rng);
  for (float& v : fc) v = u(rng) * 0.5f;
  b.floats("w", {2, 1, 3, 3}, w);
  b.floats("b", {2}, bias);
  b.floats("fc", {3, 32}, fc);
  b.floats("fcb", {3}, fcb);
  ModelBuilder::attr(b.node("Conv", {"x", "w", "b"}, {"c"}, "conv"), "pads", {1, 1, 1, 1});
  b.node("Relu", {"c"}, {"r"}, "relu");
  b.node("Flatten", {"r"}, {"f"}, "flatten");
  ModelBuilder::attr(b.node("Gemm", {"f", "fc", "fcb"}, {"y"}, "fc"), "transB", 1);
  b.output("y");
  ASSERT_TRUE(b.save(path.string()));
}

HostTensor floatSamples(size_t n, Shape sample, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  HostTensor h;
  h.type.dtype = DType::F32;
  h.type.shape = {static_cast<int64_t>(n)};
  h.type.shape.insert(h.type.shape.end(), sample.begin(), sample.end());
  h.data.resize(h.type.bytes());
  for (int64_t i = 0; i < h.type.numel(); ++i) h.as<float>()[i] = u(rng);
  return h;
}

TEST(Int8Ptq, SmallCnnBecomesInt8AndTracksFloat) {
  fs::path d = tmpDir();
  floatModel(d / "m.onnx");
  ASSERT_TRUE(writeNpy((d / "calib.npy").string(), floatSamples(32, {1, 4, 4}, 1)).isOk());
  QuantOptions q;
  q.mode = "int8";
  q.calibration = {(d / "calib.npy").string()};
  q.report = true;
  auto pm = prepare(d / "m.onnx", &q);
  ASSERT_TRUE(pm.isOk()) << pm.error().message;
  const Graph& g = pm->graph;
  EXPECT_EQ(histogram(g), (std::map<std::string, int>{{"emlc.QConv", 1}, {"Flatten", 1}, {"emlc.QGemm", 1}}));
  const TensorType& in = g.t(g.inputs[0]).type;
  EXPECT_EQ(in.dtype, DType::I8);
  EXPECT_EQ(g.t(g.inputs[0]).name, "x");
  EXPECT_EQ(g.t(g.outputs[0]).name, "y");
  EXPECT_EQ(g.t(g.outputs[0]).type.dtype, DType::I8);
  EXPECT_TRUE(pm->quant.quantized);
  EXPECT_EQ(pm->quant.calibration_samples, 32u);
  // Per-layer SQNR: the model input, the Relu, the Flatten view and the
  // output (the Conv's own output is fused with the Relu), worst first.
  ASSERT_EQ(pm->quant.layers.size(), 4u);
  for (size_t i = 1; i < pm->quant.layers.size(); ++i)
    EXPECT_LE(pm->quant.layers[i - 1].sqnr_db, pm->quant.layers[i].sqnr_db);
  for (const auto& l : pm->quant.layers) EXPECT_GT(l.sqnr_db, 20.0) << l.tensor;

  // Against the float model on calibration inputs (inside the calibrated
  // ranges): within a few percent of the output range.
  auto fl = prepare(d / "m.onnx");
  ASSERT_TRUE(fl.isOk());
  HostTensor xs = floatSamples(32, {1, 1, 4, 4}, 1);
  double maxErr = 0, range = 0;
  for (int k = 0; k < 8; ++k) {
    HostTensor x;
    x.type = TensorType{DType::F32, {1, 1, 4, 4}};
    x.data.assign(xs.data.begin() + k * 64, xs.data.begin() + (k + 1) * 64);
    auto f = runGraph(fl->graph, {x});
    auto i8 = runFloatBoundary(g, {x});
    ASSERT_TRUE(f.isOk() && i8.isOk());
    for (int j = 0; j < 3; ++j) {
      range = std::max(range, std::fabs(static_cast<double>(f->at(0).as<float>()[j])));
      maxErr = std::max(maxErr, std::fabs(static_cast<double>(f->at(0).as<float>()[j]) - i8->at(0).as<float>()[j]));
    }
  }
  EXPECT_LT(maxErr, 0.05 * range) << maxErr << " of " << range;
}

TEST(Int8Ptq, KeepFloatLeavesTheNodeInFloatWithConversions) {
  fs::path d = tmpDir();
  floatModel(d / "m.onnx");
  ASSERT_TRUE(writeNpy((d / "calib.npy").string(), floatSamples(8, {1, 4, 4}, 1)).isOk());
  QuantOptions q;
  q.mode = "int8";
  q.calibration = {(d / "calib.npy").string()};
  q.keep_float = {"fc"};
  auto pm = prepare(d / "m.onnx", &q);
  ASSERT_TRUE(pm.isOk()) << pm.error().message;
  EXPECT_EQ(histogram(pm->graph),
            (std::map<std::string, int>{{"emlc.QConv", 1}, {"Flatten", 1}, {"DequantizeLinear", 1}, {"Gemm", 1}}));
  EXPECT_EQ(pm->graph.t(pm->graph.outputs[0]).type.dtype, DType::F32);
  ASSERT_EQ(pm->quant.kept_float.size(), 1u);
  EXPECT_NE(pm->quant.kept_float[0].find("'fc'"), std::string::npos);
  // By op type too.
  q.keep_float = {"Conv"};
  auto pm2 = prepare(d / "m.onnx", &q);
  ASSERT_TRUE(pm2.isOk()) << pm2.error().message;
  EXPECT_EQ(histogram(pm2->graph).count("Conv"), 1u);
  EXPECT_EQ(pm2->graph.t(pm2->graph.inputs[0]).type.dtype, DType::F32);
}

TEST(Int8Ptq, BadOptionsAreErrorsThatSayWhatToDo) {
  fs::path d = tmpDir();
  floatModel(d / "m.onnx");
  ASSERT_TRUE(writeNpy((d / "calib.npy").string(), floatSamples(4, {1, 4, 4}, 1)).isOk());
  ASSERT_TRUE(writeNpy((d / "wrong.npy").string(), floatSamples(4, {1, 5, 4}, 1)).isOk());
  QuantOptions q;
  q.mode = "int8";
  auto r = prepare(d / "m.onnx", &q);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.error().message.find("--calibration"), std::string::npos);
  q.calibration = {(d / "wrong.npy").string()};
  r = prepare(d / "m.onnx", &q);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_NE(r.error().message.find("[4,1,5,4]"), std::string::npos) << r.error().message;
  q.calibration = {(d / "calib.npy").string(), (d / "calib.npy").string()};
  r = prepare(d / "m.onnx", &q);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.error().message.find("one --calibration file or folder per input"), std::string::npos);
  q.calibration = {(d / "calib.npy").string()};
  q.method = "median";
  r = prepare(d / "m.onnx", &q);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.error().message.find("minmax, percentile:P or mse"), std::string::npos);
  q.method = "minmax";
  q.keep_float = {"nonexistent"};
  r = prepare(d / "m.onnx", &q);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.error().message.find("--keep-float nonexistent"), std::string::npos);
  q.keep_float.clear();
  q.accuracy_budget = 1.0;
  r = prepare(d / "m.onnx", &q);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.error().message.find("--test-data"), std::string::npos);
}

TEST(Int8Ptq, AccuracyOnTestDataAndBudget) {
  fs::path d = tmpDir();
  floatModel(d / "m.onnx");
  ASSERT_TRUE(writeNpy((d / "calib.npy").string(), floatSamples(16, {1, 4, 4}, 1)).isOk());
  HostTensor tx = floatSamples(20, {1, 4, 4}, 5);
  ASSERT_TRUE(writeNpy((d / "tx.npy").string(), tx).isOk());
  // Labels: the float model's own predictions, so float top-1 is 100%.
  auto fl = prepare(d / "m.onnx");
  ASSERT_TRUE(fl.isOk());
  HostTensor labels;
  labels.type = TensorType{DType::I64, {20}};
  labels.data.resize(160);
  for (int k = 0; k < 20; ++k) {
    HostTensor x;
    x.type = TensorType{DType::F32, {1, 1, 4, 4}};
    x.data.assign(tx.data.begin() + k * 64, tx.data.begin() + (k + 1) * 64);
    auto f = runGraph(fl->graph, {x});
    ASSERT_TRUE(f.isOk());
    const float* v = f->at(0).as<float>();
    labels.as<int64_t>()[k] = v[1] > v[0] ? (v[2] > v[1] ? 2 : 1) : (v[2] > v[0] ? 2 : 0);
  }
  ASSERT_TRUE(writeNpy((d / "ty.npy").string(), labels).isOk());
  QuantOptions q;
  q.mode = "int8";
  q.calibration = {(d / "calib.npy").string()};
  q.test_data = {(d / "tx.npy").string()};
  q.test_labels = (d / "ty.npy").string();
  q.accuracy_budget = 0.0;  // int8 must match float exactly: layers go float until it does
  auto pm = prepare(d / "m.onnx", &q);
  ASSERT_TRUE(pm.isOk()) << pm.error().message;
  const Accuracy& a = pm->quant.accuracy;
  EXPECT_TRUE(a.measured);
  EXPECT_EQ(a.metric, "top1");
  EXPECT_EQ(a.samples, 20u);
  EXPECT_DOUBLE_EQ(a.float_value, 1.0);
  EXPECT_DOUBLE_EQ(a.int8_value, 1.0);  // reached by the budget (or int8 was exact already)
  EXPECT_FALSE(pm->quant.budget_note.empty());
}

// ---- calibration pieces -------------------------------------------------------------

TEST(Int8Calibration, SampleFilesAndFolders) {
  fs::path d = tmpDir();
  TensorType in{DType::F32, {1, 2}};
  HostTensor stacked = floatSamples(3, {2}, 1);
  ASSERT_TRUE(writeNpy((d / "a.npy").string(), stacked).isOk());
  auto r = SampleReader::open((d / "a.npy").string(), in);
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ(r->size(), 3u);
  for (int k = 0; k < 3; ++k) {
    auto s = r->next();
    ASSERT_TRUE(s.isOk());
    EXPECT_EQ(s->type.shape, (Shape{1, 2}));
    EXPECT_EQ(s->as<float>()[1], stacked.as<float>()[2 * k + 1]);
  }
  // A folder: one sample file (float64, the input's whole shape) and a stack.
  fs::create_directories(d / "f");
  HostTensor one;
  one.type = TensorType{DType::F64, {1, 2}};
  one.data.resize(16);
  one.as<double>()[0] = 0.5;
  one.as<double>()[1] = -2.0;
  ASSERT_TRUE(writeNpy((d / "f" / "0.npy").string(), one).isOk());
  ASSERT_TRUE(writeNpy((d / "f" / "1.npy").string(), stacked).isOk());
  r = SampleReader::open((d / "f").string(), in);
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ(r->size(), 4u);
  auto s = r->next();
  ASSERT_TRUE(s.isOk());
  EXPECT_EQ(s->as<float>()[1], -2.0f);
  // Shape mismatch names the file and the expected shape.
  auto bad = SampleReader::open((d / "a.npy").string(), TensorType{DType::F32, {1, 3}});
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.error().message.find("[1,3]"), std::string::npos) << bad.error().message;
}

TEST(Int8Calibration, RangesAndParameters) {
  std::vector<float> v(1000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) / 1000.0f;  // 0 .. 0.999
  v[999] = 100.0f;                                                                // one outlier
  RangeObserver o;
  o.observeRange(v.data(), v.size());
  o.startHistogram();
  o.observeHistogram(v.data(), v.size());
  auto mm = o.choose(CalibrationMethod{});
  EXPECT_EQ(mm.first, 0.0f);
  EXPECT_EQ(mm.second, 100.0f);
  auto p = parseCalibrationMethod("percentile:99");
  ASSERT_TRUE(p.isOk());
  auto pr = o.choose(*p);
  EXPECT_NEAR(pr.second, 0.99, 0.06);  // the 99th percentile of 0..1 (bins of 100/2048)
  // One large outlier costs more squared error clipped than the coarser
  // rounding of everything else: mse keeps it.
  auto mse = o.choose(*parseCalibrationMethod("mse"));
  EXPECT_EQ(mse.second, 100.0f);
  EXPECT_FALSE(parseCalibrationMethod("percentile:20").isOk());
  // A heavy (Laplace) tail is clipped by mse (8-bit optimum near 10 scale
  // units, the sample maximum near ln(1e6) = 13.8).
  std::mt19937 rng(11);
  std::exponential_distribution<float> e(1.0f);
  std::vector<float> lap(1000000);
  for (size_t i = 0; i < lap.size(); ++i) lap[i] = (i % 2 ? 1.0f : -1.0f) * e(rng);
  RangeObserver l;
  l.observeRange(lap.data(), lap.size());
  l.startHistogram();
  l.observeHistogram(lap.data(), lap.size());
  auto lm = l.choose(*parseCalibrationMethod("mse"));
  EXPECT_LT(lm.second, 0.9f * l.max());
  EXPECT_GT(lm.second, 0.5f * l.max());
  EXPECT_GT(lm.first, 0.9f * l.min());
  EXPECT_FALSE(parseCalibrationMethod("entropy").isOk());
  // Asymmetric int8: [-1, 3] -> scale 4/255, zero point round(-128 + 63.75) = -64.
  QuantParams q = asymmetricInt8(-1.0f, 3.0f);
  EXPECT_FLOAT_EQ(q.scale[0], 4.0f / 255.0f);
  EXPECT_EQ(q.zero_point[0], -64);
  // A range not containing 0 is widened to contain it.
  q = asymmetricInt8(2.0f, 4.0f);
  EXPECT_FLOAT_EQ(q.scale[0], 4.0f / 255.0f);
  EXPECT_EQ(q.zero_point[0], -128);
}

}  // namespace
}  // namespace emlc
