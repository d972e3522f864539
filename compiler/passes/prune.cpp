#include "passes/prune.h"

#include <fmt/format.h>

#include "prune/prune.h"
#include "prune/sparse.h"

namespace emlc {

Expected<bool> PrunePass::run(Graph& g, const PassOptions& opt) {
  if (!opt.prune || !opt.prune->enabled()) return false;
  PruneResult local;
  PruneResult* res = opt.prune_result ? opt.prune_result : &local;
  EMLC_ASSIGN(bool changed, pruneGraph(g, *opt.prune, res));
  for (const LayerPrune& l : res->layers) {
    const double sp = l.weights ? 100.0 * static_cast<double>(l.zeros_after) / static_cast<double>(l.weights) : 0.0;
    note(fmt::format("{}: {}, {:.1f}% zeros, {} -> {} output channels", l.node, l.how, sp, l.channels_before,
                     l.channels_after));
  }
  return changed;
}

Expected<bool> SparseWeightsPass::run(Graph& g, const PassOptions& opt) {
  std::vector<SparseLayer> rep;
  EMLC_ASSIGN(bool changed, sparsifyWeights(g, opt.target == PassOptions::Target::Generic,
                                                    opt.optimize == PassOptions::Optimize::Size, &rep));
  for (const SparseLayer& l : rep)
    note(fmt::format("{}: density {:.1f}%, {} -> {} B: {}", l.node, l.density * 100.0, l.dense_bytes, l.sparse_bytes,
                     l.chosen ? "sparse" : "dense (" + l.reason + ")"));
  if (opt.target != PassOptions::Target::Generic)
    note("int8 layers stay dense with --target cortex-m*: the sparse cost model is fitted against the reference "
         "int8 kernels, not the Arm DSP ones");
  if (opt.prune_result) opt.prune_result->sparse = rep;
  return changed;
}

}  // namespace emlc
