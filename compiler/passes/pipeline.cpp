// The pass pipeline, in order. Each entry says why it sits where it does.
// (Type inference and constant folding run before this, at import: see
// passes/infer.h.)
#include <fmt/format.h>

#include <algorithm>

#include "passes/dead_code.h"
#include "passes/fusion.h"
#include "passes/layout.h"
#include "passes/fuse_activations.h"
#include "passes/fuse_layer_norm.h"
#include "passes/io_layout.h"
#include "passes/pass.h"
#include "passes/prune.h"
#include "passes/quantize.h"
#include "passes/simplify.h"
#include "passes/target_kernels.h"

namespace emlc {

namespace {
std::vector<std::unique_ptr<Pass>> makePipeline() {
  std::vector<std::unique_ptr<Pass>> p;
  // First: removes what folding left unused so later passes see less.
  p.push_back(std::make_unique<DeadCodePass>());
  // Exporter patterns: early, so later passes see one node
  // (Gelu, Mish, LayerNormalization) instead of a chain of primitives.
  // Recognises Gelu (erf and tanh forms) and Mish written out for old opsets.
  p.push_back(std::make_unique<FuseActivationsPass>());
  // Recognises LayerNormalization written out for opsets before 17.
  p.push_back(std::make_unique<FuseLayerNormPass>());
  // Identity, inference Dropout, zero Pads, same-shape views: gone before
  // the pattern passes, so Conv -> Dropout -> BatchNormalization still folds.
  p.push_back(std::make_unique<IdentityRemovalPass>());
  // Folds what identity removal exposed (e.g. a Transpose of weights behind
  // an Identity) before the patterns look for constant inputs.
  p.push_back(std::make_unique<ConstantFoldPass>());
  // Transpose pairs and view chains collapse before the patterns match on
  // producer -> consumer pairs.
  p.push_back(std::make_unique<TransposeCancelPass>());
  // Pad -> Conv/Pool: before the fusions, which do not look through Pads.
  p.push_back(std::make_unique<PadFoldPass>());
  // MatMul by constant weights -> Gemm, so BatchNormalization, Mul/Add and
  // activations can fold into it like into any Gemm.
  p.push_back(std::make_unique<MatMulToGemmPass>());
  // BatchNormalization into the preceding Conv/ConvTranspose/Gemm; what is
  // left becomes Mul + Add. Before activation fusion: the activation must
  // follow the folded affine map, not sit between op and BatchNormalization.
  p.push_back(std::make_unique<BatchNormFoldPass>());
  // Per-channel Mul/Add/Sub/Div by constants into Conv/Gemm weights; after
  // batchnorm-fold, whose standalone Mul + Add it may not fold (they have no
  // foldable producer), before activation fusion for the same reason.
  p.push_back(std::make_unique<AffineFoldPass>());
  // --prune: on the weights BatchNormalization and affine maps were folded
  // into (what the device runs), before quantization so calibration sees
  // the pruned model. Active only with --prune.
  p.push_back(std::make_unique<PrunePass>());
  // Activations into their producer, last of the fusions: every affine map
  // before the activation is already folded.
  p.push_back(std::make_unique<ActivationFusionPass>());
  // int8, after the float passes: quantization sees the optimised float
  // graph (folded BatchNormalization, fused activations), and everything
  // above stays float-only. Active only with --quantize int8.
  p.push_back(std::make_unique<QuantizePass>());
  // Turns QuantizeLinear/DequantizeLinear patterns (from `quantize` or from
  // a QDQ model) into int8 kernels. Active only when the graph has them.
  p.push_back(std::make_unique<LowerQdqPass>());
  // --target: after the int8 lowering, which creates the int8 nodes whose
  // kernels it picks; active only for the Cortex-M DSP targets.
  p.push_back(std::make_unique<TargetKernelsPass>());
  // The data layout, once for the whole graph, after the fusions: a fused
  // Conv + BatchNormalization + Relu is one node to convert, not three; and
  // after the int8 lowering, so only convs left in float go channels-last.
  p.push_back(std::make_unique<LayoutNhwcPass>());
  // With --io-layout nhwc: channels-last graph inputs and outputs behind a
  // Transpose each, which transpose-cancel (next) removes next to an NHWC
  // region.
  p.push_back(std::make_unique<IoLayoutPass>());
  // Boundary transposes of [N, C, 1, 1] tensors become free views; a
  // transpose back and forth between two regions cancels.
  p.push_back(std::make_unique<TransposeCancelPass>());
  // Transposes the layout pass put on constant inputs fold away.
  p.push_back(std::make_unique<ConstantFoldPass>());
  // Weights with zeros -> zero-skipping kernels where the cost model says
  // they save flash and time; after the int8 lowering and the layout pass,
  // so it sees the final kernels' weights (int8, or float in the model's
  // layout).
  p.push_back(std::make_unique<SparseWeightsPass>());
  // Last: drops anything the rewrites (and the int8 lowering) left without
  // readers.
  p.push_back(std::make_unique<DeadCodePass>());
  return p;
}

Status checkNames(const PassOptions& opt, const std::vector<std::string>& names) {
  auto known = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  std::vector<std::string> unique;
  for (const auto& n : names)
    if (std::find(unique.begin(), unique.end(), n) == unique.end()) unique.push_back(n);
  std::string list;
  for (const auto& n : unique) list += (list.empty() ? "" : ", ") + n;
  for (const auto& d : opt.disabled)
    if (!known(d)) return invalid(fmt::format("--disable-pass {}: no such pass (passes: {})", d, list));
  if (!opt.dump_after.empty() && !known(opt.dump_after))
    return invalid(fmt::format("--dump-after {}: no such pass (passes: {})", opt.dump_after, list));
  return Status::ok();
}

Expected<PassRecord> runOne(Graph& g, Pass& pass, const PassOptions& opt) {
  PassRecord r;
  r.name = pass.name();
  r.nodes_before = g.nodes.size();
  if (std::find(opt.disabled.begin(), opt.disabled.end(), r.name) != opt.disabled.end()) {
    r.skipped = true;
  } else {
    auto changed = pass.run(g, opt);
    if (!changed) return changed.error().context("pass " + r.name);
    r.changed = changed.value();
    r.notes = pass.notes();
  }
  r.nodes_after = g.nodes.size();
  if (opt.dump_after == r.name) r.dump = printGraph(g);
  return r;
}
}  // namespace

std::vector<std::string> pipelinePassNames() {
  std::vector<std::string> names;
  for (const auto& p : makePipeline()) names.push_back(p->name());
  return names;
}

Status runPipeline(Graph& g, const PassOptions& opt, std::vector<PassRecord>* log) {
  EMLC_TRY(checkNames(opt, pipelinePassNames()));
  for (auto& pass : makePipeline()) {
    EMLC_ASSIGN(PassRecord r, runOne(g, *pass, opt));
    if (log) log->push_back(std::move(r));
  }
  return Status::ok();
}

Expected<PassRecord> runPass(Graph& g, const std::string& name, const PassOptions& opt) {
  for (auto& pass : makePipeline())
    if (name == pass->name()) return runOne(g, *pass, opt);
  return invalid(fmt::format("no pass named '{}'", name));
}

}  // namespace emlc
