// The target-kernels pass (--target): which int8 nodes get the Arm DSP
// kernels, and that the compiler's evaluation through those kernels (their
// intrinsics as plain C on the host) gives the same bytes as the reference
// kernels on MLPerf Tiny QDQ models. (tests/cortex_m runs them on the
// cores under QEMU.)
#include <gtest/gtest.h>

#include <string>

#include "driver/compile.h"
#include "eval/evaluator.h"
#include "passes/target_kernels.h"
#include "quant/measure.h"
#include "quant/ptq.h"
#include "support/npy.h"

namespace emlc {
namespace {

std::string modelDir(const std::string& m) { return std::string(EMLC_SOURCE_DIR) + "/tests/models/mlperf_tiny/" + m; }

PreparedModel prepare(const std::string& m, PassOptions::Target t) {
  PassOptions po;
  po.target = t;
  auto pm = prepareModel(modelDir(m) + "/model_qdq.onnx", ImportOptions{}, po);
  EXPECT_TRUE(pm.isOk()) << (pm.isOk() ? "" : pm.error().message);
  return pm.isOk() ? std::move(*pm) : PreparedModel{};
}

size_t marked(const Graph& g) {
  size_t n = 0;
  for (const Node& node : g.nodes)
    if (!node.dead && node.attrString(kKernelAttr, "") == kArmDsp) ++n;
  return n;
}

size_t count(const Graph& g, std::initializer_list<const char*> ops) {
  size_t n = 0;
  for (const Node& node : g.nodes)
    for (const char* op : ops)
      if (!node.dead && node.domain == "emlc" && node.op_type == op) ++n;
  return n;
}

// The model's int8 output for input_0.npy.
std::vector<uint8_t> run(const PreparedModel& pm, const std::string& m) {
  auto in = readNpy(modelDir(m) + "/input_0.npy");
  EXPECT_TRUE(in.isOk());
  if (!in) return {};
  HostTensor x = *in;
  x.type = pm.graph.t(pm.graph.inputs[0]).type;
  auto out = runFloatBoundary(pm.graph, {dequantized(x)});
  EXPECT_TRUE(out.isOk()) << (out.isOk() ? "" : out.error().message);
  return out.isOk() ? out->at(0).data : std::vector<uint8_t>{};
}

TEST(TargetKernels, GenericMarksNothing) {
  PreparedModel pm = prepare("kws_dscnn", PassOptions::Target::Generic);
  EXPECT_EQ(marked(pm.graph), 0u);
}

TEST(TargetKernels, CortexMMarksEveryInt8ConvGemmAndAdd) {
  for (auto t : {PassOptions::Target::CortexM4, PassOptions::Target::CortexM7, PassOptions::Target::CortexM33}) {
    PreparedModel pm = prepare("ic_resnet8", t);
    const size_t convs = count(pm.graph, {"QConv"}), gemms = count(pm.graph, {"QGemm"}), adds = count(pm.graph, {"QAdd"});
    EXPECT_GT(convs, 0u);
    EXPECT_GT(adds, 0u);
    EXPECT_EQ(marked(pm.graph), convs + gemms + adds);
  }
}

TEST(TargetKernels, DspKernelsGiveTheReferenceBytes) {
  for (const char* m : {"kws_dscnn", "ic_resnet8", "ad_autoencoder"}) {
    const std::vector<uint8_t> ref = run(prepare(m, PassOptions::Target::Generic), m);
    const std::vector<uint8_t> dsp = run(prepare(m, PassOptions::Target::CortexM4), m);
    ASSERT_FALSE(ref.empty()) << m;
    EXPECT_EQ(ref, dsp) << m;
  }
}

}  // namespace
}  // namespace emlc
