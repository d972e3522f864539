// Pool/norm/softmax family: runtime kernels on hand-computed cases, op
// inference and evaluation through small hand-built graphs, and attribute
// errors (reported as errors, never crashes).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "emlc/norm.h"
#include "emlc/pool.h"
#include "emlc/softmax.h"
#include "eval/evaluator.h"
#include "passes/infer.h"

namespace emlc {
namespace {

// ---- kernels ----------------------------------------------------------------

// A 1-D pool described as 3-D with leading size-1 axes.
rt::PoolParams pool1d(int32_t planes, int32_t in, int32_t out, int32_t k, int32_t s, int32_t pb, int32_t pe) {
  rt::PoolParams p{};
  p.planes = planes;
  for (int a = 0; a < 3; ++a) {
    p.in_dims[a] = p.out_dims[a] = p.kernel[a] = p.strides[a] = p.dilations[a] = 1;
  }
  p.in_dims[2] = in;
  p.out_dims[2] = out;
  p.kernel[2] = k;
  p.strides[2] = s;
  p.pad_begin[2] = pb;
  p.pad_end[2] = pe;
  p.p = 2.0f;
  return p;
}

TEST(PoolKernels, MaxPool1dFloorAndCeil) {
  const float x[5] = {1, 3, 2, 5, 4};
  float y[3] = {0, 0, 0};
  int64_t idx[3] = {0, 0, 0};
  // k=2, s=2: windows [0,1], [2,3] (floor), plus [4] with ceil_mode.
  rt::max_pool(pool1d(1, 5, 2, 2, 2, 0, 0), x, y);
  EXPECT_EQ(y[0], 3);
  EXPECT_EQ(y[1], 5);
  rt::max_pool_indices(pool1d(1, 5, 3, 2, 2, 0, 0), x, y, idx);
  EXPECT_EQ(y[2], 4);
  EXPECT_EQ(idx[0], 1);
  EXPECT_EQ(idx[1], 3);
  EXPECT_EQ(idx[2], 4);
}

TEST(PoolKernels, MaxPoolPaddingNeverWinsAndIndicesSpanPlanes) {
  // Two planes of all-negative values, pads of 1: padding must not give 0.
  const int8_t x[6] = {-5, -3, -4, -9, -7, -8};
  int8_t y[6];
  int64_t idx[6];
  rt::max_pool_indices(pool1d(2, 3, 3, 2, 1, 1, 0), x, y, idx);
  const int8_t want[6] = {-5, -3, -3, -9, -7, -7};
  const int64_t want_idx[6] = {0, 1, 1, 3, 4, 4};  // flat over N*C*W
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(y[i], want[i]) << i;
    EXPECT_EQ(idx[i], want_idx[i]) << i;
  }
}

TEST(PoolKernels, MaxPool2dIndicesStorageOrder) {
  // 3x3 input 1..9, k=2, s=1: maxima at (1,1), (1,2), (2,1), (2,2).
  const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  rt::PoolParams p = pool1d(1, 3, 2, 2, 1, 0, 0);
  p.in_dims[1] = 3;
  p.out_dims[1] = 2;
  p.kernel[1] = 2;
  float y[4];
  int64_t idx[4];
  rt::max_pool_indices(p, x, y, idx);
  EXPECT_EQ(y[0], 5);
  EXPECT_EQ(y[3], 9);
  EXPECT_EQ(idx[0], 4);
  EXPECT_EQ(idx[1], 5);
  EXPECT_EQ(idx[2], 7);
  EXPECT_EQ(idx[3], 8);
  p.storage_order = 1;  // column-major: h + w * H
  rt::max_pool_indices(p, x, y, idx);
  EXPECT_EQ(idx[0], 4);
  EXPECT_EQ(idx[1], 7);
  EXPECT_EQ(idx[2], 5);
  EXPECT_EQ(idx[3], 8);
}

TEST(PoolKernels, MaxPoolDilation) {
  // k=2, dilation 3: taps x[i], x[i+3].
  const float x[6] = {1, 9, 2, 4, 3, 8};
  rt::PoolParams p = pool1d(1, 6, 3, 2, 1, 0, 0);
  p.dilations[2] = 3;
  float y[3];
  rt::max_pool(p, x, y);
  EXPECT_EQ(y[0], 4);
  EXPECT_EQ(y[1], 9);
  EXPECT_EQ(y[2], 8);
}

TEST(PoolKernels, AvgPoolCountIncludePad) {
  // k=3, s=1, pads 1/1 over {1,2,3,4}.
  const float x[4] = {1, 2, 3, 4};
  float y[4];
  rt::PoolParams p = pool1d(1, 4, 4, 3, 1, 1, 1);
  rt::avg_pool(p, x, y);
  EXPECT_FLOAT_EQ(y[0], 1.5f);
  EXPECT_FLOAT_EQ(y[1], 2.0f);
  EXPECT_FLOAT_EQ(y[2], 3.0f);
  EXPECT_FLOAT_EQ(y[3], 3.5f);
  p.count_include_pad = 1;
  rt::avg_pool(p, x, y);
  EXPECT_FLOAT_EQ(y[0], 1.0f);
  EXPECT_FLOAT_EQ(y[3], 7.0f / 3.0f);
}

TEST(PoolKernels, AvgPoolCeilWindowClippedToPaddedInput) {
  // k=2, s=2, no pads, ceil: last window holds x[4] alone; with
  // count_include_pad it is still divided by 1 (no padding to count).
  const double x[5] = {1, 3, 5, 7, 10};
  double y[3];
  rt::PoolParams p = pool1d(1, 5, 3, 2, 2, 0, 0);
  p.count_include_pad = 1;
  rt::avg_pool(p, x, y);
  EXPECT_DOUBLE_EQ(y[0], 2.0);
  EXPECT_DOUBLE_EQ(y[1], 6.0);
  EXPECT_DOUBLE_EQ(y[2], 10.0);
}

TEST(PoolKernels, LpPoolAndGlobalPools) {
  const float x[4] = {3, -4, 1, 2};
  float y[2];
  rt::lp_pool(pool1d(1, 4, 2, 2, 2, 0, 0), x, y);
  EXPECT_FLOAT_EQ(y[0], 5.0f);
  EXPECT_FLOAT_EQ(y[1], std::sqrt(5.0f));
  rt::global_avg_pool(x, y, 2, 2);
  EXPECT_FLOAT_EQ(y[0], -0.5f);
  EXPECT_FLOAT_EQ(y[1], 1.5f);
  rt::global_max_pool(x, y, 2, 2);
  EXPECT_FLOAT_EQ(y[0], 3.0f);
  EXPECT_FLOAT_EQ(y[1], 2.0f);
  rt::global_lp_pool(x, y, 1, 4, 1.0f);
  EXPECT_FLOAT_EQ(y[0], 10.0f);
}

TEST(NormKernels, BatchNorm) {
  // N=1, C=2, inner=2; eps 0. c0: (x-1)/2*2+0; c1: (x-3)/0.5*1+1.
  const float x[4] = {1, 2, 3, 4};
  const float scale[2] = {2, 1}, bias[2] = {0, 1};
  const double mean[2] = {1, 3}, var[2] = {4, 0.25};
  float y[4];
  rt::batch_norm(rt::ChannelNormParams{1, 2, 2, 0.0f}, x, scale, bias, mean, var, y);
  EXPECT_FLOAT_EQ(y[0], 0.0f);
  EXPECT_FLOAT_EQ(y[1], 1.0f);
  EXPECT_FLOAT_EQ(y[2], 1.0f);
  EXPECT_FLOAT_EQ(y[3], 3.0f);
}

TEST(NormKernels, InstanceNorm) {
  // Planes {1,3} and {10,10}: means 2 and 10, variances 1 and 0.
  const float x[4] = {1, 3, 10, 10};
  const float scale[2] = {2, 5}, bias[2] = {1, -1};
  float y[4];
  rt::instance_norm(rt::ChannelNormParams{1, 2, 2, 0.0f}, x, scale, bias, y);
  EXPECT_FLOAT_EQ(y[0], -1.0f);
  EXPECT_FLOAT_EQ(y[1], 3.0f);
  // Zero variance with eps 0 gives 0 * inf = NaN; with eps it is the bias.
  rt::instance_norm(rt::ChannelNormParams{1, 2, 2, 1e-3f}, x, scale, bias, y);
  EXPECT_FLOAT_EQ(y[2], -1.0f);
  EXPECT_FLOAT_EQ(y[3], -1.0f);
}

TEST(NormKernels, LayerNormWithBroadcastScaleAndStats) {
  // Two rows of 4; scale repeats every 2 elements, bias is a scalar.
  const float x[8] = {1, 2, 3, 4, 5, 5, 5, 5};
  const float scale[2] = {1, 2}, bias[1] = {10};
  float y[8], mean[2], inv[2];
  rt::layer_norm(rt::LayerNormParams{2, 4, 2, 1, 0.0f}, x, scale, bias, y, mean, inv);
  const float s = 1.0f / std::sqrt(1.25f);  // row 0: mean 2.5, variance 1.25
  EXPECT_FLOAT_EQ(mean[0], 2.5f);
  EXPECT_FLOAT_EQ(inv[0], s);
  EXPECT_FLOAT_EQ(y[0], 10 - 1.5f * s);
  EXPECT_FLOAT_EQ(y[1], 10 - 0.5f * s * 2);
  EXPECT_FLOAT_EQ(y[2], 10 + 0.5f * s);
  EXPECT_FLOAT_EQ(y[3], 10 + 1.5f * s * 2);
  EXPECT_FLOAT_EQ(mean[1], 5.0f);
  // Without bias and statistics outputs.
  rt::layer_norm<float, float>(rt::LayerNormParams{1, 4, 2, 1, 0.0f}, x, scale, nullptr, y, nullptr, nullptr);
  EXPECT_FLOAT_EQ(y[0], -1.5f * s);
}

TEST(NormKernels, Lrn) {
  // C=3, size 3, alpha 3 (alpha/size = 1), beta 1, bias 1.
  const float x[3] = {1, 2, 3};
  float y[3];
  rt::lrn(rt::LrnParams{1, 3, 1, 3, 3.0f, 1.0f, 1.0f}, x, y);
  EXPECT_FLOAT_EQ(y[0], 1.0f / 6.0f);   // 1 + (1 + 4)
  EXPECT_FLOAT_EQ(y[1], 2.0f / 15.0f);  // 1 + (1 + 4 + 9)
  EXPECT_FLOAT_EQ(y[2], 3.0f / 14.0f);  // 1 + (4 + 9)
  // size 2: channels [c, c+1].
  rt::lrn(rt::LrnParams{1, 3, 1, 2, 2.0f, 1.0f, 1.0f}, x, y);
  EXPECT_FLOAT_EQ(y[0], 1.0f / 6.0f);
  EXPECT_FLOAT_EQ(y[2], 3.0f / 10.0f);
}

TEST(NormKernels, MvnStridedAxes) {
  // x [2, 2] reduced over axis 0 (stride 2), kept axis 1 (stride 1).
  const float x[4] = {1, 10, 3, 30};
  float y[4];
  rt::MvnParams p{};
  p.kept_rank = 1;
  p.kept_dims[0] = 2;
  p.kept_strides[0] = 1;
  p.red_rank = 1;
  p.red_dims[0] = 2;
  p.red_strides[0] = 2;
  rt::mvn(p, x, y);
  EXPECT_NEAR(y[0], -1.0f, 1e-6);
  EXPECT_NEAR(y[2], 1.0f, 1e-6);
  EXPECT_NEAR(y[1], -1.0f, 1e-6);
  EXPECT_NEAR(y[3], 1.0f, 1e-6);
}

TEST(SoftmaxKernels, SoftmaxLogSoftmaxHardmax) {
  const float x[2] = {0.0f, std::log(3.0f)};
  float y[2];
  rt::softmax(rt::SoftmaxParams{1, 2, 1}, x, y);
  EXPECT_FLOAT_EQ(y[0], 0.25f);
  EXPECT_FLOAT_EQ(y[1], 0.75f);
  rt::log_softmax(rt::SoftmaxParams{1, 2, 1}, x, y);
  EXPECT_FLOAT_EQ(y[0], std::log(0.25f));
  EXPECT_FLOAT_EQ(y[1], std::log(0.75f));
  // Large inputs do not overflow.
  const float big[2] = {10000.0f, 10000.0f};
  rt::softmax(rt::SoftmaxParams{1, 2, 1}, big, y);
  EXPECT_FLOAT_EQ(y[0], 0.5f);
  // Along a strided axis: x [2(axis), 2(inner)], the first maximum wins.
  const float h[4] = {1, 3, 1, 2};
  float hy[4];
  rt::hardmax(rt::SoftmaxParams{1, 2, 2}, h, hy);
  EXPECT_EQ(hy[0], 1);
  EXPECT_EQ(hy[2], 0);
  EXPECT_EQ(hy[1], 1);
  EXPECT_EQ(hy[3], 0);
}

// ---- ops through graphs -----------------------------------------------------

struct GraphBuilder {
  Graph g;
  TensorId input(const std::string& name, DType dt, Shape s) {
    Tensor t;
    t.name = name;
    t.type.dtype = dt;
    t.type.shape = std::move(s);
    t.typed = true;
    t.is_input = true;
    TensorId id = g.addTensor(t);
    g.inputs.push_back(id);
    return id;
  }
  template <class T>
  TensorId constant(const std::string& name, DType dt, Shape s, std::vector<T> v) {
    Tensor t;
    t.name = name;
    t.type.dtype = dt;
    t.type.shape = std::move(s);
    t.typed = true;
    t.data = std::vector<uint8_t>(v.size() * sizeof(T));
    std::memcpy(t.data->data(), v.data(), v.size() * sizeof(T));
    return g.addTensor(t);
  }
  TensorId output(const std::string& name) {
    Tensor t;
    t.name = name;
    t.is_output = true;
    TensorId id = g.addTensor(t);
    g.outputs.push_back(id);
    return id;
  }
  Node& node(const std::string& op, std::vector<TensorId> in, std::vector<TensorId> out, int opset) {
    Node n;
    n.op_type = op;
    n.opset = opset;
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    g.addNode(n);
    return g.nodes.back();
  }
};

Attribute ints(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::Ints;
  a.ints = std::move(v);
  return a;
}
Attribute intAttr(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::Int;
  a.i = v;
  return a;
}
Attribute floatAttr(float v) {
  Attribute a;
  a.kind = Attribute::Kind::Float;
  a.f = v;
  return a;
}
Attribute strAttr(const std::string& v) {
  Attribute a;
  a.kind = Attribute::Kind::String;
  a.s = v;
  return a;
}

HostTensor host(DType dt, Shape s, const std::vector<float>& v) {
  HostTensor h;
  h.type.dtype = dt;
  h.type.shape = std::move(s);
  h.data.resize(v.size() * sizeof(float));
  std::memcpy(h.data.data(), v.data(), h.data.size());
  return h;
}

// Status of inference for a one-node graph on input x of `shape`.
Status inferOne(const std::string& op, Shape shape, std::map<std::string, Attribute> attrs, int opset = 13,
                DType dt = DType::F32, size_t outputs = 1) {
  GraphBuilder b;
  TensorId x = b.input("x", dt, std::move(shape));
  std::vector<TensorId> outs;
  for (size_t k = 0; k < outputs; ++k) outs.push_back(b.output("y" + std::to_string(k)));
  b.node(op, {x}, outs, opset).attrs = std::move(attrs);
  return inferAndFold(b.g, InferOptions{});
}

ErrorKind kindOf(const Status& s) { return s.isOk() ? ErrorKind::Internal : s.error().kind; }

TEST(PoolOps, MaxPoolWithIndicesThroughGraph) {
  GraphBuilder b;
  TensorId x = b.input("x", DType::F32, {1, 1, 2, 3});
  TensorId y = b.output("y"), i = b.output("i");
  Node& n = b.node("MaxPool", {x}, {y, i}, 12);
  n.attrs["kernel_shape"] = ints({2, 2});
  n.attrs["pads"] = ints({0, 0, 0, 1});
  n.attrs["strides"] = ints({1, 2});
  ASSERT_TRUE(inferAndFold(b.g, InferOptions{}).isOk());
  EXPECT_EQ(b.g.t(y).type.shape, (Shape{1, 1, 1, 2}));
  EXPECT_EQ(b.g.t(i).type.dtype, DType::I64);
  auto out = runGraph(b.g, {host(DType::F32, {1, 1, 2, 3}, {1, 6, 2, 5, 3, 4})});
  ASSERT_TRUE(out.isOk()) << out.error().message;
  EXPECT_EQ(out.value()[0].as<float>()[0], 6.0f);
  EXPECT_EQ(out.value()[0].as<float>()[1], 4.0f);
  EXPECT_EQ(out.value()[1].as<int64_t>()[0], 1);
  EXPECT_EQ(out.value()[1].as<int64_t>()[1], 5);
}

TEST(PoolOps, OutputShapes) {
  auto shapeOf = [](Shape in, std::map<std::string, Attribute> attrs, const std::string& op = "AveragePool") {
    GraphBuilder b;
    TensorId x = b.input("x", DType::F32, std::move(in));
    TensorId y = b.output("y");
    b.node(op, {x}, {y}, 11).attrs = std::move(attrs);
    Status st = inferAndFold(b.g, InferOptions{});
    EXPECT_TRUE(st.isOk()) << st.error().message;
    return b.g.t(y).type.shape;
  };
  // floor((5 + 1 - 3) / 2) + 1 = 2; ceil -> 3... (5+1-3)/2 = 1.5.
  EXPECT_EQ(shapeOf({1, 1, 5}, {{"kernel_shape", ints({3})}, {"strides", ints({2})}, {"pads", ints({1, 0})}}),
            (Shape{1, 1, 2}));
  EXPECT_EQ(shapeOf({1, 1, 5},
                    {{"kernel_shape", ints({3})}, {"strides", ints({2})}, {"pads", ints({1, 0})},
                     {"ceil_mode", intAttr(1)}}),
            (Shape{1, 1, 3}));
  // SAME: ceil(in / stride); VALID: floor((in - k) / s) + 1.
  EXPECT_EQ(shapeOf({1, 1, 7, 8}, {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 3})},
                                   {"auto_pad", strAttr("SAME_LOWER")}}),
            (Shape{1, 1, 4, 3}));
  EXPECT_EQ(shapeOf({1, 1, 7, 8}, {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 3})},
                                   {"auto_pad", strAttr("VALID")}}),
            (Shape{1, 1, 3, 2}));
  EXPECT_EQ(shapeOf({2, 3, 4, 5, 6}, {}, "GlobalMaxPool"), (Shape{2, 3, 1, 1, 1}));
}

TEST(PoolOps, BadAttributesAreErrors) {
  const Shape s = {1, 1, 4, 4};
  EXPECT_EQ(kindOf(inferOne("MaxPool", s, {})), ErrorKind::Invalid);  // no kernel_shape
  EXPECT_EQ(kindOf(inferOne("MaxPool", s, {{"kernel_shape", ints({2})}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("MaxPool", s, {{"kernel_shape", ints({2, 0})}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("MaxPool", s, {{"kernel_shape", ints({2, 2})}, {"strides", ints({1, 0})}})),
            ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("MaxPool", s, {{"kernel_shape", ints({2, 2})}, {"strides", ints({1, 1LL << 40})}})),
            ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("MaxPool", s, {{"kernel_shape", ints({2, 2})}, {"pads", ints({0, -1, 0, 0})}})),
            ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("MaxPool", s, {{"kernel_shape", ints({2, 2})}, {"pads", ints({0, 0})}})),
            ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("MaxPool", s, {{"kernel_shape", ints({5, 2})}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("MaxPool", s, {{"kernel_shape", ints({2, 2})}, {"auto_pad", strAttr("FOO")}})),
            ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("MaxPool", s, {{"kernel_shape", ints({2, 2})}, {"storage_order", intAttr(2)}})),
            ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("MaxPool", {1, 4}, {{"kernel_shape", ints({2})}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("MaxPool", {1, 1, 2, 2, 2, 2}, {{"kernel_shape", ints({1, 1, 1, 1})}})),
            ErrorKind::Unsupported);
  EXPECT_EQ(kindOf(inferOne("MaxPool", s, {{"kernel_shape", ints({2, 2})}}, 12, DType::I32)),
            ErrorKind::Unsupported);
  EXPECT_EQ(kindOf(inferOne("AveragePool", s, {{"kernel_shape", ints({2, 2})}}, 11, DType::I8)),
            ErrorKind::Unsupported);
  EXPECT_EQ(kindOf(inferOne("AveragePool", s, {{"kernel_shape", ints({2, 2})}, {"count_include_pad", intAttr(3)}})),
            ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("LpPool", s, {{"kernel_shape", ints({2, 2})}, {"p", intAttr(0)}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("GlobalAveragePool", {3}, {})), ErrorKind::Invalid);
  EXPECT_TRUE(inferOne("MaxPool", s, {{"kernel_shape", ints({2, 2})}}, 12, DType::U8).isOk());
}

TEST(NormOps, BatchNormVariants) {
  auto build = [](GraphBuilder& b, int opset, size_t outputs, int64_t channels) {
    TensorId x = b.input("x", DType::F32, {2, 2, 3});
    std::vector<TensorId> ins = {x};
    for (const char* nm : {"s", "b", "m", "v"})
      ins.push_back(b.constant<float>(nm, DType::F32, {channels}, std::vector<float>(size_t(channels), 1.0f)));
    std::vector<TensorId> outs;
    for (size_t k = 0; k < outputs; ++k) outs.push_back(b.output("y" + std::to_string(k)));
    return &b.node("BatchNormalization", ins, outs, opset);
  };
  {
    GraphBuilder b;
    build(b, 15, 1, 2);
    EXPECT_TRUE(inferAndFold(b.g, InferOptions{}).isOk());
  }
  {
    GraphBuilder b;
    build(b, 15, 1, 2)->attrs["training_mode"] = intAttr(1);
    EXPECT_EQ(kindOf(inferAndFold(b.g, InferOptions{})), ErrorKind::Unsupported);
  }
  {
    GraphBuilder b;
    build(b, 9, 3, 2);
    Status st = inferAndFold(b.g, InferOptions{});
    EXPECT_EQ(kindOf(st), ErrorKind::Unsupported);
    EXPECT_NE(st.error().message.find("training"), std::string::npos);
  }
  {
    GraphBuilder b;
    build(b, 7, 1, 2)->attrs["spatial"] = intAttr(0);
    EXPECT_EQ(kindOf(inferAndFold(b.g, InferOptions{})), ErrorKind::Unsupported);
  }
  {
    GraphBuilder b;
    build(b, 15, 1, 3);  // 3 values for 2 channels
    EXPECT_EQ(kindOf(inferAndFold(b.g, InferOptions{})), ErrorKind::Invalid);
  }
}

TEST(NormOps, LayerNormOptionalOutputsThroughGraph) {
  GraphBuilder b;
  TensorId x = b.input("x", DType::F32, {2, 2});
  TensorId s = b.constant<float>("s", DType::F32, {2}, {1.0f, 2.0f});
  TensorId y = b.output("y"), inv = b.output("inv");
  Node& n = b.node("LayerNormalization", {x, s}, {y, kNoTensor, inv}, 17);
  n.attrs["epsilon"] = floatAttr(0.0f);
  ASSERT_TRUE(inferAndFold(b.g, InferOptions{}).isOk());
  EXPECT_EQ(b.g.t(inv).type.shape, (Shape{2, 1}));
  auto out = runGraph(b.g, {host(DType::F32, {2, 2}, {1, 3, 0, 4})});
  ASSERT_TRUE(out.isOk()) << out.error().message;
  const float* py = out.value()[0].as<float>();
  EXPECT_FLOAT_EQ(py[0], -1.0f);
  EXPECT_FLOAT_EQ(py[1], 2.0f);
  EXPECT_FLOAT_EQ(py[2], -1.0f);
  EXPECT_FLOAT_EQ(out.value()[1].as<float>()[0], 1.0f);
  EXPECT_FLOAT_EQ(out.value()[1].as<float>()[1], 0.5f);
}

TEST(NormOps, BadAttributesAreErrors) {
  EXPECT_EQ(kindOf(inferOne("LRN", {1, 3, 2}, {})), ErrorKind::Invalid);  // no size
  EXPECT_EQ(kindOf(inferOne("LRN", {1, 3, 2}, {{"size", intAttr(0)}})), ErrorKind::Invalid);
  EXPECT_TRUE(inferOne("LRN", {1, 3, 2}, {{"size", intAttr(3)}}).isOk());
  EXPECT_EQ(kindOf(inferOne("MeanVarianceNormalization", {2, 3}, {{"axes", ints({0, 0})}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("MeanVarianceNormalization", {2, 3}, {})), ErrorKind::Invalid);  // default axes need rank 4
  EXPECT_TRUE(inferOne("MeanVarianceNormalization", {2, 3}, {{"axes", ints({-1})}}).isOk());
  EXPECT_EQ(kindOf(inferOne("MeanVarianceNormalization", {2, 3}, {{"axes", ints({-1})}}, 13, DType::I32)),
            ErrorKind::Unsupported);
}

TEST(SoftmaxOps, LegacyAndPerAxisSemantics) {
  auto run = [](int opset, int64_t axis) {
    GraphBuilder b;
    TensorId x = b.input("x", DType::F32, {2, 2});
    TensorId y = b.output("y");
    b.node("Softmax", {x}, {y}, opset).attrs["axis"] = intAttr(axis);
    EXPECT_TRUE(inferAndFold(b.g, InferOptions{}).isOk());
    auto out = runGraph(b.g, {host(DType::F32, {2, 2}, {0, 0, 0, 0})});
    EXPECT_TRUE(out.isOk());
    return out.value()[0].as<float>()[0];
  };
  EXPECT_FLOAT_EQ(run(11, 0), 0.25f);  // coerced to [1, 4]
  EXPECT_FLOAT_EQ(run(13, 0), 0.5f);   // along axis 0 only
  EXPECT_EQ(kindOf(inferOne("Softmax", {2, 2}, {{"axis", intAttr(2)}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("Hardmax", {2, 2}, {{"axis", intAttr(-3)}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferOne("LogSoftmax", {2, 2}, {}, 13, DType::I32)), ErrorKind::Unsupported);
  EXPECT_EQ(kindOf(inferOne("Softmax", {}, {})), ErrorKind::Invalid);
}

}  // namespace
}  // namespace emlc
