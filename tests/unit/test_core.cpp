// IR, names, npy and importer checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "codegen/names.h"
#include "ir/graph.h"
#include "onnx/importer.h"
#include "onnx/onnx_pb.h"
#include "support/npy.h"

namespace fs = std::filesystem;

namespace emlc {
namespace {

TEST(Names, CommentSafeNeutralisesCommentTerminatorsAndSplices) {
  EXPECT_EQ(commentSafe("conv_1"), "conv_1");
  std::string s = commentSafe("a*/ int x; /*b\nc\\");
  EXPECT_EQ(s.find("*/"), std::string::npos);
  EXPECT_EQ(s.find("/*"), std::string::npos);
  EXPECT_EQ(s.find('\n'), std::string::npos);
  EXPECT_NE(s.back(), '\\');
  EXPECT_EQ(commentSafe("q?\?/"), "q\\x3f\\x3f/");
  EXPECT_EQ(commentSafe("\xc3\xa9"), "\\xc3\\xa9");
}

TEST(Names, CStringBodyEscapesQuotesAndControls) {
  EXPECT_EQ(cStringBody("in\"put"), "in\\042put");
  EXPECT_EQ(cStringBody("a\\b"), "a\\134b");
  EXPECT_EQ(cStringBody("x\ny"), "x\\012y");
  EXPECT_EQ(cStringBody("plain_name:0"), "plain_name:0");
}

TEST(Names, ModelNames) {
  EXPECT_TRUE(isValidModelName("digits"));
  EXPECT_TRUE(isValidModelName("kws_v2"));
  EXPECT_FALSE(isValidModelName("2kws"));
  EXPECT_FALSE(isValidModelName("int"));
  EXPECT_FALSE(isValidModelName("_Reserved"));
  EXPECT_FALSE(isValidModelName("a b"));
  EXPECT_EQ(modelNameFromFile("my-model.v2"), "my_model_v2");
  EXPECT_EQ(modelNameFromFile("3d"), "model_3d");
  EXPECT_EQ(modelNameFromFile("class"), "model_class");
  EXPECT_TRUE(isValidModelName(modelNameFromFile("\xe2\x9c\x93")));
}

TEST(Npy, RoundTripAndErrors) {
  HostTensor t;
  t.type.dtype = DType::I64;
  t.type.shape = {2, 3};
  t.data.resize(48);
  for (int i = 0; i < 6; ++i) t.as<int64_t>()[i] = i * 1000000007LL;
  std::string bytes = serializeNpy(t);
  auto back = parseNpy(bytes, "mem");
  ASSERT_TRUE(back.isOk()) << back.error().message;
  EXPECT_EQ(back->type.shape, t.type.shape);
  EXPECT_EQ(back->type.dtype, DType::I64);
  EXPECT_EQ(back->data, t.data);
  EXPECT_FALSE(parseNpy("garbage", "mem").isOk());
  EXPECT_FALSE(parseNpy(bytes.substr(0, bytes.size() - 3), "mem").isOk());  // truncated data
  std::string big = bytes;
  big.replace(big.find("(2, 3)"), 6, "(9, 9)");
  EXPECT_FALSE(parseNpy(big, "mem").isOk());
}

TEST(Graph, CompactRemapsIdsAndVerifies) {
  Graph g;
  Tensor x;
  x.name = "x";
  x.is_input = true;
  x.typed = true;
  x.type = {DType::F32, {2}};
  TensorId ix = g.addTensor(x);
  g.inputs.push_back(ix);
  Tensor unused;
  unused.name = "unused";
  g.addTensor(unused);
  Tensor y;
  y.name = "y";
  y.typed = true;
  y.type = {DType::F32, {2}};
  TensorId iy = g.addTensor(y);
  Node n;
  n.op_type = "Relu";
  n.inputs = {ix};
  n.outputs = {iy};
  g.addNode(n);
  g.outputs.push_back(iy);
  g.t(iy).is_output = true;
  g.compact();
  EXPECT_EQ(g.tensors.size(), 2u);
  EXPECT_EQ(g.t(g.outputs[0]).name, "y");
  EXPECT_EQ(g.t(g.outputs[0]).producer, 0);
  EXPECT_TRUE(verifyGraph(g).isOk());
  // A node reading a tensor produced later breaks topological order.
  g.nodes[0].inputs = {g.outputs[0]};
  EXPECT_FALSE(verifyGraph(g).isOk());
}

onnx::ModelProto identityModel() {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  auto* x = g->add_input();
  x->set_name("x");
  auto* tt = x->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_value(4);
  auto* n = g->add_node();
  n->set_op_type("Add");
  n->add_input("x");
  n->add_input("w");
  n->add_output("y");
  auto* y = g->add_output();
  y->set_name("y");
  y->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  y->mutable_type()->mutable_tensor_type()->mutable_shape();
  return m;
}

TEST(Importer, RawDataOfWrongLength) {
  onnx::ModelProto m = identityModel();
  auto* w = m.mutable_graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(4);
  w->set_raw_data(std::string(12, '\0'));
  ImportOptions o;
  o.run_checker = false;
  auto r = importModel(m, "", o);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_NE(r.error().message.find("'w'"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("raw_data"), std::string::npos) << r.error().message;
}

TEST(Importer, UndefinedTensorAndDuplicates) {
  onnx::ModelProto m = identityModel();  // reads 'w', which nothing defines
  ImportOptions o;
  o.run_checker = false;
  auto r = importModel(m, "", o);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.error().message.find("'w'"), std::string::npos) << r.error().message;
  auto* w = m.mutable_graph()->add_initializer();
  w->set_name("x");  // clashes with the input name... as IR<4 allows: initializer wins
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(4);
  for (int i = 0; i < 4; ++i) w->add_float_data(1);
  auto* w2 = m.mutable_graph()->add_initializer();
  *w2 = *w;
  r = importModel(m, "", o);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.error().message.find("defined twice"), std::string::npos) << r.error().message;
}

TEST(Importer, ExternalDataMustStayInsideTheModelFolder) {
  fs::path dir = fs::temp_directory_path() / "emlc_ext_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "model");
  std::ofstream(dir / "secret.bin") << std::string(16, 'A');
  std::ofstream(dir / "model" / "ok.bin") << std::string(16, '\0');
  fs::create_symlink(dir / "secret.bin", dir / "model" / "link.bin");
  for (const char* loc : {"../secret.bin", "/etc/passwd", "link.bin", "missing.bin", "ok.bin"}) {
    onnx::ModelProto m = identityModel();
    auto* w = m.mutable_graph()->add_initializer();
    w->set_name("w");
    w->set_data_type(onnx::TensorProto::FLOAT);
    w->add_dims(4);
    w->set_data_location(onnx::TensorProto::EXTERNAL);
    auto* e = w->add_external_data();
    e->set_key("location");
    e->set_value(loc);
    ImportOptions o;
    o.run_checker = false;
    auto r = importModel(m, (dir / "model").string(), o);
    if (std::string(loc) == "ok.bin") {
      EXPECT_TRUE(r.isOk()) << r.error().message;
    } else {
      ASSERT_FALSE(r.isOk()) << loc;
      EXPECT_NE(r.error().message.find("'w'"), std::string::npos) << r.error().message;
    }
  }
  fs::remove_all(dir);
}

TEST(Importer, OversizedTensorIsRefused) {
  onnx::ModelProto m = identityModel();
  auto* w = m.mutable_graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  for (int i = 0; i < 4; ++i) w->add_dims(1LL << 20);  // 2^80 elements: overflows any count
  ImportOptions o;
  o.run_checker = false;
  auto r = importModel(m, "", o);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.error().message.find("limit"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace emlc

#include "codegen/code_writer.h"

namespace emlc {
namespace {

TEST(CodeWriter, IndentsAndFillsTemplates) {
  CodeWriter w;
  w.open("int f()");
  w.line("return 1;");
  w.close();
  EXPECT_EQ(w.str(), "int f() {\n  return 1;\n}\n");
  std::string missing;
  EXPECT_EQ(fillTemplate("a {{X}} b {{Y}}", {{"X", "1"}, {"Y", "2"}}, &missing), "a 1 b 2");
  EXPECT_TRUE(missing.empty());
  EXPECT_EQ(fillTemplate("{{Z}}", {}, &missing), "{{Z}}");
  EXPECT_EQ(missing, "Z");
}

}  // namespace
}  // namespace emlc
