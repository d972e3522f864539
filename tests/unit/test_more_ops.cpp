// Ops added for coverage (issue 10): LpNormalization, the window generators.
// Hand-computed values through small graphs, and attribute errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <optional>

#include "emlc/norm.h"
#include "emlc/signal.h"
#include "eval/evaluator.h"
#include "passes/infer.h"

namespace emlc {
namespace {

struct GraphBuilder {
  Graph g;
  TensorId input(const std::string& name, DType dt, Shape s) {
    Tensor t;
    t.name = name;
    t.type = {dt, std::move(s)};
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
    t.type = {dt, std::move(s)};
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

Attribute intAttr(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::Int;
  a.i = v;
  return a;
}

HostTensor f32(Shape s, std::vector<float> v) {
  HostTensor h;
  h.type = {DType::F32, std::move(s)};
  h.data.resize(v.size() * 4);
  std::memcpy(h.data.data(), v.data(), h.data.size());
  return h;
}

// LpNormalization of x [2, 3] along `axis` with norm `p`.
Expected<std::vector<HostTensor>> lpNorm(int64_t axis, int64_t p, std::vector<float> x) {
  GraphBuilder b;
  TensorId in = b.input("x", DType::F32, {2, 3});
  Node& n = b.node("LpNormalization", {in}, {b.output("y")}, 1);
  n.attrs["axis"] = intAttr(axis);
  n.attrs["p"] = intAttr(p);
  EMLC_TRY(inferAndFold(b.g, InferOptions{}));
  return runGraph(b.g, {f32({2, 3}, std::move(x))});
}

TEST(LpNormalization, RowsAndColumnsByHand) {
  // Rows (axis -1), p = 2: [3, 0, 4] / 5; [0, 0, 0] stays 0 (zero norm).
  auto r = lpNorm(-1, 2, {3, 0, 4, 0, 0, 0});
  ASSERT_TRUE(r.isOk()) << r.error().message;
  const float want[6] = {0.6f, 0, 0.8f, 0, 0, 0};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ((*r)[0].as<float>()[i], want[i]) << i;
  // Columns (axis 0), p = 1: column j divided by |x0j| + |x1j|.
  auto c = lpNorm(0, 1, {1, -2, 3, 3, 2, -1});
  ASSERT_TRUE(c.isOk());
  const float wantc[6] = {0.25f, -0.5f, 0.75f, 0.75f, 0.5f, -0.25f};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ((*c)[0].as<float>()[i], wantc[i]) << i;
}

TEST(LpNormalization, BadAttributesAreErrors) {
  EXPECT_EQ(lpNorm(-1, 3, {1, 2, 3, 4, 5, 6}).error().kind, ErrorKind::Invalid);
  EXPECT_EQ(lpNorm(2, 2, {1, 2, 3, 4, 5, 6}).error().kind, ErrorKind::Invalid);
}

TEST(Windows, FoldToConstantsWithTheDocumentedFormulas) {
  for (int periodic = 0; periodic < 2; ++periodic) {
    GraphBuilder b;
    TensorId size = b.constant<int64_t>("size", DType::I64, {}, {5});
    TensorId x = b.input("x", DType::F32, {5});
    TensorId w = b.output("w");
    TensorId hm = b.output("hm");
    TensorId bl = b.output("bl");
    TensorId y = b.output("y");
    b.node("HannWindow", {size}, {w}, 17).attrs["periodic"] = intAttr(periodic);
    b.node("HammingWindow", {size}, {hm}, 17).attrs["periodic"] = intAttr(periodic);
    b.node("BlackmanWindow", {size}, {bl}, 17).attrs["periodic"] = intAttr(periodic);
    b.node("Mul", {x, w}, {y}, 17);
    ASSERT_TRUE(inferAndFold(b.g, InferOptions{}).isOk());
    EXPECT_EQ(b.g.nodes.size(), 1u);  // the windows folded
    const double N = periodic ? 5 : 4;
    for (int i = 0; i < 5; ++i) {
      const double c1 = std::cos(2 * M_PI * i / N), c2 = std::cos(4 * M_PI * i / N);
      const TensorId hann = *b.g.find("w"), hamming = *b.g.find("hm"), blackman = *b.g.find("bl");
      EXPECT_NEAR(b.g.t(hann).as<float>()[i], 0.5 - 0.5 * c1, 1e-6);
      EXPECT_NEAR(b.g.t(hamming).as<float>()[i], 0.54347826 - 0.45652174 * c1, 1e-6);
      EXPECT_NEAR(b.g.t(blackman).as<float>()[i], 0.42 - 0.5 * c1 + 0.08 * c2, 1e-6);
    }
  }
}

TEST(Windows, SizeMustBeAConstantScalar) {
  GraphBuilder b;
  TensorId size = b.input("size", DType::I64, {});
  b.node("HannWindow", {size}, {b.output("w")}, 17);
  EXPECT_EQ(inferAndFold(b.g, InferOptions{}).error().kind, ErrorKind::Unsupported);
  GraphBuilder c;
  TensorId neg = c.constant<int64_t>("size", DType::I64, {}, {-3});
  c.node("HannWindow", {neg}, {c.output("w")}, 17);
  EXPECT_EQ(inferAndFold(c.g, InferOptions{}).error().kind, ErrorKind::Invalid);
}

}  // namespace
}  // namespace emlc

namespace emlc {
namespace {

// NonMaxSuppression over `boxes` [1, n, 4] and `scores` [1, classes, n].
struct Nms {
  GraphBuilder b;
  TensorId y;
  Status st;
  Nms(std::vector<float> boxes, std::vector<float> scores, int64_t classes, int64_t maxOut, float iou,
      std::optional<float> scoreThr, int64_t center = 0, bool consumed = false) {
    const int64_t n = static_cast<int64_t>(boxes.size() / 4);
    TensorId bx = b.input("boxes", DType::F32, {1, n, 4});
    TensorId sc = b.input("scores", DType::F32, {1, classes, n});
    std::vector<TensorId> in = {bx, sc, b.constant<int64_t>("m", DType::I64, {1}, {maxOut}),
                                b.constant<float>("iou", DType::F32, {1}, {iou})};
    if (scoreThr) in.push_back(b.constant<float>("st", DType::F32, {1}, {*scoreThr}));
    if (consumed) {
      Tensor t;
      t.name = "sel";
      y = b.g.addTensor(t);
    } else {
      y = b.output("y");
    }
    b.node("NonMaxSuppression", in, {y}, 11).attrs["center_point_box"] = intAttr(center);
    if (consumed) b.node("Identity", {y}, {b.output("z")}, 11);
    st = inferAndFold(b.g, InferOptions{});
    if (st.isOk()) {
      HostTensor hb = f32({1, n, 4}, std::move(boxes));
      HostTensor hs = f32({1, classes, n}, std::move(scores));
      out = runGraph(b.g, {hb, hs});
    }
  }
  Expected<std::vector<HostTensor>> out = internal("not run");
  std::vector<int64_t> rows() const {
    const HostTensor& t = (*out)[0];
    return std::vector<int64_t>(t.as<int64_t>(), t.as<int64_t>() + t.type.numel());
  }
};

TEST(NonMaxSuppression, SelectsByScoreSuppressesByIouAndPads) {
  // Box 0 [0,0,1,1]; box 1 shifted by 0.1 along y (IoU 0.9/1.1 = 0.82 with box 0);
  // box 2 far away; box 3 identical to box 2 but lower score.
  const std::vector<float> boxes = {0, 0, 1, 1, 0.1f, 0, 1.1f, 1, 5, 5, 6, 6, 5, 5, 6, 6};
  {
    Nms t(boxes, {0.9f, 0.95f, 0.5f, 0.4f}, 1, 3, 0.5f, std::nullopt);
    ASSERT_TRUE(t.st.isOk()) << t.st.error().message;
    ASSERT_TRUE(t.out.isOk());
    // Box 1 (0.95) first; box 0 suppressed (IoU 0.82 > 0.5); box 2; box 3
    // suppressed by box 2 (IoU 1): two rows selected, the third is padding.
    EXPECT_EQ(t.rows(), (std::vector<int64_t>{0, 0, 1, 0, 0, 2, -1, -1, -1}));
  }
  {
    Nms t(boxes, {0.9f, 0.95f, 0.5f, 0.4f}, 1, 4, 0.85f, 0.45f);  // IoU 0.82 <= 0.85 keeps box 0; 0.4 under 0.45
    ASSERT_TRUE(t.out.isOk());
    EXPECT_EQ(t.rows(), (std::vector<int64_t>{0, 0, 1, 0, 0, 0, 0, 0, 2, -1, -1, -1}));
  }
  {
    // Centre format: [x, y, w, h]; two classes, max 1 per class, equal scores pick the lower index.
    const std::vector<float> centre = {0.5f, 0.5f, 1, 1, 5.5f, 5.5f, 1, 1};
    Nms t(centre, {0.3f, 0.3f, 0.1f, 0.8f}, 2, 1, 0.5f, std::nullopt, 1);
    ASSERT_TRUE(t.out.isOk());
    EXPECT_EQ(t.rows(), (std::vector<int64_t>{0, 0, 0, 0, 1, 1}));
  }
}

TEST(NonMaxSuppression, PaddedOutputMustBeAGraphOutput) {
  Nms t({0, 0, 1, 1}, {0.9f}, 1, 2, 0.5f, std::nullopt, 0, true);
  ASSERT_FALSE(t.st.isOk());
  EXPECT_EQ(t.st.error().kind, ErrorKind::Unsupported);
  EXPECT_NE(t.st.error().message.find("graph output"), std::string::npos);
}

}  // namespace
}  // namespace emlc
