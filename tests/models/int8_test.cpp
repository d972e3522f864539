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
//   emlc_int8_test prune MODEL_DIR WORK_DIR --support DIR --calibration FILE --prune SPEC
//                  --test-data X --test-labels Y --min-saving FRACTION
//     --prune SPEC --quantize int8 (magnitude pruning, sparse kernels): the
//     weight bytes must be at least FRACTION below the dense int8 build; the
//     outputs on every test sample must equal, byte for byte, those of the
//     same pruned model built without the sparse-weights pass (dense int8
//     kernels on the same zeroed weights); the generated code (sparse
//     kernels) must equal the compiler's evaluation on input_0.npy. Prints
//     the accuracy of float, pruned float and pruned int8.
//
//   emlc_int8_test structured MODEL_DIR WORK_DIR --support DIR --prune SPEC
//                  [--test-data X --test-labels Y] --min-saving FRACTION
//     Float structured pruning: MACs and weight bytes at least FRACTION
//     below the unpruned model, the same op histogram (the residual Adds are
//     still there), the generated code equal to the evaluation on
//     input_0.npy; prints the accuracy change.
//
//   All modes take --cxxflags FLAGS: extra flags for the generated code and its
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
#include "prune/prune.h"
#include "quant/calibration.h"
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

Expected<PruneOptions> pruneOpts(std::map<std::string, std::string>& a) {
  EMLC_ASSIGN(PruneOptions po, parsePruneSpecs({a["--prune"]}));
  if (a.count("--test-data")) {
    po.test_data = {a["--test-data"]};
    po.test_labels = a["--test-labels"];
  }
  return po;
}

size_t sparseNodes(const Graph& g) {
  size_t n = 0;
  for (const Node& x : g.nodes) n += x.domain == "emlc" && x.op_type.size() > 6 && x.op_type.substr(x.op_type.size() - 6) == "Sparse";
  return n;
}

void printAccuracy(const char* what, const Accuracy& acc, const char* a, const char* b) {
  if (acc.measured)
    std::printf("  %s: %s %s %.4f, %s %.4f (%+.2f points), agreement %.4f, %zu samples\n", what, acc.metric.c_str(), a,
                acc.float_value, b, acc.int8_value, 100.0 * (acc.int8_value - acc.float_value), acc.agreement,
                acc.samples);
}

int pruneInt8(const std::string& dir, const std::string& work, std::map<std::string, std::string> a) {
  const std::string name = fs::path(dir).filename().string();
  QuantOptions q;
  q.mode = "int8";
  q.calibration = {a["--calibration"]};
  q.test_data = {a["--test-data"]};
  q.test_labels = a["--test-labels"];
  auto po = pruneOpts(a);
  if (!po) return fail(name + ": " + po.error().message);
  CompileOptions dense;
  dense.model_path = dir + "/model.onnx";
  dense.name = name;
  dense.passes.quant = &q;
  auto c0 = compileModel(dense);
  if (!c0) return fail(name + ": dense int8 compile: " + c0.error().message);
  CompileOptions sparse = dense;
  sparse.passes.prune = &po.value();
  auto c1 = compileModel(sparse);
  if (!c1) return fail(name + ": pruned int8 compile: " + c1.error().message);
  CompileOptions zeroed = sparse;
  zeroed.passes.disabled = {"sparse-weights"};
  auto c2 = compileModel(zeroed);
  if (!c2) return fail(name + ": pruned int8 compile without sparse-weights: " + c2.error().message);
  const Graph& gs = c1->model.graph;
  const Graph& gz = c2->model.graph;
  if (sparseNodes(gs) == 0) return fail(name + ": no layer went sparse");
  if (sparseNodes(gz) != 0) return fail(name + ": sparse layers with the pass disabled");

  const int64_t wd = modelStats(c0->model.graph).weight_bytes, ws = modelStats(gs).weight_bytes,
                wz = modelStats(gz).weight_bytes;
  const double saving = 1.0 - static_cast<double>(ws) / static_cast<double>(wd);
  std::printf("%s: int8 weight bytes dense %lld, pruned+dense kernels %lld, pruned+sparse %lld (%.1f%% below dense; "
              "%zu sparse layers); arena %zu -> %zu B\n",
              name.c_str(), static_cast<long long>(wd), static_cast<long long>(wz), static_cast<long long>(ws),
              100.0 * saving, sparseNodes(gs), c0->plan.arena_size, c1->plan.arena_size);
  printAccuracy("float: unpruned vs pruned", c1->model.prune.accuracy, "unpruned", "pruned");
  printAccuracy("dense int8", c0->model.quant.accuracy, "float", "int8");
  printAccuracy("pruned int8", c1->model.quant.accuracy, "pruned float", "pruned int8");
  if (saving < std::atof(a["--min-saving"].c_str())) return fail(name + ": weight saving below " + a["--min-saving"]);

  // Sparse kernels == dense kernels on the same zeroed weights, every test sample.
  TensorType ft = gs.t(gs.inputs[0]).type;
  ft.dtype = DType::F32;
  ft.quant = QuantParams{};
  auto test = SampleReader::open(a["--test-data"], ft);
  if (!test) return fail(name + ": " + test.error().message);
  size_t n = 0;
  for (; n < test->size(); ++n) {
    auto x = test->next();
    if (!x) return fail(name + ": " + x.error().message);
    auto xs = toInputType(*x, gs.t(gs.inputs[0]).type);
    auto xz = toInputType(*x, gz.t(gz.inputs[0]).type);
    if (!xs || !xz) return fail(name + ": cannot quantize a test sample");
    auto ys = runGraph(gs, {*xs});
    auto yz = runGraph(gz, {*xz});
    if (!ys || !yz) return fail(name + ": evaluation failed");
    for (size_t k = 0; k < ys->size(); ++k)
      if (auto d = firstDifference((*ys)[k].data, (*yz)[k].data); !d.empty())
        return fail(fmt::format("{}: sample {}: sparse output {} differs from dense on the same weights: {}", name, n,
                                k, d));
  }
  std::printf("  sparse == dense int8 kernels on the same zeroed weights: %zu test samples, byte for byte\n", n);

  const std::string exe = build(*c1, work, a["--support"], a["--cxxflags"]);
  if (exe.empty()) return fail(name + ": the generated sparse code does not build");
  auto input = readNpy(dir + "/input_0.npy");
  if (!input) return fail(name + ": " + input.error().message);
  input->type.shape = ft.shape;
  auto qin = toInputType(*input, gs.t(gs.inputs[0]).type);
  if (!qin) return fail(name + ": " + qin.error().message);
  auto ev = runGraph(gs, {*qin});
  if (!ev) return fail(name + ": evaluation: " + ev.error().message);
  auto gen = runGenerated(exe, work, {qin->data}, gs.outputs.size(), false);
  if (!gen) return fail(name + ": " + gen.error().message);
  for (size_t k = 0; k < gs.outputs.size(); ++k)
    if (auto d = firstDifference((*gen)[k], (*ev)[k].data); !d.empty())
      return fail(fmt::format("{}: generated sparse code output {} differs from emlc's evaluation: {}", name, k, d));
  std::printf("  generated sparse code == emlc evaluation\nPASS %s\n", name.c_str());
  return 0;
}

int structured(const std::string& dir, const std::string& work, std::map<std::string, std::string> a) {
  const std::string name = fs::path(dir).filename().string();
  auto po = pruneOpts(a);
  if (!po) return fail(name + ": " + po.error().message);
  CompileOptions dense;
  dense.model_path = dir + "/model.onnx";
  dense.name = name;
  auto c0 = compileModel(dense);
  if (!c0) return fail(name + ": compile: " + c0.error().message);
  CompileOptions pr = dense;
  pr.passes.prune = &po.value();
  auto c1 = compileModel(pr);
  if (!c1) return fail(name + ": pruned compile: " + c1.error().message);
  const ModelStats s0 = modelStats(c0->model.graph), s1 = modelStats(c1->model.graph);
  const double mac = 1.0 - static_cast<double>(s1.macs) / static_cast<double>(s0.macs);
  const double wb = 1.0 - static_cast<double>(s1.weight_bytes) / static_cast<double>(s0.weight_bytes);
  std::printf("%s: MACs %lld -> %lld (%.1f%% fewer), weight bytes %lld -> %lld (%.1f%% fewer), arena %zu -> %zu B\n",
              name.c_str(), static_cast<long long>(s0.macs), static_cast<long long>(s1.macs), 100 * mac,
              static_cast<long long>(s0.weight_bytes), static_cast<long long>(s1.weight_bytes), 100 * wb,
              c0->plan.arena_size, c1->plan.arena_size);
  for (const LayerPrune& l : c1->model.prune.layers)
    std::printf("  %-16s %-36s channels %lld -> %lld\n", l.node.c_str(), l.how.c_str(),
                static_cast<long long>(l.channels_before), static_cast<long long>(l.channels_after));
  printAccuracy("float: unpruned vs pruned", c1->model.prune.accuracy, "unpruned", "pruned");
  if (s0.op_histogram != s1.op_histogram) return fail(name + ": the pruned graph has other ops");
  const double need = std::atof(a["--min-saving"].c_str());
  if (mac < need || wb < need) return fail(name + ": MAC or weight saving below " + a["--min-saving"]);
  const Graph& g = c1->model.graph;
  const std::string exe = build(*c1, work, a["--support"], a["--cxxflags"]);
  if (exe.empty()) return fail(name + ": the generated code does not build");
  auto input = readNpy(dir + "/input_0.npy");
  if (!input) return fail(name + ": " + input.error().message);
  input->type.shape = g.t(g.inputs[0]).type.shape;
  auto ev = runGraph(g, {*input});
  if (!ev) return fail(name + ": evaluation: " + ev.error().message);
  auto gen = runGenerated(exe, work, {input->data}, g.outputs.size(), true);
  if (!gen) return fail(name + ": " + gen.error().message);
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const std::vector<uint8_t>& want = (*ev)[k].data;
    if ((*gen)[k].size() != want.size()) return fail(name + ": output size differs");
    for (size_t i = 0; i < want.size() / 4; ++i) {
      float x, y;
      std::memcpy(&x, want.data() + 4 * i, 4);
      std::memcpy(&y, (*gen)[k].data() + 4 * i, 4);
      if (std::fabs(x - y) > 1e-5f * (1.0f + std::fabs(x)))
        return fail(fmt::format("{}: generated output {}[{}] {} vs evaluation {}", name, k, i, y, x));
    }
  }
  std::printf("  generated code == emlc evaluation\nPASS %s\n", name.c_str());
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
  if (mode == "prune") return pruneInt8(dir, work, a);
  if (mode == "structured") return structured(dir, work, a);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
