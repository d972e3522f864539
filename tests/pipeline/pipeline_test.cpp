// Generated sensor pipelines against `emlc simulate`: for each case the model
// and pipeline are compiled, the generated folder is built with strict flags
// (-Wall -Wextra -Wconversion -Wshadow -Werror) together with
// pipeline_main.cpp and a built-in sample stream, run, and its transcript
// (every window is reported) compared with the simulator's on the same
// stream (written as CSV).
//
//   har_fft    HAR model; normalize + FFT (Hann, log magnitude), smoothing/debounce
//   kws_mfcc   KWS model; MFCC (640-sample frames, 40 mel bins, 10 coefficients)
//   int8_io    a hand-built graph with an int8 input and output (quantized
//              features in, dequantized scores out), with hand-computed decisions
//
// Host builds must match the simulator exactly. With QEMU (the spectral
// cases) the Cortex-M4F build must make the same decisions; scores may differ
// in the last digits (the target fuses multiply-adds): within 2e-3 absolute
// (the spectral cases print raw logits, up to about 40).
//
// usage: emlc_pipeline_test MODELS_DIR WORK_DIR BOARD_DIR SUPPORT_DIR [--no-target]
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "codegen/emitter.h"
#include "driver/compile.h"
#include "ops/lowering.h"
#include "ir/graph.h"
#include "passes/infer.h"
#include "pipeline/emit.h"
#include "pipeline/simulate.h"
#include "support/output_dir.h"

namespace fs = std::filesystem;
using namespace emlc;

namespace {

int sh(const std::string& cmd) {
  std::printf("+ %s\n", cmd.c_str());
  std::fflush(stdout);
  return std::system(cmd.c_str());
}

std::string readFile(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> lines(const std::string& text, bool stripScore = false) {
  std::vector<std::string> v;
  std::istringstream ss(text);
  std::string l;
  while (std::getline(ss, l)) {
    if (l.rfind("decision ", 0) != 0 && l.rfind("summary: ", 0) != 0 && l.rfind("scores ", 0) != 0) continue;
    if (stripScore && l.find(" score=") != std::string::npos) l = l.substr(0, l.find(" score="));
    if (stripScore && l.rfind("scores ", 0) == 0) l = l.substr(0, l.find(' ', 7));
    v.push_back(l);
  }
  return v;
}

// The scores of a line: "score=X" of a decision, the values of a scores line.
std::vector<double> numbersOf(const std::string& l) {
  std::vector<double> v;
  if (l.rfind("decision ", 0) == 0) {
    const size_t p = l.find(" score=");
    if (p != std::string::npos) v.push_back(std::atof(l.c_str() + p + 7));
  } else if (l.rfind("scores ", 0) == 0) {
    std::istringstream ss(l.substr(l.find(' ', 7) + 1));
    double x;
    while (ss >> x) v.push_back(x);
  }
  return v;
}

// A scores line without its values (for comparing the line structure).
std::string stripValues(const std::string& l) {
  if (l.rfind("scores ", 0) == 0) return l.substr(0, l.find(' ', 7));
  return l;
}

struct Case {
  std::string name;
  std::string pipeline;                       // JSON
  std::function<Expected<Graph>()> graph;     // the prepared model
  std::vector<std::vector<double>> frames;    // the stream
  bool target = false;                        // also run on Cortex-M4F under QEMU
  std::vector<std::string> expected;          // hand-computed decision lines (a prefix), if any
};

// Deterministic test signal: per channel a sine whose frequency changes every
// `segment` frames, plus uniform noise from a fixed LCG, rounded to integers.
std::vector<std::vector<double>> tones(size_t frames, size_t channels, double rate, size_t segment,
                                       std::vector<double> freqs, double amp, double noise) {
  std::vector<std::vector<double>> v(frames, std::vector<double>(channels));
  uint32_t lcg = 12345;
  double phase[16] = {};
  for (size_t f = 0; f < frames; ++f)
    for (size_t c = 0; c < channels; ++c) {
      const double hz = freqs[(f / segment + c) % freqs.size()] * (1.0 + 0.1 * static_cast<double>(c));
      phase[c] += 2.0 * M_PI * hz / rate;
      lcg = lcg * 1664525u + 1013904223u;
      const double n = (static_cast<double>(lcg >> 8) / 16777216.0 * 2.0 - 1.0) * noise;
      v[f][c] = std::round(amp * std::sin(phase[c]) + n);
    }
  return v;
}

Expected<Graph> fromOnnx(const std::string& path) {
  EMLC_ASSIGN(PreparedModel pm, prepareModel(path, ImportOptions{}, PassOptions{}));
  return std::move(pm.graph);
}

// x: int8[1,6] (scale 0.05, zero point -10) -> Identity -> y (same type).
Expected<Graph> int8Graph() {
  Graph g;
  Tensor x;
  x.name = "x";
  x.type = TensorType{DType::I8, {1, 6}};
  x.type.quant.scale = {0.05f};
  x.type.quant.zero_point = {-10};
  x.typed = true;
  x.is_input = true;
  const TensorId xi = g.addTensor(x);
  Tensor y;
  y.name = "y";
  y.is_output = true;
  const TensorId yi = g.addTensor(y);
  Node n;
  n.name = "identity";
  n.op_type = "Identity";
  n.opset = 13;
  n.inputs = {xi};
  n.outputs = {yi};
  g.addNode(n);
  g.inputs = {xi};
  g.outputs = {yi};
  EMLC_TRY(inferAndFold(g, InferOptions{}));
  if (!g.t(yi).type.quant.quantized()) g.t(yi).type.quant = g.t(xi).type.quant;
  EMLC_TRY(verifyGraph(g));
  return g;
}

std::string cArray(const Case& k, DType t) {
  std::string s = fmt::format("// Generated by emlc_pipeline_test.\nstatic const unsigned long kFrames = {}ul;\n"
                              "static const {} kStream[] = {{",
                              k.frames.size(), dtypeCType(t));
  for (size_t f = 0; f < k.frames.size(); ++f)
    for (size_t c = 0; c < k.frames[f].size(); ++c)
      s += fmt::format("{}{}{}", f || c ? "," : "", (f * k.frames[f].size() + c) % 16 == 0 ? "\n" : "",
                       t == DType::F32 ? floatLiteral(static_cast<float>(k.frames[f][c])) : fmt::format("{}", k.frames[f][c]));
  return s + "};\n";
}

bool runCase(const Case& k, const std::string& work, const std::string& board, const std::string& support,
             bool withTarget) {
  std::printf("== %s\n", k.name.c_str());
  fs::remove_all(work);
  fs::create_directories(work);
  auto g = k.graph();
  if (!g) {
    std::fprintf(stderr, "FAIL %s: model: %s\n", k.name.c_str(), g.error().message.c_str());
    return false;
  }
  auto spec = parsePipelineSpec(k.pipeline, k.name + ".json");
  if (!spec) {
    std::fprintf(stderr, "FAIL %s: %s\n", k.name.c_str(), spec.error().message.c_str());
    return false;
  }
  auto b = bindPipeline(spec.value(), g.value());
  if (!b) {
    std::fprintf(stderr, "FAIL %s: %s\n", k.name.c_str(), b.error().message.c_str());
    return false;
  }
  // Emit the model and the pipeline (what `emlc compile --pipeline` does).
  PlanOptions po;
  po.io_in_arena = true;
  po.extra = b->extraBuffers();
  auto plan = planMemory(g.value(), po);
  if (!plan) {
    std::fprintf(stderr, "FAIL %s: plan: %s\n", k.name.c_str(), plan.error().message.c_str());
    return false;
  }
  EmitOptions eo;
  eo.name = "m";
  eo.source_name = k.name;
  eo.pipeline_hooks = true;
  auto files = emitModel(g.value(), plan.value(), eo);
  auto pf = emitPipeline(b.value(), g.value(), plan.value(), "m", k.name + ".json");
  if (!files || !pf) {
    std::fprintf(stderr, "FAIL %s: emission\n", k.name.c_str());
    return false;
  }
  files->insert(pf->begin(), pf->end());
  const std::string gen = work + "/gen";
  if (Status st = writeOutputDir(gen, files.value()); !st) {
    std::fprintf(stderr, "FAIL %s: %s\n", k.name.c_str(), st.error().message.c_str());
    return false;
  }
  // The stream: CSV for the simulator, a C array for the program.
  {
    std::string csv;
    for (size_t c = 0; c < spec->channels.size(); ++c) csv += (c ? "," : "") + spec->channels[c];
    csv += "\n";
    for (const auto& fr : k.frames) {
      for (size_t c = 0; c < fr.size(); ++c) csv += fmt::format("{}{}", c ? "," : "", fr[c]);
      csv += "\n";
    }
    std::ofstream(work + "/stream.csv") << csv;
    std::ofstream(work + "/stream_data.h") << cArray(k, spec->sample_type);
  }
  auto stream = readSampleCsv(work + "/stream.csv", b.value());
  if (!stream) {
    std::fprintf(stderr, "FAIL %s: %s\n", k.name.c_str(), stream.error().message.c_str());
    return false;
  }
  auto sim = simulatePipeline(b.value(), g.value(), stream.value());
  if (!sim) {
    std::fprintf(stderr, "FAIL %s: simulate: %s\n", k.name.c_str(), sim.error().message.c_str());
    return false;
  }
  // The program prints a window's decision (if reported) before its scores.
  std::vector<std::string> want;
  size_t next = 0;
  for (uint32_t w = 0; w < sim->window_scores.size(); ++w) {
    while (next < sim->reports.size() && sim->reports[next].window == w)
      want.push_back(formatDecision(b.value(), sim->reports[next++]));
    want.push_back(formatScores(w, sim->window_scores[w]));
  }
  want.push_back(formatSummary(sim.value()));
  if (want.size() < 3) {
    std::fprintf(stderr, "FAIL %s: the simulator reported only %zu lines\n", k.name.c_str(), want.size());
    return false;
  }
  std::vector<std::string> decisionLines;
  for (const std::string& l : want)
    if (l.rfind("decision ", 0) == 0) decisionLines.push_back(l);
  for (size_t i = 0; i < k.expected.size(); ++i)
    if (i >= decisionLines.size() || decisionLines[i] != k.expected[i]) {
      std::fprintf(stderr, "FAIL %s: simulate line %zu is '%s', expected (by hand) '%s'\n", k.name.c_str(), i,
                   i < decisionLines.size() ? decisionLines[i].c_str() : "", k.expected[i].c_str());
      return false;
    }

  const std::string defs = fmt::format("-DEMLC_MODEL=m -DEMLC_PIPELINE_HEADER='\"m_pipeline.h\"' -I{} -I{}", gen, work);
  const std::string strict =
      "-std=c++17 -O2 -Wall -Wextra -Wconversion -Wshadow -Werror -fno-exceptions -fno-rtti";
  const std::string srcs = fmt::format("{0}/m.cpp {0}/m_weights.cpp {0}/m_pipeline.cpp", gen);
  if (sh(fmt::format("g++ -DEMLC_HOST {} {} {}/pipeline_main.cpp {} -o {}/host -lm", strict, defs, support, srcs, work)) != 0 ||
      sh(fmt::format("{0}/host > {0}/host.txt", work)) != 0) {
    std::fprintf(stderr, "FAIL %s: the host program does not build or run\n", k.name.c_str());
    return false;
  }
  const std::vector<std::string> host = lines(readFile(work + "/host.txt"));
  if (host != want) {
    std::fprintf(stderr, "FAIL %s: host transcript differs from emlc simulate (%zu vs %zu lines)\n", k.name.c_str(),
                 host.size(), want.size());
    for (size_t i = 0; i < std::max(host.size(), want.size()); ++i)
      if (i >= host.size() || i >= want.size() || host[i] != want[i]) {
        std::fprintf(stderr, "  first difference: host '%s' simulate '%s'\n", i < host.size() ? host[i].c_str() : "",
                     i < want.size() ? want[i].c_str() : "");
        break;
      }
    return false;
  }
  std::printf("%s: host == simulate (%zu lines)\n", k.name.c_str(), want.size());
  if (!k.target || !withTarget) return true;

  const std::string arm = "-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -mthumb";
  if (sh(fmt::format("arm-none-eabi-g++ {0} {1} -ffunction-sections -fdata-sections {2} -I{3} {4}/pipeline_main.cpp {5} "
                     "{3}/startup.c -nostartfiles -T {3}/mps2_an386.ld --specs=nano.specs "
                     "--specs=nosys.specs -Wl,--gc-sections -o {6}/app.elf -lm",
                     arm, strict, defs, board, support, srcs, work)) != 0) {
    std::fprintf(stderr, "FAIL %s: the Cortex-M4F program does not build\n", k.name.c_str());
    return false;
  }
  if (sh(fmt::format("timeout 600 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial null "
                     "-semihosting-config enable=on,target=native -kernel {0}/app.elf > {0}/target.txt 2>&1",
                     work)) != 0) {
    std::fprintf(stderr, "FAIL %s: QEMU run failed:\n%s\n", k.name.c_str(), readFile(work + "/target.txt").c_str());
    return false;
  }
  const std::string targetText = readFile(work + "/target.txt");
  const std::vector<std::string> target = lines(targetText, true), target2 = lines(targetText);
  std::vector<std::string> wantNoScore;
  for (const std::string& l : want)
    wantNoScore.push_back(l.find(" score=") == std::string::npos ? stripValues(l) : l.substr(0, l.find(" score=")));
  if (target != wantNoScore) {
    std::fprintf(stderr, "FAIL %s: Cortex-M4F decisions differ from emlc simulate\n%s\n", k.name.c_str(),
                 targetText.c_str());
    return false;
  }
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const std::vector<double> a = numbersOf(want[i]), t = numbersOf(target2[i]);
    if (a.size() != t.size()) worst = INFINITY;
    for (size_t j = 0; j < a.size() && j < t.size(); ++j) worst = std::max(worst, std::fabs(a[j] - t[j]));
  }
  std::printf("%s: Cortex-M4F decisions == simulate; largest score difference %.4f\n", k.name.c_str(), worst);
  if (worst > 2e-3) {
    std::fprintf(stderr, "FAIL %s: scores differ by %.4f\n", k.name.c_str(), worst);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: emlc_pipeline_test MODELS_DIR WORK_DIR BOARD_DIR SUPPORT_DIR [--no-target]\n");
    return 2;
  }
  const std::string models = argv[1], work = argv[2];
  const std::string board = fs::absolute(argv[3]).string(), support = fs::absolute(argv[4]).string();
  const bool withTarget = !(argc > 5 && std::string(argv[5]) == "--no-target");
  std::vector<Case> cases;
  cases.push_back(Case{
      "har_fft",
      R"({"sensor": {"channels": ["x", "y", "z"], "sample_type": "int16", "scale": 0.000244140625, "rate_hz": 50},
          "window": {"length": 256, "hop": 64},
          "preprocess": [{"type": "normalize", "mean": [0, 0, 1], "std": [0.5, 0.5, 0.5]},
                         {"type": "fft", "window": "hann", "bins": 128, "log": true}],
          "postprocess": {"softmax": false, "smoothing": 3, "threshold": 2.5, "debounce": 2, "report": "every_window",
                          "labels": ["idle", "walking", "running", "jumping", "up", "down"]}})",
      [&] { return fromOnnx(models + "/har_cnn1d/model.onnx"); },
      tones(2560, 3, 50.0, 640, {2.0, 5.0, 9.0, 14.0}, 4000.0, 300.0), true, {}});
  cases.push_back(Case{
      "kws_mfcc",
      R"({"sensor": {"channels": ["mic"], "sample_type": "int16", "scale": 3.0517578125e-05, "rate_hz": 16000},
          "window": {"length": 16000, "hop": 4000},
          "preprocess": [{"type": "mfcc", "frame_length": 640, "frame_stride": 320, "fft_size": 1024,
                          "mel_bins": 40, "coefficients": 10, "low_hz": 20, "high_hz": 4000}],
          "postprocess": {"softmax": false, "smoothing": 2, "threshold": -1000, "report": "every_window"}})",
      [&] { return fromOnnx(models + "/kws_dscnn/model.onnx"); },
      tones(40000, 1, 16000.0, 8000, {300.0, 700.0, 1500.0, 2500.0}, 6000.0, 500.0), true, {}});
  // Quantized features: q = clamp(round_half_even(v / 0.05) - 10, -128, 127);
  // scores: (q + 10) * 0.05 (softmax off, no smoothing).
  //   row 0: 0.1 -> -8, 0.73 -> 5 (14.6 -> 15), -1 -> -30, 2 -> 30, 7 -> 127 (clamped), 0 -> -10:
  //          best e = 137 * 0.05 = 6.85
  //   row 1: 0.61 -> 2 (12.2 -> 12): best c = 0.60
  //   row 2: best e = 0.45 < threshold 0.5: none
  cases.push_back(Case{
      "int8_io",
      R"({"sensor": {"channels": ["a", "b", "c", "d", "e", "f"], "sample_type": "float32", "rate_hz": 1},
          "window": {"length": 1, "hop": 1},
          "postprocess": {"softmax": false, "threshold": 0.5, "report": "every_window",
                          "labels": ["a", "b", "c", "d", "e", "f"]}})",
      [] { return int8Graph(); },
      {{0.1, 0.73, -1.0, 2.0, 7.0, 0.0}, {0.2, 0.3, 0.61, 0.0, -3.0, 0.1}, {0.1, 0.2, 0.3, 0.4, 0.45, 0.0},
       {-200.0, -1.0, -2.0, -3.0, -4.0, -5.0}},
      false,
      {"decision sample=0 window=0 label=e score=6.8500", "decision sample=1 window=1 label=c score=0.6000",
       "decision sample=2 window=2 label=none score=0.4500"}});
  int failed = 0;
  for (const Case& k : cases)
    if (!runCase(k, work + "/" + k.name, board, support, withTarget)) ++failed;
  if (failed) {
    std::fprintf(stderr, "FAIL: %d of %zu cases\n", failed, cases.size());
    return 1;
  }
  std::printf("PASS: %zu cases\n", cases.size());
  return 0;
}
