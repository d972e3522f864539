// Streaming test of a recurrent model (the GRU keyword spotter in kws_gru/):
//
//  1. full sequence: compiled for all T frames, the generated code (built
//     alone with strict flags, no heap) and emlc's own evaluation match the
//     PyTorch reference output_0.npy;
//  2. frame by frame: compiled with --stateful for one frame, the generated
//     code run T times gives, frame after frame, the full run's outputs;
//     after NAME_reset_state() a second pass gives the same outputs again,
//     and a pass without a reset does not (the state really persists);
//  3. the compiler's evaluation (runGraphStep) frame by frame agrees too.
//
// With --int8 both models are statically quantized (calibrated on the
// reference input: the full model on the sequence, the streaming one on its
// frames with the state carried), the GRUs run as emlc.QGRU with int16
// state, and the checks become: generated code == emlc's evaluation bit for
// bit, frame by frame == full sequence bit for bit, and close to PyTorch
// (normalised error and per-frame top-1 agreement, printed).
//
// usage: emlc_streaming_test MODEL_DIR WORK_DIR [--cxx g++] [--int8]
// The model has one input [1, T, F] and one output [1, T, C] (batch first).
#include <fmt/format.h>

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "driver/compile.h"
#include "eval/evaluator.h"
#include "onnx/onnx_pb.h"
#include "quant/ptq.h"
#include "support/npy.h"
#include "support/output_dir.h"

namespace fs = std::filesystem;
using namespace emlc;

namespace {

int fails = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  std::fflush(stdout);
  if (!ok) ++fails;
}

// max |a - b| / max |b| over n values.
double normErr(const float* a, const float* b, size_t n) {
  double mx = 0, me = 0;
  for (size_t i = 0; i < n; ++i) {
    mx = std::max(mx, std::fabs(static_cast<double>(b[i])));
    me = std::max(me, std::isnan(a[i]) ? INFINITY : std::fabs(static_cast<double>(a[i]) - b[i]));
  }
  return mx > 0 ? me / mx : me;
}

bool writeRaw(const std::string& path, const void* p, size_t bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(static_cast<const char*>(p), static_cast<std::streamsize>(bytes));
  return static_cast<bool>(f);
}

std::vector<float> readRaw(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return {};
  const auto size = static_cast<size_t>(f.tellg());
  std::vector<float> v(size / 4);
  f.seekg(0);
  f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
  return v;
}

// Host driver for both generated models: the full run, then three passes of
// the streaming model (fresh, after a reset, and continuing without one).
const char* kDriver = R"(#include <stdio.h>
#include <stdlib.h>
#include "kws_full.h"
#include "kws_stream.h"

static float in[kws_full_INPUT0_SIZE], full[kws_full_OUTPUT0_SIZE], frames[3][kws_full_OUTPUT0_SIZE];

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  FILE* f = fopen(argv[1], "rb");
  if (!f || fread(in, sizeof in, 1, f) != 1) return 2;
  fclose(f);
  const float* fi[1] = {in};
  float* fo[1] = {full};
  if (kws_full_run_f32(fi, fo) != 0) return 3;
  const unsigned T = kws_full_INPUT0_SIZE / kws_stream_INPUT0_SIZE;
  for (int pass = 0; pass < 3; ++pass) {
    if (pass == 1) kws_stream_reset_state();
    for (unsigned t = 0; t < T; ++t) {
      const float* si[1] = {in + t * kws_stream_INPUT0_SIZE};
      float* so[1] = {frames[pass] + t * kws_stream_OUTPUT0_SIZE};
      if (kws_stream_run_f32(si, so) != 0) return 4;
    }
  }
  FILE* o = fopen(argv[2], "wb");
  if (!o || fwrite(full, sizeof full, 1, o) != 1 || fwrite(frames, sizeof frames, 1, o) != 1) return 5;
  fclose(o);
  printf("driver: %u frames, %d states, arena %u B (streaming) / %u B (full)\n", T, kws_stream_NUM_STATES,
         (unsigned)kws_stream_ARENA_SIZE, (unsigned)kws_full_ARENA_SIZE);
  return 0;
}
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: emlc_streaming_test MODEL_DIR WORK_DIR [--cxx g++]\n");
    return 2;
  }
  const std::string dir = argv[1], work = argv[2];
  std::string cxx = "g++";
  bool int8 = false;
  for (int i = 3; i < argc; ++i) {
    if (std::string(argv[i]) == "--cxx" && i + 1 < argc) cxx = argv[++i];
    else if (std::string(argv[i]) == "--int8") int8 = true;
  }
  fs::remove_all(work);
  fs::create_directories(work);
  auto input = readNpy(dir + "/input_0.npy");
  auto want = readNpy(dir + "/output_0.npy");
  if (!input || !want || input->type.rank() != 3 || want->type.rank() != 3) {
    std::fprintf(stderr, "FAIL: cannot read input_0.npy/output_0.npy as [1, T, N] arrays\n");
    return 1;
  }
  const int64_t T = input->type.shape[1], F = input->type.shape[2], C = want->type.shape[2];

  // Compile both forms.
  CompileOptions full, stream;
  full.model_path = stream.model_path = dir + "/model.onnx";
  full.name = "kws_full";
  stream.name = "kws_stream";
  onnx::ModelProto proto;
  if (!loadModelProto(full.model_path, uint64_t{1} << 30, &proto).isOk() || proto.graph().input_size() < 1) return 1;
  const std::string inName = proto.graph().input(0).name();
  full.import.input_shapes[inName] = {1, T, F};
  stream.import.input_shapes[inName] = {1, 1, F};
  stream.state.recurrent = true;
  QuantOptions qFull, qStream;
  if (int8) {
    HostTensor frames = *input;
    frames.type.shape = {T, 1, 1, F};
    if (!writeNpy(work + "/frames.npy", frames).isOk()) return 1;
    qFull.mode = qStream.mode = "int8";
    qFull.calibration = {dir + "/input_0.npy"};
    qStream.calibration = {work + "/frames.npy"};
    qFull.report = true;
    full.passes.quant = &qFull;
    stream.passes.quant = &qStream;
  }
  auto cf = compileModel(full);
  auto cs = compileModel(stream);
  if (!cf || !cs) {
    std::fprintf(stderr, "FAIL: compile: %s\n", (!cf ? cf.error() : cs.error()).message.c_str());
    return 1;
  }
  check(cs->model.graph.states.size() == 2, fmt::format("--stateful made {} states (2 GRU layers)",
                                                        cs->model.graph.states.size()));
  std::printf("full: %zu nodes, arena %zu B; streaming: %zu nodes, arena %zu B\n", cf->model.graph.nodes.size(),
              cf->plan.arena_size, cs->model.graph.nodes.size(), cs->plan.arena_size);

  // 3 (first, it needs no build): the compiler's evaluation.
  const size_t frameIn = static_cast<size_t>(F), frameOut = static_cast<size_t>(C);
  // Tolerances against PyTorch (float: rounding; int8: quantization) and
  // between emlc's own runs (float: summation order; int8: none).
  const double tolRef = int8 ? 0.1 : 1e-4, tolSame = int8 ? 0.0 : 1e-6;
  if (int8) {
    size_t qgru = 0;
    for (const Node& nd : cf->model.graph.nodes) qgru += nd.domain == "emlc" && nd.op_type == "QGRU";
    check(qgru == 2, fmt::format("--quantize int8 runs both GRU layers as emlc.QGRU ({} found)", qgru));
    for (const auto& r : cf->model.quant.lowering.nodes)
      if (r.op_type == "GRU") std::printf("  %s: %s\n", r.node.c_str(), r.result.c_str());
    for (const auto& l : cf->model.quant.layers)
      std::printf("  SQNR %-40s %-10s %6.1f dB\n", l.tensor.c_str(), l.op_type.c_str(), l.sqnr_db);
  }
  std::vector<HostTensor> evIn = {*input};
  if (int8) {
    auto xq = toInputType(*input, cf->model.graph.t(cf->model.graph.inputs[0]).type);
    if (!xq) return 1;
    evIn = {*xq};
  }
  auto evRaw = runGraph(cf->model.graph, evIn);
  Expected<std::vector<HostTensor>> ev = evRaw;
  if (evRaw.isOk() && int8) ev = std::vector<HostTensor>{dequantized((*evRaw)[0])};
  const double eEval = ev.isOk() ? normErr((*ev)[0].as<float>(), want->as<float>(), static_cast<size_t>(T * C)) : 1e9;
  check(eEval <= tolRef, fmt::format("emlc's evaluation of the full sequence matches PyTorch (normalised error {:.3g} "
                                     "<= {})",
                                     eEval, tolRef));
  {
    std::vector<std::vector<uint8_t>> state(cs->model.graph.states.size());
    std::vector<float> got;
    bool ok = true;
    for (int64_t t = 0; t < T && ok; ++t) {
      HostTensor x;
      x.type = {DType::F32, {1, 1, F}};
      const auto* p = reinterpret_cast<const uint8_t*>(input->as<float>() + t * F);
      x.data.assign(p, p + frameIn * 4);
      auto xq = toInputType(x, cs->model.graph.t(cs->model.graph.inputs[0]).type);
      auto r = xq ? runGraphStep(cs->model.graph, {*xq}, state) : Expected<std::vector<HostTensor>>(xq.error());
      ok = r.isOk();
      if (ok) {
        const HostTensor y = dequantized((*r)[0]);
        got.insert(got.end(), y.as<float>(), y.as<float>() + frameOut);
      }
    }
    check(ok && got.size() == static_cast<size_t>(T * C) && ev.isOk() &&
              normErr(got.data(), (*ev)[0].as<float>(), got.size()) <= tolSame,
          "emlc's evaluation frame by frame (runGraphStep) equals its full-sequence evaluation");
  }

  // Build both generated folders and the driver.
  const std::string flags = "-std=c++17 -O2 -Wall -Wextra -Werror -fno-exceptions -fno-rtti";
  std::string objs;
  for (const Compilation* c : {&cf.value(), &cs.value()}) {
    const std::string gen = work + "/" + c->name;
    if (!writeOutputDir(gen, c->files).isOk()) return 1;
    for (const std::string f : {c->name, c->name + "_weights"}) {
      const std::string obj = fmt::format("{}/{}.o", work, f);
      const int rc = std::system(fmt::format("{} {} -c {}/{}.cpp -o {}", cxx, flags, gen, f, obj).c_str());
      check(rc == 0, fmt::format("generated {}.cpp builds alone with strict flags", f));
      objs += " " + obj;
    }
  }
  {
    std::ofstream f(work + "/driver.cpp");
    f << kDriver;
  }
  const std::string exe = work + "/driver";
  int rc = std::system(fmt::format("{} -std=c++17 -O2 -I{}/kws_full -I{}/kws_stream {}/driver.cpp{} -o {}", cxx, work,
                                   work, work, objs, exe)
                           .c_str());
  if (rc != 0 || !writeRaw(work + "/in.bin", input->data.data(), input->data.size())) {
    std::fprintf(stderr, "FAIL: driver does not build\n");
    return 1;
  }
  rc = std::system(fmt::format("{} {}/in.bin {}/out.bin", exe, work, work).c_str());
  std::vector<float> out = readRaw(work + "/out.bin");
  const size_t n = static_cast<size_t>(T * C);
  if (rc != 0 || out.size() != 4 * n) {
    std::fprintf(stderr, "FAIL: driver run (rc %d, %zu values)\n", rc, out.size());
    return 1;
  }
  const float* gFull = out.data();
  const float* pass1 = gFull + n;
  const float* pass2 = pass1 + n;
  const float* pass3 = pass2 + n;

  // 1. Full sequence vs PyTorch.
  const double eFull = normErr(gFull, want->as<float>(), n);
  check(eFull <= tolRef, fmt::format("generated full-sequence code matches PyTorch (normalised error {:.3g})", eFull));
  if (int8 && ev.isOk()) {
    check(std::equal(gFull, gFull + n, (*ev)[0].as<float>()),
          "generated int8 code equals emlc's int8 evaluation bit for bit (full sequence)");
    // Per-frame top-1 agreement with PyTorch (the float model).
    int64_t agree = 0;
    for (int64_t t = 0; t < T; ++t) {
      const float* a = gFull + t * C;
      const float* b = want->as<float>() + t * C;
      agree += std::max_element(a, a + C) - a == std::max_element(b, b + C) - b;
    }
    std::printf("int8 vs PyTorch: per-frame top-1 agreement %lld/%lld\n", static_cast<long long>(agree),
                static_cast<long long>(T));
    check(agree * 10 >= T * 8, "int8 per-frame top-1 agrees with PyTorch on at least 80% of the frames");
  }
  // 2. Frame by frame vs the full run, reset, persistence.
  double worst = 0;
  for (int64_t t = 0; t < T; ++t)
    worst = std::max(worst, normErr(pass1 + t * C, gFull + t * C, frameOut));
  check(worst <= tolSame, fmt::format("{} frames one by one give the full run's per-frame outputs (worst frame "
                                   "normalised error {:.3g})",
                                   T, worst));
  const double eStream = normErr(pass1, want->as<float>(), n);
  check(eStream <= tolRef, fmt::format("frame-by-frame outputs match PyTorch (normalised error {:.3g})", eStream));
  check(std::equal(pass1, pass1 + n, pass2), "after NAME_reset_state() a second pass repeats the first bit for bit");
  check(!std::equal(pass1, pass1 + n, pass3), "a third pass without a reset continues from the kept state (differs)");
  std::printf("%s\n", fails ? "FAIL" : "PASS");
  return fails ? 1 : 0;
}
