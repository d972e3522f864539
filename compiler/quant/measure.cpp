#include "quant/measure.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "passes/dead_code.h"
#include "quant/lower_qdq.h"

namespace emlc {

Expected<Graph> lowerCopy(const Graph& qdq) {
  Graph g = qdq;
  QdqReport rep;
  EMLC_TRY(lowerQdq(g, &rep).status());
  DeadCodePass dc;
  EMLC_TRY(dc.run(g, PassOptions{}).status());
  return g;
}

Expected<std::vector<HostTensor>> runFloatBoundary(const Graph& g, const std::vector<HostTensor>& in,
                                                   const TensorObserver* observe) {
  if (in.size() != g.inputs.size()) return internal("sample has the wrong number of inputs");
  std::vector<HostTensor> conv;
  for (size_t k = 0; k < in.size(); ++k) {
    EMLC_ASSIGN(HostTensor h, toInputType(in[k], g.t(g.inputs[k]).type));
    h.type = g.t(g.inputs[k]).type;
    conv.push_back(std::move(h));
  }
  EMLC_ASSIGN(std::vector<HostTensor> out, runGraph(g, conv, observe));
  for (HostTensor& o : out) o = dequantized(o);
  return out;
}

namespace {

Expected<std::vector<HostTensor>> nextSample(std::vector<SampleReader>& s) {
  std::vector<HostTensor> in;
  for (auto& r : s) {
    EMLC_ASSIGN(HostTensor h, r.next());
    in.push_back(std::move(h));
  }
  return in;
}

size_t argmax(const HostTensor& t) {
  const float* v = t.as<float>();
  size_t best = 0;
  for (size_t i = 1; i < static_cast<size_t>(t.type.numel()); ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

// Mean squared difference between output and input (reconstruction error).
double reconstructionError(const HostTensor& out, const HostTensor& in) {
  const size_t n = static_cast<size_t>(out.type.numel());
  double e = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(out.as<float>()[i]) - in.as<float>()[i];
    e += d * d;
  }
  return n ? e / static_cast<double>(n) : 0.0;
}

// ROC AUC of scores for labels 1 (positive) vs 0: the probability that a
// positive scores above a negative (ties count half).
double rocAuc(const std::vector<double>& score, const std::vector<int64_t>& label) {
  std::vector<size_t> idx(score.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  double rankSumPos = 0, pos = 0, neg = 0;
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j < idx.size() && score[idx[j]] == score[idx[i]]) ++j;
    const double rank = (static_cast<double>(i) + static_cast<double>(j) + 1.0) / 2.0;  // average 1-based rank
    for (size_t k = i; k < j; ++k) {
      if (label[idx[k]] != 0) {
        rankSumPos += rank;
        pos += 1;
      } else {
        neg += 1;
      }
    }
    i = j;
  }
  if (pos == 0 || neg == 0) return 0.5;
  return (rankSumPos - pos * (pos + 1) / 2.0) / (pos * neg);
}

struct Power {
  double signal = 0, noise = 0;
};

// Accumulates float-vs-int8 error power of the mapped tensors over samples.
Expected<std::map<std::string, Power>> errorPower(const Graph& flt, const Graph& int8,
                                                  const std::map<std::string, std::string>& names,
                                                  std::vector<SampleReader>& samples, const QuantOptions& opt) {
  std::map<TensorId, std::string> fIds;  // float tensor -> float name
  for (size_t i = 0; i < flt.tensors.size(); ++i)
    if (names.count(flt.tensors[i].name)) fIds[static_cast<TensorId>(i)] = flt.tensors[i].name;
  std::map<std::string, std::string> back;  // int8 name -> float name
  for (const auto& kv : names) back[kv.second] = kv.first;
  std::map<TensorId, std::string> qIds;
  for (size_t i = 0; i < int8.tensors.size(); ++i) {
    const Tensor& t = int8.tensors[i];
    auto it = back.find(t.name);
    if (it != back.end() && (t.type.dtype == DType::I8 || t.type.dtype == DType::U8) && t.type.quant.scale.size() == 1)
      qIds[static_cast<TensorId>(i)] = it->second;
  }
  std::map<std::string, Power> pw;
  std::map<std::string, std::vector<float>> ref;
  for (auto& s : samples) s.rewind();
  const size_t n = samples[0].size();
  for (size_t k = 0; k < n; ++k) {
    EMLC_ASSIGN(std::vector<HostTensor> in, nextSample(samples));
    ref.clear();
    TensorObserver fo = [&](TensorId id, const uint8_t* d) {
      auto it = fIds.find(id);
      if (it == fIds.end()) return;
      const float* v = reinterpret_cast<const float*>(d);
      ref[it->second].assign(v, v + flt.t(id).type.numel());
    };
    EMLC_TRY(runGraph(flt, in, &fo).status());
    TensorObserver qo = [&](TensorId id, const uint8_t* d) {
      auto it = qIds.find(id);
      if (it == qIds.end()) return;
      auto r = ref.find(it->second);
      if (r == ref.end()) return;
      const TensorType& t = int8.t(id).type;
      const float s = t.quant.scale[0];
      const int32_t z = t.quant.zero_point.empty() ? 0 : t.quant.zero_point[0];
      Power& p = pw[it->second];
      const size_t cnt = std::min(r->second.size(), static_cast<size_t>(t.numel()));
      for (size_t i = 0; i < cnt; ++i) {
        const int32_t code = t.dtype == DType::I8 ? static_cast<int32_t>(reinterpret_cast<const int8_t*>(d)[i])
                                                  : static_cast<int32_t>(d[i]);
        const double f = r->second[i], q = static_cast<double>(static_cast<float>(code - z) * s);
        p.signal += f * f;
        p.noise += (f - q) * (f - q);
      }
    };
    EMLC_TRY(runFloatBoundary(int8, in, &qo).status());
    if (opt.progress) opt.progress("measuring per-layer SQNR", k + 1, n);
  }
  return pw;
}

double db(const Power& p) {
  if (p.noise <= 0) return std::numeric_limits<double>::infinity();
  if (p.signal <= 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(p.signal / p.noise);
}

bool isClamp(const Node& n) { return n.domain.empty() && (n.op_type == "Relu" || n.op_type == "Clip"); }

}  // namespace

Expected<Accuracy> measureAccuracy(const Graph& flt, const Graph& int8, std::vector<SampleReader>& test,
                                   const std::vector<int64_t>& labels, const QuantOptions& opt) {
  Accuracy a;
  for (auto& s : test) s.rewind();
  const size_t n = test[0].size();
  const TensorType& outT = flt.t(flt.outputs.at(0)).type;
  bool binary = true;
  for (int64_t l : labels) binary &= l == 0 || l == 1;
  std::string metric = opt.metric;
  if (metric == "auto")
    metric = flt.inputs.size() == 1 && outT.numel() == flt.t(flt.inputs[0]).type.numel() && binary ? "auc" : "top1";
  if (metric != "top1" && metric != "auc") return invalid(fmt::format("--metric {}: expected top1, auc or auto", metric));
  if (metric == "auc" && (flt.inputs.size() != 1 || outT.numel() != flt.t(flt.inputs[0]).type.numel()))
    return invalid("--metric auc scores reconstruction error: the output must have the input's size");
  a.metric = metric;
  std::vector<double> sf, sq;
  size_t okF = 0, okQ = 0, agree = 0;
  for (size_t k = 0; k < n; ++k) {
    EMLC_ASSIGN(std::vector<HostTensor> in, nextSample(test));
    EMLC_ASSIGN(std::vector<HostTensor> of, runGraph(flt, in));
    EMLC_ASSIGN(std::vector<HostTensor> oq, runFloatBoundary(int8, in));
    if (metric == "top1") {
      const size_t pf = argmax(of[0]), pq = argmax(oq[0]);
      okF += static_cast<int64_t>(pf) == labels[k];
      okQ += static_cast<int64_t>(pq) == labels[k];
      agree += pf == pq;
    } else {
      sf.push_back(reconstructionError(of[0], in[0]));
      sq.push_back(reconstructionError(oq[0], in[0]));
    }
    if (opt.progress) opt.progress("measuring accuracy", k + 1, n);
  }
  a.measured = true;
  a.samples = n;
  if (metric == "top1") {
    a.float_value = static_cast<double>(okF) / static_cast<double>(n);
    a.int8_value = static_cast<double>(okQ) / static_cast<double>(n);
    a.agreement = static_cast<double>(agree) / static_cast<double>(n);
  } else {
    a.float_value = rocAuc(sf, labels);
    a.int8_value = rocAuc(sq, labels);
    a.agreement = -1;  // no single decision to compare
  }
  return a;
}

Expected<std::vector<LayerSqnr>> layerSqnr(const Graph& flt, const Graph& int8,
                                           const std::map<std::string, std::string>& names,
                                           std::vector<SampleReader>& samples, const QuantOptions& opt) {
  EMLC_ASSIGN(auto pw, errorPower(flt, int8, names, samples, opt));
  std::vector<LayerSqnr> r;
  for (const auto& [name, p] : pw) {
    LayerSqnr l;
    l.tensor = name;
    auto id = flt.find(name);
    if (id && flt.t(*id).producer >= 0) {
      const Node& n = flt.n(flt.t(*id).producer);
      l.node = flt.label(n);
      l.op_type = n.op_type;
    } else {
      l.node = "(model input)";
      l.op_type = "input";
    }
    l.sqnr_db = db(p);
    r.push_back(l);
  }
  std::stable_sort(r.begin(), r.end(), [](const LayerSqnr& a, const LayerSqnr& b) { return a.sqnr_db < b.sqnr_db; });
  return r;
}

Expected<std::vector<std::string>> sensitivity(const Graph& flt, const Graph& int8,
                                               const std::map<std::string, std::string>& names,
                                               std::vector<SampleReader>& samples, const QuantOptions& opt) {
  EMLC_ASSIGN(auto pw, errorPower(flt, int8, names, samples, opt));
  std::vector<std::pair<double, std::string>> drop;
  for (const auto& [name, p] : pw) {
    auto id = flt.find(name);
    if (!id || flt.t(*id).producer < 0) continue;
    NodeId h = flt.t(*id).producer;
    // The head of a fused chain: a clamp whose input was not quantized.
    while (isClamp(flt.n(h)) && !names.count(flt.t(flt.n(h).in(0)).name) && flt.t(flt.n(h).in(0)).producer >= 0)
      h = flt.t(flt.n(h).in(0)).producer;
    double in = std::numeric_limits<double>::infinity();
    for (TensorId x : flt.n(h).inputs) {
      if (x == kNoTensor) continue;
      auto it = pw.find(flt.t(x).name);
      if (it != pw.end()) in = std::min(in, db(it->second));
    }
    const double out = db(p);
    const double d = std::isinf(in) ? 100.0 - out : in - out;  // first layers: against 100 dB
    drop.push_back({d, flt.label(h)});
  }
  std::stable_sort(drop.begin(), drop.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> r;
  for (const auto& d : drop)
    if (std::find(r.begin(), r.end(), d.second) == r.end()) r.push_back(d.second);
  return r;
}

}  // namespace emlc
