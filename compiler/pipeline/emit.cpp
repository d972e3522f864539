#include "pipeline/emit.h"

#include <fmt/format.h>

#include "codegen/code_writer.h"
#include "codegen/names.h"
#include "ops/lowering.h"
#include "support/version.h"

namespace emlc {

namespace {

// A parameter struct as an aggregate initializer (the same printer the
// kernels' parameters use).
template <class P>
Expected<std::string> aggregate(const P& p) {
  detail::FieldPrinter fp;
  p.fields(fp);
  if (fp.bytes != sizeof(P)) return internal(std::string(P::kName) + ": fields() does not list every field");
  return "{" + fp.out + "}";
}

template <class T>
std::string literal(T v) {
  if constexpr (std::is_same_v<T, float>) return floatLiteral(v);
  else return std::to_string(v);
}

// `const TYPE NAME[] = {...};`, 8 values per line; "nullptr" if empty.
template <class T>
std::string table(CodeWriter& w, const char* ctype, const std::string& name, const std::vector<T>& v,
                  const std::string& what) {
  if (v.empty()) return "nullptr";
  w.line("// " + what);
  std::string s = fmt::format("const {} {}[{}] = {{", ctype, name, v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (i % 8 == 0) s += "\n    ";
    s += literal(v[i]) + (i + 1 < v.size() ? (i % 8 == 7 ? "," : ", ") : "");
  }
  w.raw(s + "};\n");
  return name;
}

std::string ioQuant(const std::string& name, const char* kind, const rt::IoQuant& q, DType t) {
  if (t == DType::F32) return "{1.0f, 0, 0, 0}";
  return fmt::format("{{{0}_{1}0_SCALE, {0}_{1}0_ZERO_POINT, {2}, {3}}}", name, kind, q.qmin, q.qmax);
}

}  // namespace

Expected<FileMap> emitPipeline(const PipelineBinding& b, const Graph& g, const MemoryPlan& plan,
                               const std::string& name, const std::string& source_name) {
  const PipelineSpec& s = b.spec;
  if (plan.extra_buffer.size() != b.extraBuffers().size())
    return internal("the memory plan does not hold the pipeline's buffers");
  const std::string ns = fmt::format("emlc_{}_model", name);
  auto at = [&](int region, size_t offset, const char* ctype) {
    return fmt::format("reinterpret_cast<{}*>({}::kRegions[{}] + {})", ctype, ns, region, offset);
  };
  auto buffer = [&](PipelineBuffer pb, const char* ctype) -> std::string {
    const int e = b.extraIndex(pb);
    if (e < 0) return "nullptr";
    const PlannedBuffer& x = plan.buffers[static_cast<size_t>(plan.extra_buffer[static_cast<size_t>(e)])];
    return at(x.region, x.offset, ctype);
  };
  auto tensor = [&](TensorId id, const char* ctype) -> Expected<std::string> {
    const TensorStorage& st = plan.storage[static_cast<size_t>(id)];
    if (st.home != Home::Arena)
      return internal(fmt::format("pipeline: tensor '{}' is not in the arena (plan without io_in_arena?)", g.t(id).name));
    return at(st.region, st.offset, ctype);
  };
  const char* sampleT = dtypeCType(s.sample_type);
  const char* inT = dtypeCType(b.input_type);
  const char* outT = dtypeCType(b.output_type);

  std::map<std::string, std::string> v;
  v["NAME"] = name;
  v["VERSION"] = kEmlcVersion;
  v["SOURCE"] = commentSafe(source_name);
  v["GUARD"] = "EMLC_PIPELINE_" + name + "_H";
  v["DESCRIPTION"] = commentSafe(describePipeline(b));
  v["REPORT_NOTE"] = s.report_every ? " (and after every window: \"report\": \"every_window\")" : "";
  v["CHANNELS"] = std::to_string(s.channels.size());
  std::string names;
  for (const std::string& c : s.channels) names += (names.empty() ? "" : ", ") + ("\"" + cStringBody(c) + "\"");
  v["CHANNEL_NAMES"] = "{" + names + "}";
  v["RATE"] = floatLiteral(static_cast<float>(s.rate_hz));
  v["WINDOW"] = std::to_string(s.window);
  v["HOP"] = std::to_string(s.hop);
  v["RING"] = std::to_string(s.ring);
  v["NUM_LABELS"] = std::to_string(b.labels.size());
  std::string labels;
  for (const std::string& l : b.labels) labels += (labels.empty() ? "" : ", ") + ("\"" + cStringBody(l) + "\"");
  v["LABELS"] = "{" + labels + "}";
  v["SAMPLE_CTYPE"] = sampleT;
  v["INPUT_CTYPE"] = inT;
  v["OUTPUT_CTYPE"] = outT;
  v["NUM_REGIONS"] = std::to_string(plan.regions.size());

  std::string comments;
  for (size_t e = 0; e < plan.extra_buffer.size(); ++e) {
    const PlannedBuffer& x = plan.buffers[static_cast<size_t>(plan.extra_buffer[e])];
    comments += fmt::format("//   {}: {}[{}, +{})\n", commentSafe(x.label), plan.arrayName(x.region), x.offset, x.size);
  }
  for (const auto& [what, id] : {std::pair<const char*, TensorId>{"model input", g.inputs[0]},
                                 std::pair<const char*, TensorId>{"model output", g.outputs[0]}}) {
    const TensorStorage& st = plan.storage[static_cast<size_t>(id)];
    comments += fmt::format("//   {} '{}' {}: {}[{}, +{})\n", what, commentSafe(g.t(id).name), g.t(id).type.str(),
                            plan.arrayName(st.region), st.offset, g.t(id).type.bytes());
  }
  v["BUFFER_COMMENTS"] = comments;

  CodeWriter tw;
  std::string ptrs = "{";
  ptrs += table(tw, "float", "kWindowTable", b.window_table, "Analysis window (periodic Hann)") + ", ";
  ptrs += table(tw, "float", "kTwiddles", b.twiddle, "FFT twiddle factors: cos, -sin of 2 pi k / n") + ", ";
  ptrs += table(tw, "int32_t", "kMelStart", b.mel_start, "Mel filters: first power bin") + ", ";
  ptrs += table(tw, "int32_t", "kMelLength", b.mel_len, "Mel filters: number of weights") + ", ";
  ptrs += table(tw, "float", "kMelWeights", b.mel_weight, "Mel filters: the weights, filter after filter") + ", ";
  ptrs += table(tw, "float", "kDct", b.dct, "Orthonormal DCT-II, coefficients x mel bins") + "}";
  v["TABLES"] = tw.str().empty() ? "" : tw.str() + "\n";
  v["TABLE_POINTERS"] = ptrs;
  EMLC_ASSIGN(v["PARAMS"], aggregate(b.params));
  EMLC_ASSIGN(v["POST"], aggregate(b.post));
  v["INPUT_QUANT"] = ioQuant(name, "INPUT", b.in_quant, b.input_type);
  v["OUTPUT_QUANT"] = ioQuant(name, "OUTPUT", b.out_quant, b.output_type);
  v["RING_PTR"] = buffer(PipelineBuffer::Ring, sampleT);
  EMLC_ASSIGN(v["INPUT_PTR"], tensor(g.inputs[0], inT));
  EMLC_ASSIGN(std::string outPtr, tensor(g.outputs[0], outT));
  v["OUTPUT_PTR"] = outPtr;
  v["WORK_PTR"] = buffer(PipelineBuffer::Work, "float");
  v["MEL_PTR"] = buffer(PipelineBuffer::Mel, "float");
  v["HISTORY_PTR"] = buffer(PipelineBuffer::History, "float");
  v["SCORES_PTR"] = buffer(PipelineBuffer::Scores, "float");

  FileMap files;
  for (const auto& [tmpl, out] : std::map<std::string, std::string>{{"pipeline.h.in", name + "_pipeline.h"},
                                                                    {"pipeline.cpp.in", name + "_pipeline.cpp"}}) {
    std::string missing;
    files[out] = fillTemplate(templateText(tmpl), v, &missing);
    if (!missing.empty()) return internal(fmt::format("template {} uses unknown key {}", tmpl, missing));
  }
  return files;
}

}  // namespace emlc
