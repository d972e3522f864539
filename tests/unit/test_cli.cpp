// The emlc command line, driven as a user would: exit codes, messages that
// name every unsupported node, atomic output folders, determinism.
#include <gtest/gtest.h>

#include "cli_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "onnx/onnx_pb.h"
#include "support/npy.h"


namespace fs = std::filesystem;

namespace {

using namespace emlc::testing_cli;

fs::path tmpDir() { return freshDir("emlc_cli"); }

// A small float model: y = Relu(x + b), x of shape [dim0, 4].
onnx::ModelProto addReluModel(bool dynamic) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto* x = g->add_input();
  x->set_name("x");
  auto* tt = x->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  if (dynamic) tt->mutable_shape()->add_dim()->set_dim_param("batch");
  else tt->mutable_shape()->add_dim()->set_dim_value(1);
  tt->mutable_shape()->add_dim()->set_dim_value(4);
  auto* b = g->add_initializer();
  b->set_name("b");
  b->set_data_type(onnx::TensorProto::FLOAT);
  b->add_dims(4);
  for (float v : {1.0f, -2.0f, 3.0f, -4.0f}) b->add_float_data(v);
  auto* n1 = g->add_node();
  n1->set_op_type("Add");
  n1->set_name("add1");
  n1->add_input("x");
  n1->add_input("b");
  n1->add_output("t");
  auto* n2 = g->add_node();
  n2->set_op_type("Relu");
  n2->set_name("relu1");
  n2->add_input("t");
  n2->add_output("y");
  auto* y = g->add_output();
  y->set_name("y");
  y->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  y->mutable_type()->mutable_tensor_type()->mutable_shape();
  return m;
}

void save(const onnx::ModelProto& m, const fs::path& p) {
  std::ofstream f(p, std::ios::binary);
  ASSERT_TRUE(m.SerializeToOstream(&f));
}

TEST(Cli, VersionAndHelp) {
  fs::path d = tmpDir();
  Result r = runEmlc("--version", d);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("emlc "), std::string::npos);
  for (const char* sub : {"compile", "inspect", "run"}) {
    r = runEmlc(std::string(sub) + " --help", d);
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub;
  }
  r = runEmlc("frobnicate", d);
  EXPECT_EQ(r.code, 1);
}

TEST(Cli, CompilesAndIsDeterministic) {
  fs::path d = tmpDir();
  save(addReluModel(false), d / "m.onnx");
  Result r1 = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "a").string(), d);
  ASSERT_EQ(r1.code, 0) << r1.err;
  Result r2 = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "b").string(), d);
  ASSERT_EQ(r2.code, 0) << r2.err;
  for (const char* f : {"m.h", "m.cpp", "m_weights.cpp", "m.json", "emlc/runtime.h"}) {
    ASSERT_TRUE(fs::exists(d / "a" / f)) << f;
    EXPECT_EQ(slurp(d / "a" / f), slurp(d / "b" / f)) << f;
  }
  EXPECT_NE(r1.out.find("arena"), std::string::npos);
}

TEST(Cli, UnsupportedNodesAreAllNamedAndNothingIsWritten) {
  fs::path d = tmpDir();
  onnx::ModelProto m = addReluModel(false);
  auto* g = m.mutable_graph();
  // Two valid ONNX ops emlc does not support, and a custom-domain op.
  auto* u1 = g->add_node();
  u1->set_op_type("Unique");
  u1->set_name("uniq_node");
  u1->add_input("y");
  u1->add_output("u");
  auto* u2 = g->add_node();
  u2->set_op_type("NonZero");
  u2->set_name("nonzero_node");
  u2->add_input("y");
  u2->add_output("nz");
  auto* u3 = g->add_node();
  u3->set_op_type("MyOp");
  u3->set_domain("com.example");
  u3->set_name("custom_node");
  u3->add_input("y");
  u3->add_output("c");
  auto* o = m.add_opset_import();
  o->set_domain("com.example");
  o->set_version(1);
  for (const char* out : {"u", "nz", "c"}) {
    auto* vi = g->add_output();
    vi->set_name(out);
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(
        std::string(out) == "nz" ? onnx::TensorProto::INT64 : onnx::TensorProto::FLOAT);
    vi->mutable_type()->mutable_tensor_type()->mutable_shape();
  }
  save(m, d / "bad.onnx");
  Result r = runEmlc("compile " + (d / "bad.onnx").string() + " -o " + (d / "out").string(), d);
  EXPECT_EQ(r.code, 1) << r.err;
  for (const char* s : {"uniq_node", "Unique", "nonzero_node", "NonZero", "custom_node", "MyOp", "com.example"})
    EXPECT_NE(r.err.find(s), std::string::npos) << "missing " << s << " in: " << r.err;
  EXPECT_FALSE(fs::exists(d / "out"));
}

TEST(Cli, NotAModel) {
  fs::path d = tmpDir();
  std::ofstream(d / "junk.onnx") << "this is not a protobuf \xff\xff\xff";
  Result r = runEmlc("compile " + (d / "junk.onnx").string() + " -o " + (d / "out").string(), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not an ONNX model"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "out"));
  r = runEmlc("compile " + (d / "missing.onnx").string() + " -o " + (d / "out").string(), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
}

TEST(Cli, DynamicInputNeedsInputShape) {
  fs::path d = tmpDir();
  save(addReluModel(true), d / "dyn.onnx");
  Result r = runEmlc("compile " + (d / "dyn.onnx").string() + " -o " + (d / "out").string(), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("input 'x'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--input-shape"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "out"));
  r = runEmlc("compile " + (d / "dyn.onnx").string() + " -o " + (d / "out").string() + " --input-shape x=2,4", d);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(slurp(d / "out" / "dyn.h").find("#define dyn_INPUT0_SHAPE {2, 4}"), std::string::npos);
  r = runEmlc("compile " + (d / "dyn.onnx").string() + " -o " + (d / "out2").string() + " --input-shape nope=2,4", d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("'nope'"), std::string::npos) << r.err;
}

TEST(Cli, OutputPathIsAFile) {
  fs::path d = tmpDir();
  save(addReluModel(false), d / "m.onnx");
  std::ofstream(d / "file") << "x";
  Result r = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "file").string(), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(slurp(d / "file"), "x");
}

TEST(Cli, BadModelName) {
  fs::path d = tmpDir();
  save(addReluModel(false), d / "m.onnx");
  for (const char* bad : {"1abc", "class", "a-b", "__x"}) {
    Result r = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "out").string() + " --name " + bad, d);
    EXPECT_EQ(r.code, 1) << bad;
    EXPECT_FALSE(fs::exists(d / "out")) << bad;
  }
}

TEST(Cli, RunWritesOutputs) {
  fs::path d = tmpDir();
  save(addReluModel(false), d / "m.onnx");
  emlc::HostTensor x;
  x.type.dtype = emlc::DType::F32;
  x.type.shape = {1, 4};
  x.data.resize(16);
  float v[4] = {0.5f, 0.5f, -3.5f, 10.0f};
  std::memcpy(x.data.data(), v, 16);
  ASSERT_TRUE(emlc::writeNpy((d / "x.npy").string(), x).isOk());
  Result r = runEmlc("run " + (d / "m.onnx").string() + " --input " + (d / "x.npy").string() + " --output " +
                      (d / "y.npy").string(),
                  d);
  ASSERT_EQ(r.code, 0) << r.err;
  auto y = emlc::readNpy((d / "y.npy").string());
  ASSERT_TRUE(y.isOk());
  ASSERT_EQ(y->type.numel(), 4);
  // relu(x + b) with b = {1, -2, 3, -4}
  EXPECT_FLOAT_EQ(y->as<float>()[0], 1.5f);
  EXPECT_FLOAT_EQ(y->as<float>()[1], 0.0f);
  EXPECT_FLOAT_EQ(y->as<float>()[2], 0.0f);
  EXPECT_FLOAT_EQ(y->as<float>()[3], 6.0f);
  r = runEmlc("run " + (d / "m.onnx").string() + " --input " + (d / "nope.npy").string(), d);
  EXPECT_EQ(r.code, 1);
}

// --passes-report, --dump-after and --disable-pass, and the JSON report.
TEST(Cli, PassFlags) {
  fs::path d = tmpDir();
  save(addReluModel(false), d / "m.onnx");
  const std::string m = (d / "m.onnx").string();
  Result r = runEmlc("compile " + m + " -o " + (d / "a").string() + " --passes-report --dump-after activation-fusion", d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("activation-fusion  2 -> 1 nodes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fused 'relu1' (Relu) into 'add1' (Add)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("IR after pass activation-fusion:"), std::string::npos) << r.out;
  const std::string json = slurp(d / "a" / "m.json");
  EXPECT_NE(json.find("\"changes\": [\"fused 'relu1' (Relu) into 'add1' (Add)\"]"), std::string::npos) << json;

  r = runEmlc("compile " + m + " -o " + (d / "b").string() + " --disable-pass no-such-pass", d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("activation-fusion"), std::string::npos) << r.err;  // names the passes
  EXPECT_FALSE(fs::exists(d / "b"));
  r = runEmlc("inspect " + m + " --dump-after nope", d);
  EXPECT_EQ(r.code, 1);

  r = runEmlc("inspect " + m + " --disable-pass activation-fusion --passes-report", d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("activation-fusion  skipped"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Relu"), std::string::npos) << r.out;  // still in the op histogram
}

}  // namespace
