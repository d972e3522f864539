// Memory plan benchmark: for each model, the arena emlc plans against the
// plain lifetime bound of its schedule (every tensor its own buffer from its
// producer to its last reader), and what views, in-place ops and elided
// Concats saved. With --check GOLDEN it is a test: every model's arena and
// bound must equal the golden values and the arena must not exceed the bound.
//
// usage: emlc_memory_bench [--check GOLDEN] [--memory REGIONS] MODEL_DIR|MODEL.onnx...
// GOLDEN lines: `model arena_bytes lower_bound_bytes` ('#' starts a comment).
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "driver/compile.h"
#include "plan/memory_plan.h"

namespace fs = std::filesystem;
using namespace emlc;

namespace {

struct Golden {
  size_t arena = 0, bound = 0;
};

std::map<std::string, Golden> readGolden(const std::string& path, bool* ok) {
  std::map<std::string, Golden> m;
  std::ifstream f(path);
  *ok = static_cast<bool>(f);
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string name;
    Golden g;
    if (in >> name >> g.arena >> g.bound) m[name] = g;
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  std::string golden, memory;
  std::vector<std::string> models;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--check" && i + 1 < argc) golden = argv[++i];
    else if (a == "--memory" && i + 1 < argc) memory = argv[++i];
    else models.push_back(a);
  }
  if (models.empty()) {
    std::fprintf(stderr, "usage: emlc_memory_bench [--check GOLDEN] [--memory REGIONS] MODEL_DIR|MODEL.onnx...\n");
    return 2;
  }
  PlanOptions po;
  if (!memory.empty()) {
    auto r = parseMemoryRegions(memory);
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().message.c_str());
      return 2;
    }
    po.regions = r.value();
  }
  bool goldenOk = true;
  const auto want = golden.empty() ? std::map<std::string, Golden>{} : readGolden(golden, &goldenOk);
  if (!goldenOk) {
    std::fprintf(stderr, "cannot read %s\n", golden.c_str());
    return 2;
  }

  std::printf("%-22s %5s %10s %10s %7s %10s %-9s %9s %9s %9s %-9s %7s\n", "model", "nodes", "arena", "bound",
              "ratio", "buf.bound", "placement", "views", "in-place", "concat", "schedule", "plan ms");
  int failures = 0;
  for (const std::string& m : models) {
    const fs::path path = fs::is_directory(m) ? fs::path(m) / "model.onnx" : fs::path(m);
    const std::string name =
        fs::is_directory(m) ? fs::path(m).lexically_normal().filename().string() : path.stem().string();
    const std::string label = name.empty() ? fs::path(m).parent_path().filename().string() : name;
    auto pm = prepareModel(path.string(), ImportOptions{}, PassOptions{});
    if (!pm) {
      std::printf("%-22s cannot compile: %s\n", label.c_str(), pm.error().message.c_str());
      if (!golden.empty()) ++failures;
      continue;
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto plan = planMemory(pm->graph, po);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!plan) {
      std::printf("%-22s plan failed: %s\n", label.c_str(), plan.error().message.c_str());
      ++failures;
      continue;
    }
    const MemoryPlan& p = plan.value();
    bool optimal = true;
    for (const RegionPlan& r : p.regions) optimal = optimal && r.optimal;
    std::printf("%-22s %5zu %10zu %10zu %7.3f %10zu %-9s %9zu %9zu %9zu %-9s %7.1f\n", label.c_str(),
                pm->graph.nodes.size(), p.arena_size, p.lower_bound, p.ratio(), p.buffer_bound,
                optimal ? "optimal" : "above", p.savings.views, p.savings.in_place, p.savings.concat,
                p.schedule_changed ? "searched" : "model", ms);
    if (golden.empty()) continue;
    auto it = want.find(label);
    if (it == want.end()) {
      std::printf("  FAIL %s: no golden entry (add: %s %zu %zu)\n", label.c_str(), label.c_str(), p.arena_size,
                  p.lower_bound);
      ++failures;
    } else if (it->second.arena != p.arena_size || it->second.bound != p.lower_bound) {
      std::printf("  FAIL %s: arena %zu bound %zu, golden arena %zu bound %zu (update %s if intended)\n",
                  label.c_str(), p.arena_size, p.lower_bound, it->second.arena, it->second.bound, golden.c_str());
      ++failures;
    }
    if (p.arena_size > p.lower_bound) {
      std::printf("  FAIL %s: arena %zu above the lifetime bound %zu\n", label.c_str(), p.arena_size, p.lower_bound);
      ++failures;
    }
  }
  if (!golden.empty()) std::printf("%s\n", failures ? "memory plan golden check: FAILED" : "memory plan golden check: ok");
  return failures ? 1 : 0;
}
