// emlc command line: compile, inspect, run.
// Exit codes: 0 success, 1 user error (bad model, flag or file; unsupported
// model), 2 internal error (a bug in emlc).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "codegen/stack_usage.h"
#include "driver/compile.h"
#include "eval/evaluator.h"
#include "ops/op.h"
#include "pipeline/simulate.h"
#include "plan/report.h"
#include "quant/report.h"
#include "support/npy.h"
#include "support/output_dir.h"
#include "support/version.h"

namespace {

using namespace emlc;

int fail(const Error& e) {
  const char* kind = e.kind == ErrorKind::Internal ? "internal error" : "error";
  std::fprintf(stderr, "emlc: %s: %s\n", kind, e.message.c_str());
  if (e.kind == ErrorKind::Internal)
    std::fprintf(stderr, "emlc: this is a bug in emlc; please report it with the model attached\n");
  return e.exitCode();
}

// Parses NAME=D0,D1,... values of --input-shape.
Status parseInputShapes(const std::vector<std::string>& specs, std::map<std::string, Shape>* out) {
  for (const std::string& spec : specs) {
    size_t eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return invalid(fmt::format("--input-shape '{}': expected NAME=D0,D1,...", spec));
    Shape s;
    std::string dims = spec.substr(eq + 1);
    size_t pos = 0;
    while (pos <= dims.size()) {
      size_t c = dims.find(',', pos);
      std::string tok = dims.substr(pos, c == std::string::npos ? std::string::npos : c - pos);
      char* end = nullptr;
      long long v = std::strtoll(tok.c_str(), &end, 10);
      if (tok.empty() || *end != '\0' || v <= 0 || v > (1LL << 31))
        return invalid(fmt::format("--input-shape '{}': '{}' is not a positive dimension", spec, tok));
      s.push_back(v);
      if (c == std::string::npos) break;
      pos = c + 1;
    }
    (*out)[spec.substr(0, eq)] = s;
  }
  return Status::ok();
}

std::string humanBytes(size_t b) {
  return b >= 10 * 1024 ? fmt::format("{} B ({:.1f} KiB)", b, static_cast<double>(b) / 1024.0) : fmt::format("{} B", b);
}

// Memory options shared by compile: --memory REGION=BYTES,... and --max-arena BYTES.
Status parsePlanOptions(const std::string& memory, const std::string& maxArena, PlanOptions* po) {
  if (!memory.empty()) {
    auto r = parseMemoryRegions(memory);
    if (!r) return r.error();
    po->regions = r.value();
  }
  if (!maxArena.empty()) {
    auto b = parseByteSize(maxArena);
    if (!b) return Error(b.error()).context("--max-arena");
    po->max_arena = b.value();
  }
  return Status::ok();
}

// int8 quantization flags (compile and run).
struct QuantArgs {
  std::string quantize, method = "minmax", labels, metric = "auto";
  std::vector<std::string> calibration, test, keep;
  bool report = false;
  double budget = -1.0;
};
QuantArgs g_quant;
QuantOptions g_quantOptions;

void addQuantOptions(CLI::App* cmd, QuantArgs& a) {
  cmd->add_option("--quantize", a.quantize, "Quantize: int8 (static post-training quantization; needs --calibration)")
      ->check(CLI::IsMember({"int8"}));
  cmd->add_option("--calibration", a.calibration,
                  "Calibration samples: a .npy file (N samples stacked) or a folder of .npy files, one per model input");
  cmd->add_option("--calibration-method", a.method, "minmax (default), percentile:P (e.g. percentile:99.99), mse");
  cmd->add_flag("--quantize-report", a.report, "Print per-layer SQNR (float vs int8 activations), worst layers first");
  cmd->add_option("--test-data", a.test, "Test samples (.npy or folder, one per input): float vs int8 accuracy");
  cmd->add_option("--test-labels", a.labels, ".npy of integer labels, one per test sample");
  cmd->add_option("--metric", a.metric, "Accuracy metric: top1, auc (ROC AUC of the reconstruction error), auto");
  cmd->add_option("--accuracy-budget", a.budget,
                  "Keep the most sensitive layers in float until int8 accuracy is within this many points of float");
  cmd->add_option("--keep-float", a.keep, "Keep a node (by name) or every node of an op type in float (repeatable)");
}

// A progress bar on stderr when it is a terminal.
void progress(const std::string& stage, size_t done, size_t total) {
  static const bool tty = isatty(fileno(stderr)) != 0;
  if (!tty || total == 0) return;
  const size_t width = 30, fill = done * width / total;
  std::fprintf(stderr, "\r  %-28s [%s%s] %zu/%zu", stage.c_str(), std::string(fill, '#').c_str(),
               std::string(width - fill, ' ').c_str(), done, total);
  if (done == total) std::fprintf(stderr, "\r%*s\r", static_cast<int>(width + stage.size() + 50), "");
  std::fflush(stderr);
}

// Pruning flags (compile, inspect and run); --test-data/--test-labels are
// shared with quantization.
struct PruneArgs {
  std::vector<std::string> specs;
  bool report = false;
  bool any() const { return !specs.empty() || report; }
};
PruneArgs g_prune;
PruneOptions g_pruneOptions;

void addPruneOptions(CLI::App* cmd, PruneArgs& a) {
  cmd->add_option("--prune", a.specs,
                  "Prune Conv/Gemm weights: magnitude:F, structured:F[:l1|:l2], auto:POINTS; NODE=SPEC for one "
                  "layer (repeatable)");
  cmd->add_flag("--prune-report", a.report,
                "Per-layer sensitivity: accuracy with each layer alone magnitude-pruned (needs --test-data)");
}

// The pruning options for PassOptions (nullptr without --prune/--prune-report).
Expected<const PruneOptions*> pruneOptions(const PruneArgs& a, const QuantArgs& q) {
  if (!a.any()) return static_cast<const PruneOptions*>(nullptr);
  EMLC_ASSIGN(g_pruneOptions, parsePruneSpecs(a.specs));
  g_pruneOptions.report = a.report;
  g_pruneOptions.test_data = q.test;
  g_pruneOptions.test_labels = q.labels;
  g_pruneOptions.metric = q.metric;
  return static_cast<const PruneOptions*>(&g_pruneOptions);
}

// The quantization options for PassOptions (nullptr without --quantize).
Expected<const QuantOptions*> quantOptions(const QuantArgs& a) {
  const bool testFlags = !g_prune.any() && (!a.test.empty() || !a.labels.empty() || a.metric != "auto");
  const bool any = !a.calibration.empty() || testFlags || !a.keep.empty() || a.report || a.budget >= 0 ||
                   a.method != "minmax";
  if (a.quantize.empty()) {
    if (any)
      return invalid("--calibration, --test-data, --keep-float and the other quantization flags need --quantize int8 "
                     "(--test-data and --test-labels also go with --prune)");
    return static_cast<const QuantOptions*>(nullptr);
  }
  QuantOptions& o = g_quantOptions;
  o.mode = a.quantize;
  o.calibration = a.calibration;
  o.method = a.method;
  o.keep_float = a.keep;
  o.report = a.report;
  o.test_data = a.test;
  o.test_labels = a.labels;
  o.accuracy_budget = a.budget;
  o.metric = a.metric;
  o.progress = progress;
  return static_cast<const QuantOptions*>(&o);
}

// --max-tensor-bytes (compile): largest tensor accepted anywhere in the model.
std::string g_maxTensorBytes;
bool g_measureStack = false;   // --measure-stack
std::string g_stackCompiler;  // --stack-compiler

// --passes-report: one line per pass (nodes before -> after) and its changes.
std::string passesReport(const std::vector<PassRecord>& log) {
  std::string s = "passes:\n";
  for (const PassRecord& r : log) {
    s += fmt::format("  {:<18} {}\n", r.name,
                     r.skipped ? std::string("skipped (--disable-pass)")
                               : fmt::format("{} -> {} nodes{}", r.nodes_before, r.nodes_after,
                                             r.changed ? "" : ", no change"));
    for (const std::string& n : r.notes) s += "      " + n + "\n";
  }
  return s;
}

void printDumps(const std::vector<PassRecord>& log) {
  for (const PassRecord& r : log)
    if (!r.dump.empty()) std::printf("IR after pass %s:\n%s", r.name.c_str(), r.dump.c_str());
}

// Streaming state (--stateful, --state IN=OUT) for compile, simulate, inspect and run.
StateOptions g_state;

// Parses --stateful and the --state IN=OUT values.
Status parseStateOptions(bool stateful, const std::vector<std::string>& pairs, StateOptions* so) {
  so->recurrent = stateful;
  for (const std::string& p : pairs) {
    auto kv = parseStatePair(p);
    if (!kv) return kv.error();
    so->pairs.push_back(kv.value());
  }
  return Status::ok();
}

struct PassFlags {
  std::vector<std::string> disabled;
  std::string dumpAfter;
  std::string optimize = "speed";
  std::string ioLayout = "model";
  std::string target = "generic";
  bool report = false;
  PassOptions options() const {
    PassOptions o;
    o.disabled = disabled;
    o.dump_after = dumpAfter;
    o.optimize = optimize == "size" ? PassOptions::Optimize::Size : PassOptions::Optimize::Speed;
    o.io_nhwc = ioLayout == "nhwc";
    o.target = target == "cortex-m4"    ? PassOptions::Target::CortexM4
               : target == "cortex-m7"  ? PassOptions::Target::CortexM7
               : target == "cortex-m33" ? PassOptions::Target::CortexM33
                                        : PassOptions::Target::Generic;
    return o;
  }
};

int cmdCompile(const std::string& model, const std::string& outDir, const std::string& name,
               const std::vector<std::string>& shapes, const PassFlags& pf, bool printPlan,
               const std::string& memory, const std::string& maxArena, const std::string& pipeline) {
  CompileOptions opt;
  opt.model_path = model;
  opt.name = name;
  opt.state = g_state;
  opt.pipeline_path = pipeline;
  opt.passes = pf.options();
  Status st = parseInputShapes(shapes, &opt.import.input_shapes);
  if (!st) return fail(st.error());
  st = parsePlanOptions(memory, maxArena, &opt.plan);
  if (!st) return fail(st.error());
  if (!g_maxTensorBytes.empty()) {
    auto b = parseByteSize(g_maxTensorBytes);
    if (!b) return fail(b.error().context("--max-tensor-bytes"));
    opt.import.max_tensor_bytes = b.value();
  }
  auto q = quantOptions(g_quant);
  if (!q) return fail(q.error());
  opt.passes.quant = q.value();
  auto pr = pruneOptions(g_prune, g_quant);
  if (!pr) return fail(pr.error());
  opt.passes.prune = pr.value();
  auto c = compileModel(opt);
  if (!c) return fail(c.error());
  if (g_measureStack) {
    const std::string cxx = g_stackCompiler.empty() ? kDefaultStackCompiler : g_stackCompiler;
    auto usage = measureRunStack(c->files, c->name, cxx);
    if (!usage) return fail(usage.error());
    st = stateStackUsage(c->files, c->name, cxx, usage.value());
    if (!st) return fail(st.error());
  }
  st = writeOutputDir(outDir, c->files);
  if (!st) return fail(st.error());
  const MemoryPlan& p = c->plan;
  ModelStats s = modelStats(c->model.graph);
  std::printf("emlc: compiled '%s' -> %s/ (%s.h, %s.cpp, %s_weights.cpp, emlc/; plan: %s.json, %s_memory.svg)\n",
              c->name.c_str(), outDir.c_str(), c->name.c_str(), c->name.c_str(), c->name.c_str(), c->name.c_str(),
              c->name.c_str());
  std::printf("  nodes %zu, MACs %lld, weights %s\n", c->model.graph.nodes.size(), static_cast<long long>(s.macs),
              humanBytes(static_cast<size_t>(s.weight_bytes)).c_str());
  if (c->has_pipeline)
    std::printf("  pipeline: %s_pipeline.h/.cpp: %s\n", c->name.c_str(), describePipeline(c->pipeline).c_str());
  if (pf.report) std::printf("%s", passesReport(c->model.pass_log).c_str());
  printDumps(c->model.pass_log);
  if (printPlan) std::printf("%s", formatPlan(c->model.graph, p).c_str());
  else std::printf("%s", planSummary(p).c_str());
  if (hasPruneReport(c->model.prune)) std::printf("%s", pruneSummary(c->model.prune).c_str());
  if (hasQuantReport(c->model.quant)) std::printf("%s", quantSummary(c->model.quant, 30).c_str());
  return 0;
}

// Import and passes for simulate, inspect and run, from their flags
// (--input-shape, pass, state and quantization flags).
Expected<PreparedModel> prepareFromFlags(const std::string& model, const std::vector<std::string>& shapes,
                                         const PassFlags& pf) {
  ImportOptions imp;
  EMLC_TRY(parseInputShapes(shapes, &imp.input_shapes));
  PassOptions po = pf.options();
  EMLC_ASSIGN(po.quant, quantOptions(g_quant));
  EMLC_ASSIGN(po.prune, pruneOptions(g_prune, g_quant));
  return prepareModel(model, imp, po, g_state);
}

// emlc simulate: a recorded stream through the pipeline and the model.
int cmdSimulate(const std::string& model, const std::vector<std::string>& shapes, const std::string& pipeline,
                const std::string& csv, const std::string& labelColumn, const PassFlags& pf) {
  auto pm = prepareFromFlags(model, shapes, pf);
  if (!pm) return fail(pm.error());
  auto spec = readPipelineSpec(pipeline);
  if (!spec) return fail(spec.error());
  auto b = bindPipeline(spec.value(), pm->graph);
  if (!b) return fail(b.error());
  auto stream = readSampleCsv(csv, b.value(), labelColumn);
  if (!stream) return fail(stream.error());
  auto r = simulatePipeline(b.value(), pm->graph, stream.value());
  if (!r) return fail(r.error());
  std::printf("emlc: simulate: %s\n", describePipeline(b.value()).c_str());
  for (const SimDecision& d : r->reports) std::printf("%s\n", formatDecision(b.value(), d).c_str());
  std::printf("%s\n", formatSummary(r.value()).c_str());
  std::string perLabel;
  for (int32_t l = -1; l < static_cast<int32_t>(b->labels.size()); ++l) {
    int64_t n = 0;
    for (int32_t x : r->window_label) n += x == l ? 1 : 0;
    if (n) perLabel += fmt::format(" {}={}", l < 0 ? "none" : b->labels[static_cast<size_t>(l)], n);
  }
  std::printf("windows per decision:%s\n", perLabel.empty() ? " (none)" : perLabel.c_str());
  std::printf("%s\n", formatAgreement(r.value()).c_str());
  return 0;
}

int cmdInspect(const std::string& model, const std::vector<std::string>& shapes, const PassFlags& pf, bool ir,
               bool memoryTable) {
  auto pm = prepareFromFlags(model, shapes, pf);
  if (!pm) return fail(pm.error());
  const Graph& g = pm->graph;
  auto plan = planMemory(g);
  if (!plan) return fail(plan.error());
  ModelStats s = modelStats(g);
  std::printf("model %s\n", model.c_str());
  for (TensorId id : g.inputs) std::printf("  input  '%s' %s\n", g.t(id).name.c_str(), g.t(id).type.str().c_str());
  for (TensorId id : g.outputs) std::printf("  output '%s' %s\n", g.t(id).name.c_str(), g.t(id).type.str().c_str());
  for (const StateLink& sl : g.states)
    std::printf("  state  '%s' %s (next: '%s')\n", g.t(sl.value).name.c_str(), g.t(sl.value).type.str().c_str(),
                g.t(sl.next).name.c_str());
  std::printf("ops (%zu nodes after folding):\n", g.nodes.size());
  for (const auto& kv : s.op_histogram) std::printf("  %-24s %d\n", kv.first.c_str(), kv.second);
  std::printf("parameters %lld (%s)\nMACs %lld\n", static_cast<long long>(s.params),
              humanBytes(static_cast<size_t>(s.weight_bytes)).c_str(), static_cast<long long>(s.macs));
  if (memoryTable) std::printf("%s", formatPlan(g, plan.value()).c_str());
  else std::printf("memory plan (--memory for the table):\n%s", planSummary(plan.value()).c_str());
  if (pf.report) std::printf("%s", passesReport(pm->pass_log).c_str());
  printDumps(pm->pass_log);
  if (hasPruneReport(pm->prune)) std::printf("%s", pruneSummary(pm->prune).c_str());
  if (hasQuantReport(pm->quant)) std::printf("%s", quantSummary(pm->quant, 0).c_str());
  if (ir) std::printf("%s", printGraph(g).c_str());
  return 0;
}

int cmdRun(const std::string& model, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
           const std::vector<std::string>& shapes, const PassFlags& pf) {
  auto pm = prepareFromFlags(model, shapes, pf);
  if (!pm) return fail(pm.error());
  const Graph& g = pm->graph;
  if (hasPruneReport(pm->prune)) std::printf("%s", pruneSummary(pm->prune).c_str());
  if (hasQuantReport(pm->quant)) std::printf("%s", quantSummary(pm->quant, 30).c_str());
  if (inputs.size() != g.inputs.size())
    return fail(invalid(fmt::format("the model has {} inputs; give one --input per input", g.inputs.size())));
  if (!outputs.empty() && outputs.size() != g.outputs.size())
    return fail(invalid(fmt::format("the model has {} outputs; give one --output per output or none",
                                    g.outputs.size())));
  std::vector<HostTensor> in;
  for (const std::string& f : inputs) {
    auto t = readNpy(f);
    if (!t) return fail(t.error());
    // A float input of an int8 model is quantized as NAME_run_f32 does.
    const TensorType& want = g.t(g.inputs[in.size()]).type;
    if (t->type.dtype == DType::F32 && want.dtype != DType::F32 && want.quant.quantized()) {
      auto c = toInputType(t.value(), want);
      if (!c) return fail(c.error());
      t = std::move(c);
    }
    in.push_back(std::move(t.value()));
  }
  auto out = runGraph(g, in);
  if (!out) return fail(out.error());
  for (size_t k = 0; k < out->size(); ++k) {
    const HostTensor& t = (*out)[k];
    if (!outputs.empty()) {
      Status st = writeNpy(outputs[k], t);
      if (!st) return fail(st.error());
    }
    std::printf("output '%s' %s", g.t(g.outputs[k]).name.c_str(), t.type.str().c_str());
    const HostTensor real = dequantized(t);  // int8 outputs: their real values
    if (real.type.dtype == DType::F32 && t.type.numel() > 0) {
      const float* v = real.as<float>();
      int64_t best = 0;
      for (int64_t i = 1; i < t.type.numel(); ++i)
        if (v[i] > v[best]) best = i;
      std::printf(": argmax %lld, values", static_cast<long long>(best));
      for (int64_t i = 0; i < std::min<int64_t>(t.type.numel(), 10); ++i) std::printf(" %.6g", v[i]);
      if (t.type.numel() > 10) std::printf(" ...");
    }
    std::printf("\n");
  }
  return 0;
}

int realMain(int argc, char** argv) {
  CLI::App app{"emlc: compiles ONNX models to self-contained C++ for microcontrollers"};
  app.set_version_flag("--version", std::string("emlc ") + kEmlcVersion);
  app.require_subcommand(1);

  std::string model, outDir, name, memory, maxArena, pipeline, csv, labelColumn = "label";
  std::vector<std::string> shapes, inputs, outputs, statePairs;
  PassFlags pf;
  bool ir = false, printPlan = false, memoryTable = false, stateful = false;
  const char* statefulHelp =
      "Streaming: RNN/GRU/LSTM states persist across runs (frame by frame); NAME_reset_state() restarts";
  const char* stateHelp = "Streaming: graph input IN holds tensor OUT's value from the previous run (repeatable)";
  auto stateFlags = [&](CLI::App* cmd) {
    cmd->add_flag("--stateful", stateful, statefulHelp);
    cmd->add_option("--state", statePairs, stateHelp);
  };
  // Pass debugging flags, shared by compile, inspect and run.
  auto passFlags = [&](CLI::App* cmd) {
    cmd->add_option("--disable-pass", pf.disabled, "Skip a pass of the pipeline (debugging; repeatable)");
    cmd->add_option("--dump-after", pf.dumpAfter, "Print the IR right after pass PASS");
    cmd->add_flag("--passes-report", pf.report, "List each pass: nodes before and after, what it changed");
    cmd->add_option("--optimize", pf.optimize,
                    "speed (default): channels-last kernels, packed weights, compile-time tile sizes; "
                    "size: the generic kernels in the model's layout (less flash)")
        ->check(CLI::IsMember({"speed", "size"}));
    cmd->add_option("--io-layout", pf.ioLayout,
                    "model (default): inputs and outputs in the model's layout; nhwc: float inputs and outputs "
                    "of rank 3/4 channels-last (N, H, W, C), no transpose at the boundary of a conv net")
        ->check(CLI::IsMember({"model", "nhwc"}));
    cmd->add_option("--target", pf.target,
                    "generic (default): portable kernels; cortex-m4|cortex-m7|cortex-m33: int8 kernels with the "
                    "DSP extension's instructions and float kernels tiled for the single-precision FPU (build "
                    "with the matching -mcpu)")
        ->check(CLI::IsMember({"generic", "cortex-m4", "cortex-m7", "cortex-m33"}));
  };

  CLI::App* compile = app.add_subcommand("compile", "Compile MODEL.onnx into a folder of C++ sources");
  compile->add_option("model", model, "ONNX model file")->required();
  compile->add_option("-o,--output", outDir, "Output folder (written atomically)")->required();
  compile->add_option("--name", name, "Model name: prefix of the generated API (default: from the file name)");
  compile->add_option("--input-shape", shapes, "Fix an input's shape: NAME=D0,D1,... (repeatable)");
  passFlags(compile);
  stateFlags(compile);
  compile->add_flag("--print-plan", printPlan, "Print the memory plan table");
  compile->add_option("--memory", memory,
                      "Memory regions REGION=BYTES[,...] (e.g. dtcm=64K,sram=320K): one arena array per region, "
                      "hottest and smallest buffers first into the first region");
  compile->add_option("--max-arena", maxArena,
                      "Fail (exit 1) when the arena needs more than BYTES in total (suffixes K, M)");
  addQuantOptions(compile, g_quant);
  addPruneOptions(compile, g_prune);
  compile->add_option("--max-tensor-bytes", g_maxTensorBytes,
                      "Refuse models holding a tensor larger than BYTES (suffixes K, M; default 1G)");

  compile->add_flag("--measure-stack", g_measureStack,
                    "Build NAME.cpp with the target compiler and state NAME_run's measured stack use in NAME.h");
  compile->add_option("--stack-compiler", g_stackCompiler,
                      std::string("Compiler command for --measure-stack (default: ") + kDefaultStackCompiler + ")");
  compile->add_option("--pipeline", pipeline,
                      "Sensor pipeline description (JSON): also writes NAME_pipeline.h/.cpp (samples -> decisions)");

  CLI::App* simulate = app.add_subcommand(
      "simulate", "Run a recorded sample stream (CSV) through a pipeline and the model on the host; print decisions");
  simulate->add_option("model", model, "ONNX model file")->required();
  simulate->add_option("--pipeline", pipeline, "Sensor pipeline description (JSON)")->required();
  simulate->add_option("--csv", csv, "Recorded samples: one row per frame, a header naming the channels")->required();
  simulate->add_option("--label-column", labelColumn, "CSV column with the ground truth (default: label)");
  simulate->add_option("--input-shape", shapes, "Fix an input's shape: NAME=D0,D1,... (repeatable)");
  passFlags(simulate);
  stateFlags(simulate);
  addQuantOptions(simulate, g_quant);

  CLI::App* inspect = app.add_subcommand("inspect", "Show inputs, outputs, ops, parameters, MACs and the memory plan");
  inspect->add_option("model", model, "ONNX model file")->required();
  inspect->add_option("--input-shape", shapes, "Fix an input's shape: NAME=D0,D1,... (repeatable)");
  inspect->add_flag("--ir", ir, "Also print the IR after folding and passes");
  inspect->add_flag("--memory", memoryTable, "Print the memory plan table (offset, bytes, steps, tensors)");
  passFlags(inspect);
  stateFlags(inspect);
  addQuantOptions(inspect, g_quant);
  addPruneOptions(inspect, g_prune);

  CLI::App* run = app.add_subcommand("run", "Evaluate MODEL on the host with emlc's runtime kernels");
  run->add_option("model", model, "ONNX model file")->required();
  run->add_option("--input", inputs, ".npy file for each model input, in order");  // none for models without runtime inputs
  run->add_option("--output", outputs, ".npy file to write for each output, in order");
  run->add_option("--input-shape", shapes, "Fix an input's shape: NAME=D0,D1,... (repeatable)");
  passFlags(run);
  stateFlags(run);
  addQuantOptions(run, g_quant);
  addPruneOptions(run, g_prune);

  CLI::App* listOps = app.add_subcommand("list-ops", "List the supported ONNX operators, their element types and limits");
  bool markdown = false;
  listOps->add_flag("--markdown", markdown, "Print README's operator table (Markdown)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 1;
  }
  if (Status st = parseStateOptions(stateful, statePairs, &g_state); !st) return fail(st.error());
  if (compile->parsed())
    return cmdCompile(model, outDir, name, shapes, pf, printPlan, memory, maxArena, pipeline);
  if (simulate->parsed()) return cmdSimulate(model, shapes, pipeline, csv, labelColumn, pf);
  if (inspect->parsed()) return cmdInspect(model, shapes, pf, ir, memoryTable);
  if (run->parsed()) return cmdRun(model, inputs, outputs, shapes, pf);
  if (listOps->parsed()) {
    if (!markdown) std::printf("%zu operators (types: %s)\n\n", registeredOps().size(), kOpTypeLegend);
    std::printf("%s", operatorTable(markdown).c_str());
    return 0;
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return realMain(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "emlc: internal error: out of memory\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "emlc: internal error: unexpected exception: %s\n", e.what());
    return 2;
  }
}
