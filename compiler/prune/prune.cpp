#include "prune/prune.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "ops/op.h"
#include "passes/rewrite.h"
#include "prune/structured.h"
#include "quant/calibration.h"
#include "quant/measure.h"
#include "codegen/names.h"

namespace emlc {

namespace {

Expected<PruneRule> parseOne(const std::string& spec) {
  PruneRule r;
  std::string s = spec;
  const size_t eq = s.find('=');
  if (eq != std::string::npos) {
    r.node = s.substr(0, eq);
    s = s.substr(eq + 1);
    if (r.node.empty()) return invalid(fmt::format("--prune '{}': empty node name before '='", spec));
  }
  const std::string usage = "expected [NODE=]magnitude:F, [NODE=]structured:F[:l1|:l2] or auto:POINTS";
  const size_t c = s.find(':');
  if (c == std::string::npos) return invalid(fmt::format("--prune '{}': {}", spec, usage));
  const std::string kind = s.substr(0, c);
  std::string rest = s.substr(c + 1), norm;
  if (const size_t c2 = rest.find(':'); c2 != std::string::npos) {
    norm = rest.substr(c2 + 1);
    rest = rest.substr(0, c2);
  }
  char* end = nullptr;
  r.fraction = std::strtod(rest.c_str(), &end);
  if (rest.empty() || *end != '\0' || !std::isfinite(r.fraction))
    return invalid(fmt::format("--prune '{}': '{}' is not a number; {}", spec, rest, usage));
  if (kind == "magnitude") r.kind = PruneRule::Kind::Magnitude;
  else if (kind == "structured") r.kind = PruneRule::Kind::Structured;
  else if (kind == "auto") r.kind = PruneRule::Kind::Auto;
  else return invalid(fmt::format("--prune '{}': unknown method '{}'; {}", spec, kind, usage));
  if (r.kind == PruneRule::Kind::Auto) {
    if (!r.node.empty()) return invalid(fmt::format("--prune '{}': auto applies to the whole model (no NODE=)", spec));
    if (r.fraction < 0) return invalid(fmt::format("--prune '{}': the budget is points of accuracy, >= 0", spec));
  } else if (!(r.fraction >= 0 && r.fraction < 1)) {
    return invalid(fmt::format("--prune '{}': the fraction must be in [0, 1)", spec));
  }
  if (!norm.empty()) {
    if (r.kind != PruneRule::Kind::Structured || (norm != "l1" && norm != "l2"))
      return invalid(fmt::format("--prune '{}': only structured takes a norm (:l1 or :l2)", spec));
    r.norm = norm == "l2" ? 2 : 1;
  }
  return r;
}

}  // namespace

Expected<PruneOptions> parsePruneSpecs(const std::vector<std::string>& specs) {
  PruneOptions o;
  std::set<std::string> seen;
  for (const std::string& s : specs) {
    EMLC_ASSIGN(PruneRule r, parseOne(s));
    if (!seen.insert(r.node).second)
      return invalid(fmt::format("--prune '{}': {} given twice", s, r.node.empty() ? "a global rule" : "node " + r.node));
    o.rules.push_back(r);
  }
  const bool hasAuto = std::any_of(o.rules.begin(), o.rules.end(), [](const PruneRule& r) {
    return r.kind == PruneRule::Kind::Auto;
  });
  if (hasAuto && o.rules.size() > 1) return invalid("--prune auto:B cannot be combined with other --prune rules");
  return o;
}

// ---- helpers shared with structured.cpp ------------------------------------------

bool isPrunableLayer(const Graph& g, const Node& n) {
  if (n.dead || !n.domain.empty() || (n.op_type != "Conv" && n.op_type != "Gemm")) return false;
  if (n.in(1) == kNoTensor || !g.t(n.in(1)).isConstant()) return false;
  const TensorType& w = g.inType(n, 1);
  if (w.dtype != DType::F32 || w.numel() == 0) return false;
  return n.op_type == "Conv" ? w.rank() >= 3 : w.rank() == 2;
}

void graphTotals(const Graph& g, int64_t* bytes, int64_t* macs) {
  std::set<TensorId> seen;
  *bytes = 0;
  *macs = 0;
  for (const Node& n : g.nodes) {
    if (n.dead) continue;
    if (const Op* op = findOp(n.domain, n.op_type)) *macs += op->macs(n, g);
    for (TensorId x : n.inputs)
      if (x != kNoTensor && g.t(x).isConstant() && seen.insert(x).second)
        *bytes += static_cast<int64_t>(g.t(x).type.bytes());
  }
}

namespace {

int64_t countZeros(const float* w, int64_t n) {
  int64_t z = 0;
  for (int64_t i = 0; i < n; ++i) z += w[i] == 0.0f;
  return z;
}

// Zeroes the `fraction` smallest-magnitude weights of node `id` (a fresh
// constant: the old one may have other readers).
void pruneMagnitude(Graph& g, NodeId id, double fraction, LayerPrune* lp) {
  Node& n = g.n(id);
  const Tensor& wt = g.t(n.in(1));
  const int64_t cnt = wt.type.numel();
  std::vector<float> w(static_cast<size_t>(cnt));
  std::memcpy(w.data(), wt.data->data(), w.size() * sizeof(float));
  lp->weights = cnt;
  lp->zeros_before = countZeros(w.data(), cnt);
  lp->bytes_before = lp->bytes_after = static_cast<int64_t>(wt.type.bytes());
  const int64_t k = static_cast<int64_t>(std::floor(fraction * static_cast<double>(cnt) + 0.5));
  std::vector<int64_t> order(static_cast<size_t>(cnt));
  for (int64_t i = 0; i < cnt; ++i) order[static_cast<size_t>(i)] = i;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return std::fabs(w[static_cast<size_t>(a)]) < std::fabs(w[static_cast<size_t>(b)]);
  });
  for (int64_t i = 0; i < k; ++i) w[static_cast<size_t>(order[static_cast<size_t>(i)])] = 0.0f;
  lp->zeros_after = countZeros(w.data(), cnt);
  std::vector<uint8_t> bytes(w.size() * sizeof(float));
  std::memcpy(bytes.data(), w.data(), bytes.size());
  const TensorId nw = addConstant(g, wt.name + "_pruned", wt.type, std::move(bytes));
  g.n(id).inputs[1] = nw;
}

const PruneRule* ruleFor(const PruneOptions& opt, const Node& n) {
  const PruneRule* global = nullptr;
  for (const PruneRule& r : opt.rules) {
    if (r.node == n.name) return &r;
    if (r.node.empty()) global = &r;
  }
  return global;
}

Status checkRuleNames(const Graph& g, const PruneOptions& opt) {
  for (const PruneRule& r : opt.rules) {
    if (r.node.empty()) continue;
    bool found = false;
    std::string names;
    for (const Node& n : g.nodes) {
      if (!isPrunableLayer(g, n)) continue;
      found |= n.name == r.node;
      names += (names.empty() ? "" : ", ") + n.name;
    }
    if (!found)
      return invalid(fmt::format("--prune {}=...: no Conv or Gemm with constant float weights named '{}' (after "
                                 "BatchNormalization folding; such nodes: {})",
                                 r.node, r.node, names.empty() ? "none" : names));
  }
  return Status::ok();
}

// Prunes every layer a rule names, with the rule's own rate (or `rates`
// when given: auto and sensitivity runs). Returns the per-layer records.
Expected<std::vector<LayerPrune>> applyRules(Graph& g, const PruneOptions& opt) {
  std::vector<LayerPrune> out;
  // In node order. A structured prune changes a consumer's input side only,
  // never which of its own output channels are weakest (rows keep their
  // relative norms... up to the removed columns), and layers pruned as part
  // of an earlier one's channel group are not pruned again.
  std::map<NodeId, LayerPrune> done;
  const size_t count = g.nodes.size();
  for (size_t i = 0; i < count; ++i) {
    const NodeId id = static_cast<NodeId>(i);
    if (!isPrunableLayer(g, g.n(id))) continue;
    const PruneRule* r = ruleFor(opt, g.n(id));
    if (!r || r->fraction <= 0 || r->kind == PruneRule::Kind::Auto) continue;
    LayerPrune lp;
    lp.node = g.n(id).name.empty() ? g.label(id) : g.n(id).name;
    lp.op_type = g.n(id).op_type;
    if (r->kind == PruneRule::Kind::Magnitude) {
      lp.how = fmt::format("magnitude {:.2f}", r->fraction);
      pruneMagnitude(g, id, r->fraction, &lp);
    } else {
      lp.how = fmt::format("structured {:.2f} ({})", r->fraction, r->norm == 2 ? "L2" : "L1");
      EMLC_TRY(pruneStructured(g, id, r->fraction, r->norm, &lp, &done));
    }
    out.push_back(lp);
  }
  return out;
}

Expected<std::vector<SampleReader>> openTest(const Graph& g, const PruneOptions& opt) {
  if (opt.test_data.size() != g.inputs.size())
    return invalid(fmt::format("the model has {} input(s); give one --test-data file or folder per input",
                               g.inputs.size()));
  std::vector<SampleReader> r;
  for (size_t k = 0; k < opt.test_data.size(); ++k) {
    EMLC_ASSIGN(SampleReader s, SampleReader::open(opt.test_data[k], g.t(g.inputs[k]).type));
    if (s.size() == 0) return invalid(fmt::format("--test-data '{}' holds no samples", opt.test_data[k]));
    r.push_back(std::move(s));
  }
  return r;
}

// Accuracy of `pruned` and of `orig` on the test data.
Expected<Accuracy> accuracyOf(const Graph& orig, const Graph& pruned, const PruneOptions& opt) {
  EMLC_ASSIGN(std::vector<SampleReader> test, openTest(orig, opt));
  EMLC_ASSIGN(std::vector<int64_t> labels, readLabels(opt.test_labels));
  if (labels.size() != test[0].size())
    return invalid(fmt::format("--test-labels has {} labels for {} test samples", labels.size(), test[0].size()));
  QuantOptions qo;
  qo.metric = opt.metric;
  return measureAccuracy(orig, pruned, test, labels, qo);
}

// Sensitivity: every layer alone at each rate (magnitude pruning).
Expected<std::vector<LayerSensitivity>> sensitivity(const Graph& g, const PruneOptions& opt,
                                                    const std::vector<double>& rates, Accuracy* base) {
  std::vector<LayerSensitivity> rows;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!isPrunableLayer(g, g.nodes[i])) continue;
    LayerSensitivity s;
    s.node = g.nodes[i].name;
    s.rates = rates;
    for (double rate : rates) {
      Graph h = g;
      PruneOptions one;
      one.rules.push_back(PruneRule{g.nodes[i].name, PruneRule::Kind::Magnitude, rate, 1});
      EMLC_TRY(applyRules(h, one).status());
      EMLC_ASSIGN(Accuracy a, accuracyOf(g, h, opt));
      *base = a;
      s.accuracy.push_back(a.int8_value);
    }
    rows.push_back(s);
  }
  return rows;
}

// auto:B: each layer gets the highest rate whose accuracy alone stays within
// B / layers points; then, while the whole model is over budget, the most
// pruned layer steps back one rate.
Expected<PruneOptions> autoRates(const Graph& g, const PruneOptions& opt, double budget, PruneResult* res) {
  const std::vector<double> rates = {0.25, 0.5, 0.625, 0.75, 0.875};
  Accuracy base;
  EMLC_ASSIGN(res->sensitivity, sensitivity(g, opt, rates, &base));
  const double ref = base.float_value * 100.0;
  const double share = budget / static_cast<double>(std::max<size_t>(res->sensitivity.size(), 1));
  std::vector<int> pick(res->sensitivity.size(), -1);
  for (size_t l = 0; l < res->sensitivity.size(); ++l)
    for (size_t k = 0; k < rates.size(); ++k)
      if (ref - res->sensitivity[l].accuracy[k] * 100.0 <= share + 1e-9) pick[l] = static_cast<int>(k);
  auto optionsFor = [&]() {
    PruneOptions o = opt;
    o.rules.clear();
    for (size_t l = 0; l < pick.size(); ++l)
      if (pick[l] >= 0)
        o.rules.push_back(PruneRule{res->sensitivity[l].node, PruneRule::Kind::Magnitude,
                                    rates[static_cast<size_t>(pick[l])], 1});
    return o;
  };
  for (int step = 0; step < 64; ++step) {
    Graph h = g;
    PruneOptions o = optionsFor();
    EMLC_TRY(applyRules(h, o).status());
    EMLC_ASSIGN(Accuracy a, accuracyOf(g, h, opt));
    const double loss = ref - a.int8_value * 100.0;
    if (loss <= budget + 1e-9) {
      res->auto_note = fmt::format("auto:{}: {} layer(s) pruned, accuracy {:.2f}% -> {:.2f}% ({:+.2f} points)",
                                   budget, o.rules.size(), ref, a.int8_value * 100.0, -loss);
      return o;
    }
    size_t worst = pick.size();
    for (size_t l = 0; l < pick.size(); ++l)
      if (pick[l] >= 0 && (worst == pick.size() || pick[l] > pick[worst])) worst = l;
    if (worst == pick.size()) break;
    --pick[worst];
  }
  res->auto_note = fmt::format("auto:{}: no pruning stays within the budget; nothing pruned", budget);
  PruneOptions none = opt;
  none.rules.clear();
  return none;
}

}  // namespace

Expected<bool> pruneGraph(Graph& g, const PruneOptions& opt, PruneResult* result) {
  PruneResult local;
  PruneResult& res = result ? *result : local;
  if (!opt.enabled()) return false;
  EMLC_TRY(checkRuleNames(g, opt));
  const bool wantTest = !opt.test_data.empty();
  if (wantTest != !opt.test_labels.empty()) return invalid("--test-data and --test-labels go together");
  const bool isAuto = !opt.rules.empty() && opt.rules[0].kind == PruneRule::Kind::Auto;
  if ((isAuto || opt.report) && !wantTest)
    return invalid("--prune auto and --prune-report need --test-data and --test-labels to measure accuracy");
  const Graph orig = g;
  graphTotals(g, &res.weight_bytes_before, &res.macs_before);
  PruneOptions eff = opt;
  if (isAuto) {
    EMLC_ASSIGN(eff, autoRates(g, opt, opt.rules[0].fraction, &res));
  } else if (opt.report) {
    Accuracy base;
    EMLC_ASSIGN(res.sensitivity, sensitivity(g, opt, {0.25, 0.5, 0.75, 0.9}, &base));
  }
  EMLC_ASSIGN(res.layers, applyRules(g, eff));
  res.pruned = !res.layers.empty();
  EMLC_TRY(finishPass(g));
  graphTotals(g, &res.weight_bytes_after, &res.macs_after);
  if (wantTest && (res.pruned || opt.report)) {
    EMLC_ASSIGN(res.accuracy, accuracyOf(orig, g, opt));
  }
  return res.pruned;
}

namespace {
bool anyChosen(const PruneResult& r) {
  for (const SparseLayer& l : r.sparse)
    if (l.chosen) return true;
  return false;
}
}  // namespace

// Reported when something was pruned, measured or made sparse (a dense model
// whose int8 weights happen to hold a few zeros says nothing).
bool hasPruneReport(const PruneResult& r) {
  return r.pruned || !r.sensitivity.empty() || !r.auto_note.empty() || anyChosen(r);
}

std::string pruneSummary(const PruneResult& r) {
  std::string s;
  if (r.pruned || !r.auto_note.empty()) {
    s += "pruning (float weights after BatchNormalization folding):\n";
    s += fmt::format("  {:<28} {:<24} {:>9} {:>9} {:>11}\n", "layer", "method", "sparsity", "channels", "weight B");
    for (const LayerPrune& l : r.layers) {
      const double sp = l.weights ? static_cast<double>(l.zeros_after) / static_cast<double>(l.weights) : 0.0;
      const std::string ch = l.channels_before ? fmt::format("{}->{}", l.channels_before, l.channels_after) : "-";
      s += fmt::format("  {:<28} {:<24} {:>8.1f}% {:>9} {:>6}->{:<6}\n", l.node, l.how, sp * 100.0, ch, l.bytes_before,
                       l.bytes_after);
    }
    s += fmt::format("  float weights {} -> {} B, MACs {} -> {}\n", r.weight_bytes_before, r.weight_bytes_after,
                     r.macs_before, r.macs_after);
    if (!r.auto_note.empty()) s += "  " + r.auto_note + "\n";
  }
  if (r.accuracy.measured) {
    const bool top1 = r.accuracy.metric == "top1";
    const double k = top1 ? 100.0 : 1.0;
    s += fmt::format("  pruning accuracy ({} test samples, {}, float, no retraining): unpruned {:.{}f}{} -> pruned "
                     "{:.{}f}{} ({:+.{}f}){}\n",
                     r.accuracy.samples, r.accuracy.metric, r.accuracy.float_value * k, top1 ? 2 : 4,
                     top1 ? "%" : "", r.accuracy.int8_value * k, top1 ? 2 : 4, top1 ? "%" : "",
                     (r.accuracy.int8_value - r.accuracy.float_value) * k, top1 ? 2 : 4,
                     r.accuracy.agreement >= 0 ? fmt::format("; same prediction {:.1f}%", r.accuracy.agreement * 100.0)
                                               : std::string());
  }
  if (!r.sensitivity.empty()) {
    s += "prune sensitivity (accuracy with only this layer magnitude-pruned):\n";
    s += fmt::format("  {:<28}", "layer");
    for (double rate : r.sensitivity[0].rates) s += fmt::format(" {:>7.1f}%", rate * 100.0);
    s += "\n";
    for (const LayerSensitivity& l : r.sensitivity) {
      s += fmt::format("  {:<28}", l.node);
      for (double a : l.accuracy) s += fmt::format(" {:>8.2f}", a * 100.0);
      s += "\n";
    }
  }
  if (r.pruned || anyChosen(r)) {
    s += "sparse weights (cost model: flash bytes, Cortex-M4 instructions relative to dense):\n";
    for (const SparseLayer& l : r.sparse) {
      if (l.density >= 1.0) continue;
      s += fmt::format("  {:<28} {:<6} density {:>5.1f}%  bytes {:>6} -> {:<6} time {:.2f} -> {:.2f}  {}\n", l.node,
                       l.op_type, l.density * 100.0, l.dense_bytes, l.sparse_bytes, 1.0,
                       l.dense_cost > 0 ? l.sparse_cost / l.dense_cost : 0.0,
                       l.chosen ? "sparse" : "dense (" + l.reason + ")");
    }
  }
  return s;
}

std::string pruneJson(const PruneResult& r) {
  std::string s = "{\n    \"layers\": [";
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerPrune& l = r.layers[i];
    s += fmt::format("{}\n      {{\"node\": {}, \"op\": {}, \"method\": {}, \"weights\": {}, \"zeros_before\": {}, "
                     "\"zeros_after\": {}, \"channels_before\": {}, \"channels_after\": {}, \"bytes_before\": {}, "
                     "\"bytes_after\": {}}}",
                     i ? "," : "", jsonString(l.node), jsonString(l.op_type), jsonString(l.how), l.weights,
                     l.zeros_before, l.zeros_after, l.channels_before, l.channels_after, l.bytes_before, l.bytes_after);
  }
  s += r.layers.empty() ? "],\n" : "\n    ],\n";
  s += fmt::format("    \"float_weight_bytes_before\": {}, \"float_weight_bytes_after\": {},\n", r.weight_bytes_before,
                   r.weight_bytes_after);
  s += fmt::format("    \"macs_before\": {}, \"macs_after\": {},\n", r.macs_before, r.macs_after);
  if (r.accuracy.measured)
    s += fmt::format("    \"accuracy\": {{\"metric\": {}, \"samples\": {}, \"unpruned\": {}, \"pruned\": {}, "
                     "\"agreement\": {}}},\n",
                     jsonString(r.accuracy.metric), r.accuracy.samples, r.accuracy.float_value, r.accuracy.int8_value,
                     r.accuracy.agreement >= 0 ? fmt::format("{}", r.accuracy.agreement) : std::string("null"));
  s += "    \"sparse\": [";
  for (size_t i = 0; i < r.sparse.size(); ++i) {
    const SparseLayer& l = r.sparse[i];
    s += fmt::format("{}\n      {{\"node\": {}, \"op\": {}, \"density\": {}, \"dense_bytes\": {}, \"sparse_bytes\": {}, "
                     "\"dense_cost\": {}, \"sparse_cost\": {}, \"chosen\": {}, \"reason\": {}}}",
                     i ? "," : "", jsonString(l.node), jsonString(l.op_type), l.density, l.dense_bytes,
                     l.sparse_bytes, l.dense_cost, l.sparse_cost, l.chosen, jsonString(l.reason));
  }
  s += r.sparse.empty() ? "]\n  }" : "\n    ]\n  }";
  return s;
}

}  // namespace emlc
