// ONNX function inlining at import (onnx/functions.h): bodies replace calls
// with renamed tensors and substituted attributes; recursion, unimported
// domains and newer opsets inside bodies are errors with the call chain.
// Numerical cases (local functions, window generators) are in tests/functions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "eval/evaluator.h"
#include "onnx/importer.h"
#include "passes/infer.h"
#include "onnx/onnx_pb.h"

namespace emlc {
namespace {

void addValue(onnx::ValueInfoProto* v, const std::string& name) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_value(3);
}

onnx::NodeProto* addNode(google::protobuf::RepeatedPtrField<onnx::NodeProto>* nodes, const std::string& op,
                         std::vector<std::string> in, std::vector<std::string> out, const std::string& domain = "") {
  onnx::NodeProto* n = nodes->Add();
  n->set_op_type(op);
  n->set_domain(domain);
  for (const auto& s : in) n->add_input(s);
  for (const auto& s : out) n->add_output(s);
  return n;
}

onnx::FunctionProto* addFunction(onnx::ModelProto& m, const std::string& name, std::vector<std::string> in,
                                 std::vector<std::string> out) {
  onnx::FunctionProto* f = m.add_functions();
  f->set_name(name);
  f->set_domain("custom");
  for (const auto& s : in) f->add_input(s);
  for (const auto& s : out) f->add_output(s);
  auto* o = f->add_opset_import();
  o->set_version(13);
  auto* c = f->add_opset_import();
  c->set_domain("custom");
  c->set_version(1);
  return f;
}

// y = F(x) where the test fills in function F (domain "custom").
onnx::ModelProto callModel() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* c = m.add_opset_import();
  c->set_domain("custom");
  c->set_version(1);
  auto* g = m.mutable_graph();
  g->set_name("g");
  addValue(g->add_input(), "x");
  addValue(g->add_output(), "y");
  addNode(g->mutable_node(), "F", {"x"}, {"y"}, "custom")->set_name("call");
  return m;
}

Expected<ImportResult> import(onnx::ModelProto& m) {
  ImportOptions o;
  o.run_checker = false;  // some cases are deliberately malformed
  return importModel(m, "", o);
}

TEST(Functions, BodyReplacesCallWithRenamedTensorsAndAttributes) {
  onnx::ModelProto m = callModel();
  // F(x) = LeakyRelu(Neg(x), alpha=@a); the call gives a = 0.25. The body's
  // intermediate is called "y" like the graph output, and must be renamed.
  onnx::FunctionProto* f = addFunction(m, "F", {"in"}, {"out"});
  f->add_attribute("a");
  addNode(f->mutable_node(), "Neg", {"in"}, {"y"});
  onnx::NodeProto* lr = addNode(f->mutable_node(), "LeakyRelu", {"y"}, {"out"});
  onnx::AttributeProto* ref = lr->add_attribute();
  ref->set_name("alpha");
  ref->set_type(onnx::AttributeProto::FLOAT);
  ref->set_ref_attr_name("a");
  onnx::AttributeProto* a = m.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("a");
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(0.25f);
  auto r = import(m);
  ASSERT_TRUE(r.isOk()) << r.error().message;
  const Graph& g = r->graph;
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(r->inlined_calls, 1);
  EXPECT_EQ(g.nodes[0].op_type, "Neg");
  EXPECT_EQ(g.nodes[1].op_type, "LeakyRelu");
  EXPECT_EQ(g.nodes[0].domain, "");
  EXPECT_EQ(g.nodes[1].opset, 13);
  EXPECT_NE(g.t(g.nodes[0].outputs[0]).name, "y");          // renamed apart from the graph output
  EXPECT_EQ(g.t(g.nodes[1].outputs[0]).name, "y");          // the call's output
  EXPECT_EQ(g.t(g.nodes[0].inputs[0]).name, "x");           // the call's input
  EXPECT_FLOAT_EQ(g.nodes[1].attrFloat("alpha", 0), 0.25f);  // substituted
  EXPECT_EQ(g.nodes[0].name.rfind("call/", 0), 0u);
}

TEST(Functions, MissingReferencedAttributeLeavesTheDefault) {
  onnx::ModelProto m = callModel();
  onnx::FunctionProto* f = addFunction(m, "F", {"in"}, {"out"});
  f->add_attribute("a");
  onnx::NodeProto* lr = addNode(f->mutable_node(), "LeakyRelu", {"in"}, {"out"});
  onnx::AttributeProto* ref = lr->add_attribute();
  ref->set_name("alpha");
  ref->set_type(onnx::AttributeProto::FLOAT);
  ref->set_ref_attr_name("a");
  auto r = import(m);
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_FALSE(r->graph.nodes[0].has("alpha"));
}

TEST(Functions, RecursionIsAnError) {
  onnx::ModelProto m = callModel();
  onnx::FunctionProto* f = addFunction(m, "F", {"in"}, {"out"});
  addNode(f->mutable_node(), "F", {"in"}, {"out"}, "custom");
  auto r = import(m);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_NE(r.error().message.find("calls itself"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("function 'F'"), std::string::npos) << r.error().message;
}

TEST(Functions, MutualRecursionAndDepthAreErrors) {
  onnx::ModelProto m = callModel();
  addNode(addFunction(m, "F", {"in"}, {"out"})->mutable_node(), "G", {"in"}, {"out"}, "custom");
  addNode(addFunction(m, "G", {"in"}, {"out"})->mutable_node(), "F", {"in"}, {"out"}, "custom");
  auto r = import(m);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.error().message.find("calls itself"), std::string::npos);

  // A chain of 20 distinct functions nests deeper than the limit.
  onnx::ModelProto d = callModel();
  for (int i = 0; i < 20; ++i) {
    const std::string me = i == 0 ? "F" : "F" + std::to_string(i), next = "F" + std::to_string(i + 1);
    addNode(addFunction(d, me, {"in"}, {"out"})->mutable_node(), i == 19 ? "Relu" : next, {"in"}, {"out"},
            i == 19 ? "" : "custom");
  }
  auto rd = import(d);
  ASSERT_FALSE(rd.isOk());
  EXPECT_NE(rd.error().message.find("nest deeper"), std::string::npos) << rd.error().message;
}

TEST(Functions, BodyDomainsAndOpsetsAreChecked) {
  onnx::ModelProto m = callModel();
  onnx::FunctionProto* f = addFunction(m, "F", {"in"}, {"out"});
  addNode(f->mutable_node(), "Thing", {"in"}, {"out"}, "other.domain");
  auto r = import(m);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.error().message.find("not imported by the function"), std::string::npos) << r.error().message;

  onnx::ModelProto n = callModel();
  onnx::FunctionProto* g = addFunction(n, "F", {"in"}, {"out"});
  g->mutable_opset_import(0)->set_version(19);
  addNode(g->mutable_node(), "Relu", {"in"}, {"out"});
  auto rn = import(n);
  ASSERT_FALSE(rn.isOk());
  EXPECT_EQ(rn.error().kind, ErrorKind::Unsupported);
  EXPECT_NE(rn.error().message.find("opset 19"), std::string::npos) << rn.error().message;
}

TEST(Functions, NativeOpsAreNotInlined) {
  // LayerNormalization (opset 17) has a function body in ONNX, but emlc has a kernel.
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("g");
  addValue(g->add_input(), "x");
  addValue(g->add_input(), "s");
  addValue(g->add_output(), "y");
  addNode(g->mutable_node(), "LayerNormalization", {"x", "s"}, {"y"});
  auto r = import(m);
  ASSERT_TRUE(r.isOk()) << r.error().message;
  ASSERT_EQ(r->graph.nodes.size(), 1u);
  EXPECT_EQ(r->graph.nodes[0].op_type, "LayerNormalization");
  EXPECT_EQ(r->inlined_calls, 0);
}

TEST(Functions, CallKeptWhenItsBodyCannotCompile) {
  // Bernoulli's body draws random numbers (RandomUniformLike): not inlined,
  // so the error names Bernoulli, the op the model uses.
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(15);
  auto* g = m.mutable_graph();
  g->set_name("g");
  addValue(g->add_input(), "x");
  addValue(g->add_output(), "y");
  addNode(g->mutable_node(), "Bernoulli", {"x"}, {"y"});
  auto r = import(m);
  ASSERT_TRUE(r.isOk()) << r.error().message;
  EXPECT_EQ(r->inlined_calls, 0);
  ASSERT_EQ(r->graph.nodes.size(), 1u);
  EXPECT_EQ(r->graph.nodes[0].op_type, "Bernoulli");
}

// Imports `m` (optionally inlining `op` from its ONNX function body), infers,
// folds and runs it on `inputs`.
Expected<std::vector<HostTensor>> importAndRun(onnx::ModelProto m, const std::vector<HostTensor>& inputs,
                                               const std::string& inlineOp, int* calls) {
  ImportOptions o;
  if (!inlineOp.empty()) o.inline_ops.insert(inlineOp);
  EMLC_ASSIGN(ImportResult r, importModel(m, "", o));
  *calls = r.inlined_calls;
  EMLC_TRY(inferAndFold(r.graph, InferOptions{}));
  return runGraph(r.graph, inputs);
}

TEST(Functions, StandardFunctionBodyMatchesTheNativeKernel) {
  // y = x * HannWindow(size=8) (schema body with an attribute default:
  // periodic is not given in the call).
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto* x = g->add_input();
  x->set_name("x");
  x->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  x->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(8);
  auto* size = g->add_initializer();
  size->set_name("size");
  size->set_data_type(onnx::TensorProto::INT64);
  size->add_int64_data(8);
  addNode(g->mutable_node(), "HannWindow", {"size"}, {"w"});
  addNode(g->mutable_node(), "Mul", {"x", "w"}, {"y"});
  auto* y = g->add_output();
  y->set_name("y");
  y->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  y->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(8);
  HostTensor in;
  in.type = {DType::F32, {8}};
  in.data.resize(32);
  const std::vector<float> ones(8, 1.0f);
  std::memcpy(in.data.data(), ones.data(), 32);
  int nativeCalls = -1, inlinedCalls = -1;
  auto native = importAndRun(m, {in}, "", &nativeCalls);
  auto inlined = importAndRun(m, {in}, "HannWindow", &inlinedCalls);
  ASSERT_TRUE(native.isOk()) << native.error().message;
  ASSERT_TRUE(inlined.isOk()) << inlined.error().message;
  EXPECT_EQ(nativeCalls, 0);
  EXPECT_EQ(inlinedCalls, 1);
  for (int i = 0; i < 8; ++i) {
    const double want = 0.5 - 0.5 * std::cos(2 * M_PI * i / 8);  // periodic Hann
    EXPECT_NEAR((*native)[0].as<float>()[i], want, 1e-6) << i;
    EXPECT_NEAR((*inlined)[0].as<float>()[i], want, 1e-6) << i;
  }
}

TEST(Functions, ContextDependentBodyMatchesTheNativeKernel) {
  // LayerNormalization's body (opset 17) is built from the input types.
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto* x = g->add_input();
  x->set_name("x");
  auto* tt = x->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_value(2);
  tt->mutable_shape()->add_dim()->set_dim_value(4);
  for (const char* nm : {"scale", "bias"}) {
    auto* t = g->add_initializer();
    t->set_name(nm);
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_dims(4);
    for (float v : {0.5f, -1.0f, 2.0f, 1.5f}) t->add_float_data(nm[0] == 's' ? v : v / 4);
  }
  addNode(g->mutable_node(), "LayerNormalization", {"x", "scale", "bias"}, {"y"});
  auto* y = g->add_output();
  y->set_name("y");
  y->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  y->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(2);
  y->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(4);
  HostTensor in;
  in.type = {DType::F32, {2, 4}};
  const std::vector<float> xv = {1, 2, 3, 4, -2, 0.5f, 7, 1};
  in.data.resize(32);
  std::memcpy(in.data.data(), xv.data(), 32);
  int nativeCalls = -1, inlinedCalls = -1;
  auto native = importAndRun(m, {in}, "", &nativeCalls);
  auto inlined = importAndRun(m, {in}, "LayerNormalization", &inlinedCalls);
  ASSERT_TRUE(native.isOk()) << native.error().message;
  ASSERT_TRUE(inlined.isOk()) << inlined.error().message;
  EXPECT_EQ(nativeCalls, 0);
  EXPECT_EQ(inlinedCalls, 1);
  for (int i = 0; i < 8; ++i) EXPECT_NEAR((*inlined)[0].as<float>()[i], (*native)[0].as<float>()[i], 1e-5) << i;
}

}  // namespace
}  // namespace emlc
