#include "driver/compile.h"

#include <fmt/format.h>

#include <filesystem>
#include <set>

#include "codegen/names.h"
#include "ops/op.h"
#include "passes/infer.h"
#include "pipeline/emit.h"
#include "plan/report.h"
#include "quant/report.h"
#include "support/version.h"

namespace emlc {

Expected<PreparedModel> prepareModel(const std::string& path, const ImportOptions& imp, const PassOptions& passes,
                                     const StateOptions& state) {
  EMLC_ASSIGN(ImportResult ir, importModelFile(path, imp));
  PreparedModel pm;
  pm.graph = std::move(ir.graph);
  InferOptions io;
  io.onnx_shapes = &ir.onnx_shapes;
  EMLC_TRY(inferAndFold(pm.graph, io));
  PassOptions po = passes;
  po.quant_result = &pm.quant;
  QuantOptions quant;  // --stateful calibrates frame by frame with the state carried
  if (po.quant && state.recurrent) {
    quant = *po.quant;
    quant.stateful = true;
    po.quant = &quant;
  }
  po.prune_result = &pm.prune;
  EMLC_TRY(runPipeline(pm.graph, po, &pm.pass_log));
  if (state.any()) EMLC_TRY(makeStateful(pm.graph, state));
  EMLC_TRY(verifyGraph(pm.graph));
  return pm;
}

Expected<Compilation> compileModel(const CompileOptions& opt) {
  Compilation c;
  c.name = opt.name.empty() ? modelNameFromFile(std::filesystem::path(opt.model_path).stem().string()) : opt.name;
  if (!isValidModelName(c.name))
    return invalid(fmt::format("--name '{}' is not a valid C identifier (letters, digits, _; not a keyword)", c.name));
  EMLC_ASSIGN(c.model, prepareModel(opt.model_path, opt.import, opt.passes, opt.state));
  PlanOptions po = opt.plan;
  if (!opt.pipeline_path.empty()) {
    EMLC_ASSIGN(PipelineSpec spec, readPipelineSpec(opt.pipeline_path));
    EMLC_ASSIGN(c.pipeline, bindPipeline(spec, c.model.graph));
    c.has_pipeline = true;
    po.io_in_arena = true;
    po.extra = c.pipeline.extraBuffers();
  }
  EMLC_ASSIGN(c.plan, planMemory(c.model.graph, po));
  EmitOptions eo;
  eo.name = c.name;
  eo.source_name = std::filesystem::path(opt.model_path).filename().string();
  eo.copy_runtime = opt.copy_runtime;
  eo.pipeline_hooks = c.has_pipeline;
  EMLC_ASSIGN(c.files, emitModel(c.model.graph, c.plan, eo));
  if (c.has_pipeline) {
    EMLC_ASSIGN(FileMap pf, emitPipeline(c.pipeline, c.model.graph, c.plan, c.name,
                                         std::filesystem::path(opt.pipeline_path).filename().string()));
    c.files.insert(pf.begin(), pf.end());
  }
  c.files[c.name + ".json"] = reportJson(c);
  c.files[c.name + "_memory.svg"] = planSvg(c.model.graph, c.plan, c.name);
  return c;
}

ModelStats modelStats(const Graph& g) {
  ModelStats s;
  std::set<TensorId> seen;
  for (const Node& n : g.nodes) {
    s.op_histogram[n.op_type]++;
    if (const Op* op = findOp(n.domain, n.op_type)) s.macs += op->macs(n, g);
    for (TensorId x : n.inputs)
      if (x != kNoTensor && g.t(x).isConstant() && seen.insert(x).second) {
        s.params += g.t(x).type.numel();
        s.weight_bytes += static_cast<int64_t>(g.t(x).type.bytes());
      }
  }
  return s;
}

std::string reportJson(const Compilation& c) {
  const Graph& g = c.model.graph;
  const MemoryPlan& p = c.plan;
  ModelStats st = modelStats(g);
  std::string s = "{\n";
  s += fmt::format("  \"emlc_version\": {},\n", jsonString(kEmlcVersion));
  s += fmt::format("  \"name\": {},\n", jsonString(c.name));
  s += fmt::format("  \"nodes\": {},\n  \"params\": {},\n  \"weight_bytes\": {},\n  \"macs\": {},\n",
                   g.nodes.size(), st.params, st.weight_bytes, st.macs);
  s += "  \"passes\": [";
  for (size_t i = 0; i < c.model.pass_log.size(); ++i) {
    const PassRecord& r = c.model.pass_log[i];
    std::string notes;
    for (const std::string& n : r.notes) notes += (notes.empty() ? "" : ", ") + jsonString(n);
    s += fmt::format("{}\n    {{\"name\": {}, \"changed\": {}, \"skipped\": {}, \"nodes_before\": {}, \"nodes_after\": {}, "
                     "\"changes\": [{}]}}",
                     i ? "," : "", jsonString(r.name), r.changed, r.skipped, r.nodes_before, r.nodes_after, notes);
  }
  s += c.model.pass_log.empty() ? "],\n" : "\n  ],\n";
  if (hasQuantReport(c.model.quant)) s += "  \"quantization\": " + quantJson(c.model.quant) + ",\n";
  if (hasPruneReport(c.model.prune)) s += "  \"pruning\": " + pruneJson(c.model.prune) + ",\n";
  s += planJsonMembers(g, p);
  return s + "}\n";
}

}  // namespace emlc
