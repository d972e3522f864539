// `emlc compile --pipeline` and `emlc simulate`, driven as a user would:
// files written, decisions printed, exit codes and messages on bad input.
#include <gtest/gtest.h>

#include "cli_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "onnx/onnx_pb.h"


namespace fs = std::filesystem;

namespace {

using namespace emlc::testing_cli;

fs::path tmpDir() { return freshDir("emlc_pcli"); }

// y = Relu(x), x float32[1,3].
void saveReluModel(const fs::path& p) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("g");
  for (const char* name : {"x", "y"}) {
    auto* v = name[0] == 'x' ? g->add_input() : g->add_output();
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_value(1);
    tt->mutable_shape()->add_dim()->set_dim_value(3);
  }
  auto* n = g->add_node();
  n->set_op_type("Relu");
  n->set_name("relu");
  n->add_input("x");
  n->add_output("y");
  std::ofstream f(p, std::ios::binary);
  ASSERT_TRUE(m.SerializeToOstream(&f));
}

const char* kPipeline = R"({
  "sensor": {"channels": ["a", "b", "c"], "sample_type": "int16", "scale": 0.01, "rate_hz": 10},
  "window": {"length": 1, "hop": 1},
  "postprocess": {"softmax": false, "threshold": 0.5, "labels": ["left", "mid", "right"]}
})";

}  // namespace

TEST(PipelineCli, CompileWritesThePipelineAndPlansItsBuffers) {
  fs::path d = tmpDir();
  saveReluModel(d / "m.onnx");
  write(d / "p.json", kPipeline);
  Result r = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "out").string() + " --name m --pipeline " +
                      (d / "p.json").string() + " --print-plan",
                  d);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"m.h", "m.cpp", "m_pipeline.h", "m_pipeline.cpp", "emlc/pipeline.h", "emlc/dsp.h"})
    EXPECT_TRUE(fs::exists(d / "out" / f)) << f;
  EXPECT_NE(r.out.find("pipeline: m_pipeline.h/.cpp"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pipeline: sample ring"), std::string::npos) << r.out;
  const std::string h = slurp(d / "out" / "m_pipeline.h");
  EXPECT_NE(h.find("void m_pipeline_push(const int16_t* frame);"), std::string::npos);
  EXPECT_NE(h.find("#define m_PIPELINE_CHANNEL_NAMES {\"a\", \"b\", \"c\"}"), std::string::npos);
  EXPECT_NE(slurp(d / "out" / "m.cpp").find("namespace emlc_m_model"), std::string::npos);
  EXPECT_NE(slurp(d / "out" / "m.json").find("\"pipeline\": \"pipeline: sample ring\""), std::string::npos);
  // Without --pipeline the model's files carry no pipeline hooks.
  Result plain = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "plain").string() + " --name m", d);
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_FALSE(fs::exists(d / "plain" / "m_pipeline.h"));
  EXPECT_EQ(slurp(d / "plain" / "m.cpp").find("emlc_m_model"), std::string::npos);
}

TEST(PipelineCli, SimulatePrintsDecisions) {
  fs::path d = tmpDir();
  saveReluModel(d / "m.onnx");
  write(d / "p.json", kPipeline);
  // Values are int16 counts of 0.01: the model passes them through Relu.
  write(d / "s.csv", "a,b,c,label\n90,0,0,left\n0,70,0,mid\n0,-5,30,right\n");
  Result r = runEmlc("simulate " + (d / "m.onnx").string() + " --pipeline " + (d / "p.json").string() + " --csv " +
                      (d / "s.csv").string(),
                  d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("decision sample=0 window=0 label=left score=0.9000\n"
                       "decision sample=1 window=1 label=mid score=0.7000\n"
                       "decision sample=2 window=2 label=none score=0.3000\n"
                       "summary: samples=3 windows=3 dropped=0 decisions=3\n"
                       "windows per decision: none=1 left=1 mid=1\n"
                       "agreement: 66.66% (2 of 3 windows)\n"),
            std::string::npos)
      << r.out;
}

TEST(PipelineCli, BadInputsAreUserErrors) {
  fs::path d = tmpDir();
  saveReluModel(d / "m.onnx");
  write(d / "typo.json", R"({"sensor": {"channels": ["a", "b", "c"], "rate_hz": 10}, "window": {"length": 1, "hop": 1},
                            "postprocess": {"smothing": 2}})");
  Result r = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "out").string() + " --pipeline " +
                      (d / "typo.json").string(),
                  d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("unknown key 'postprocess.smothing'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "out"));
  write(d / "wide.json", R"({"sensor": {"channels": ["a", "b"], "rate_hz": 10}, "window": {"length": 1, "hop": 1}})");
  r = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "out").string() + " --pipeline " +
               (d / "wide.json").string(),
           d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("do not fit the model input 'x' float32[1,3]"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "out"));
  r = runEmlc("compile " + (d / "m.onnx").string() + " -o " + (d / "out").string() + " --pipeline " +
               (d / "missing.json").string(),
           d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot read the pipeline file"), std::string::npos) << r.err;
  write(d / "p.json", kPipeline);
  write(d / "bad.csv", "a,b,c\n1,2,40000\n");
  r = runEmlc("simulate " + (d / "m.onnx").string() + " --pipeline " + (d / "p.json").string() + " --csv " +
               (d / "bad.csv").string(),
           d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bad.csv:2: '40000' (channel 'c') is not a int16 sample value"), std::string::npos) << r.err;
  r = runEmlc("simulate " + (d / "m.onnx").string() + " --pipeline " + (d / "p.json").string(), d);
  EXPECT_EQ(r.code, 1);  // --csv is required
}
