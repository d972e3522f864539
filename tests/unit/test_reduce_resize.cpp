// Reductions, ArgMax/ArgMin, TopK, Resize/Upsample, losses and Einsum:
// small graphs run through inference and the runtime kernels, with expected
// values computed by hand from ONNX's documented semantics.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "eval/evaluator.h"
#include "passes/infer.h"

namespace emlc {
namespace {

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
Attribute intsAttr(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::Ints;
  a.ints = std::move(v);
  return a;
}
Attribute floatsAttr(std::vector<float> v) {
  Attribute a;
  a.kind = Attribute::Kind::Floats;
  a.floats = std::move(v);
  return a;
}

template <class T>
std::vector<uint8_t> bytesOf(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// Builds a one-node graph: runtime inputs, constant inputs, attributes.
class OneNode {
 public:
  explicit OneNode(const std::string& op, int opset = 13) {
    node_.op_type = op;
    node_.name = "n";
    node_.opset = opset;
  }
  template <class T>
  OneNode& input(DType t, Shape s, std::vector<T> v) {
    Tensor x;
    x.name = "in" + std::to_string(node_.inputs.size());
    x.type.dtype = t;
    x.type.shape = std::move(s);
    x.typed = true;
    x.is_input = true;
    TensorId id = g_.addTensor(x);
    g_.inputs.push_back(id);
    node_.inputs.push_back(id);
    HostTensor h;
    h.type = g_.t(id).type;
    h.data = bytesOf(v);
    feeds_.push_back(std::move(h));
    return *this;
  }
  template <class T>
  OneNode& constant(DType t, Shape s, std::vector<T> v) {
    Tensor x;
    x.name = "c" + std::to_string(node_.inputs.size());
    x.type.dtype = t;
    x.type.shape = std::move(s);
    x.typed = true;
    x.data = bytesOf(v);
    node_.inputs.push_back(g_.addTensor(x));
    return *this;
  }
  OneNode& omitted() {
    node_.inputs.push_back(kNoTensor);
    return *this;
  }
  OneNode& attr(const std::string& name, Attribute a) {
    node_.attrs[name] = std::move(a);
    return *this;
  }
  OneNode& outputs(int n) {
    n_out_ = n;
    return *this;
  }

  // Infers and runs; returns the outputs or the error.
  Expected<std::vector<HostTensor>> run() {
    for (int k = 0; k < n_out_; ++k) {
      Tensor y;
      y.name = "out" + std::to_string(k);
      y.is_output = true;
      TensorId id = g_.addTensor(y);
      node_.outputs.push_back(id);
      g_.outputs.push_back(id);
    }
    g_.addNode(node_);
    EMLC_TRY(inferAndFold(g_, InferOptions{}));
    return runGraph(g_, feeds_);
  }

 private:
  Graph g_;
  Node node_;
  std::vector<HostTensor> feeds_;
  int n_out_ = 1;
};

template <class T>
std::vector<T> values(const HostTensor& h) {
  std::vector<T> v(static_cast<size_t>(h.type.numel()));
  if (!v.empty()) std::memcpy(v.data(), h.data.data(), v.size() * sizeof(T));
  return v;
}

void expectNear(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

ErrorKind errorKind(Expected<std::vector<HostTensor>> r) {
  EXPECT_FALSE(r.isOk());
  return r.isOk() ? ErrorKind::Internal : r.error().kind;
}

const std::vector<float> k23 = {1, 2, 3, 4, 5, 6};  // [[1,2,3],[4,5,6]]

// ---- reductions -------------------------------------------------------------

TEST(Reduce, SumAxisAttributeNoKeepdims) {
  auto r = OneNode("ReduceSum", 11).input(DType::F32, {2, 3}, k23).attr("axes", intsAttr({1}))
               .attr("keepdims", intAttr(0)).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ((*r)[0].type.shape, (Shape{2}));
  expectNear(values<float>((*r)[0]), {6, 15});
}

TEST(Reduce, SumAxesInputOpset13) {
  auto r = OneNode("ReduceSum", 13).input(DType::F32, {2, 3}, k23).constant(DType::I64, {1}, std::vector<int64_t>{0})
               .run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ((*r)[0].type.shape, (Shape{1, 3}));
  expectNear(values<float>((*r)[0]), {5, 7, 9});
}

TEST(Reduce, SumEmptyAxesNoopIsIdentity) {
  auto r = OneNode("ReduceSum", 13).input(DType::I32, {2, 3}, std::vector<int32_t>{1, -2, 3, 4, 5, 6})
               .constant(DType::I64, {0}, std::vector<int64_t>{}).attr("noop_with_empty_axes", intAttr(1)).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ((*r)[0].type.shape, (Shape{2, 3}));
  EXPECT_EQ(values<int32_t>((*r)[0]), (std::vector<int32_t>{1, -2, 3, 4, 5, 6}));
}

TEST(Reduce, MeanAllAxesKeepdims) {
  auto r = OneNode("ReduceMean").input(DType::F32, {2, 3}, k23).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ((*r)[0].type.shape, (Shape{1, 1}));
  expectNear(values<float>((*r)[0]), {3.5f});
}

TEST(Reduce, MaxOverNonAdjacentAxes) {
  // x[i][j][k] = 4i + 2j + k; reducing axes 0 and 2 leaves j: max(0,1,4,5), max(2,3,6,7).
  auto r = OneNode("ReduceMax").input(DType::F32, {2, 2, 2}, std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7})
               .attr("axes", intsAttr({0, -1})).attr("keepdims", intAttr(0)).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ((*r)[0].type.shape, (Shape{2}));
  expectNear(values<float>((*r)[0]), {5, 7});
}

TEST(Reduce, MinPropagatesNaN) {
  auto r = OneNode("ReduceMin").input(DType::F32, {2, 2}, std::vector<float>{1, NAN, -3, 2})
               .attr("axes", intsAttr({1})).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  auto v = values<float>((*r)[0]);
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], -3.0f);
}

TEST(Reduce, ProdL1L2SumSquareLogSumLogSumExp) {
  struct Case { const char* op; std::vector<float> x; float want; };
  const Case cases[] = {
      {"ReduceProd", {1, 2, 3, 4}, 24.0f},
      {"ReduceL1", {-1, 2, -3, 0}, 6.0f},
      {"ReduceL2", {3, 0, -4, 0}, 5.0f},
      {"ReduceSumSquare", {1, 2, 3, 0}, 14.0f},
      {"ReduceLogSum", {1, 2, 0, 0}, std::log(3.0f)},
      {"ReduceLogSumExp", {0, std::log(3.0f), -INFINITY, -INFINITY}, std::log(4.0f)},
  };
  for (const Case& c : cases) {
    auto r = OneNode(c.op).input(DType::F32, {4}, c.x).attr("keepdims", intAttr(0)).run();
    ASSERT_TRUE(r.isOk()) << c.op << ": " << r.error().message;
    EXPECT_EQ((*r)[0].type.shape, Shape{}) << c.op;
    expectNear(values<float>((*r)[0]), {c.want});
  }
}

TEST(Reduce, LogSumExpIsStableForLargeValues) {
  auto r = OneNode("ReduceLogSumExp").input(DType::F32, {2}, std::vector<float>{1000, 1000}).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  expectNear(values<float>((*r)[0]), {1000.0f + std::log(2.0f)}, 1e-3f);
}

TEST(Reduce, IntegerMeanTruncates) {
  auto r = OneNode("ReduceMean").input(DType::I64, {3}, std::vector<int64_t>{1, 2, 4}).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ(values<int64_t>((*r)[0]), (std::vector<int64_t>{2}));  // 7 / 3
}

TEST(Reduce, BadAttributesAreErrors) {
  EXPECT_EQ(errorKind(OneNode("ReduceSum", 11).input(DType::F32, {2, 3}, k23).attr("axes", intsAttr({1, -1})).run()),
            ErrorKind::Invalid);
  EXPECT_EQ(errorKind(OneNode("ReduceMax").input(DType::F32, {2, 3}, k23).attr("axes", intsAttr({2})).run()),
            ErrorKind::Invalid);
  EXPECT_EQ(errorKind(OneNode("ReduceMax").input(DType::F32, {}, std::vector<float>{1}).attr("axes", intsAttr({0}))
                          .run()),
            ErrorKind::Invalid);
  EXPECT_EQ(errorKind(OneNode("ReduceLogSumExp").input(DType::I32, {2}, std::vector<int32_t>{1, 2}).run()),
            ErrorKind::Unsupported);
  EXPECT_EQ(errorKind(OneNode("ReduceSum", 13).input(DType::F32, {2, 3}, k23)
                          .input(DType::I64, {1}, std::vector<int64_t>{0}).run()),
            ErrorKind::Unsupported);  // axes not constant
}

// ---- ArgMax / ArgMin --------------------------------------------------------

TEST(Arg, MaxTiesFirstOrLast) {
  const std::vector<float> x = {1, 3, 3, 2};
  auto r = OneNode("ArgMax").input(DType::F32, {4}, x).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ((*r)[0].type.shape, (Shape{1}));
  EXPECT_EQ(values<int64_t>((*r)[0]), (std::vector<int64_t>{1}));
  auto last = OneNode("ArgMax").input(DType::F32, {4}, x).attr("select_last_index", intAttr(1)).run();
  ASSERT_TRUE(last.isOk());
  EXPECT_EQ(values<int64_t>((*last)[0]), (std::vector<int64_t>{2}));
}

TEST(Arg, MinAlongAxis0NoKeepdims) {
  auto r = OneNode("ArgMin").input(DType::I32, {2, 3}, std::vector<int32_t>{5, 1, 7, 2, 8, 7})
               .attr("axis", intAttr(0)).attr("keepdims", intAttr(0)).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ((*r)[0].type.shape, (Shape{3}));
  EXPECT_EQ(values<int64_t>((*r)[0]), (std::vector<int64_t>{1, 0, 0}));
}

TEST(Arg, BadAxisIsInvalid) {
  EXPECT_EQ(errorKind(OneNode("ArgMax").input(DType::F32, {2, 3}, k23).attr("axis", intAttr(2)).run()),
            ErrorKind::Invalid);
}

// ---- TopK -------------------------------------------------------------------

TEST(TopK, LargestAndSmallestWithStableTies) {
  const std::vector<float> x = {1, 3, 2, 3, 4, 0, 4, 1};  // [[1,3,2,3],[4,0,4,1]]
  auto r = OneNode("TopK", 11).input(DType::F32, {2, 4}, x).constant(DType::I64, {1}, std::vector<int64_t>{2})
               .outputs(2).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ((*r)[0].type.shape, (Shape{2, 2}));
  expectNear(values<float>((*r)[0]), {3, 3, 4, 4});
  EXPECT_EQ(values<int64_t>((*r)[1]), (std::vector<int64_t>{1, 3, 0, 2}));
  auto s = OneNode("TopK", 11).input(DType::F32, {2, 4}, x).constant(DType::I64, {1}, std::vector<int64_t>{2})
               .attr("largest", intAttr(0)).outputs(2).run();
  ASSERT_TRUE(s.isOk()) << s.error().message;
  expectNear(values<float>((*s)[0]), {1, 2, 0, 1});
  EXPECT_EQ(values<int64_t>((*s)[1]), (std::vector<int64_t>{0, 2, 1, 3}));
}

TEST(TopK, Axis0) {
  auto r = OneNode("TopK", 11).input(DType::I32, {3, 2}, std::vector<int32_t>{1, 6, 5, 2, 3, 4})
               .constant(DType::I64, {1}, std::vector<int64_t>{1}).attr("axis", intAttr(0)).outputs(2).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ((*r)[0].type.shape, (Shape{1, 2}));
  EXPECT_EQ(values<int32_t>((*r)[0]), (std::vector<int32_t>{5, 6}));
  EXPECT_EQ(values<int64_t>((*r)[1]), (std::vector<int64_t>{1, 0}));
}

TEST(TopK, KOutOfRangeIsInvalid) {
  EXPECT_EQ(errorKind(OneNode("TopK", 11).input(DType::F32, {4}, std::vector<float>{1, 2, 3, 4})
                          .constant(DType::I64, {1}, std::vector<int64_t>{5}).outputs(2).run()),
            ErrorKind::Invalid);
}

// ---- Resize / Upsample ------------------------------------------------------

OneNode resize1d(const std::vector<float>& x, const char* mode, const char* coord) {
  OneNode n("Resize", 13);
  n.input(DType::F32, {static_cast<int64_t>(x.size())}, x).attr("mode", strAttr(mode))
      .attr("coordinate_transformation_mode", strAttr(coord));
  return n;
}

TEST(Resize, NearestAsymmetricScales) {
  auto r = resize1d({1, 2}, "nearest", "asymmetric").omitted().constant(DType::F32, {1}, std::vector<float>{2})
               .run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  expectNear(values<float>((*r)[0]), {1, 1, 2, 2});
}

TEST(Resize, LinearHalfPixel) {
  // x_ori = (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, edges clamped.
  auto r = resize1d({1, 2}, "linear", "half_pixel").omitted().constant(DType::F32, {1}, std::vector<float>{2}).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  expectNear(values<float>((*r)[0]), {1, 1.25f, 1.75f, 2});
}

TEST(Resize, LinearAlignCornersSizes) {
  auto r = resize1d({1, 2}, "linear", "align_corners").omitted().omitted()
               .constant(DType::I64, {1}, std::vector<int64_t>{3}).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  expectNear(values<float>((*r)[0]), {1, 1.5f, 2});
}

TEST(Resize, CubicAlignCorners) {
  // A = -0.5, ratio 0.5: coefficients (-1/16, 9/16, 9/16, -1/16); edges clamp.
  auto r = resize1d({0, 10, 20, 30}, "cubic", "align_corners").attr("cubic_coeff_a", floatAttr(-0.5f)).omitted()
               .omitted().constant(DType::I64, {1}, std::vector<int64_t>{7}).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  expectNear(values<float>((*r)[0]), {0, 4.375f, 10, 15, 20, 25.625f, 30}, 1e-4f);
}

TEST(Resize, TfCropAndResizeExtrapolates) {
  // roi [0.5, 1.5] of 3 values: x_ori = x + 1; x = 2 falls outside.
  auto r = resize1d({1, 2, 3}, "linear", "tf_crop_and_resize").attr("extrapolation_value", floatAttr(9))
               .constant(DType::F32, {2}, std::vector<float>{0.5f, 1.5f}).omitted()
               .constant(DType::I64, {1}, std::vector<int64_t>{3}).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  expectNear(values<float>((*r)[0]), {2, 3, 9});
}

TEST(Resize, Resize10NearestDownsampleRoundsUp) {
  auto r = OneNode("Resize", 10).input(DType::F32, {4}, std::vector<float>{1, 2, 3, 4})
               .constant(DType::F32, {1}, std::vector<float>{0.6f}).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  expectNear(values<float>((*r)[0]), {1, 3});
}

TEST(Resize, Upsample7NearestAndUpsample9Linear) {
  auto r = OneNode("Upsample", 7).input(DType::I32, {1, 2}, std::vector<int32_t>{1, 2})
               .attr("scales", floatsAttr({1, 2})).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ((*r)[0].type.shape, (Shape{1, 4}));
  EXPECT_EQ(values<int32_t>((*r)[0]), (std::vector<int32_t>{1, 1, 2, 2}));
  auto l = OneNode("Upsample", 9).input(DType::F32, {2}, std::vector<float>{1, 2}).attr("mode", strAttr("linear"))
               .constant(DType::F32, {1}, std::vector<float>{2}).run();
  ASSERT_TRUE(l.isOk()) << l.error().message;
  expectNear(values<float>((*l)[0]), {1, 1.5f, 2, 2});
}

TEST(Resize, BadInputsAreErrors) {
  // Both scales and sizes.
  EXPECT_EQ(errorKind(resize1d({1, 2}, "nearest", "asymmetric").omitted()
                          .constant(DType::F32, {1}, std::vector<float>{2})
                          .constant(DType::I64, {1}, std::vector<int64_t>{4}).run()),
            ErrorKind::Invalid);
  EXPECT_EQ(errorKind(resize1d({1, 2}, "nearest", "asymmetric").omitted()
                          .constant(DType::F32, {1}, std::vector<float>{-1}).run()),
            ErrorKind::Invalid);
  EXPECT_EQ(errorKind(resize1d({1, 2}, "area", "asymmetric").omitted()
                          .constant(DType::F32, {1}, std::vector<float>{2}).run()),
            ErrorKind::Invalid);
  EXPECT_EQ(errorKind(resize1d({1, 2}, "nearest", "half_pixel").omitted()
                          .constant(DType::F32, {2}, std::vector<float>{2, 2}).run()),
            ErrorKind::Invalid);  // scales length != rank
  EXPECT_EQ(errorKind(OneNode("Resize", 13).input(DType::I8, {2}, std::vector<int8_t>{1, 2})
                          .attr("mode", strAttr("linear")).omitted()
                          .constant(DType::F32, {1}, std::vector<float>{2}).run()),
            ErrorKind::Unsupported);
}

// ---- losses -----------------------------------------------------------------

const std::vector<float> kLogp = {-1, -2, -3, -4, -5, -6};  // [N=2, C=3]

TEST(Loss, NllReductions) {
  auto none = OneNode("NegativeLogLikelihoodLoss").input(DType::F32, {2, 3}, kLogp)
                  .input(DType::I64, {2}, std::vector<int64_t>{2, 0}).attr("reduction", strAttr("none")).run();
  ASSERT_TRUE(none.isOk()) << none.error().message;
  EXPECT_EQ((*none)[0].type.shape, (Shape{2}));
  expectNear(values<float>((*none)[0]), {3, 4});
  auto mean = OneNode("NegativeLogLikelihoodLoss").input(DType::F32, {2, 3}, kLogp)
                  .input(DType::I64, {2}, std::vector<int64_t>{2, 0}).run();
  ASSERT_TRUE(mean.isOk()) << mean.error().message;
  EXPECT_EQ((*mean)[0].type.shape, Shape{});
  expectNear(values<float>((*mean)[0]), {3.5f});
}

TEST(Loss, NllWeightsAndIgnoreIndex) {
  // weights (1, 2, 0.5): losses 3 * 0.5 and 4 * 1; mean divides by 0.5 + 1.
  auto w = OneNode("NegativeLogLikelihoodLoss").input(DType::F32, {2, 3}, kLogp)
               .input(DType::I32, {2}, std::vector<int32_t>{2, 0})
               .input(DType::F32, {3}, std::vector<float>{1, 2, 0.5f}).run();
  ASSERT_TRUE(w.isOk()) << w.error().message;
  expectNear(values<float>((*w)[0]), {5.5f / 1.5f});
  auto ii = OneNode("NegativeLogLikelihoodLoss").input(DType::F32, {2, 3}, kLogp)
                .input(DType::I64, {2}, std::vector<int64_t>{2, 0}).attr("ignore_index", intAttr(0)).run();
  ASSERT_TRUE(ii.isOk()) << ii.error().message;
  expectNear(values<float>((*ii)[0]), {3});
}

TEST(Loss, SoftmaxCrossEntropyWithLogProb) {
  // Equal scores: log_softmax = -log 2 everywhere, so the loss is log 2.
  auto r = OneNode("SoftmaxCrossEntropyLoss").input(DType::F32, {1, 2}, std::vector<float>{5, 5})
               .input(DType::I64, {1}, std::vector<int64_t>{1}).outputs(2).run();
  ASSERT_TRUE(r.isOk()) << r.error().message;
  expectNear(values<float>((*r)[0]), {std::log(2.0f)});
  expectNear(values<float>((*r)[1]), {-std::log(2.0f), -std::log(2.0f)});
}

TEST(Loss, BadShapesAreInvalid) {
  EXPECT_EQ(errorKind(OneNode("NegativeLogLikelihoodLoss").input(DType::F32, {2, 3}, kLogp)
                          .input(DType::I64, {3}, std::vector<int64_t>{0, 0, 0}).run()),
            ErrorKind::Invalid);
  EXPECT_EQ(errorKind(OneNode("SoftmaxCrossEntropyLoss").input(DType::F32, {2, 3}, kLogp)
                          .input(DType::I64, {2}, std::vector<int64_t>{0, 0}).attr("reduction", strAttr("max")).run()),
            ErrorKind::Invalid);
}

// ---- Einsum -----------------------------------------------------------------

TEST(Einsum, MatMulTransposeDiagonal) {
  auto mm = OneNode("Einsum", 12).input(DType::F32, {2, 2}, std::vector<float>{1, 2, 3, 4})
                .input(DType::F32, {2, 2}, std::vector<float>{5, 6, 7, 8}).attr("equation", strAttr("ij,jk->ik"))
                .run();
  ASSERT_TRUE(mm.isOk()) << mm.error().message;
  expectNear(values<float>((*mm)[0]), {19, 22, 43, 50});
  auto tr = OneNode("Einsum", 12).input(DType::F32, {2, 3}, k23).attr("equation", strAttr("ij->ji")).run();
  ASSERT_TRUE(tr.isOk()) << tr.error().message;
  EXPECT_EQ((*tr)[0].type.shape, (Shape{3, 2}));
  expectNear(values<float>((*tr)[0]), {1, 4, 2, 5, 3, 6});
  auto dg = OneNode("Einsum", 12).input(DType::I32, {2, 2}, std::vector<int32_t>{1, 2, 3, 4})
                .attr("equation", strAttr("ii")).run();  // implicit: trace
  ASSERT_TRUE(dg.isOk()) << dg.error().message;
  EXPECT_EQ((*dg)[0].type.shape, Shape{});
  EXPECT_EQ(values<int32_t>((*dg)[0]), (std::vector<int32_t>{5}));
}

TEST(Einsum, BadEquationsAreInvalid) {
  EXPECT_EQ(errorKind(OneNode("Einsum", 12).input(DType::F32, {2, 3}, k23).attr("equation", strAttr("ii->i")).run()),
            ErrorKind::Invalid);
  EXPECT_EQ(errorKind(OneNode("Einsum", 12).input(DType::F32, {2, 3}, k23).attr("equation", strAttr("i1->i")).run()),
            ErrorKind::Invalid);
  EXPECT_EQ(errorKind(OneNode("Einsum", 12).input(DType::F32, {2, 3}, k23).attr("equation", strAttr("ij->k")).run()),
            ErrorKind::Invalid);
}

}  // namespace
}  // namespace emlc
