// End-to-end int8 tests of one model.
//
//   emlc_int8_test ptq MODEL_DIR WORK_DIR --support DIR --calibration FILE
//                  [--test-data X --test-labels Y --max-drop POINTS]
//     Static quantization of MODEL_DIR/model.onnx: compiles it to int8 and
//     builds the generated folder alone with strict flags; the generated
//     NAME_run (int8 in and out) on the quantized input_0.npy must equal the
//     compiler's own int8 evaluation byte for byte, and NAME_run_f32 on the
//     float input_0.npy must equal the evaluation through the same float
//     boundary bit for bit. The int8 weights and arena must be at most 27% of
//     the float model's. With test data, int8 accuracy must be within
//     POINTS of float (ROC AUC counts 0.01 as 1 point).
//
//   emlc_int8_test qdq MODEL_DIR WORK_DIR --support DIR
//     QDQ import of MODEL_DIR/model_qdq.onnx (an int8 TFLite model as ONNX
//     QDQ): for every input_K.npy the generated code and the compiler's
//     evaluation must reproduce output_K.npy (TensorFlow Lite Micro's int8
//     output) byte for byte.
//
//   Both take --cxxflags FLAGS: extra flags for the generated code and its
//   driver (the sanitized build passes -fsanitize=address,undefined).
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "driver/compile.h"
#include "eval/evaluator.h"
#include "quant/measure.h"
#include "quant/ptq.h"
#include "support/npy.h"
#include "support/output_dir.h"

namespace fs = std::filesystem;
using namespace emlc;

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "FAIL %s\n", what.c_str());
  return 1;
}

bool writeRaw(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(f);
}

std::vector<uint8_t> readRaw(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Writes the folder, builds it alone with strict flags and links the raw
// driver; returns the executable's path or "".
std::string build(const Compilation& c, const std::string& work, const std::string& support,
                  const std::string& cxxflags) {
  const std::string gen = work + "/gen";
  if (Status st = writeOutputDir(gen, c.files); !st) {
    std::fprintf(stderr, "%s\n", st.error().message.c_str());
    return "";
  }
  const std::string flags = "-std=c++17 -O2 -Wall -Wextra -Werror -fno-exceptions -fno-rtti " + cxxflags;
  std::string objs;
  for (const std::string& f : {c.name, c.name + "_weights"}) {
    const std::string cmd = fmt::format("g++ {} -c {}/{}.cpp -o {}/{}.o", flags, gen, f, work, f);
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "generated %s.cpp does not build\n", f.c_str());
      return "";
    }
    objs += fmt::format(" {}/{}.o", work, f);
  }
  const std::string exe = work + "/raw_main";
  const std::string cmd = fmt::format("g++ {} -DEMLC_MODEL={} -DEMLC_MODEL_HEADER='\"{}.h\"' -I{} {}/raw_main.cpp{} -o {}",
                                      flags, c.name, c.name, gen, support, objs, exe);
  if (std::system(cmd.c_str()) != 0) return "";
  return exe;
}

// Runs the generated program on raw inputs; returns the raw outputs.
Expected<std::vector<std::vector<uint8_t>>> runGenerated(const std::string& exe, const std::string& work,
                                                         const std::vector<std::vector<uint8_t>>& inputs,
                                                         size_t outputs, bool f32) {
  std::string args;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const std::string p = fmt::format("{}/in{}.bin", work, k);
    if (!writeRaw(p, inputs[k])) return ioError("cannot write " + p);
    args += " " + p;
  }
  for (size_t k = 0; k < outputs; ++k) args += fmt::format(" {}/out{}.bin", work, k);
  if (std::system(fmt::format("{}{}{}", exe, f32 ? " --f32" : "", args).c_str()) != 0)
    return internal("the generated program failed");
  std::vector<std::vector<uint8_t>> r;
  for (size_t k = 0; k < outputs; ++k) r.push_back(readRaw(fmt::format("{}/out{}.bin", work, k)));
  return r;
}

std::string firstDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size()) return fmt::format("{} bytes vs {}", a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return fmt::format("byte {}: {} vs {}", i, a[i], b[i]);
  return "";
}

std::map<std::string, std::string> args(int argc, char** argv, int from) {
  std::map<std::string, std::string> m;
  for (int i = from; i + 1 < argc; i += 2) m[argv[i]] = argv[i + 1];
  return m;
}

int ptq(const std::string& dir, const std::string& work, std::map<std::string, std::string> a) {
  const std::string name = fs::path(dir).filename().string();
  CompileOptions fo;
  fo.model_path = dir + "/model.onnx";
  fo.name = name;
  auto flt = compileModel(fo);
  if (!flt) return fail(name + ": float compile: " + flt.error().message);

  QuantOptions q;
  q.mode = "int8";
  q.calibration = {a["--calibration"]};
  if (a.count("--test-data")) {
    q.test_data = {a["--test-data"]};
    q.test_labels = a["--test-labels"];
  }
  CompileOptions co = fo;
  co.passes.quant = &q;
  auto c = compileModel(co);
  if (!c) return fail(name + ": int8 compile: " + c.error().message);
  const Graph& g = c->model.graph;
  const std::string exe = build(*c, work, a["--support"], a["--cxxflags"]);
  if (exe.empty()) return fail(name + ": the generated int8 code does not build");

  // Native int8: the quantized input through NAME_run vs the compiler's evaluation.
  auto input = readNpy(dir + "/input_0.npy");
  if (!input) return fail(name + ": " + input.error().message);
  input->type.shape = flt->model.graph.t(flt->model.graph.inputs[0]).type.shape;
  auto qin = toInputType(*input, g.t(g.inputs[0]).type);
  if (!qin) return fail(name + ": " + qin.error().message);
  auto ev = runGraph(g, {*qin});
  if (!ev) return fail(name + ": evaluation: " + ev.error().message);
  auto gen = runGenerated(exe, work, {qin->data}, g.outputs.size(), false);
  if (!gen) return fail(name + ": " + gen.error().message);
  for (size_t k = 0; k < g.outputs.size(); ++k)
    if (auto d = firstDifference((*gen)[k], (*ev)[k].data); !d.empty())
      return fail(fmt::format("{}: generated NAME_run output {} differs from emlc's evaluation: {}", name, k, d));

  // Float boundary: NAME_run_f32 vs the evaluation through the same boundary.
  auto evf = runFloatBoundary(g, {*input});
  if (!evf) return fail(name + ": " + evf.error().message);
  auto genf = runGenerated(exe, work, {input->data}, g.outputs.size(), true);
  if (!genf) return fail(name + ": " + genf.error().message);
  for (size_t k = 0; k < g.outputs.size(); ++k)
    if (auto d = firstDifference((*genf)[k], (*evf)[k].data); !d.empty())
      return fail(fmt::format("{}: generated NAME_run_f32 output {} differs from emlc's evaluation: {}", name, k, d));

  // Size: int8 weights and arena at most 27% of float.
  const double wr = static_cast<double>(modelStats(g).weight_bytes) /
                    static_cast<double>(modelStats(flt->model.graph).weight_bytes);
  const double ar = static_cast<double>(c->plan.arena_size) / static_cast<double>(flt->plan.arena_size);
  std::printf("%s: int8 weights %lld B (%.1f%% of float), arena %zu B (%.1f%% of float %zu B); "
              "generated code == emlc evaluation (int8 and float boundary)\n",
              name.c_str(), static_cast<long long>(modelStats(g).weight_bytes), 100 * wr, c->plan.arena_size, 100 * ar,
              flt->plan.arena_size);
  if (wr > 0.27 || ar > 0.27) return fail(name + ": int8 weights or arena above 27% of float");

  if (a.count("--max-drop")) {
    const Accuracy& acc = c->model.quant.accuracy;
    if (!acc.measured) return fail(name + ": accuracy not measured");
    const double drop = 100.0 * (acc.float_value - acc.int8_value);
    std::printf("%s: %s float %.4f, int8 %.4f (%.2f points, allowed %s) on %zu samples\n", name.c_str(),
                acc.metric.c_str(), acc.float_value, acc.int8_value, drop, a["--max-drop"].c_str(), acc.samples);
    if (drop > std::atof(a["--max-drop"].c_str())) return fail(name + ": int8 accuracy drop too large");
  }
  std::printf("PASS %s\n", name.c_str());
  return 0;
}

int qdq(const std::string& dir, const std::string& work, std::map<std::string, std::string> a) {
  const std::string name = fs::path(dir).filename().string();
  CompileOptions co;
  co.model_path = dir + "/model_qdq.onnx";
  co.name = name;
  auto c = compileModel(co);
  if (!c) return fail(name + ": compile: " + c.error().message);
  const Graph& g = c->model.graph;
  for (const auto& n : c->model.quant.lowering.nodes)
    if (!n.lowered) return fail(fmt::format("{}: {} stayed float: {}", name, n.node, n.result));
  const std::string exe = build(*c, work, a["--support"], a["--cxxflags"]);
  if (exe.empty()) return fail(name + ": the generated code does not build");
  int cases = 0;
  for (int k = 0; fs::exists(fmt::format("{}/input_{}.npy", dir, k)); ++k, ++cases) {
    auto in = readNpy(fmt::format("{}/input_{}.npy", dir, k));
    auto want = readNpy(fmt::format("{}/output_{}.npy", dir, k));
    if (!in || !want) return fail(name + ": cannot read input/output .npy");
    auto ev = runGraph(g, {*in});
    if (!ev) return fail(name + ": evaluation: " + ev.error().message);
    if (auto d = firstDifference((*ev)[0].data, want->data); !d.empty())
      return fail(fmt::format("{}: emlc evaluation differs from TFLM on input_{}: {}", name, k, d));
    auto gen = runGenerated(exe, work, {in->data}, 1, false);
    if (!gen) return fail(name + ": " + gen.error().message);
    if (auto d = firstDifference((*gen)[0], want->data); !d.empty())
      return fail(fmt::format("{}: generated code differs from TFLM on input_{}: {}", name, k, d));
  }
  if (cases == 0) return fail(name + ": no input_K.npy");
  std::printf("%s: %d inputs, generated code and emlc evaluation == TFLM bytes; arena %zu B\nPASS %s\n", name.c_str(),
              cases, c->plan.arena_size, name.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: emlc_int8_test ptq|qdq MODEL_DIR WORK_DIR [options]\n");
    return 2;
  }
  const std::string mode = argv[1], dir = argv[2], work = argv[3];
  fs::remove_all(work);
  fs::create_directories(work);
  auto a = args(argc, argv, 4);
  if (!a.count("--support")) a["--support"] = "tests/support";
  a["--support"] = fs::absolute(a["--support"]).string();
  if (mode == "ptq") return ptq(dir, work, a);
  if (mode == "qdq") return qdq(dir, work, a);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
