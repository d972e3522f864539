// Exporter-pattern passes (fuse-gelu-mish, fuse-layer-norm): each pattern
// is built as a graph, the pass runs, the graph after is compared
// structurally (op types), and the outputs before and after are compared
// numerically. Near misses (an intermediate used elsewhere, a wrong
// constant, non-trailing axes) must stay untouched. The PyTorch exports in
// tests/patterns are checked to fuse completely.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "driver/compile.h"
#include "eval/evaluator.h"
#include "passes/fuse_activations.h"
#include "passes/fuse_layer_norm.h"
#include "passes/infer.h"

namespace emlc {
namespace {

struct GraphBuilder {
  Graph g;
  TensorId input(const std::string& name, Shape s) {
    Tensor t;
    t.name = name;
    t.type = {DType::F32, std::move(s)};
    t.typed = true;
    t.is_input = true;
    TensorId id = g.addTensor(t);
    g.inputs.push_back(id);
    return id;
  }
  TensorId c(float v, Shape s = {}) {
    Tensor t;
    t.name = g.uniqueName("c");
    t.type = {DType::F32, std::move(s)};
    t.typed = true;
    const int64_t n = t.type.numel();
    t.data = std::vector<uint8_t>(static_cast<size_t>(n) * 4);
    for (int64_t i = 0; i < n; ++i) std::memcpy(t.data->data() + 4 * i, &v, 4);
    return g.addTensor(t);
  }
  TensorId cv(std::vector<float> v, Shape s) {
    Tensor t;
    t.name = g.uniqueName("c");
    t.type = {DType::F32, std::move(s)};
    t.typed = true;
    t.data = std::vector<uint8_t>(v.size() * 4);
    std::memcpy(t.data->data(), v.data(), v.size() * 4);
    return g.addTensor(t);
  }
  // Adds a node with one new output; returns the output.
  TensorId op(const std::string& type, std::vector<TensorId> in, std::map<std::string, Attribute> attrs = {}) {
    Tensor t;
    t.name = g.uniqueName(type);
    TensorId out = g.addTensor(t);
    Node n;
    n.op_type = type;
    n.opset = 13;
    n.inputs = std::move(in);
    n.outputs = {out};
    n.attrs = std::move(attrs);
    g.addNode(n);
    return out;
  }
  void output(TensorId t) {
    g.t(t).is_output = true;
    g.outputs.push_back(t);
  }
};

Attribute ints(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::Ints;
  a.ints = std::move(v);
  return a;
}

std::vector<std::string> opTypes(const Graph& g) {
  std::vector<std::string> v;
  for (const Node& n : g.nodes) v.push_back(n.op_type);
  return v;
}

HostTensor ramp(Shape s) {
  HostTensor h;
  h.type = {DType::F32, std::move(s)};
  const int64_t n = h.type.numel();
  h.data.resize(static_cast<size_t>(n) * 4);
  for (int64_t i = 0; i < n; ++i) {
    const float v = -3.0f + 6.0f * static_cast<float>(i) / static_cast<float>(std::max<int64_t>(n - 1, 1)) +
                    0.37f * static_cast<float>(i % 3);
    std::memcpy(h.data.data() + 4 * i, &v, 4);
  }
  return h;
}

// Runs `pass` on b's graph: returns whether it changed, checks that every
// output is numerically unchanged (max abs difference <= tol).
bool runAndCompare(GraphBuilder& b, Pass& pass, const Shape& in, float tol = 2e-6f) {
  EXPECT_TRUE(inferAndFold(b.g, InferOptions{}).isOk());
  const HostTensor x = ramp(in);
  auto before = runGraph(b.g, {x});
  EXPECT_TRUE(before.isOk());
  auto changed = pass.run(b.g, PassOptions{});
  EXPECT_TRUE(changed.isOk());
  EXPECT_TRUE(verifyGraph(b.g).isOk());
  auto after = runGraph(b.g, {x});
  EXPECT_TRUE(after.isOk());
  if (!before.isOk() || !after.isOk()) return false;
  for (size_t k = 0; k < before->size(); ++k)
    for (int64_t i = 0; i < (*before)[k].type.numel(); ++i)
      EXPECT_NEAR((*after)[k].as<float>()[i], (*before)[k].as<float>()[i], tol) << "output " << k << " [" << i << "]";
  return changed.isOk() && changed.value();
}

TEST(FuseActivations, GeluErfEveryAssociation) {
  for (int form = 0; form < 4; ++form) {
    GraphBuilder b;
    TensorId x = b.input("x", {2, 5});
    // form 3 scales by 1/sqrt(2) instead of dividing by sqrt(2).
    TensorId a = form == 3 ? b.op("Mul", {b.c(0.70710677f), x}) : b.op("Div", {x, b.c(1.4142135f)});
    TensorId s = b.op("Add", {b.c(1.0f), b.op("Erf", {a})});
    TensorId y;
    if (form == 0 || form == 3) y = b.op("Mul", {b.op("Mul", {x, s}), b.c(0.5f)});  // (x*s)*0.5
    else if (form == 1) y = b.op("Mul", {x, b.op("Mul", {s, b.c(0.5f)})});        // x*(s*0.5)
    else y = b.op("Mul", {b.op("Mul", {b.c(0.5f), x}), s});                         // (0.5*x)*s
    b.output(y);
    FuseActivationsPass pass;
    EXPECT_TRUE(runAndCompare(b, pass, {2, 5})) << "form " << form;
    EXPECT_EQ(opTypes(b.g), std::vector<std::string>{"Gelu"}) << "form " << form;
    EXPECT_EQ(b.g.nodes[0].attrString("approximate", ""), "none");
  }
}

TEST(FuseActivations, GeluTanhAndMish) {
  GraphBuilder b;
  TensorId x = b.input("x", {3, 4});
  TensorId cube = b.op("Mul", {x, b.op("Mul", {x, x})});
  TensorId inner = b.op("Mul", {b.c(0.7978846f), b.op("Add", {x, b.op("Mul", {b.c(0.044715f), cube})})});
  TensorId s = b.op("Add", {b.op("Tanh", {inner}), b.c(1.0f)});
  TensorId gelu = b.op("Mul", {b.c(0.5f), b.op("Mul", {x, s})});
  TensorId mish = b.op("Mul", {gelu, b.op("Tanh", {b.op("Softplus", {gelu})})});
  b.output(mish);
  FuseActivationsPass pass;
  EXPECT_TRUE(runAndCompare(b, pass, {3, 4}));
  EXPECT_EQ(opTypes(b.g), (std::vector<std::string>{"Gelu", "Mish"}));
  EXPECT_EQ(b.g.nodes[0].attrString("approximate", ""), "tanh");
}

TEST(FuseActivations, NearMissesStayUntouched) {
  {
    GraphBuilder b;  // Erf's output is also a graph output
    TensorId x = b.input("x", {4});
    TensorId e = b.op("Erf", {b.op("Div", {x, b.c(1.4142135f)})});
    b.output(b.op("Mul", {b.op("Mul", {x, b.op("Add", {e, b.c(1.0f)})}), b.c(0.5f)}));
    b.output(e);
    FuseActivationsPass pass;
    EXPECT_FALSE(runAndCompare(b, pass, {4}));
    EXPECT_EQ(b.g.nodes.size(), 5u);
  }
  {
    GraphBuilder b;  // 0.6 instead of 0.5
    TensorId x = b.input("x", {4});
    TensorId e = b.op("Erf", {b.op("Div", {x, b.c(1.4142135f)})});
    b.output(b.op("Mul", {b.op("Mul", {x, b.op("Add", {e, b.c(1.0f)})}), b.c(0.6f)}));
    FuseActivationsPass pass;
    EXPECT_FALSE(runAndCompare(b, pass, {4}));
  }
  {
    GraphBuilder b;  // x * tanh(softplus(z)) with z != x
    TensorId x = b.input("x", {4});
    TensorId z = b.op("Neg", {x});
    b.output(b.op("Mul", {x, b.op("Tanh", {b.op("Softplus", {z})})}));
    FuseActivationsPass pass;
    EXPECT_FALSE(runAndCompare(b, pass, {4}));
  }
}

// PyTorch's LayerNorm for opsets before 17, over `axes`, optionally affine.
TensorId layerNormChain(GraphBuilder& b, TensorId x, std::vector<int64_t> axes, bool square_by_mul, TensorId gamma,
                        TensorId beta) {
  TensorId m = b.op("ReduceMean", {x}, {{"axes", ints(axes)}});
  TensorId d = b.op("Sub", {x, m});
  TensorId sq = square_by_mul ? b.op("Mul", {d, d}) : b.op("Pow", {d, b.c(2.0f)});
  TensorId v = b.op("ReduceMean", {sq}, {{"axes", ints(axes)}});
  TensorId y = b.op("Div", {d, b.op("Sqrt", {b.op("Add", {v, b.c(1e-5f)})})});
  if (gamma != kNoTensor) y = b.op("Mul", {y, gamma});
  if (beta != kNoTensor) y = b.op("Add", {y, beta});
  return y;
}

TEST(FuseLayerNorm, AffineAndPlainForms) {
  {
    GraphBuilder b;
    TensorId x = b.input("x", {2, 3, 4});
    TensorId gamma = b.cv({0.5f, -1, 2, 1.5f}, {4});
    TensorId beta = b.cv({0.1f, 0.2f, -0.3f, 0}, {1, 4});
    b.output(layerNormChain(b, x, {-1}, false, gamma, beta));
    FuseLayerNormPass pass;
    EXPECT_TRUE(runAndCompare(b, pass, {2, 3, 4}, 1e-5f));
    ASSERT_EQ(opTypes(b.g), std::vector<std::string>{"LayerNormalization"});
    EXPECT_EQ(b.g.nodes[0].attrInt("axis", 0), 2);
    EXPECT_FLOAT_EQ(b.g.nodes[0].attrFloat("epsilon", 0), 1e-5f);
    EXPECT_EQ(b.g.nodes[0].inputs.size(), 3u);
  }
  {
    GraphBuilder b;  // two trailing axes, d * d, no affine: Scale becomes ones
    TensorId x = b.input("x", {2, 3, 4});
    b.output(layerNormChain(b, x, {1, 2}, true, kNoTensor, kNoTensor));
    FuseLayerNormPass pass;
    EXPECT_TRUE(runAndCompare(b, pass, {2, 3, 4}, 1e-5f));
    ASSERT_EQ(opTypes(b.g), std::vector<std::string>{"LayerNormalization"});
    EXPECT_EQ(b.g.nodes[0].attrInt("axis", 0), 1);
    EXPECT_EQ(b.g.nodes[0].inputs.size(), 2u);
  }
}

TEST(FuseLayerNorm, NearMissesStayUntouched) {
  {
    GraphBuilder b;  // not trailing axes
    TensorId x = b.input("x", {2, 3, 4});
    b.output(layerNormChain(b, x, {1}, false, kNoTensor, kNoTensor));
    FuseLayerNormPass pass;
    EXPECT_FALSE(runAndCompare(b, pass, {2, 3, 4}));
  }
  {
    GraphBuilder b;  // the centred values are also used elsewhere
    TensorId x = b.input("x", {2, 4});
    TensorId y = layerNormChain(b, x, {-1}, false, kNoTensor, kNoTensor);
    b.output(y);
    b.output(*b.g.find("Sub"));
    FuseLayerNormPass pass;
    EXPECT_FALSE(runAndCompare(b, pass, {2, 4}));
  }
  {
    GraphBuilder b;  // a runtime gamma stays a separate Mul (LayerNorm itself still fuses)
    TensorId x = b.input("x", {2, 4});
    TensorId g2 = b.op("Neg", {b.op("Neg", {x})});
    b.output(layerNormChain(b, x, {-1}, false, g2, kNoTensor));
    FuseLayerNormPass pass;
    EXPECT_TRUE(runAndCompare(b, pass, {2, 4}, 1e-5f));
    EXPECT_EQ(opTypes(b.g), (std::vector<std::string>{"Neg", "Neg", "LayerNormalization", "Mul"}));
  }
}

TEST(ExportPatterns, PyTorchExportsFuseCompletely) {
  const std::string dir = std::string(EMLC_SOURCE_DIR) + "/tests/patterns/data/node/";
  const std::vector<std::pair<std::string, std::map<std::string, int>>> cases = {
      {"test_torch_gelu_erf", {{"Gelu", 1}}},
      {"test_torch_gelu_tanh", {{"Gelu", 1}}},
      {"test_torch_mish", {{"Mish", 1}}},
      {"test_torch_layernorm_gelu_block", {{"Gelu", 1}, {"LayerNormalization", 1}}},
      {"test_torch_layernorm_two_axes", {{"LayerNormalization", 1}}},
  };
  for (const auto& [name, want] : cases) {
    auto pm = prepareModel(dir + name + "/model.onnx", ImportOptions{}, PassOptions{});
    ASSERT_TRUE(pm.isOk()) << name << ": " << pm.error().message;
    const ModelStats s = modelStats(pm->graph);
    for (const auto& [op, count] : want) EXPECT_EQ(s.op_histogram.count(op) ? s.op_histogram.at(op) : 0, count) << name << " " << op;
    for (const char* gone : {"Erf", "Tanh", "Softplus", "ReduceMean", "Pow", "Sqrt", "Div"})
      EXPECT_EQ(s.op_histogram.count(gone), 0u) << name << " still has " << gone;
  }
}

}  // namespace
}  // namespace emlc
