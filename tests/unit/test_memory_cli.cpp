// Memory options of the command line: --max-arena, --memory, the plan
// picture and report, `emlc inspect --memory`.
#include <gtest/gtest.h>

#include "cli_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "onnx/onnx_pb.h"


namespace fs = std::filesystem;

namespace {

using namespace emlc::testing_cli;

// A fresh folder for one test, removed when the test ends.
struct TmpDir {
  fs::path p;
  TmpDir() {
    p = fs::temp_directory_path() / ("emlc_memcli_" + std::to_string(::getpid()) + "_" +
                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(p);
    fs::create_directories(p);
  }
  ~TmpDir() { fs::remove_all(p); }
  operator const fs::path&() const { return p; }
  fs::path operator/(const char* s) const { return p / s; }
};

// y = GlobalAveragePool(Sigmoid(x)), x [1,4,8,8]: a 1 KiB activation in the
// arena, a 16-byte output in the caller's buffer.
void saveModel(const fs::path& p) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto* x = g->add_input();
  x->set_name("x");
  auto* tt = x->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int d : {1, 4, 8, 8}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  auto* n1 = g->add_node();
  n1->set_op_type("Sigmoid");
  n1->set_name("sig<&>");
  n1->add_input("x");
  n1->add_output("s<&>\"");
  auto* n2 = g->add_node();
  n2->set_op_type("GlobalAveragePool");
  n2->set_name("gap");
  n2->add_input("s<&>\"");
  n2->add_output("y");
  auto* y = g->add_output();
  y->set_name("y");
  y->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  y->mutable_type()->mutable_tensor_type()->mutable_shape();
  std::ofstream f(p, std::ios::binary);
  ASSERT_TRUE(m.SerializeToOstream(&f));
}

TEST(MemoryCli, CompileWritesThePlanPictureAndReport) {
  TmpDir d;
  saveModel(d / "m.onnx");
  Result r = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "a").string(), d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("arena 1024 B, lower bound 1024 B, arena/bound 1.000"), std::string::npos) << r.out;
  Result r2 = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "b").string(), d);
  ASSERT_EQ(r2.code, 0) << r2.err;
  const std::string svg = slurp(d / "a" / "m_memory.svg");
  EXPECT_EQ(svg, slurp(d / "b" / "m_memory.svg"));
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("s&lt;&amp;&gt;&quot;"), std::string::npos);
  // Well-formed XML, checked by a parser (python3 is installed by scripts/install-deps.sh).
  const std::string cmd = "/usr/bin/python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' " +
                          (d / "a" / "m_memory.svg").string();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "the SVG is not well-formed XML (or /usr/bin/python3 is missing)";
  const std::string json = slurp(d / "a" / "m.json");
  for (const char* key : {"\"arena_bytes\": 1024", "\"lower_bound_bytes\": 1024", "\"arena_over_bound\": 1.0000",
                          "\"first_step\"", "\"last_step\"", "\"offset\"", "\"regions\"", "\"schedule\""})
    EXPECT_NE(json.find(key), std::string::npos) << key;
  EXPECT_NE(slurp(d / "a" / "m.h").find("#define m_ARENA_SIZE 1024u"), std::string::npos);
}

TEST(MemoryCli, MaxArenaTooSmallFailsWithAMessage) {
  TmpDir d;
  saveModel(d / "m.onnx");
  Result r = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "out").string() + " --max-arena 1000", d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("needs 1024 B but --max-arena is 1000 B"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("lower bound"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1024 B, steps 0-1"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "out"));
  r = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "out").string() + " --max-arena 1K", d);
  EXPECT_EQ(r.code, 0) << r.err;
  r = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "out2").string() + " --max-arena lots", d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--max-arena"), std::string::npos) << r.err;
}

TEST(MemoryCli, RegionsBecomeArraysWithSizeMacros) {
  TmpDir d;
  saveModel(d / "m.onnx");
  Result r = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "out").string() + " --memory dtcm=512,sram=2K", d);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string h = slurp(d / "out" / "m.h");
  EXPECT_NE(h.find("#define m_NUM_REGIONS 2"), std::string::npos) << h;
  EXPECT_NE(h.find("#define m_REGION_dtcm_SIZE 0u"), std::string::npos) << h;  // 1 KiB does not fit 512 B
  EXPECT_NE(h.find("#define m_REGION_sram_SIZE 1024u"), std::string::npos) << h;
  EXPECT_NE(h.find("m_REGION_R_SECTION"), std::string::npos);
  const std::string cpp = slurp(d / "out" / "m.cpp");
  EXPECT_NE(cpp.find("uint8_t arena_sram[1024] m_REGION_sram_SECTION;"), std::string::npos) << cpp;
  EXPECT_NE(cpp.find("arena_sram + 0"), std::string::npos);
  r = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "o2").string() + " --memory dtcm=512,sram=600", d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("region 'sram'"), std::string::npos) << r.err;
  r = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "o3").string() + " --memory dtcm", d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("REGION=BYTES"), std::string::npos) << r.err;
}

TEST(MemoryCli, InspectPrintsTheTable) {
  TmpDir d;
  saveModel(d / "m.onnx");
  Result r = runEmlc("inspect " + (d / "m.onnx").string(), d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("arena/bound 1.000"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("offset"), std::string::npos);
  r = runEmlc("inspect --memory " + (d / "m.onnx").string(), d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("offset"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("s<&>\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0-1"), std::string::npos) << r.out;
}

}  // namespace
