// int8 report: what static quantization does to the benchmark models, and
// whether QDQ import of the MLPerf Tiny int8 models reproduces TFLM.
//
//   emlc_int8_report DATA_DIR [--method M]
//
// DATA_DIR holds one folder per benchmark model (model.onnx, calib.npy,
// test_x.npy, test_y.npy) and mlperf_tiny/<model>/ (model_qdq.onnx,
// input_K.npy, output_K.npy). For each model it prints float and int8
// accuracy on the test set (top-1, or ROC AUC of the reconstruction error
// for the autoencoder) and the int8 weights and arena against float; then,
// for each MLPerf model, how many of TFLM's output bytes emlc reproduces.
// Slow (it runs every test set twice on the host); not part of ctest.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "driver/compile.h"
#include "eval/evaluator.h"
#include "quant/ptq.h"
#include "support/npy.h"

namespace fs = std::filesystem;
using namespace emlc;

namespace {

// Bytes of per-channel requantisation parameters (multiplier and shift,
// int32 each) in NAME.cpp: flash besides the weights.
int64_t requantBytes(const Graph& g) {
  int64_t b = 0;
  for (const Node& n : g.nodes) {
    if (n.domain != "emlc" || n.outputs.empty()) continue;
    const Shape& s = g.t(n.out(0)).type.shape;
    if (n.op_type == "QConv" && s.size() > 1) b += 8 * s[1];
    if (n.op_type == "QGemm" && !s.empty()) b += 8 * s.back();
  }
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: emlc_int8_report DATA_DIR [--method M]\n");
    return 2;
  }
  const std::string data = argv[1];
  std::string method = "minmax";
  if (argc == 4 && std::string(argv[2]) == "--method") method = argv[3];
  const char* models[] = {"digits_cnn", "har_cnn1d", "kws_dscnn", "ic_resnet8", "vww_mobilenetv1_025",
                          "ad_autoencoder"};
  std::printf("static int8 quantization (calibration: calib.npy, %s)\n", method.c_str());
  std::printf("%-20s %-5s %9s %9s %8s  %22s  %20s  %s\n", "model", "metric", "float", "int8", "delta", "weights int8/float",
              "arena int8/float", "requant params");
  int failures = 0;
  for (const char* m : models) {
    const std::string dir = data + "/" + m;
    if (!fs::exists(dir + "/model.onnx")) {
      std::printf("%-20s (missing)\n", m);
      continue;
    }
    CompileOptions fo;
    fo.model_path = dir + "/model.onnx";
    fo.name = m;
    auto flt = compileModel(fo);
    QuantOptions q;
    q.mode = "int8";
    q.method = method;
    q.calibration = {dir + "/calib.npy"};
    q.test_data = {dir + "/test_x.npy"};
    q.test_labels = dir + "/test_y.npy";
    CompileOptions co = fo;
    co.passes.quant = &q;
    auto c = compileModel(co);
    if (!flt || !c) {
      std::printf("%-20s error: %s\n", m, (!flt ? flt.error() : c.error()).message.c_str());
      ++failures;
      continue;
    }
    const Accuracy& a = c->model.quant.accuracy;
    const int64_t wf = modelStats(flt->model.graph).weight_bytes, wq = modelStats(c->model.graph).weight_bytes;
    const bool auc = a.metric == "auc";
    std::printf("%-20s %-5s %9s %9s %8s  %9lld/%-9lld %4.1f%%  %7zu/%-7zu %4.1f%%  %lld B\n", m, a.metric.c_str(),
                (auc ? fmt::format("{:.4f}", a.float_value) : fmt::format("{:.2f}%", 100 * a.float_value)).c_str(),
                (auc ? fmt::format("{:.4f}", a.int8_value) : fmt::format("{:.2f}%", 100 * a.int8_value)).c_str(),
                (auc ? fmt::format("{:+.4f}", a.int8_value - a.float_value)
                     : fmt::format("{:+.2f}", 100 * (a.int8_value - a.float_value)))
                    .c_str(),
                static_cast<long long>(wq), static_cast<long long>(wf), 100.0 * wq / wf, c->plan.arena_size,
                flt->plan.arena_size, 100.0 * c->plan.arena_size / flt->plan.arena_size,
                static_cast<long long>(requantBytes(c->model.graph)));
  }

  std::printf("\nQDQ import of the MLPerf Tiny int8 models against TensorFlow Lite Micro\n");
  for (const char* m : {"ad_autoencoder", "ic_resnet8", "kws_dscnn", "vww_mobilenetv1_025"}) {
    const std::string dir = data + "/mlperf_tiny/" + m;
    CompileOptions co;
    co.model_path = dir + "/model_qdq.onnx";
    co.name = m;
    auto c = compileModel(co);
    if (!c) {
      std::printf("%-20s error: %s\n", m, c.error().message.c_str());
      ++failures;
      continue;
    }
    size_t bytes = 0, equal = 0;
    int inputs = 0;
    for (int k = 0; fs::exists(fmt::format("{}/input_{}.npy", dir, k)); ++k, ++inputs) {
      auto in = readNpy(fmt::format("{}/input_{}.npy", dir, k));
      auto want = readNpy(fmt::format("{}/output_{}.npy", dir, k));
      if (!in || !want) break;
      auto out = runGraph(c->model.graph, {*in});
      if (!out) break;
      for (size_t i = 0; i < want->data.size() && i < out->at(0).data.size(); ++i, ++bytes)
        equal += want->data[i] == out->at(0).data[i];
    }
    std::printf("%-20s %d inputs: %zu of %zu output bytes equal to TFLM's; arena %zu B\n", m, inputs, equal, bytes,
                c->plan.arena_size);
    failures += equal != bytes || bytes == 0;
  }
  return failures ? 1 : 0;
}
