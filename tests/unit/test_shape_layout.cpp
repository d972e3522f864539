// Shape/layout/gather family: runtime kernels on hand-computed cases, ops
// through inference + folding + evaluation on small graphs, and malformed
// attributes that must give errors (not crashes).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "emlc/gather.h"
#include "emlc/layout.h"
#include "eval/evaluator.h"
#include "ops/lowering.h"
#include "passes/infer.h"

namespace emlc {
namespace {

// ---- kernels ------------------------------------------------------------------

TEST(LayoutKernels, StridedCopyTransposes) {
  // x = [[0,1,2],[3,4,5]] transposed: y[i][j] = x[j][i].
  const float x[6] = {0, 1, 2, 3, 4, 5};
  float y[6] = {};
  rt::StridedParams p{2, 0, {3, 2}, {1, 3}};
  rt::strided_copy(p, x, y);
  const float want[6] = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(y[i], want[i]) << i;
}

TEST(LayoutKernels, StridedCopyReversesAndBroadcasts) {
  const int64_t x[4] = {10, 20, 30, 40};
  int64_t y[4] = {};
  rt::StridedParams rev{1, 3, {4}, {-1}};  // x[3], x[2], x[1], x[0]
  rt::strided_copy(rev, x, y);
  EXPECT_EQ(y[0], 40);
  EXPECT_EQ(y[3], 10);
  int64_t z[6] = {};
  rt::StridedParams bc{2, 1, {3, 2}, {0, 2}};  // rows of {x[1], x[3]}
  rt::strided_copy(bc, x, z);
  const int64_t want[6] = {20, 40, 20, 40, 20, 40};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(z[i], want[i]) << i;
}

TEST(LayoutKernels, ConcatAndSplitAreInverse) {
  // a = [[1,2]], b = [[3,4,5]] concatenated on axis 1 with 2 rows each.
  const int32_t a[4] = {1, 2, 6, 7}, b[6] = {3, 4, 5, 8, 9, 10};
  const int32_t* xs[2] = {a, b};
  const int32_t chunks[2] = {2, 3};
  int32_t y[10] = {};
  rt::concat<int32_t>(2, 2, chunks, xs, y);
  const int32_t want[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(y[i], want[i]) << i;
  int32_t ra[4] = {}, rb[6] = {};
  int32_t* ys[2] = {ra, rb};
  rt::split<int32_t>(2, 2, chunks, y, ys);
  EXPECT_EQ(0, std::memcmp(ra, a, sizeof a));
  EXPECT_EQ(0, std::memcmp(rb, b, sizeof b));
}

TEST(LayoutKernels, PadModes) {
  // x = [1,2,3], pads (2, 2).
  const float x[3] = {1, 2, 3};
  float y[7] = {};
  const float v = 9;
  rt::PadParams p{1, rt::kPadConstant, {3}, {7}, {2}};
  rt::pad(p, x, &v, y);
  const float c[7] = {9, 9, 1, 2, 3, 9, 9};
  for (int i = 0; i < 7; ++i) EXPECT_EQ(y[i], c[i]) << i;
  p.mode = rt::kPadReflect;
  rt::pad(p, x, &v, y);
  const float r[7] = {3, 2, 1, 2, 3, 2, 1};
  for (int i = 0; i < 7; ++i) EXPECT_EQ(y[i], r[i]) << i;
  p.mode = rt::kPadEdge;
  rt::pad<float>(p, x, nullptr, y);
  const float e[7] = {1, 1, 1, 2, 3, 3, 3};
  for (int i = 0; i < 7; ++i) EXPECT_EQ(y[i], e[i]) << i;
}

TEST(LayoutKernels, PadTwoDimsWithCropping) {
  // x 2x3 = [[1,2,3],[4,5,6]]; pads begin (1, -1), end (0, 1), value 0
  // -> 3x3: [[0,0,0],[2,3,0],[5,6,0]].
  const int32_t x[6] = {1, 2, 3, 4, 5, 6};
  int32_t y[9] = {};
  rt::PadParams p{2, rt::kPadConstant, {2, 3}, {3, 3}, {1, -1}};
  rt::pad<int32_t>(p, x, nullptr, y);
  const int32_t want[9] = {0, 0, 0, 2, 3, 0, 5, 6, 0};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(y[i], want[i]) << i;
}

TEST(LayoutKernels, Tile) {
  // x = [[1,2]] tiled (2, 2) -> [[1,2,1,2],[1,2,1,2]].
  const uint8_t x[2] = {1, 2};
  uint8_t y[8] = {};
  rt::TileParams p{2, {1, 2}, {2, 4}};
  rt::tile(p, x, y);
  const uint8_t want[8] = {1, 2, 1, 2, 1, 2, 1, 2};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y[i], want[i]) << i;
}

TEST(GatherKernels, GatherClampsIndices) {
  // x 3x2, gather rows {2, -1, 7 (clamped to 2), -9 (clamped to 0)}.
  const float x[6] = {0, 1, 10, 11, 20, 21};
  const int64_t idx[4] = {2, -1, 7, -9};
  float y[8] = {};
  rt::gather(rt::GatherParams{1, 3, 2, 4}, x, idx, y);
  const float want[8] = {20, 21, 20, 21, 20, 21, 0, 1};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y[i], want[i]) << i;
}

TEST(GatherKernels, GatherElementsAndScatterElements) {
  // ONNX GatherElements example: data [[1,2],[3,4]], indices [[0,0],[1,0]],
  // axis 1 -> [[1,1],[4,3]].
  const int32_t x[4] = {1, 2, 3, 4};
  const int32_t idx[4] = {0, 0, 1, 0};
  int32_t y[4] = {};
  rt::ElementsParams p{2, 1, 2, {2, 2}, {2, 1}};
  rt::gather_elements(p, x, idx, y);
  const int32_t want[4] = {1, 1, 4, 3};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(y[i], want[i]) << i;
  // ScatterElements example: data [[1,2,3,4,5]], indices [[1,3]], updates
  // [[1.1,2.1]], axis 1 -> [[1,1.1,3,2.1,5]].
  const float d[5] = {1, 2, 3, 4, 5}, u[2] = {1.1f, 2.1f};
  const int64_t si[2] = {1, 3};
  float z[5] = {};
  rt::ElementsParams q{2, 1, 5, {1, 2}, {5, 1}};
  rt::scatter_elements(q, rt::kReduceNone, d, si, u, z, 5);
  const float zw[5] = {1, 1.1f, 3, 2.1f, 5};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(z[i], zw[i]) << i;
}

TEST(GatherKernels, GatherNDWithBatchDims) {
  // ONNX example: data [[[0,1],[2,3]],[[4,5],[6,7]]], indices [[1],[0]],
  // batch_dims 1 -> [[2,3],[4,5]].
  const int32_t x[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  const int64_t idx[2] = {1, 0};
  int32_t y[4] = {};
  rt::GatherNDParams p{2, 1, 1, 2, 4, {2}, {2}};
  rt::gather_nd(p, x, idx, y);
  const int32_t want[4] = {2, 3, 4, 5};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(y[i], want[i]) << i;
}

TEST(GatherKernels, ScatterNDAdd) {
  // data [1..8], indices [[4],[3],[1],[7]], updates [9,10,11,12], add ->
  // [1,13,3,14,14,6,7,20].
  const float d[8] = {1, 2, 3, 4, 5, 6, 7, 8}, u[4] = {9, 10, 11, 12};
  const int64_t idx[4] = {4, 3, 1, 7};
  float y[8] = {};
  rt::GatherNDParams p{1, 4, 1, 1, 8, {8}, {1}};
  rt::scatter_nd(p, rt::kReduceAdd, d, idx, u, y, 8);
  const float want[8] = {1, 13, 3, 14, 14, 6, 7, 20};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y[i], want[i]) << i;
}

TEST(GatherKernels, OneHotTriluCumSum) {
  // indices [1, -1, 5] depth 3, axis -1 -> rows e1, e2, none.
  const int64_t idx[3] = {1, -1, 5};
  const float vals[2] = {0, 7};
  float y[9] = {};
  rt::one_hot(3, 3, 1, idx, vals, y);
  const float oh[9] = {0, 7, 0, 0, 0, 7, 0, 0, 0};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(y[i], oh[i]) << i;

  // upper with k=1 on 3x3 of ones.
  const int32_t ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  int32_t t[9] = {};
  rt::trilu(1, 3, 3, 1, 1, ones, t);
  const int32_t tu[9] = {0, 1, 1, 0, 0, 1, 0, 0, 0};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(t[i], tu[i]) << i;

  // cumsum of [1,2,3,4]: plain, exclusive, reverse, reverse exclusive.
  const double c[4] = {1, 2, 3, 4};
  double s[4] = {};
  rt::cumsum(1, 4, 1, 0, 0, c, s);
  EXPECT_EQ(s[3], 10);
  EXPECT_EQ(s[1], 3);
  rt::cumsum(1, 4, 1, 1, 0, c, s);
  EXPECT_EQ(s[0], 0);
  EXPECT_EQ(s[3], 6);
  rt::cumsum(1, 4, 1, 0, 1, c, s);
  EXPECT_EQ(s[0], 10);
  EXPECT_EQ(s[3], 4);
  rt::cumsum(1, 4, 1, 1, 1, c, s);
  EXPECT_EQ(s[0], 9);
  EXPECT_EQ(s[3], 0);
}

TEST(GatherKernels, ReverseSequenceRangeEye) {
  // x [batch 2, seq 3] = [[1,2,3],[4,5,6]], lens [2, 9 (clamped to 3)].
  const int32_t x[6] = {1, 2, 3, 4, 5, 6};
  const int64_t lens[2] = {2, 9};
  int32_t y[6] = {};
  rt::reverse_sequence(3, 2, 1, 1, lens, x, y);
  const int32_t want[6] = {2, 1, 3, 6, 5, 4};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(y[i], want[i]) << i;

  const int32_t sd[2] = {10, -3};
  int32_t r[4] = {};
  rt::range(sd, r, 4);
  EXPECT_EQ(r[3], 1);

  float e[6] = {};
  rt::eye(2, 3, 1, e);
  const float ew[6] = {0, 1, 0, 0, 0, 1};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(e[i], ew[i]) << i;
}

// ---- ops on small graphs ------------------------------------------------------

class G {
 public:
  Graph g;
  TensorId input(const std::string& name, DType dt, Shape s) {
    Tensor t;
    t.name = name;
    t.type.dtype = dt;
    t.type.shape = std::move(s);
    t.typed = true;
    t.is_input = true;
    TensorId id = g.addTensor(std::move(t));
    g.inputs.push_back(id);
    return id;
  }
  template <class T>
  TensorId constant(const std::string& name, Shape s, const std::vector<T>& v) {
    Tensor t;
    t.name = name;
    t.type.dtype = dtypeOf<T>();
    t.type.shape = std::move(s);
    t.typed = true;
    std::vector<uint8_t> bytes(v.size() * sizeof(T));
    if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
    t.data = std::move(bytes);
    return g.addTensor(std::move(t));
  }
  TensorId tensor(const std::string& name) {
    Tensor t;
    t.name = name;
    return g.addTensor(std::move(t));
  }
  Node& node(const std::string& op, std::vector<TensorId> in, std::vector<TensorId> out, int opset = 13) {
    Node n;
    n.name = op + std::to_string(g.nodes.size());
    n.op_type = op;
    n.opset = opset;
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    g.addNode(std::move(n));
    return g.nodes.back();
  }
  void output(TensorId id) {
    g.t(id).is_output = true;
    g.outputs.push_back(id);
  }
  Status infer() { return inferAndFold(g, InferOptions{}); }
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
Attribute strAttr(const std::string& s) {
  Attribute a;
  a.kind = Attribute::Kind::String;
  a.s = s;
  return a;
}

template <class T>
HostTensor host(Shape s, const std::vector<T>& v) {
  HostTensor h;
  h.type.dtype = dtypeOf<T>();
  h.type.shape = std::move(s);
  h.data.resize(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(h.data.data(), v.data(), h.data.size());
  return h;
}
template <class T>
std::vector<T> values(const HostTensor& h) {
  std::vector<T> v(h.data.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), h.data.data(), h.data.size());
  return v;
}

TEST(ShapeOps, PyTorchShapeSubgraphFoldsToStaticReshape) {
  // y = x.view(x.size(0), -1) written as Shape -> Gather -> Unsqueeze ->
  // Concat -> Reshape: everything but the Reshape folds.
  G b;
  TensorId x = b.input("x", DType::F32, {2, 3, 4});
  TensorId shp = b.tensor("shp"), d0 = b.tensor("d0"), u0 = b.tensor("u0"), cat = b.tensor("cat"),
           y = b.tensor("y");
  b.node("Shape", {x}, {shp});
  b.node("Gather", {shp, b.constant<int64_t>("i0", {}, {0})}, {d0}).attrs["axis"] = intAttr(0);
  b.node("Unsqueeze", {d0, b.constant<int64_t>("ax", {1}, {0})}, {u0});
  b.node("Concat", {u0, b.constant<int64_t>("m1", {1}, {-1})}, {cat}).attrs["axis"] = intAttr(0);
  b.node("Reshape", {x, cat}, {y});
  b.output(y);
  ASSERT_TRUE(b.infer().isOk());
  ASSERT_EQ(b.g.nodes.size(), 1u);
  EXPECT_EQ(b.g.nodes[0].op_type, "Reshape");
  const TensorId out = b.g.outputs[0];
  EXPECT_EQ(b.g.t(out).type.shape, (Shape{2, 12}));
  std::vector<float> xv(24);
  for (int i = 0; i < 24; ++i) xv[static_cast<size_t>(i)] = static_cast<float>(i);
  auto r = runGraph(b.g, {host<float>({2, 3, 4}, xv)});
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(values<float>((*r)[0]), xv);
}

TEST(ShapeOps, TransposeSliceConcatOnRuntimeInput) {
  // x 2x3 = [[0,1,2],[3,4,5]]; t = x^T (3x2); s = t[::-2] rows 2,0 ->
  // [[2,5],[0,3]]; c = concat(s, s, axis 1) -> [[2,5,2,5],[0,3,0,3]].
  G b;
  TensorId x = b.input("x", DType::I64, {2, 3});
  TensorId t = b.tensor("t"), s = b.tensor("s"), c = b.tensor("c");
  b.node("Transpose", {x}, {t});
  b.node("Slice", {t, b.constant<int64_t>("st", {1}, {-1}), b.constant<int64_t>("en", {1}, {INT64_MIN}),
                   b.constant<int64_t>("ax", {1}, {0}), b.constant<int64_t>("sp", {1}, {-2})},
         {s});
  b.node("Concat", {s, s}, {c}).attrs["axis"] = intAttr(-1);
  b.output(c);
  ASSERT_TRUE(b.infer().isOk());
  auto r = runGraph(b.g, {host<int64_t>({2, 3}, {0, 1, 2, 3, 4, 5})});
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ((*r)[0].type.shape, (Shape{2, 4}));
  EXPECT_EQ(values<int64_t>((*r)[0]), (std::vector<int64_t>{2, 5, 2, 5, 0, 3, 0, 3}));
}

TEST(ShapeOps, DepthToSpaceModes) {
  // x [1, 4, 1, 1] = [0,1,2,3], blocksize 2: DCR -> [[0,1],[2,3]];
  // CRD -> the same for one output channel.
  for (const char* mode : {"DCR", "CRD"}) {
    G b;
    TensorId x = b.input("x", DType::F32, {1, 4, 1, 1});
    TensorId y = b.tensor("y");
    Node& n = b.node("DepthToSpace", {x}, {y});
    n.attrs["blocksize"] = intAttr(2);
    n.attrs["mode"] = strAttr(mode);
    b.output(y);
    ASSERT_TRUE(b.infer().isOk());
    auto r = runGraph(b.g, {host<float>({1, 4, 1, 1}, {0, 1, 2, 3})});
    ASSERT_TRUE(r.isOk());
    EXPECT_EQ((*r)[0].type.shape, (Shape{1, 1, 2, 2}));
    EXPECT_EQ(values<float>((*r)[0]), (std::vector<float>{0, 1, 2, 3})) << mode;
  }
  // x [1, 8, 1, 1] = 0..7, blocksize 2: DCR takes channel c of block (i, j)
  // from 4*(2i+j)... : out channel 0 = [[0,2],[4,6]], 1 = [[1,3],[5,7]];
  // CRD: channel 0 = [[0,1],[2,3]], 1 = [[4,5],[6,7]].
  for (const char* mode : {"DCR", "CRD"}) {
    G b;
    TensorId x = b.input("x", DType::F32, {1, 8, 1, 1});
    TensorId y = b.tensor("y");
    Node& n = b.node("DepthToSpace", {x}, {y});
    n.attrs["blocksize"] = intAttr(2);
    n.attrs["mode"] = strAttr(mode);
    b.output(y);
    ASSERT_TRUE(b.infer().isOk());
    auto r = runGraph(b.g, {host<float>({1, 8, 1, 1}, {0, 1, 2, 3, 4, 5, 6, 7})});
    ASSERT_TRUE(r.isOk());
    std::vector<float> want = std::string(mode) == "DCR" ? std::vector<float>{0, 2, 4, 6, 1, 3, 5, 7}
                                                         : std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7};
    EXPECT_EQ(values<float>((*r)[0]), want) << mode;
  }
}

TEST(ShapeOps, GatherWithRuntimeIndices) {
  G b;
  TensorId x = b.constant<float>("x", {3, 2}, {0, 1, 10, 11, 20, 21});
  TensorId i = b.input("i", DType::I32, {2});
  TensorId y = b.tensor("y");
  b.node("Gather", {x, i}, {y});
  b.output(y);
  ASSERT_TRUE(b.infer().isOk());
  auto r = runGraph(b.g, {host<int32_t>({2}, {-1, 1})});
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(values<float>((*r)[0]), (std::vector<float>{20, 21, 10, 11}));
  // Out-of-range run-time indices are clamped, never read out of bounds.
  r = runGraph(b.g, {host<int32_t>({2}, {100, -100})});
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(values<float>((*r)[0]), (std::vector<float>{20, 21, 0, 1}));
}

TEST(ShapeOps, ConstantOfShapeRangeEyeLikeFold) {
  G b;
  TensorId x = b.input("x", DType::F32, {2, 3});
  TensorId c = b.tensor("c"), r = b.tensor("r"), e = b.tensor("e");
  Node& n = b.node("ConstantOfShape", {b.constant<int64_t>("s", {2}, {2, 2})}, {c}, 9);
  Attribute v;
  v.kind = Attribute::Kind::Tensor;
  v.tensor_type.dtype = DType::I32;
  v.tensor_type.shape = {1};
  v.tensor_data = {7, 0, 0, 0};
  n.attrs["value"] = v;
  b.node("Range",
         {b.constant<float>("a", {}, {1}), b.constant<float>("l", {}, {2}), b.constant<float>("d", {}, {0.25f})},
         {r}, 11);
  b.node("EyeLike", {x}, {e}, 9).attrs["k"] = intAttr(-1);
  b.output(c);
  b.output(r);
  b.output(e);
  ASSERT_TRUE(b.infer().isOk());
  EXPECT_TRUE(b.g.nodes.empty());
  EXPECT_EQ(std::vector<int32_t>(b.g.t(b.g.outputs[0]).as<int32_t>(), b.g.t(b.g.outputs[0]).as<int32_t>() + 4),
            (std::vector<int32_t>{7, 7, 7, 7}));
  const Tensor& rt = b.g.t(b.g.outputs[1]);
  EXPECT_EQ(rt.type.shape, (Shape{4}));
  EXPECT_EQ(rt.as<float>()[3], 1.75f);
  const Tensor& et = b.g.t(b.g.outputs[2]);
  EXPECT_EQ(std::vector<float>(et.as<float>(), et.as<float>() + 6), (std::vector<float>{0, 0, 0, 1, 0, 0}));
}

// Infers a one-node graph; returns the status.
Status inferOne(const std::string& op, const std::vector<std::pair<std::string, Attribute>>& attrs,
                std::vector<TensorId> (*inputs)(G&), int opset = 13) {
  G b;
  std::vector<TensorId> in = inputs(b);
  TensorId y = b.tensor("y");
  Node& n = b.node(op, in, {y}, opset);
  for (const auto& a : attrs) n.attrs[a.first] = a.second;
  b.output(y);
  return b.infer();
}

std::vector<TensorId> x234(G& b) { return {b.input("x", DType::F32, {2, 3, 4})}; }

TEST(ShapeOps, BadAttributesGiveErrors) {
  auto bad = [](const Status& s) { return !s.isOk() && s.error().kind != ErrorKind::Internal; };
  EXPECT_TRUE(bad(inferOne("Reshape", {}, [](G& b) {
    return std::vector<TensorId>{b.input("x", DType::F32, {2, 3}), b.constant<int64_t>("s", {2}, {-1, -1})};
  })));
  EXPECT_TRUE(bad(inferOne("Reshape", {}, [](G& b) {
    return std::vector<TensorId>{b.input("x", DType::F32, {2, 3}), b.constant<int64_t>("s", {1}, {5})};
  })));
  EXPECT_TRUE(bad(inferOne("Transpose", {{"perm", ints({0, 0, 1})}}, x234)));
  EXPECT_TRUE(bad(inferOne("Transpose", {{"perm", ints({0, 1})}}, x234)));
  EXPECT_TRUE(bad(inferOne("Flatten", {{"axis", intAttr(9)}}, x234)));
  EXPECT_TRUE(bad(inferOne("Squeeze", {{"axes", ints({1})}}, x234, 11)));
  EXPECT_TRUE(bad(inferOne("Unsqueeze", {{"axes", ints({5})}}, x234, 11)));
  EXPECT_TRUE(bad(inferOne("DepthToSpace", {{"blocksize", intAttr(0)}}, x234)));
  EXPECT_TRUE(bad(inferOne("SpaceToDepth", {{"blocksize", intAttr(3)}}, [](G& b) {
    return std::vector<TensorId>{b.input("x", DType::F32, {1, 1, 4, 4})};
  })));
  EXPECT_TRUE(bad(inferOne("Slice", {}, [](G& b) {
    return std::vector<TensorId>{b.input("x", DType::F32, {4}), b.constant<int64_t>("s", {1}, {0}),
                                 b.constant<int64_t>("e", {1}, {4}), b.constant<int64_t>("a", {1}, {0}),
                                 b.constant<int64_t>("p", {1}, {0})};
  })));
  EXPECT_TRUE(bad(inferOne("Slice", {}, [](G& b) {
    return std::vector<TensorId>{b.input("x", DType::F32, {4}), b.constant<int64_t>("s", {1}, {0}),
                                 b.constant<int64_t>("e", {1}, {4}), b.constant<int64_t>("a", {1}, {3})};
  })));
  EXPECT_TRUE(bad(inferOne("Concat", {{"axis", intAttr(0)}}, [](G& b) {
    return std::vector<TensorId>{b.input("a", DType::F32, {2, 3}), b.input("b", DType::F32, {2, 4})};
  })));
  EXPECT_TRUE(bad(inferOne("Gather", {{"axis", intAttr(3)}}, [](G& b) {
    return std::vector<TensorId>{b.input("x", DType::F32, {2, 3}), b.constant<int64_t>("i", {1}, {0})};
  })));
  EXPECT_TRUE(bad(inferOne("Gather", {}, [](G& b) {
    return std::vector<TensorId>{b.input("x", DType::F32, {2, 3}), b.constant<int64_t>("i", {1}, {2})};
  })));
  EXPECT_TRUE(bad(inferOne("Pad", {{"mode", strAttr("reflect")}}, [](G& b) {
    return std::vector<TensorId>{b.input("x", DType::F32, {2}), b.constant<int64_t>("p", {2}, {2, 0})};
  })));
  EXPECT_TRUE(bad(inferOne("Pad", {}, [](G& b) {
    return std::vector<TensorId>{b.input("x", DType::F32, {2}), b.constant<int64_t>("p", {3}, {1, 1, 1})};
  })));
  EXPECT_TRUE(bad(inferOne("Pad", {{"mode", strAttr("bogus")}}, [](G& b) {
    return std::vector<TensorId>{b.input("x", DType::F32, {2}), b.constant<int64_t>("p", {2}, {1, 1})};
  })));
  EXPECT_TRUE(bad(inferOne("Tile", {}, [](G& b) {
    return std::vector<TensorId>{b.input("x", DType::F32, {2}), b.constant<int64_t>("r", {1}, {-1})};
  })));
  EXPECT_TRUE(bad(inferOne("Expand", {}, [](G& b) {
    return std::vector<TensorId>{b.input("x", DType::F32, {3}), b.constant<int64_t>("s", {1}, {2})};
  })));
  EXPECT_TRUE(bad(inferOne("GatherND", {{"batch_dims", intAttr(2)}}, [](G& b) {
    return std::vector<TensorId>{b.input("x", DType::F32, {2, 2}), b.constant<int64_t>("i", {2, 1}, {0, 1})};
  })));
  EXPECT_TRUE(bad(inferOne("Range", {}, [](G& b) {
    return std::vector<TensorId>{b.constant<int32_t>("a", {}, {0}), b.constant<int32_t>("l", {}, {4}),
                                 b.constant<int32_t>("d", {}, {0})};
  }, 11)));
  EXPECT_TRUE(bad(inferOne("CumSum", {}, [](G& b) {
    return std::vector<TensorId>{b.input("x", DType::F32, {2}), b.input("a", DType::I32, {})};
  }, 14)));
  EXPECT_TRUE(bad(inferOne("Reshape", {}, [](G& b) { return std::vector<TensorId>{}; })));
}

TEST(ShapeOps, SplitUnequalAndDefault) {
  G b;
  TensorId x = b.input("x", DType::I32, {5});
  TensorId a = b.tensor("a"), c = b.tensor("c");
  b.node("Split", {x, b.constant<int64_t>("s", {2}, {2, 3})}, {a, c});
  b.output(a);
  b.output(c);
  ASSERT_TRUE(b.infer().isOk());
  auto r = runGraph(b.g, {host<int32_t>({5}, {1, 2, 3, 4, 5})});
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(values<int32_t>((*r)[0]), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(values<int32_t>((*r)[1]), (std::vector<int32_t>{3, 4, 5}));
  // 5 cannot be split into 2 equal parts.
  G e;
  TensorId ex = e.input("x", DType::I32, {5});
  e.node("Split", {ex}, {e.tensor("a"), e.tensor("c")});
  EXPECT_FALSE(e.infer().isOk());
}

}  // namespace
}  // namespace emlc
