// The pass pipeline, in order. Each entry says why it sits where it does.
// (Type inference and constant folding run before this, at import: see
// passes/infer.h.)
#include <algorithm>

#include "passes/dead_code.h"
#include "passes/pass.h"
#include "passes/quantize.h"

namespace emlc {

namespace {
std::vector<std::unique_ptr<Pass>> makePipeline() {
  std::vector<std::unique_ptr<Pass>> p;
  // First: removes what folding left unused so later passes see less.
  p.push_back(std::make_unique<DeadCodePass>());
  // int8, last: quantization sees the optimised float graph (folded
  // BatchNormalization, fused activations), and everything above stays
  // float-only. Active only with --quantize int8.
  p.push_back(std::make_unique<QuantizePass>());
  // Turns QuantizeLinear/DequantizeLinear patterns (from `quantize` or from
  // a QDQ model) into int8 kernels. Active only when the graph has them.
  p.push_back(std::make_unique<LowerQdqPass>());
  // Removes the conversions the lowering made unused.
  p.push_back(std::make_unique<DeadCodePass>());
  return p;
}
}  // namespace

std::vector<std::string> pipelinePassNames() {
  std::vector<std::string> names;
  for (const auto& p : makePipeline()) names.push_back(p->name());
  return names;
}

Status runPipeline(Graph& g, const PassOptions& opt, std::vector<PassRecord>* log) {
  for (auto& pass : makePipeline()) {
    PassRecord r;
    r.name = pass->name();
    r.nodes_before = g.nodes.size();
    if (std::find(opt.disabled.begin(), opt.disabled.end(), r.name) != opt.disabled.end()) {
      r.skipped = true;
    } else {
      auto changed = pass->run(g, opt);
      if (!changed) return changed.error().context("pass " + r.name);
      r.changed = changed.value();
    }
    r.nodes_after = g.nodes.size();
    if (log) log->push_back(r);
  }
  return Status::ok();
}

}  // namespace emlc
