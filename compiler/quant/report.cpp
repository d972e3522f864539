#include "quant/report.h"

#include <fmt/format.h>

#include <cmath>

#include "codegen/names.h"

namespace emlc {

bool hasQuantReport(const QuantResult& r) { return r.quantized || !r.lowering.nodes.empty(); }

namespace {

std::string pct(double v) { return fmt::format("{:.2f}%", 100.0 * v); }

std::string metricValue(const Accuracy& a, double v) {
  return a.metric == "auc" ? fmt::format("{:.4f}", v) : pct(v);
}

size_t loweredCount(const QuantResult& r) {
  size_t n = 0;
  for (const auto& x : r.lowering.nodes) n += x.lowered;
  return n;
}

std::string dbText(double v) {
  if (std::isinf(v)) return v > 0 ? "exact" : "-inf dB";
  return fmt::format("{:.1f} dB", v);
}

std::string jsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{:.6g}", v);
}

}  // namespace

std::string quantSummary(const QuantResult& r, size_t max_layers) {
  std::string s;
  const size_t lowered = loweredCount(r);
  // Nodes the quantizer left in float, then those the lowering could not
  // make int8 (each once).
  std::vector<std::string> stayed = r.float_nodes;
  auto listed = [&](const std::string& label) {
    for (const auto& v : {r.float_nodes, r.kept_float})
      for (const auto& f : v)
        if (f.rfind(label + ":", 0) == 0) return true;
    return false;
  };
  for (const auto& x : r.lowering.nodes)
    if (!x.lowered && !listed(x.node)) stayed.push_back(fmt::format("{}: {}", x.node, x.result));
  if (r.quantized)
    s += fmt::format("int8: calibrated on {} sample{} ({}); {} node{} lowered to int8 kernels\n", r.calibration_samples,
                     r.calibration_samples == 1 ? "" : "s", r.method, lowered, lowered == 1 ? "" : "s");
  else
    s += fmt::format("int8 (QDQ model): {} node{} lowered to int8 kernels with the model's scales\n", lowered,
                     lowered == 1 ? "" : "s");
  if (!r.kept_float.empty()) {
    s += fmt::format("  kept in float ({}):\n", r.kept_float.size());
    for (const auto& k : r.kept_float) s += "    " + k + "\n";
  }
  if (!stayed.empty()) {
    s += fmt::format("  in float with Quantize/Dequantize around them ({}):\n", stayed.size());
    for (const auto& k : stayed) s += "    " + k + "\n";
  }
  if (r.accuracy.measured) {
    const Accuracy& a = r.accuracy;
    s += fmt::format("  accuracy on {} test samples ({}): float {}, int8 {}", a.samples,
                     a.metric == "auc" ? "ROC AUC of reconstruction error" : "top-1", metricValue(a, a.float_value),
                     metricValue(a, a.int8_value));
    if (a.agreement >= 0) s += fmt::format(", agreement {}", pct(a.agreement));
    s += "\n";
  }
  if (!r.budget_note.empty()) s += "  accuracy budget: " + r.budget_note + "\n";
  if (!r.layers.empty()) {
    s += "  per-layer SQNR over the calibration set (float vs int8 activations, worst first):\n";
    size_t shown = 0;
    for (const LayerSqnr& l : r.layers) {
      if (max_layers && shown++ >= max_layers) {
        s += fmt::format("    ... {} more in the JSON report\n", r.layers.size() - max_layers);
        break;
      }
      s += fmt::format("    {:>9}  {}  ({})\n", dbText(l.sqnr_db), l.tensor, l.node);
    }
  }
  return s;
}

std::string quantJson(const QuantResult& r) {
  std::string s = "{\n";
  s += fmt::format("    \"mode\": {},\n", jsonString(r.quantized ? "static int8 (calibrated)" : "QDQ import"));
  if (r.quantized) {
    s += fmt::format("    \"calibration_method\": {},\n    \"calibration_samples\": {},\n", jsonString(r.method),
                     r.calibration_samples);
  }
  s += "    \"nodes\": [";
  for (size_t i = 0; i < r.lowering.nodes.size(); ++i) {
    const auto& x = r.lowering.nodes[i];
    s += fmt::format("{}\n      {{\"node\": {}, \"op_type\": {}, \"int8\": {}, \"result\": {}}}", i ? "," : "",
                     jsonString(x.node), jsonString(x.op_type), x.lowered, jsonString(x.result));
  }
  s += r.lowering.nodes.empty() ? "],\n" : "\n    ],\n";
  auto list = [&](const char* key, const std::vector<std::string>& v) {
    s += fmt::format("    \"{}\": [", key);
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + jsonString(v[i]);
    s += "],\n";
  };
  list("not_quantized", r.float_nodes);
  list("kept_float", r.kept_float);
  if (r.accuracy.measured) {
    const Accuracy& a = r.accuracy;
    s += fmt::format(
        "    \"accuracy\": {{\"metric\": {}, \"samples\": {}, \"float\": {}, \"int8\": {}, \"agreement\": {}}},\n",
        jsonString(a.metric), a.samples, jsonNumber(a.float_value), jsonNumber(a.int8_value),
        a.agreement >= 0 ? jsonNumber(a.agreement) : "null");
  }
  if (!r.budget_note.empty()) s += fmt::format("    \"accuracy_budget\": {},\n", jsonString(r.budget_note));
  s += "    \"layer_sqnr_db\": [";
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerSqnr& l = r.layers[i];
    s += fmt::format("{}\n      {{\"tensor\": {}, \"node\": {}, \"op_type\": {}, \"sqnr_db\": {}}}", i ? "," : "",
                     jsonString(l.tensor), jsonString(l.node), jsonString(l.op_type), jsonNumber(l.sqnr_db));
  }
  s += r.layers.empty() ? "]\n" : "\n    ]\n";
  return s + "  }";
}

}  // namespace emlc
