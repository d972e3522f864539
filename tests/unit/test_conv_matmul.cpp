// Conv/ConvTranspose/ConvInteger and Gemm/MatMul/MatMulInteger: runtime
// kernels on hand-computed cases, op inference (shapes, MACs) and rejection
// of malformed attributes. Expected values are worked out by hand (or taken
// from ONNX's operator documentation), never produced by the code under test.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <map>

#include "emlc/conv.h"
#include "emlc/matmul.h"
#include "eval/evaluator.h"
#include "ops/op.h"
#include "passes/infer.h"

namespace emlc {
namespace {

// ---- helpers ------------------------------------------------------------------

rt::ConvParams convParams(int32_t c, int32_t m, int32_t group, std::array<int32_t, 3> in,
                          std::array<int32_t, 3> out, std::array<int32_t, 3> k, std::array<int32_t, 3> s,
                          std::array<int32_t, 3> d, std::array<int32_t, 3> p) {
  rt::ConvParams q{};
  q.batch = 1;
  q.in_channels = c;
  q.out_channels = m;
  q.group = group;
  for (int i = 0; i < 3; ++i) {
    q.in_dims[i] = in[i];
    q.out_dims[i] = out[i];
    q.kernel[i] = k[i];
    q.strides[i] = s[i];
    q.dilations[i] = d[i];
    q.pads[i] = p[i];
  }
  return q;
}

template <class T>
HostTensor host(DType dt, Shape s, const std::vector<T>& v) {
  HostTensor h;
  h.type.dtype = dt;
  h.type.shape = std::move(s);
  h.data.resize(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(h.data.data(), v.data(), h.data.size());
  return h;
}
HostTensor f32(Shape s, const std::vector<float>& v) { return host(DType::F32, std::move(s), v); }

Attribute ints(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::Ints;
  a.ints = std::move(v);
  return a;
}
Attribute i1(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::Int;
  a.i = v;
  return a;
}
Attribute f1(float v) {
  Attribute a;
  a.kind = Attribute::Kind::Float;
  a.f = v;
  return a;
}
Attribute s1(std::string v) {
  Attribute a;
  a.kind = Attribute::Kind::String;
  a.s = std::move(v);
  return a;
}

// A graph with one node `op` whose inputs are runtime inputs of the given
// types (an empty shape with Undefined dtype = omitted input).
struct OneNode {
  Graph g;
  Status st;
};

OneNode build(const std::string& op, const std::vector<TensorType>& ins, std::map<std::string, Attribute> attrs,
              int opset = 13) {
  OneNode r;
  Node n;
  n.op_type = op;
  n.opset = opset;
  n.attrs = std::move(attrs);
  for (size_t k = 0; k < ins.size(); ++k) {
    if (ins[k].dtype == DType::Undefined) {
      n.inputs.push_back(kNoTensor);
      continue;
    }
    Tensor t;
    t.name = "in" + std::to_string(k);
    t.type = ins[k];
    t.typed = true;
    t.is_input = true;
    TensorId id = r.g.addTensor(t);
    r.g.inputs.push_back(id);
    n.inputs.push_back(id);
  }
  Tensor y;
  y.name = "y";
  y.is_output = true;
  TensorId yid = r.g.addTensor(y);
  n.outputs.push_back(yid);
  r.g.outputs.push_back(yid);
  r.g.addNode(n);
  r.st = inferAndFold(r.g, InferOptions{});
  return r;
}

TensorType tt(DType dt, Shape s) {
  TensorType t;
  t.dtype = dt;
  t.shape = std::move(s);
  return t;
}

// Builds, infers and runs one node on the given inputs (omitted inputs have
// DType::Undefined).
Expected<HostTensor> runOne(const std::string& op, const std::vector<HostTensor>& ins,
                            std::map<std::string, Attribute> attrs, int opset = 13) {
  std::vector<TensorType> types;
  std::vector<HostTensor> present;
  for (const HostTensor& h : ins) {
    types.push_back(h.type);
    if (h.type.dtype != DType::Undefined) present.push_back(h);
  }
  OneNode r = build(op, types, std::move(attrs), opset);
  if (!r.st.isOk()) return r.st.error();
  EMLC_ASSIGN(auto outs, runGraph(r.g, present));
  return outs.at(0);
}

template <class T>
std::vector<T> values(const HostTensor& h) {
  std::vector<T> v(h.data.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), h.data.data(), h.data.size());
  return v;
}

ErrorKind kindOf(const OneNode& r) { return r.st.error().kind; }

std::vector<float> iota(int n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  return v;
}

// ---- conv kernel ------------------------------------------------------------------

// x = [[0,1,2],[3,4,5],[6,7,8]], 2x2 kernel of ones: each output is the sum
// of a 2x2 window.
TEST(ConvKernel, TwoByTwoOnesNoPadding) {
  std::vector<float> x = iota(9), w(4, 1.0f), y(4, -1.0f);
  auto p = convParams(1, 1, 1, {1, 3, 3}, {1, 2, 2}, {1, 2, 2}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0});
  rt::conv<float>(p, x.data(), w.data(), nullptr, y.data());
  EXPECT_EQ(y, (std::vector<float>{8, 12, 20, 24}));
}

// 3x3 ones kernel, pad 1, stride 2 on the same x: windows centred on (0,0),
// (0,2), (2,0), (2,2) see the 2x2 corners; bias 1 is added.
TEST(ConvKernel, PaddedStridedWithBias) {
  std::vector<float> x = iota(9), w(9, 1.0f), b{1.0f}, y(4, -1.0f);
  auto p = convParams(1, 1, 1, {1, 3, 3}, {1, 2, 2}, {1, 3, 3}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1});
  rt::conv<float>(p, x.data(), w.data(), b.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{9, 13, 21, 25}));
}

// 1-D depthwise (group 2), kernel [1, -1] dilated by 2: y[o] = x[o] - x[o+2].
TEST(ConvKernel, DepthwiseDilated1D) {
  std::vector<float> x{1, 2, 4, 8, 16, /* channel 1 */ 0, 1, 0, 1, 0};
  std::vector<float> w{1, -1, /* channel 1 */ 2, 1};
  std::vector<float> y(6, -1.0f);
  auto p = convParams(2, 2, 2, {1, 1, 5}, {1, 1, 3}, {1, 1, 2}, {1, 1, 1}, {1, 1, 2}, {0, 0, 0});
  rt::conv<float>(p, x.data(), w.data(), nullptr, y.data());
  EXPECT_EQ(y, (std::vector<float>{1 - 4, 2 - 8, 4 - 16, 0 + 0, 2 + 1, 0 + 0}));
}

// Two input channels summed into one output channel, 1x1 kernel.
TEST(ConvKernel, PointwiseSumsChannels) {
  std::vector<float> x{1, 2, 3, 10, 20, 30}, w{1, 0.5f}, y(3);
  auto p = convParams(2, 1, 1, {1, 1, 3}, {1, 1, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0});
  rt::conv<float>(p, x.data(), w.data(), nullptr, y.data());
  EXPECT_EQ(y, (std::vector<float>{6, 12, 18}));
}

// ConvInteger semantics: padding behaves like the zero point (contributes 0).
// ONNX's documented example: x = 2..10 (3x3), x_zp = 1, 2x2 ones, pads 1.
TEST(ConvKernel, IntegerPaddingIsZeroPoint) {
  std::vector<uint8_t> x{2, 3, 4, 5, 6, 7, 8, 9, 10}, w{1, 1, 1, 1};
  uint8_t xz = 1;
  std::vector<int32_t> y(16);
  auto p = convParams(1, 1, 1, {1, 3, 3}, {1, 4, 4}, {1, 2, 2}, {1, 1, 1}, {1, 1, 1}, {0, 1, 1});
  rt::conv_integer<uint8_t, uint8_t>(p, x.data(), w.data(), &xz, nullptr, 0, y.data());
  EXPECT_EQ(y, (std::vector<int32_t>{1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9}));
}

// ---- conv_transpose kernel --------------------------------------------------------

// ONNX's documented 1-D example: x = [0,1,2], kernel [1,1,1] -> [0,1,3,3,2].
TEST(ConvTransposeKernel, Basic1D) {
  std::vector<float> x{0, 1, 2}, w{1, 1, 1}, y(5, -1.0f);
  auto p = convParams(1, 1, 1, {1, 1, 3}, {1, 1, 5}, {1, 1, 3}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0});
  rt::conv_transpose<float>(p, x.data(), w.data(), nullptr, y.data());
  EXPECT_EQ(y, (std::vector<float>{0, 1, 3, 3, 2}));
}

// Stride 2: x[i] lands on 2i, 2i+1, 2i+2. x = [1,2] -> [1,1,3,2,2]; pad 1
// on each side crops to [1,3,2]; bias 10.
TEST(ConvTransposeKernel, StridedPaddedBias) {
  std::vector<float> x{1, 2}, w{1, 1, 1}, b{10}, y(3, -1.0f);
  auto p = convParams(1, 1, 1, {1, 1, 2}, {1, 1, 3}, {1, 1, 3}, {1, 1, 2}, {1, 1, 1}, {0, 0, 1});
  rt::conv_transpose<float>(p, x.data(), w.data(), b.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{11, 13, 12}));
}

// Negative end padding (output_shape larger than natural): the extra
// outputs only get the bias.
TEST(ConvTransposeKernel, ExtraOutputsGetBias) {
  std::vector<float> x{1, 2}, w{1, 1}, b{0.5f}, y(5, -1.0f);
  auto p = convParams(1, 1, 1, {1, 1, 2}, {1, 1, 5}, {1, 1, 2}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0});
  rt::conv_transpose<float>(p, x.data(), w.data(), b.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{1.5f, 3.5f, 2.5f, 0.5f, 0.5f}));
}

// Groups: two groups of one input channel, each producing two outputs.
// W is (C=2, M/group=2, k=1).
TEST(ConvTransposeKernel, Groups) {
  std::vector<float> x{1, 2, /* c1 */ 3, 4}, w{1, 10, /* c1 */ 100, 1000}, y(8);
  auto p = convParams(2, 4, 2, {1, 1, 2}, {1, 1, 2}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0});
  rt::conv_transpose<float>(p, x.data(), w.data(), nullptr, y.data());
  EXPECT_EQ(y, (std::vector<float>{1, 2, 10, 20, 300, 400, 3000, 4000}));
}

// ---- matmul kernels ---------------------------------------------------------------

// A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[1,1]] -> [[4,5],[10,11]].
TEST(MatMulKernel, BlockBothLayouts) {
  std::vector<float> a{1, 2, 3, 4, 5, 6}, b{1, 0, 0, 1, 1, 1}, bt{1, 0, 1, 0, 1, 1}, y(4);
  rt::matmul_block<float>(2, 2, 3, a.data(), 3, 1, b.data(), 0, y.data());
  EXPECT_EQ(y, (std::vector<float>{4, 5, 10, 11}));
  rt::matmul_block<float>(2, 2, 3, a.data(), 3, 1, bt.data(), 1, y.data());
  EXPECT_EQ(y, (std::vector<float>{4, 5, 10, 11}));
}

// Y = 2 * A^T * B + 0.5 * C, A stored (K=2, M=2), C a row broadcast.
// A^T = [[1,3],[2,4]], B = I -> A^T; *2 = [[2,6],[4,8]]; + 0.5*[10,20].
TEST(MatMulKernel, GemmTransAAlphaBetaBroadcastC) {
  std::vector<float> a{1, 2, 3, 4}, b{1, 0, 0, 1}, c{10, 20}, y(4);
  rt::GemmParams p{};
  p.M = 2; p.N = 2; p.K = 2;
  p.trans_a = 1; p.trans_b = 0;
  p.c_row_stride = 0; p.c_col_stride = 1;
  p.alpha = 2.0f; p.beta = 0.5f;
  rt::gemm<float>(p, a.data(), b.data(), c.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{7, 16, 9, 18}));
}

TEST(MatMulKernel, IntegerWrapsLikeNumpy) {
  std::vector<int32_t> a{0x40000000, 0x40000000}, b{2, 2}, y(1);
  rt::matmul_block<int32_t>(1, 1, 2, a.data(), 2, 1, b.data(), 0, y.data());
  EXPECT_EQ(y[0], 0);  // 2^31 + 2^31 wraps to 0
}

// MatMulInteger: (A - 12) * B from ONNX's documented example.
TEST(MatMulKernel, Integer) {
  std::vector<uint8_t> a{11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0}, b{1, 4, 2, 5, 3, 6};
  uint8_t az = 12, bz = 0;
  std::vector<int32_t> y(8);
  rt::MatMulParams p{};
  p.M = 4; p.N = 2; p.K = 3;
  rt::matmul_integer<uint8_t, uint8_t>(p, a.data(), b.data(), &az, &bz, y.data());
  EXPECT_EQ(y, (std::vector<int32_t>{-38, -83, -44, -98, -50, -113, -56, -128}));
}

// ---- Conv op ------------------------------------------------------------------------

TEST(ConvOp, ShapesAndMacs) {
  // 2-D, stride 2, pads 1: out = (7 + 2 - 3) / 2 + 1 = 4 and (6 + 2 - 3) / 2 + 1 = 3.
  OneNode r = build("Conv", {tt(DType::F32, {2, 4, 7, 6}), tt(DType::F32, {8, 2, 3, 3})},
                    {{"strides", ints({2, 2})}, {"pads", ints({1, 1, 1, 1})}, {"group", i1(2)}});
  ASSERT_TRUE(r.st.isOk()) << r.st.error().message;
  EXPECT_EQ(r.g.t(r.g.outputs[0]).type.shape, (Shape{2, 8, 4, 3}));
  // N * M * out_spatial * (C / group) * kernel = 2 * 8 * 12 * 2 * 9.
  EXPECT_EQ(findOp("", "Conv")->macs(r.g.nodes[0], r.g), 2 * 8 * 12 * 2 * 9);
}

TEST(ConvOp, AutoPadSame) {
  // SAME: out = ceil(5 / 2) = 3 for both SAME_UPPER and SAME_LOWER.
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER"}) {
    OneNode r = build("Conv", {tt(DType::F32, {1, 1, 5}), tt(DType::F32, {1, 1, 2})},
                      {{"auto_pad", s1(mode)}, {"strides", ints({2})}});
    ASSERT_TRUE(r.st.isOk()) << r.st.error().message;
    EXPECT_EQ(r.g.t(r.g.outputs[0]).type.shape, (Shape{1, 1, 3}));
  }
  // Total padding 1 (2*2 + 2 - 5): SAME_UPPER pads at the end, SAME_LOWER at
  // the start. x = [1,2,3,4,5], kernel [1,10], stride 2.
  std::vector<HostTensor> in = {f32({1, 1, 5}, {1, 2, 3, 4, 5}), f32({1, 1, 2}, {1, 10})};
  auto up = runOne("Conv", in, {{"auto_pad", s1("SAME_UPPER")}, {"strides", ints({2})}});
  ASSERT_TRUE(up.isOk()) << up.error().message;
  EXPECT_EQ(values<float>(*up), (std::vector<float>{21, 43, 5}));
  auto lo = runOne("Conv", in, {{"auto_pad", s1("SAME_LOWER")}, {"strides", ints({2})}});
  ASSERT_TRUE(lo.isOk()) << lo.error().message;
  EXPECT_EQ(values<float>(*lo), (std::vector<float>{10, 32, 54}));
}

TEST(ConvOp, ThreeDAndBias) {
  // 2x2x2 input of ones, 2x2x2 kernel of ones, bias 0.5 -> 8.5.
  auto y = runOne("Conv", {f32({1, 1, 2, 2, 2}, std::vector<float>(8, 1)), f32({1, 1, 2, 2, 2}, std::vector<float>(8, 1)),
                           f32({1}, {0.5f})},
                  {});
  ASSERT_TRUE(y.isOk()) << y.error().message;
  EXPECT_EQ(y->type.shape, (Shape{1, 1, 1, 1, 1}));
  EXPECT_EQ(values<float>(*y), (std::vector<float>{8.5f}));
}

TEST(ConvOp, RejectsBadAttributes) {
  const TensorType x = tt(DType::F32, {1, 4, 5, 5}), w = tt(DType::F32, {6, 2, 3, 3});
  auto bad = [&](std::map<std::string, Attribute> a, ErrorKind k = ErrorKind::Invalid) {
    OneNode r = build("Conv", {x, w}, std::move(a));
    ASSERT_FALSE(r.st.isOk());
    EXPECT_EQ(kindOf(r), k) << r.st.error().message;
  };
  bad({});                                            // W has 2 channels/group, X 4, group 1
  bad({{"group", i1(0)}});
  bad({{"group", i1(-2)}});
  bad({{"group", i1(3)}});                            // 4 channels not divisible by 3
  bad({{"group", i1(2)}, {"strides", ints({1})}});    // wrong length
  bad({{"group", i1(2)}, {"strides", ints({0, 1})}});
  bad({{"group", i1(2)}, {"dilations", ints({1, -1})}});
  bad({{"group", i1(2)}, {"pads", ints({1, 1})}});
  bad({{"group", i1(2)}, {"pads", ints({-1, 0, 0, 0})}});
  bad({{"group", i1(2)}, {"kernel_shape", ints({2, 2})}});
  bad({{"group", i1(2)}, {"auto_pad", s1("SAME")}});
  bad({{"group", i1(2)}, {"dilations", ints({3, 3})}});  // 7-tap extent > 5
  bad({{"group", i1(2)}, {"strides", ints({int64_t{1} << 40, 1})}}, ErrorKind::Unsupported);
  bad({{"group", i1(2)}, {"pads", ints({INT64_MAX, 0, INT64_MAX, 0})}}, ErrorKind::Unsupported);
  // group 2 is fine.
  EXPECT_TRUE(build("Conv", {x, w}, {{"group", i1(2)}}).st.isOk());
}

TEST(ConvOp, RejectsBadInputs) {
  auto kind = [](std::vector<TensorType> in) {
    OneNode r = build("Conv", in, {});
    EXPECT_FALSE(r.st.isOk());
    return r.st.isOk() ? ErrorKind::Internal : kindOf(r);
  };
  EXPECT_EQ(kind({tt(DType::F32, {1, 1, 4, 4}), tt(DType::F32, {1, 1, 3})}), ErrorKind::Invalid);  // rank
  EXPECT_EQ(kind({tt(DType::F32, {1, 4}), tt(DType::F32, {1, 4})}), ErrorKind::Invalid);
  EXPECT_EQ(kind({tt(DType::F32, {1, 1, 2, 2, 2, 2}), tt(DType::F32, {1, 1, 1, 1, 1, 1})}),
            ErrorKind::Unsupported);  // 4 spatial dims
  EXPECT_EQ(kind({tt(DType::F16, {1, 1, 4}), tt(DType::F16, {1, 1, 3})}), ErrorKind::Unsupported);
  EXPECT_EQ(kind({tt(DType::F32, {1, 1, 4}), tt(DType::F64, {1, 1, 3})}), ErrorKind::Invalid);
  EXPECT_EQ(kind({tt(DType::F32, {1, 1, 4}), tt(DType::F32, {2, 1, 3}), tt(DType::F32, {3})}),
            ErrorKind::Invalid);  // bias size
  EXPECT_EQ(kind({tt(DType::F32, {1, 1, 4}), tt(DType::F32, {2, 1, 0})}), ErrorKind::Invalid);  // empty kernel
  EXPECT_EQ(kind({tt(DType::F32, {1, 1, 2}), tt(DType::F32, {2, 1, 3})}), ErrorKind::Invalid);  // kernel > input
  EXPECT_EQ(kind({tt(DType::F32, {1, 1, 4})}), ErrorKind::Invalid);  // no W
}

// ---- ConvTranspose op ---------------------------------------------------------------

TEST(ConvTransposeOp, Shapes) {
  auto shape = [](std::map<std::string, Attribute> a) {
    OneNode r = build("ConvTranspose", {tt(DType::F32, {1, 2, 3, 3}), tt(DType::F32, {2, 3, 3, 3})}, std::move(a));
    EXPECT_TRUE(r.st.isOk()) << r.st.error().message;
    return r.st.isOk() ? r.g.t(r.g.outputs[0]).type.shape : Shape{};
  };
  // Natural size: stride * (in - 1) + kernel = 2 * 2 + 3 = 7.
  EXPECT_EQ(shape({{"strides", ints({2, 2})}}), (Shape{1, 3, 7, 7}));
  EXPECT_EQ(shape({{"strides", ints({2, 2})}, {"pads", ints({1, 0, 1, 2})}, {"output_padding", ints({1, 0})}}),
            (Shape{1, 3, 6, 5}));
  EXPECT_EQ(shape({{"strides", ints({2, 2})}, {"auto_pad", s1("SAME_UPPER")}}), (Shape{1, 3, 6, 6}));
  EXPECT_EQ(shape({{"strides", ints({2, 2})}, {"output_shape", ints({9, 4})}}), (Shape{1, 3, 9, 4}));
  EXPECT_EQ(shape({{"output_shape", ints({1, 3, 5, 6})}}), (Shape{1, 3, 5, 6}));
  EXPECT_EQ(shape({{"group", i1(2)}}), (Shape{1, 6, 5, 5}));
}

// output_shape larger than the natural size: ONNX computes
// total = natural - wanted, pad_begin = total - floor(total / 2),
// pad_end = floor(total / 2) (SAME_UPPER swaps them). Total -1 adds the extra
// output at the end (as in ONNX's test_convtranspose_output_shape); total -2
// adds one on each side.
TEST(ConvTransposeOp, OutputShapeLargerThanNatural) {
  std::vector<HostTensor> in = {f32({1, 1, 1, 1}, {2}), f32({1, 1, 1, 1}, {3})};
  auto y = runOne("ConvTranspose", in, {{"output_shape", ints({2, 2})}});
  ASSERT_TRUE(y.isOk()) << y.error().message;
  EXPECT_EQ(values<float>(*y), (std::vector<float>{6, 0, 0, 0}));
  auto z = runOne("ConvTranspose", in, {{"output_shape", ints({1, 3})}});
  ASSERT_TRUE(z.isOk()) << z.error().message;
  EXPECT_EQ(values<float>(*z), (std::vector<float>{0, 6, 0}));
  auto u = runOne("ConvTranspose", in, {{"output_shape", ints({1, 3})}, {"auto_pad", s1("SAME_UPPER")}});
  ASSERT_TRUE(u.isOk()) << u.error().message;
  EXPECT_EQ(values<float>(*u), (std::vector<float>{0, 6, 0}));
  auto v = runOne("ConvTranspose", in, {{"output_shape", ints({1, 2})}, {"auto_pad", s1("SAME_UPPER")}});
  ASSERT_TRUE(v.isOk()) << v.error().message;
  EXPECT_EQ(values<float>(*v), (std::vector<float>{0, 6}));
}

TEST(ConvTransposeOp, MacsAndErrors) {
  OneNode r = build("ConvTranspose", {tt(DType::F32, {2, 4, 3, 5}), tt(DType::F32, {4, 3, 2, 2})}, {{"group", i1(2)}});
  ASSERT_TRUE(r.st.isOk()) << r.st.error().message;
  // N * C * in_spatial * (M / group) * kernel = 2 * 4 * 15 * 3 * 4.
  EXPECT_EQ(findOp("", "ConvTranspose")->macs(r.g.nodes[0], r.g), 2 * 4 * 15 * 3 * 4);
  auto bad = [](std::map<std::string, Attribute> a) {
    OneNode q = build("ConvTranspose", {tt(DType::F32, {1, 2, 3}), tt(DType::F32, {2, 1, 3})}, std::move(a));
    EXPECT_FALSE(q.st.isOk());
  };
  bad({{"output_padding", ints({-1})}});
  bad({{"output_padding", ints({1, 1})}});
  bad({{"output_shape", ints({0})}});
  bad({{"output_shape", ints({4, 4})}});
  bad({{"pads", ints({3, 3})}});  // natural size 5, nothing left
  bad({{"group", i1(3)}});
  EXPECT_FALSE(build("ConvTranspose", {tt(DType::F32, {1, 2, 3}), tt(DType::F32, {3, 1, 3})}, {}).st.isOk());
}

// ---- ConvInteger op -----------------------------------------------------------------

TEST(ConvIntegerOp, PerChannelWeightZeroPoint) {
  // x = [1, 2, 3] int8, two 1-tap filters [5] and [7] with w_zp [4, 5]:
  // y0 = x * 1, y1 = x * 2.
  auto y = runOne("ConvInteger",
                  {host<int8_t>(DType::I8, {1, 1, 3}, {1, 2, 3}), host<int8_t>(DType::I8, {2, 1, 1}, {5, 7}),
                   HostTensor{},  // x_zero_point omitted
                   host<int8_t>(DType::I8, {2}, {4, 5})},
                  {}, 10);
  ASSERT_TRUE(y.isOk()) << y.error().message;
  EXPECT_EQ(y->type.dtype, DType::I32);
  EXPECT_EQ(values<int32_t>(*y), (std::vector<int32_t>{1, 2, 3, 2, 4, 6}));
  OneNode r = build("ConvInteger", {tt(DType::F32, {1, 1, 3}), tt(DType::F32, {1, 1, 1})}, {}, 10);
  EXPECT_FALSE(r.st.isOk());
}

// ---- Gemm op ------------------------------------------------------------------------

TEST(GemmOp, TransposesAndBias) {
  // A^T with A = [[1,2],[3,4],[5,6]] (K=3, M=2); B^T with B = [[1,1,1]] (N=1,K=3).
  // A^T * B^T = [[9],[12]]; alpha 1; C scalar 1, beta 2 -> [[11],[14]].
  auto y = runOne("Gemm", {f32({3, 2}, {1, 2, 3, 4, 5, 6}), f32({1, 3}, {1, 1, 1}), f32({}, {1})},
                  {{"transA", i1(1)}, {"transB", i1(1)}, {"beta", f1(2.0f)}});
  ASSERT_TRUE(y.isOk()) << y.error().message;
  EXPECT_EQ(y->type.shape, (Shape{2, 1}));
  EXPECT_EQ(values<float>(*y), (std::vector<float>{11, 14}));
}

TEST(GemmOp, OptionalCAndOpsetRules) {
  const TensorType a = tt(DType::F32, {2, 3}), b = tt(DType::F32, {3, 4});
  OneNode r = build("Gemm", {a, b}, {});
  ASSERT_TRUE(r.st.isOk()) << r.st.error().message;
  EXPECT_EQ(findOp("", "Gemm")->macs(r.g.nodes[0], r.g), 2 * 3 * 4);
  EXPECT_FALSE(build("Gemm", {a, b}, {}, 9).st.isOk());  // C required before opset 11
  // Opset 6 without broadcast=1: C must be exactly (M, N).
  EXPECT_FALSE(build("Gemm", {a, b, tt(DType::F32, {4})}, {}, 6).st.isOk());
  EXPECT_TRUE(build("Gemm", {a, b, tt(DType::F32, {4})}, {{"broadcast", i1(1)}}, 6).st.isOk());
  EXPECT_TRUE(build("Gemm", {a, b, tt(DType::F32, {2, 4})}, {}, 6).st.isOk());
  EXPECT_TRUE(build("Gemm", {a, b, tt(DType::F32, {2, 1})}, {}, 7).st.isOk());
  EXPECT_FALSE(build("Gemm", {a, b, tt(DType::F32, {3})}, {}).st.isOk());        // not broadcastable
  EXPECT_FALSE(build("Gemm", {a, b, tt(DType::F32, {1, 2, 4})}, {}).st.isOk());  // rank 3
  EXPECT_FALSE(build("Gemm", {a, tt(DType::F32, {4, 3})}, {}).st.isOk());        // K mismatch
  EXPECT_TRUE(build("Gemm", {a, tt(DType::F32, {4, 3})}, {{"transB", i1(1)}}).st.isOk());
  EXPECT_FALSE(build("Gemm", {tt(DType::F32, {2, 3, 1}), b}, {}).st.isOk());
  EXPECT_FALSE(build("Gemm", {a, tt(DType::F64, {3, 4})}, {}).st.isOk());
  EXPECT_EQ(kindOf(build("Gemm", {tt(DType::F16, {2, 3}), tt(DType::F16, {3, 4})}, {})), ErrorKind::Unsupported);
  EXPECT_EQ(kindOf(build("Gemm", {tt(DType::I32, {2, 3}), tt(DType::I32, {3, 4})}, {{"alpha", f1(0.5f)}})),
            ErrorKind::Unsupported);
}

// ---- MatMul op ----------------------------------------------------------------------

TEST(MatMulOp, VectorAndBatchShapes) {
  auto shape = [](Shape a, Shape b) {
    OneNode r = build("MatMul", {tt(DType::F32, a), tt(DType::F32, b)}, {});
    EXPECT_TRUE(r.st.isOk()) << r.st.error().message;
    return r.st.isOk() ? r.g.t(r.g.outputs[0]).type.shape : Shape{99};
  };
  EXPECT_EQ(shape({3}, {3}), Shape{});
  EXPECT_EQ(shape({3}, {3, 4}), (Shape{4}));
  EXPECT_EQ(shape({2, 3}, {3}), (Shape{2}));
  EXPECT_EQ(shape({5, 1, 2, 3}, {4, 3, 6}), (Shape{5, 4, 2, 6}));
  EXPECT_EQ(shape({3}, {7, 3, 2}), (Shape{7, 2}));
  EXPECT_EQ(shape({7, 2, 3}, {3}), (Shape{7, 2}));
  OneNode r = build("MatMul", {tt(DType::F32, {5, 1, 2, 3}), tt(DType::F32, {4, 3, 6})}, {});
  EXPECT_EQ(findOp("", "MatMul")->macs(r.g.nodes[0], r.g), 5 * 4 * 2 * 6 * 3);
  EXPECT_FALSE(build("MatMul", {tt(DType::F32, {2, 3}), tt(DType::F32, {4, 2})}, {}).st.isOk());
  EXPECT_FALSE(build("MatMul", {tt(DType::F32, {2, 2, 3}), tt(DType::F32, {3, 3, 2})}, {}).st.isOk());
  EXPECT_FALSE(build("MatMul", {tt(DType::F32, {}), tt(DType::F32, {3})}, {}).st.isOk());
  EXPECT_FALSE(build("MatMul", {tt(DType::F32, {3}), tt(DType::I32, {3})}, {}).st.isOk());
  EXPECT_EQ(kindOf(build("MatMul", {tt(DType::Bool, {3}), tt(DType::Bool, {3})}, {})), ErrorKind::Unsupported);
}

TEST(MatMulOp, BroadcastBatchValues) {
  // A: two 1x2 matrices [1,2] and [3,4]; B: one 2x2 matrix [[1,10],[100,1000]]
  // broadcast over A's batch -> [201, 2010] and [403, 4030].
  auto y = runOne("MatMul", {f32({2, 1, 2}, {1, 2, 3, 4}), f32({1, 2, 2}, {1, 10, 100, 1000})}, {});
  ASSERT_TRUE(y.isOk()) << y.error().message;
  EXPECT_EQ(y->type.shape, (Shape{2, 1, 2}));
  EXPECT_EQ(values<float>(*y), (std::vector<float>{201, 2010, 403, 4030}));
  // A broadcast over B's batch of two 2x1 matrices: [1,2]·[1,1] = 3, [1,2]·[2,0] = 2.
  auto z = runOne("MatMul", {f32({2}, {1, 2}), f32({2, 2, 1}, {1, 1, 2, 0})}, {});
  ASSERT_TRUE(z.isOk()) << z.error().message;
  EXPECT_EQ(z->type.shape, (Shape{2, 1}));
  EXPECT_EQ(values<float>(*z), (std::vector<float>{3, 2}));
  // int64 dot product.
  auto d = runOne("MatMul", {host<int64_t>(DType::I64, {3}, {1, 2, 3}), host<int64_t>(DType::I64, {3}, {4, 5, 6})}, {});
  ASSERT_TRUE(d.isOk()) << d.error().message;
  EXPECT_EQ(values<int64_t>(*d), (std::vector<int64_t>{32}));
}

TEST(MatMulIntegerOp, ZeroPointsAndErrors) {
  // (A - 1) * (B - 2) with A = [[3, 4]] (uint8), B = [[2], [5]] (int8) = 2*0 + 3*3 = 9.
  auto y = runOne("MatMulInteger",
                  {host<uint8_t>(DType::U8, {1, 2}, {3, 4}), host<int8_t>(DType::I8, {2, 1}, {2, 5}),
                   host<uint8_t>(DType::U8, {}, {1}), host<int8_t>(DType::I8, {1}, {2})},
                  {}, 10);
  ASSERT_TRUE(y.isOk()) << y.error().message;
  EXPECT_EQ(y->type.dtype, DType::I32);
  EXPECT_EQ(values<int32_t>(*y), (std::vector<int32_t>{9}));
  // Per-row zero points are not supported; a zero point of the wrong type is invalid.
  EXPECT_EQ(kindOf(build("MatMulInteger", {tt(DType::U8, {2, 2}), tt(DType::U8, {2, 2}), tt(DType::U8, {2})}, {}, 10)),
            ErrorKind::Unsupported);
  EXPECT_EQ(kindOf(build("MatMulInteger", {tt(DType::U8, {2, 2}), tt(DType::U8, {2, 2}), tt(DType::I8, {})}, {}, 10)),
            ErrorKind::Invalid);
  EXPECT_EQ(kindOf(build("MatMulInteger", {tt(DType::F32, {2, 2}), tt(DType::U8, {2, 2})}, {}, 10)),
            ErrorKind::Unsupported);
}

}  // namespace
}  // namespace emlc
