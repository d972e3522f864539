// End-to-end test of one benchmark model: compile with emlc, build the
// generated folder on its own (no include paths but the folder) with strict
// flags, check the objects reference no heap functions, run on input_0.npy
// and compare with output_0.npy; also compare the compiler's own evaluation.
//
// usage: emlc_model_test MODEL_DIR WORK_DIR [--cxx g++] [--cxxflags FLAGS] [--tol 1e-4] [--optimize speed|size]
//                        [--io-layout nhwc]
// (--cxxflags: extra flags for the generated code and its driver, e.g. sanitizers.)
// --io-layout nhwc: input_0.npy (the model's layout) is transposed to channels-last here
// before it is fed to the generated code and the evaluation.
// Pass criterion: max|got - want| <= tol * max|want| (normalised max error).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "driver/compile.h"
#include "eval/evaluator.h"
#include "support/npy.h"
#include "support/output_dir.h"

namespace fs = std::filesystem;
using namespace emlc;

namespace {

int run(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return rc;
}

// (N, C, spatial...) data of `t` in (N, spatial..., C) order.
HostTensor toChannelsLast(const HostTensor& t) {
  HostTensor r = t;
  const Shape& s = t.type.shape;
  const int64_t n = s[0], c = s[1];
  int64_t sp = 1;
  for (size_t i = 2; i < s.size(); ++i) sp *= s[i];
  for (int64_t b = 0; b < n; ++b)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t p = 0; p < sp; ++p)
        r.as<float>()[(b * sp + p) * c + k] = t.as<float>()[(b * c + k) * sp + p];
  return r;
}

double normalisedError(const HostTensor& got, const HostTensor& want) {
  double maxw = 0, maxe = 0;
  for (int64_t i = 0; i < want.type.numel(); ++i) {
    double w = want.as<float>()[i], g = got.as<float>()[i];
    maxw = std::max(maxw, std::fabs(w));
    maxe = std::max(maxe, std::isnan(g) ? INFINITY : std::fabs(g - w));
  }
  return maxw > 0 ? maxe / maxw : maxe;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: emlc_model_test MODEL_DIR WORK_DIR [--cxx g++] [--cxxflags FLAGS] [--tol 1e-4] [--support DIR] [--optimize speed|size] [--io-layout nhwc]\n");
    return 2;
  }
  std::string modelDir = argv[1], work = argv[2], cxx = "g++", support = "tests/support", optimize = "speed", cxxflags, ioLayout = "model";
  double tol = 1e-4;
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--cxx") cxx = argv[i + 1];
    else if (a == "--tol") tol = std::atof(argv[i + 1]);
    else if (a == "--support") support = argv[i + 1];
    else if (a == "--optimize") optimize = argv[i + 1];
    else if (a == "--io-layout") ioLayout = argv[i + 1];
    else if (a == "--cxxflags") cxxflags = argv[i + 1];
  }
  const std::string name = fs::path(modelDir).filename().string();
  fs::remove_all(work);
  fs::create_directories(work);

  CompileOptions co;
  co.model_path = modelDir + "/model.onnx";
  co.name = name;
  co.passes.optimize = optimize == "size" ? PassOptions::Optimize::Size : PassOptions::Optimize::Speed;
  co.passes.io_nhwc = ioLayout == "nhwc";
  auto c = compileModel(co);
  if (!c) {
    std::fprintf(stderr, "FAIL %s: compile: %s\n", name.c_str(), c.error().message.c_str());
    return 1;
  }
  const std::string gen = work + "/gen";
  Status st = writeOutputDir(gen, c->files);
  if (!st) {
    std::fprintf(stderr, "FAIL %s: %s\n", name.c_str(), st.error().message.c_str());
    return 1;
  }
  // The passes leave no BatchNormalization and no standalone activation.
  for (const Node& n : c->model.graph.nodes) {
    for (const char* op : {"BatchNormalization", "Relu", "Clip", "LeakyRelu", "HardSwish", "Sigmoid", "Tanh"})
      if (n.op_type == op) {
        std::fprintf(stderr, "FAIL %s: %s is left after the passes\n", name.c_str(), c->model.graph.label(n).c_str());
        return 1;
      }
  }
  std::printf("%s: %zu nodes, arena %zu B (bound %zu B), weights %zu files\n", name.c_str(),
              c->model.graph.nodes.size(), c->plan.arena_size, c->plan.lower_bound, c->files.size());

  // Build the folder alone: only its own directory is on the include path.
  const std::string flags = "-std=c++17 -O2 -Wall -Wextra -Werror -fno-exceptions -fno-rtti " + cxxflags;
  for (const std::string f : {name, name + "_weights"}) {
    std::string cmd = fmt::format("{} {} -c {}/{}.cpp -o {}/{}.o", cxx, flags, gen, f, work, f);
    if (run(cmd) != 0) {
      std::fprintf(stderr, "FAIL %s: generated %s.cpp does not build\n", name.c_str(), f.c_str());
      return 1;
    }
  }
  // No heap: the generated objects must not reference allocation functions.
  std::string nmOut = work + "/nm.txt";
  if (run(fmt::format("nm -u {0}/{1}.o {0}/{1}_weights.o > {2}", work, name, nmOut)) != 0) {
    std::fprintf(stderr, "FAIL %s: nm failed\n", name.c_str());
    return 1;
  }
  {
    std::ifstream f(nmOut);
    std::string line;
    while (std::getline(f, line)) {
      for (const char* bad : {"malloc", "calloc", "realloc", "free", "_Znwm", "_Znam", "_Znwj", "_Znaj", "_ZdlPv", "_ZdaPv"}) {
        std::string sym = line.substr(line.find_last_of(' ') + 1);
        if (sym == bad || sym.rfind(std::string(bad) + "@", 0) == 0 ||
            (std::string(bad).rfind("_Z", 0) == 0 && sym.rfind(bad, 0) == 0)) {
          std::fprintf(stderr, "FAIL %s: generated code references %s\n", name.c_str(), sym.c_str());
          return 1;
        }
      }
    }
  }
  std::string exe = work + "/model_main";
  std::string cmd = fmt::format("{} {} -DEMLC_MODEL={} -DEMLC_MODEL_HEADER='\"{}.h\"' -I{} {}/npy_main.cpp {}/{}.o {}/{}_weights.o -o {} -lm",
                                cxx, "-std=c++17 -O2 " + cxxflags, name, name, gen, support, work, name, work, name, exe);
  if (run(cmd) != 0) {
    std::fprintf(stderr, "FAIL %s: driver does not link\n", name.c_str());
    return 1;
  }
  std::string inputFile = modelDir + "/input_0.npy";
  if (co.passes.io_nhwc) {
    // The channels-last input the compiled model now declares.
    auto x = readNpy(inputFile);
    const TensorType& declared = c->model.graph.t(c->model.graph.inputs[0]).type;
    if (!x || x->type.rank() < 3 || declared.layout != Layout::NHWC) {
      std::fprintf(stderr, "FAIL %s: --io-layout nhwc did not make the input channels-last (%s)\n", name.c_str(),
                   declared.str().c_str());
      return 1;
    }
    HostTensor xn = toChannelsLast(*x);
    xn.type = declared;
    inputFile = work + "/input_nhwc.npy";
    if (!writeNpy(inputFile, xn)) return 1;
    // The input is read in place: no Transpose reads it (directly or
    // through views, which copy nothing).
    const Graph& g = c->model.graph;
    std::vector<TensorId> views{g.inputs[0]};
    int transposes = 0;
    for (const Node& n : g.nodes) {
      if (n.inputs.empty() || std::find(views.begin(), views.end(), n.inputs[0]) == views.end()) continue;
      if (n.op_type == "Transpose") ++transposes;
      if (n.op_type == "Reshape" || n.op_type == "Flatten" || n.op_type == "Squeeze" || n.op_type == "Unsqueeze")
        views.push_back(n.outputs[0]);
    }
    std::printf("%s: --io-layout nhwc: input %s, read by %d Transpose nodes\n", name.c_str(), declared.str().c_str(),
                transposes);
    if (transposes != 0) {
      std::fprintf(stderr, "FAIL %s: a channels-last input still needs a Transpose\n", name.c_str());
      return 1;
    }
  }
  if (run(fmt::format("{} {} {}/out.npy", exe, inputFile, work)) != 0) {
    std::fprintf(stderr, "FAIL %s: generated code failed to run\n", name.c_str());
    return 1;
  }
  auto want = readNpy(modelDir + "/output_0.npy");
  auto got = readNpy(work + "/out.npy");
  auto input = readNpy(inputFile);
  if (!want || !got || !input) {
    std::fprintf(stderr, "FAIL %s: cannot read .npy files\n", name.c_str());
    return 1;
  }
  if (got->type.numel() != want->type.numel()) {
    std::fprintf(stderr, "FAIL %s: output has %lld values, reference %lld\n", name.c_str(),
                 static_cast<long long>(got->type.numel()), static_cast<long long>(want->type.numel()));
    return 1;
  }
  double errGen = normalisedError(*got, *want);

  // The compiler's own evaluation (same kernels, host build of emlc).
  HostTensor in = *input;
  in.type.shape = c->model.graph.t(c->model.graph.inputs[0]).type.shape;
  auto ev = runGraph(c->model.graph, {in});
  if (!ev) {
    std::fprintf(stderr, "FAIL %s: evaluation: %s\n", name.c_str(), ev.error().message.c_str());
    return 1;
  }
  double errEval = normalisedError((*ev)[0], *want);
  // The generated code and the compiler's evaluation run the same kernels.
  double errSame = normalisedError(*got, (*ev)[0]);
  std::printf("%s: normalised max error vs reference: generated %.3g, emlc run %.3g (tolerance %.0e); "
              "generated vs emlc run %.3g\n",
              name.c_str(), errGen, errEval, tol, errSame);
  if (!(errGen <= tol) || !(errEval <= tol) || !(errSame <= tol)) {
    std::fprintf(stderr, "FAIL %s: output differs from the reference\n", name.c_str());
    return 1;
  }
  std::printf("PASS %s\n", name.c_str());
  return 0;
}
