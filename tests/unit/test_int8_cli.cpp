// The int8 flags of the command line: errors with exit code 1 and a message
// naming the fix, reports, the generated int8 API, determinism, `emlc run`.
#include <gtest/gtest.h>

#include "cli_runner.h"
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "model_builder.h"
#include "support/npy.h"


namespace fs = std::filesystem;

namespace emlc {
namespace {

using namespace emlc::testing_cli;

fs::path tmpDir() { return freshDir("emlc_int8cli"); }

// x [1,8] -> Gemm (4 outputs) -> Relu -> y, and calibration/test samples.
void setup(const fs::path& d) {
  testing::ModelBuilder b;
  b.input("x", {1, 8});
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> w(32), bias(4);
  for (float& v : w) v = u(rng);
  for (float& v : bias) v = u(rng) * 0.1f;
  b.floats("w", {4, 8}, w);
  b.floats("b", {4}, bias);
  testing::ModelBuilder::attr(b.node("Gemm", {"x", "w", "b"}, {"g"}, "fc"), "transB", 1);
  b.node("Relu", {"g"}, {"y"}, "relu");
  b.output("y");
  ASSERT_TRUE(b.save((d / "m.onnx").string()));
  HostTensor c;
  c.type = TensorType{DType::F32, {16, 8}};
  c.data.resize(c.type.bytes());
  for (int i = 0; i < 128; ++i) c.as<float>()[i] = u(rng);
  ASSERT_TRUE(writeNpy((d / "calib.npy").string(), c).isOk());
  HostTensor x;
  x.type = TensorType{DType::F32, {1, 8}};
  x.data.assign(c.data.begin(), c.data.begin() + 32);
  ASSERT_TRUE(writeNpy((d / "x.npy").string(), x).isOk());
}

TEST(Int8Cli, FlagErrorsExitOneWithTheFix) {
  fs::path d = tmpDir();
  setup(d);
  const std::string m = (d / "m.onnx").string();
  Result r = runEmlc("compile " + m + " -o " + (d / "o").string() + " --calibration " + (d / "calib.npy").string(), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("need --quantize int8"), std::string::npos) << r.err;
  r = runEmlc("compile " + m + " -o " + (d / "o").string() + " --quantize int4", d);
  EXPECT_EQ(r.code, 1);
  r = runEmlc("compile " + m + " -o " + (d / "o").string() + " --quantize int8", d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--calibration FILE.npy"), std::string::npos) << r.err;
  r = runEmlc("compile " + m + " -o " + (d / "o").string() + " --quantize int8 --calibration " + (d / "nope.npy").string(),
           d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("nope.npy"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "o"));
}

TEST(Int8Cli, CompileReportsAndWritesAnInt8Api) {
  fs::path d = tmpDir();
  setup(d);
  const std::string args = "compile " + (d / "m.onnx").string() + " --name m --quantize int8 --calibration " +
                           (d / "calib.npy").string() + " --quantize-report --calibration-method percentile:99.9";
  Result r = runEmlc(args + " -o " + (d / "a").string(), d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("calibrated on 16 samples (percentile:99.9)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("per-layer SQNR"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;  // no progress bar when stderr is not a terminal
  const std::string h = slurp(d / "a" / "m.h");
  EXPECT_NE(h.find("#define m_INPUT0_DTYPE EMLC_DTYPE_INT8"), std::string::npos);
  EXPECT_NE(h.find("#define m_INPUT0_SCALE"), std::string::npos);
  EXPECT_NE(h.find("#define m_OUTPUT0_ZERO_POINT"), std::string::npos);
  EXPECT_NE(h.find("#define m_BOUNDARY_SIZE 32u"), std::string::npos);  // 8 and 4 bytes in 16-byte slots
  const std::string j = slurp(d / "a" / "m.json");
  EXPECT_NE(j.find("\"quantization\""), std::string::npos);
  EXPECT_NE(j.find("\"layer_sqnr_db\""), std::string::npos);
  // Determinism: the same flags give the same files.
  r = runEmlc(args + " -o " + (d / "b").string(), d);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"m.h", "m.cpp", "m_weights.cpp", "m.json"}) EXPECT_EQ(slurp(d / "a" / f), slurp(d / "b" / f)) << f;
}

TEST(Int8Cli, RunQuantizesAFloatInput) {
  fs::path d = tmpDir();
  setup(d);
  Result r = runEmlc("run " + (d / "m.onnx").string() + " --quantize int8 --calibration " + (d / "calib.npy").string() +
                      " --input " + (d / "x.npy").string() + " --output " + (d / "y.npy").string(),
                  d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("output 'y' int8[1,4]"), std::string::npos) << r.out;
  auto y = readNpy((d / "y.npy").string());
  ASSERT_TRUE(y.isOk());
  EXPECT_EQ(y->type.dtype, DType::I8);
}

}  // namespace
}  // namespace emlc
