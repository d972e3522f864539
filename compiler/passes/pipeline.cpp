// The pass pipeline, in order. Each entry says why it sits where it does.
// (Type inference and constant folding run before this, at import: see
// passes/infer.h.)
#include <algorithm>

#include "passes/dead_code.h"
#include "passes/fuse_activations.h"
#include "passes/fuse_layer_norm.h"
#include "passes/pass.h"

namespace emlc {

namespace {
std::vector<std::unique_ptr<Pass>> makePipeline() {
  std::vector<std::unique_ptr<Pass>> p;
  // First: removes what folding left unused so later passes see less.
  p.push_back(std::make_unique<DeadCodePass>());
  // --- exporter patterns (issue 10): early, so later passes see one node
  // (Gelu, Mish, LayerNormalization) instead of a chain of primitives.
  // Recognises Gelu (erf and tanh forms) and Mish written out for old opsets.
  p.push_back(std::make_unique<FuseActivationsPass>());
  // Recognises LayerNormalization written out for opsets before 17.
  p.push_back(std::make_unique<FuseLayerNormPass>());
  // --- end of exporter patterns
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
