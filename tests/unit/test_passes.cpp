// Graph passes: each pass on small hand-built graphs, checked two ways:
// structurally (which ops are left, which attributes were set) and
// numerically (the rewritten graph computes what the original did, on
// random inputs, through the same runtime kernels). The numerical reference
// is the unoptimised graph, run before the pass.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>

#include "eval/evaluator.h"
#include "ops/fused_activation.h"
#include "passes/infer.h"
#include "passes/pass.h"

namespace emlc {
namespace {

// ---- a tiny graph builder ------------------------------------------------------

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

struct Builder {
  Graph g;
  std::mt19937 rng{1234};
  int counter = 0;

  TensorId input(const std::string& name, Shape s, DType dt = DType::F32) {
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
  TensorId constant(const std::string& name, Shape s, const std::vector<float>& v) {
    Tensor t;
    t.name = name;
    t.type.dtype = DType::F32;
    t.type.shape = std::move(s);
    t.typed = true;
    std::vector<uint8_t> bytes(v.size() * 4);
    if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
    t.data = std::move(bytes);
    EXPECT_EQ(static_cast<int64_t>(v.size()), t.type.numel()) << name;
    return g.addTensor(t);
  }
  TensorId ints64(const std::string& name, const std::vector<int64_t>& v) {
    Tensor t;
    t.name = name;
    t.type.dtype = DType::I64;
    t.type.shape = {static_cast<int64_t>(v.size())};
    t.typed = true;
    std::vector<uint8_t> bytes(v.size() * 8);
    if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
    t.data = std::move(bytes);
    return g.addTensor(t);
  }
  // Random constant in [lo, hi).
  TensorId random(const std::string& name, Shape s, float lo = -1.0f, float hi = 1.0f) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(static_cast<size_t>(shapeNumel(s)));
    for (float& x : v) x = d(rng);
    return constant(name, std::move(s), v);
  }
  // Adds a node; returns its first output (named `out`, or generated).
  TensorId node(const std::string& op, std::vector<TensorId> ins, std::map<std::string, Attribute> attrs = {},
                const std::string& out = "", int opset = 13, size_t outputs = 1) {
    Node n;
    n.op_type = op;
    n.opset = opset;
    n.name = op + "_" + std::to_string(counter++);
    n.inputs = std::move(ins);
    n.attrs = std::move(attrs);
    TensorId first = kNoTensor;
    for (size_t k = 0; k < outputs; ++k) {
      Tensor t;
      t.name = k == 0 && !out.empty() ? out : n.name + "_out" + std::to_string(k);
      TensorId id = g.addTensor(t);
      n.outputs.push_back(id);
      if (k == 0) first = id;
    }
    g.addNode(n);
    return first;
  }
  void output(TensorId t) {
    g.t(t).is_output = true;
    g.outputs.push_back(t);
  }
  // Types the graph without folding, so each pass sees the graph as built.
  void infer() {
    InferOptions o;
    o.fold = false;
    Status st = inferAndFold(g, o);
    ASSERT_TRUE(st.isOk()) << st.error().message;
  }
};

std::map<std::string, int> histogram(const Graph& g) {
  std::map<std::string, int> h;
  for (const Node& n : g.nodes)
    if (!n.dead) h[n.op_type]++;
  return h;
}

std::vector<HostTensor> randomInputs(const Graph& g, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<HostTensor> v;
  for (TensorId id : g.inputs) {
    HostTensor h;
    h.type = g.t(id).type;
    h.data.resize(h.type.bytes());
    for (int64_t i = 0; i < h.type.numel(); ++i) h.as<float>()[i] = d(rng);
    v.push_back(h);
  }
  return v;
}

// Runs `pass` on a copy of b.g, checks the copy against the original on
// three random inputs (max abs error <= tol * max(1, |reference|)), and
// returns the rewritten graph and the pass record.
struct Result {
  Graph g;
  PassRecord rec;
};
Result runChecked(const Graph& before, const std::string& pass, double tol = 1e-5) {
  Result r;
  r.g = before;
  auto rec = runPass(r.g, pass);
  EXPECT_TRUE(rec.isOk()) << (rec.isOk() ? "" : rec.error().message);
  if (!rec.isOk()) return r;
  r.rec = rec.value();
  EXPECT_TRUE(verifyGraph(r.g).isOk());
  EXPECT_EQ(r.g.inputs.size(), before.inputs.size());
  EXPECT_EQ(r.g.outputs.size(), before.outputs.size());
  for (size_t k = 0; k < before.outputs.size() && k < r.g.outputs.size(); ++k)
    EXPECT_EQ(r.g.t(r.g.outputs[k]).name, before.t(before.outputs[k]).name) << "graph output renamed";
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    auto in = randomInputs(before, seed);
    auto want = runGraph(before, in);
    auto got = runGraph(r.g, in);
    EXPECT_TRUE(want.isOk()) << (want.isOk() ? "" : want.error().message);
    EXPECT_TRUE(got.isOk()) << (got.isOk() ? "" : got.error().message);
    if (!want.isOk() || !got.isOk()) return r;
    for (size_t k = 0; k < want->size(); ++k) {
      const HostTensor& a = (*want)[k];
      const HostTensor& b = (*got)[k];
      EXPECT_EQ(a.type.shape, b.type.shape);
      EXPECT_EQ(a.type.dtype, b.type.dtype);
      if (a.type.shape != b.type.shape || a.type.dtype != b.type.dtype) return r;
      double maxerr = 0;
      for (int64_t i = 0; i < a.type.numel(); ++i) {
        const double x = a.as<float>()[i], y = b.as<float>()[i];
        const double e = std::fabs(x - y) / std::max(1.0, std::fabs(x));
        maxerr = std::max(maxerr, std::isnan(e) ? INFINITY : e);
      }
      EXPECT_LE(maxerr, tol) << pass << " output " << k << " seed " << seed;
    }
  }
  return r;
}

const Node* findNode(const Graph& g, const std::string& op) {
  for (const Node& n : g.nodes)
    if (!n.dead && n.op_type == op) return &n;
  return nullptr;
}

// ---- constant-fold ------------------------------------------------------------

// PyTorch-style shape arithmetic: Shape(x)[1] as a float scales x; and a
// Transpose of constant weights feeds a MatMul. Both fold to constants.
TEST(ConstantFold, ShapeSubgraphAndConstantTranspose) {
  Builder b;
  TensorId x = b.input("x", {2, 3});
  TensorId shape = b.node("Shape", {x});
  TensorId dim = b.node("Gather", {shape, b.ints64("idx", {1})}, {{"axis", i1(0)}});
  TensorId f = b.node("Cast", {dim}, {{"to", i1(1)}});
  TensorId scaled = b.node("Mul", {x, f});
  TensorId wt = b.node("Transpose", {b.random("w", {4, 3})}, {{"perm", ints({1, 0})}});
  TensorId y = b.node("MatMul", {scaled, wt}, {}, "y");
  b.output(y);
  b.infer();
  ASSERT_EQ(histogram(b.g).size(), 6u);
  Result r = runChecked(b.g, "constant-fold");
  EXPECT_EQ(histogram(r.g), (std::map<std::string, int>{{"MatMul", 1}, {"Mul", 1}}));
  EXPECT_TRUE(r.rec.changed);
  EXPECT_EQ(r.rec.notes.size(), 4u);  // Shape, Gather, Cast, Transpose
}

// ---- identity-removal -----------------------------------------------------------

TEST(IdentityRemoval, RemovesIdentityLikeNodes) {
  Builder b;
  TensorId x = b.input("x", {1, 2, 3, 4});
  TensorId a = b.node("Identity", {x});
  TensorId r = b.node("Relu", {a});
  TensorId d = b.node("Dropout", {r}, {}, "", 13);
  TensorId s = b.node("Reshape", {d, b.ints64("s", {1, 2, 3, 4})});
  TensorId p = b.node("Pad", {s, b.ints64("p", {0, 0, 0, 0, 0, 0, 0, 0})});
  TensorId t = b.node("Transpose", {p}, {{"perm", ints({0, 1, 2, 3})}});
  TensorId y = b.node("Identity", {t}, {}, "y");
  b.output(y);
  b.infer();
  Result res = runChecked(b.g, "identity-removal");
  EXPECT_EQ(histogram(res.g), (std::map<std::string, int>{{"Relu", 1}}));
  // The graph output keeps its name: Relu writes 'y' now.
  EXPECT_EQ(res.g.t(res.g.nodes[0].outputs[0]).name, "y");
  EXPECT_EQ(res.rec.notes.size(), 6u);
}

// An Identity from a graph input straight to a graph output is kept (it is
// the copy between the caller's buffers).
TEST(IdentityRemoval, KeepsInputToOutputCopy) {
  Builder b;
  TensorId x = b.input("x", {3});
  b.output(b.node("Identity", {x}, {}, "y"));
  b.infer();
  Result r = runChecked(b.g, "identity-removal");
  EXPECT_EQ(histogram(r.g), (std::map<std::string, int>{{"Identity", 1}}));
  EXPECT_FALSE(r.rec.changed);
}

// A non-zero Pad and a real Transpose are not identities.
TEST(IdentityRemoval, KeepsRealPadAndTranspose) {
  Builder b;
  TensorId x = b.input("x", {1, 2, 3, 3});
  TensorId p = b.node("Pad", {x, b.ints64("p", {0, 0, 1, 0, 0, 0, 0, 1})});
  b.output(b.node("Transpose", {p}, {{"perm", ints({0, 1, 3, 2})}}, "y"));
  b.infer();
  Result r = runChecked(b.g, "identity-removal");
  EXPECT_EQ(histogram(r.g), (std::map<std::string, int>{{"Pad", 1}, {"Transpose", 1}}));
}

// ---- transpose-cancel ------------------------------------------------------------

TEST(TransposeCancel, InversePairVanishes) {
  Builder b;
  TensorId x = b.input("x", {1, 2, 3, 4});
  TensorId t1 = b.node("Transpose", {x}, {{"perm", ints({0, 2, 3, 1})}});
  TensorId t2 = b.node("Transpose", {t1}, {{"perm", ints({0, 3, 1, 2})}});
  b.output(b.node("Relu", {t2}, {}, "y"));
  b.infer();
  Result r = runChecked(b.g, "transpose-cancel");
  EXPECT_EQ(histogram(r.g), (std::map<std::string, int>{{"Relu", 1}}));
}

TEST(TransposeCancel, PairComposesIntoOne) {
  Builder b;
  TensorId x = b.input("x", {2, 3, 4});
  TensorId t1 = b.node("Transpose", {x}, {{"perm", ints({1, 0, 2})}});
  b.output(b.node("Transpose", {t1}, {{"perm", ints({0, 2, 1})}}, "y"));
  b.infer();
  Result r = runChecked(b.g, "transpose-cancel");
  ASSERT_EQ(histogram(r.g), (std::map<std::string, int>{{"Transpose", 1}}));
  // y[i][j][k] = t1[i][k][j] = x[k][i][j]: perm (1, 2, 0).
  EXPECT_EQ(findNode(r.g, "Transpose")->attrInts("perm"), (std::vector<int64_t>{1, 2, 0}));
}

// A transpose of [1, 8, 1, 1] to channels-last moves only size-1 axes: the
// bytes do not move, so it becomes a Reshape (a view).
TEST(TransposeCancel, SizeOneAxesBecomeReshape) {
  Builder b;
  TensorId x = b.input("x", {1, 8, 1, 1});
  b.output(b.node("Transpose", {x}, {{"perm", ints({0, 2, 3, 1})}}, "y"));
  b.infer();
  Result r = runChecked(b.g, "transpose-cancel");
  EXPECT_EQ(histogram(r.g), (std::map<std::string, int>{{"Reshape", 1}}));
}

TEST(TransposeCancel, ViewChainsMergeOrVanish) {
  Builder b;
  TensorId x = b.input("x", {2, 3, 4});
  TensorId f = b.node("Flatten", {x}, {{"axis", i1(1)}});            // [2, 12]
  TensorId u = b.node("Unsqueeze", {f, b.ints64("ax", {0})});         // [1, 2, 12]
  TensorId y1 = b.node("Reshape", {u, b.ints64("s", {2, 3, 4})});     // back to x's shape
  TensorId y2 = b.node("Flatten", {b.node("Relu", {y1})}, {{"axis", i1(0)}}, "y");  // [1, 24]
  b.output(y2);
  b.infer();
  Result r = runChecked(b.g, "transpose-cancel");
  EXPECT_EQ(histogram(r.g), (std::map<std::string, int>{{"Flatten", 1}, {"Relu", 1}}));
}

// ---- pad-fold ------------------------------------------------------------------------

TEST(PadFold, IntoConvAveragePoolAndMaxPool) {
  Builder b;
  TensorId x = b.input("x", {1, 2, 5, 5});
  TensorId p1 = b.node("Pad", {x, b.ints64("p1", {0, 0, 1, 2, 0, 0, 2, 1})});
  TensorId c = b.node("Conv", {p1, b.random("w", {3, 2, 3, 3}), b.random("bias", {3})},
                      {{"pads", ints({0, 1, 1, 0})}});
  TensorId r = b.node("Relu", {c});
  TensorId p2 = b.node("Pad", {r, b.ints64("p2", {0, 0, 1, 1, 0, 0, 1, 1})});
  TensorId m = b.node("MaxPool", {p2}, {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}});
  TensorId p3 = b.node("Pad", {m, b.ints64("p3", {0, 0, 1, 1, 0, 0, 1, 1})});
  b.output(b.node("AveragePool", {p3}, {{"kernel_shape", ints({2, 2})}}, "y"));
  b.infer();
  Result res = runChecked(b.g, "pad-fold");
  EXPECT_EQ(histogram(res.g),
            (std::map<std::string, int>{{"Conv", 1}, {"Relu", 1}, {"MaxPool", 1}, {"AveragePool", 1}}));
  EXPECT_EQ(findNode(res.g, "Conv")->attrInts("pads"), (std::vector<int64_t>{1, 3, 3, 1}));
  EXPECT_EQ(findNode(res.g, "AveragePool")->attrInt("count_include_pad", 0), 1);
}

// Padding with 1, padding the channel axis, and zero padding before a
// MaxPool of possibly negative values are not foldable.
TEST(PadFold, KeepsWhatPoolsOrConvCannotExpress) {
  Builder b;
  TensorId x = b.input("x", {1, 2, 5, 5});
  TensorId p1 = b.node("Pad", {x, b.ints64("p1", {0, 0, 1, 1, 0, 0, 1, 1}), b.constant("one", {}, {1.0f})});
  TensorId c = b.node("Conv", {p1, b.random("w", {2, 2, 3, 3})});
  TensorId p2 = b.node("Pad", {c, b.ints64("p2", {0, 1, 0, 0, 0, 0, 0, 0})});
  TensorId p3 = b.node("Pad", {p2, b.ints64("p3", {0, 0, 1, 1, 0, 0, 1, 1})});
  b.output(b.node("MaxPool", {p3}, {{"kernel_shape", ints({2, 2})}}, "y"));
  b.infer();
  Result r = runChecked(b.g, "pad-fold");
  EXPECT_EQ(histogram(r.g), (std::map<std::string, int>{{"Conv", 1}, {"Pad", 3}, {"MaxPool", 1}}));
  EXPECT_FALSE(r.rec.changed);
}

// ---- matmul-to-gemm -------------------------------------------------------------------

TEST(MatMulToGemm, MatMulAndAddBecomeGemm) {
  Builder b;
  TensorId x = b.input("x", {3, 4});
  TensorId m = b.node("MatMul", {x, b.random("w", {4, 5})});
  TensorId a = b.node("Add", {b.random("bias", {5}), m});
  TensorId m2 = b.node("MatMul", {a, b.random("w2", {5, 2})});
  TensorId y = b.node("Add", {m2, b.random("full", {3, 2})}, {}, "y");
  b.output(y);
  TensorId z = b.input("z", {2, 3});
  b.output(b.node("MatMul", {z, x}, {}, "not_const"));  // B is not a constant: stays
  b.infer();
  Result r = runChecked(b.g, "matmul-to-gemm");
  EXPECT_EQ(histogram(r.g), (std::map<std::string, int>{{"Gemm", 2}, {"MatMul", 1}}));
  for (const Node& n : r.g.nodes)
    if (n.op_type == "Gemm") {
      EXPECT_EQ(n.inputs.size(), 3u);
    }
}

// ---- batchnorm-fold ----------------------------------------------------------------------

TensorId batchNorm(Builder& b, TensorId x, int64_t c, const std::string& out = "") {
  return b.node("BatchNormalization",
                {x, b.random("s", {c}, 0.5f, 2.0f), b.random("b", {c}), b.random("m", {c}),
                 b.random("v", {c}, 0.1f, 2.0f)},
                {{"epsilon", f1(1e-3f)}}, out);
}

TEST(BatchNormFold, IntoConvConvTransposeAndGemm) {
  Builder b;
  TensorId x = b.input("x", {1, 4, 6, 6});
  TensorId c1 = b.node("Conv", {x, b.random("w1", {6, 4, 3, 3}), b.random("b1", {6})}, {{"pads", ints({1, 1, 1, 1})}});
  TensorId n1 = batchNorm(b, c1, 6);
  TensorId c2 = b.node("Conv", {n1, b.random("w2", {6, 3, 1, 1})}, {{"group", i1(2)}});  // no bias
  TensorId n2 = batchNorm(b, c2, 6);
  TensorId c3 = b.node("ConvTranspose", {n2, b.random("w3", {6, 2, 2, 2})},
                       {{"group", i1(2)}, {"strides", ints({2, 2})}});  // 4 output channels
  TensorId n3 = batchNorm(b, c3, 4);
  TensorId f = b.node("Flatten", {n3});
  TensorId g1 = b.node("Gemm", {f, b.random("wg", {5, 576}), b.random("cg", {1, 5})},
                       {{"transB", i1(1)}, {"alpha", f1(0.5f)}, {"beta", f1(2.0f)}});
  TensorId n4 = batchNorm(b, g1, 5);
  TensorId g2 = b.node("Gemm", {n4, b.random("wg2", {5, 3}), b.random("cg2", {1, 1})}, {{"beta", f1(-1.0f)}});
  b.output(batchNorm(b, g2, 3, "y"));
  b.infer();
  Result r = runChecked(b.g, "batchnorm-fold", 2e-5);
  EXPECT_EQ(histogram(r.g),
            (std::map<std::string, int>{{"Conv", 2}, {"ConvTranspose", 1}, {"Flatten", 1}, {"Gemm", 2}}));
  EXPECT_EQ(r.rec.notes.size(), 5u);
  for (const Node& n : r.g.nodes)
    if (n.op_type == "Conv" || n.op_type == "ConvTranspose" || n.op_type == "Gemm") {
      EXPECT_EQ(n.inputs.size(), 3u) << n.name << " has a bias now";
    }
}

// A BatchNormalization of a graph input, or of a Conv output that something
// else reads too, becomes a per-channel Mul and Add.
TEST(BatchNormFold, StandaloneBecomesMulAdd) {
  Builder b;
  TensorId x = b.input("x", {2, 3, 4});
  TensorId n1 = batchNorm(b, x, 3);
  TensorId c = b.node("Conv", {n1, b.random("w", {3, 3, 1})});
  TensorId n2 = batchNorm(b, c, 3);
  b.output(b.node("Add", {n2, c}, {}, "y"));
  b.infer();
  Result r = runChecked(b.g, "batchnorm-fold", 2e-5);
  EXPECT_EQ(histogram(r.g), (std::map<std::string, int>{{"Conv", 1}, {"Mul", 2}, {"Add", 3}}));
}

// ---- affine-fold -----------------------------------------------------------------------------

TEST(AffineFold, PerChannelConstantsIntoConvAndGemm) {
  Builder b;
  TensorId x = b.input("x", {1, 3, 5, 5});
  TensorId c = b.node("Conv", {x, b.random("w", {4, 3, 3, 3})});
  TensorId m = b.node("Mul", {c, b.random("k1", {4, 1, 1}, 0.5f, 2.0f)});
  TensorId a = b.node("Add", {b.random("k2", {1, 4, 1, 1}), m});
  TensorId s = b.node("Sub", {a, b.random("k3", {1})});
  TensorId d = b.node("Div", {s, b.random("k4", {4, 1, 1}, 1.0f, 2.0f)});
  TensorId f = b.node("Flatten", {d});
  TensorId gm = b.node("Gemm", {f, b.random("wg", {36, 6})});
  TensorId gm2 = b.node("Mul", {gm, b.random("k5", {6})});
  b.output(b.node("Add", {gm2, b.constant("k6", {}, {0.25f})}, {}, "y"));
  b.infer();
  Result r = runChecked(b.g, "affine-fold");
  EXPECT_EQ(histogram(r.g), (std::map<std::string, int>{{"Conv", 1}, {"Flatten", 1}, {"Gemm", 1}}));
  EXPECT_EQ(r.rec.notes.size(), 6u);
}

// A constant that varies over space, or x - constant written as k - x: no.
TEST(AffineFold, KeepsNonChannelConstants) {
  Builder b;
  TensorId x = b.input("x", {1, 2, 3, 3});
  TensorId c = b.node("Conv", {x, b.random("w", {2, 2, 1, 1})});
  TensorId m = b.node("Mul", {c, b.random("k", {1, 1, 3, 3})});
  TensorId c2 = b.node("Conv", {m, b.random("w2", {2, 2, 1, 1})});
  b.output(b.node("Sub", {b.random("k2", {2, 1, 1}), c2}, {}, "y"));
  b.infer();
  Result r = runChecked(b.g, "affine-fold");
  EXPECT_FALSE(r.rec.changed);
  EXPECT_EQ(histogram(r.g), (std::map<std::string, int>{{"Conv", 2}, {"Mul", 1}, {"Sub", 1}}));
}

// ---- activation-fusion ----------------------------------------------------------------------------

TEST(ActivationFusion, IntoEveryProducerThatSupportsIt) {
  Builder b;
  TensorId x = b.input("x", {1, 2, 6, 6});
  TensorId c1 = b.node("Conv", {x, b.random("w1", {4, 2, 3, 3}), b.random("b1", {4})});
  TensorId r1 = b.node("Relu", {c1});
  TensorId c2 = b.node("Conv", {r1, b.random("w2", {4, 1, 3, 3})}, {{"group", i1(4)}, {"pads", ints({1, 1, 1, 1})}});
  TensorId r2 = b.node("Clip", {c2, b.constant("lo", {}, {0.0f}), b.constant("hi", {}, {0.5f})});
  TensorId c3 = b.node("ConvTranspose", {r2, b.random("w3", {4, 2, 2, 2})}, {{"strides", ints({2, 2})}});
  TensorId r3 = b.node("LeakyRelu", {c3}, {{"alpha", f1(0.2f)}});
  TensorId c4 = b.node("Conv", {r3, b.random("w4", {3, 2, 1, 1})});
  TensorId r4 = b.node("HardSwish", {c4}, {}, "", 14);
  TensorId add = b.node("Add", {r4, b.node("Conv", {r3, b.random("w5", {3, 2, 1, 1})})});
  TensorId r5 = b.node("Relu", {add});
  TensorId f = b.node("Flatten", {r5});
  TensorId g1 = b.node("Gemm", {f, b.random("wg", {192, 8})});
  TensorId r6 = b.node("Sigmoid", {g1});
  TensorId m = b.node("MatMul", {r6, b.input("z", {8, 3})});
  b.output(b.node("Tanh", {m}, {}, "y"));
  b.infer();
  Result r = runChecked(b.g, "activation-fusion");
  auto h = histogram(r.g);
  for (const char* act : {"Relu", "Clip", "LeakyRelu", "HardSwish", "Sigmoid", "Tanh"})
    EXPECT_EQ(h.count(act), 0u) << act << " left standalone";
  EXPECT_EQ(r.rec.notes.size(), 7u);
  std::map<std::string, int> acts;
  for (const Node& n : r.g.nodes)
    if (hasFusedActivation(n)) acts[n.attrString(kActAttr, "")]++;
  EXPECT_EQ(acts, (std::map<std::string, int>{
                      {"Clip", 1}, {"HardSwish", 1}, {"LeakyRelu", 1}, {"Relu", 2}, {"Sigmoid", 1}, {"Tanh", 1}}));
  const Node* clip = nullptr;
  for (const Node& n : r.g.nodes)
    if (n.attrString(kActAttr, "") == "Clip") clip = &n;
  ASSERT_NE(clip, nullptr);
  EXPECT_EQ(clip->attrFloat(kActMinAttr, -1), 0.0f);
  EXPECT_EQ(clip->attrFloat(kActMaxAttr, -1), 0.5f);
}

// Not fused: a producer output read twice, a producer without fusion support
// (MaxPool), and a second activation after a fused one.
TEST(ActivationFusion, KeepsWhatCannotFuse) {
  Builder b;
  TensorId x = b.input("x", {1, 2, 4, 4});
  TensorId c = b.node("Conv", {x, b.random("w", {2, 2, 1, 1})});
  TensorId r = b.node("Relu", {c});
  TensorId both = b.node("Add", {r, c});
  TensorId m = b.node("MaxPool", {both}, {{"kernel_shape", ints({2, 2})}});
  TensorId r2 = b.node("Relu", {m});
  TensorId c2 = b.node("Conv", {r2, b.random("w2", {2, 2, 1, 1})});
  TensorId r3 = b.node("Relu", {c2});
  b.output(b.node("Sigmoid", {r3}, {}, "y"));
  b.infer();
  Result res = runChecked(b.g, "activation-fusion");
  EXPECT_EQ(histogram(res.g),
            (std::map<std::string, int>{{"Conv", 2}, {"Relu", 2}, {"Add", 1}, {"MaxPool", 1}, {"Sigmoid", 1}}));
}

// ---- pipeline -------------------------------------------------------------------------------------

TEST(Pipeline, UnknownPassNamesAreErrors) {
  Builder b;
  b.output(b.node("Relu", {b.input("x", {2})}, {}, "y"));
  b.infer();
  PassOptions o;
  o.disabled = {"no-such-pass"};
  Status st = runPipeline(b.g, o, nullptr);
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.error().message.find("batchnorm-fold"), std::string::npos);  // lists the passes
  o.disabled.clear();
  o.dump_after = "nope";
  EXPECT_FALSE(runPipeline(b.g, o, nullptr).isOk());
}

TEST(Pipeline, DisabledPassIsSkippedAndDumpIsKept) {
  Builder b;
  TensorId x = b.input("x", {1, 2, 3, 3});
  TensorId c = b.node("Conv", {x, b.random("w", {2, 2, 1, 1})});
  b.output(b.node("Relu", {c}, {}, "y"));
  b.infer();
  PassOptions o;
  o.disabled = {"activation-fusion"};
  o.dump_after = "batchnorm-fold";
  std::vector<PassRecord> log;
  Graph g = b.g;
  ASSERT_TRUE(runPipeline(g, o, &log).isOk());
  EXPECT_EQ(histogram(g), (std::map<std::string, int>{{"Conv", 1}, {"Relu", 1}}));
  bool skipped = false, dumped = false;
  for (const PassRecord& r : log) {
    if (r.name == "activation-fusion") skipped = r.skipped;
    if (r.name == "batchnorm-fold") dumped = r.dump.find("Conv") != std::string::npos;
  }
  EXPECT_TRUE(skipped);
  EXPECT_TRUE(dumped);
}

}  // namespace
}  // namespace emlc
