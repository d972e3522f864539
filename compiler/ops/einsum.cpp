// Einsum (opset 12+): explicit ("ij,jk->ik") and implicit ("ij,jk")
// equations with ellipsis, repeated labels (diagonals), transposes and sums.
// Every distinct label becomes one loop axis of rt::einsum: the output's
// labels first, then the summed ones; each input gets a stride per label.
#include <algorithm>
#include <map>

#include "emlc/reduce.h"
#include "ops/op_util.h"

namespace emlc {
namespace {

// A term's labels: letters as their char code, ellipsis dims as
// kEllipsis + j (j counts the broadcast ellipsis dims from the left).
constexpr int kEllipsis = 1000;

struct EinsumPlan {
  std::vector<int> labels;               // loop order: output labels, then summed
  std::map<int, int64_t> dims;           // label -> size
  size_t out_rank = 0;
  std::vector<std::vector<int>> terms;   // per input, a label per axis
};

// Splits a term into letters and at most one "..."; `ell` receives the
// ellipsis position (or -1).
Status parseTerm(const std::string& s, std::vector<int>& letters, int& ell) {
  ell = -1;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 3, "...") == 0) {
      if (ell >= 0) return invalid("a term has more than one ellipsis");
      ell = static_cast<int>(letters.size());
      i += 3;
    } else if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')) {
      letters.push_back(s[i]);
      ++i;
    } else {
      return invalid(fmt::format("unexpected character '{}' in the equation", s[i]));
    }
  }
  return Status::ok();
}

Expected<EinsumPlan> planEinsum(const Node& n, const Graph& g) {
  std::string eq;
  for (char ch : n.attrString("equation", "")) if (ch != ' ') eq += ch;
  if (eq.empty()) return invalid("attribute 'equation' is missing or empty");
  std::string lhs = eq, rhs;
  const size_t arrow = eq.find("->");
  const bool explicit_out = arrow != std::string::npos;
  if (explicit_out) {
    lhs = eq.substr(0, arrow);
    rhs = eq.substr(arrow + 2);
  }
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != n.inputs.size())
    return invalid(fmt::format("the equation has {} input terms but the node has {} inputs", terms.size(), n.inputs.size()));

  EinsumPlan p;
  // Ellipsis rank: the most dims any input's ellipsis covers.
  std::vector<std::vector<int>> letters(terms.size());
  std::vector<int> ells(terms.size());
  int64_t ell_rank = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    EMLC_TRY(parseTerm(terms[i], letters[i], ells[i]));
    const int64_t rank = g.inType(n, i).rank();
    const int64_t nl = static_cast<int64_t>(letters[i].size());
    if (ells[i] < 0 ? rank != nl : rank < nl)
      return invalid(fmt::format("term '{}' does not match input {} of rank {}", terms[i], i, rank));
    if (ells[i] >= 0) ell_rank = std::max(ell_rank, rank - nl);
  }
  // Labels per axis, and label sizes (ellipsis dims broadcast from the right).
  std::map<int, int> count;  // letter -> occurrences over all inputs
  for (size_t i = 0; i < terms.size(); ++i) {
    const Shape& s = g.inType(n, i).shape;
    std::vector<int> axes;
    for (size_t k = 0; k < letters[i].size(); ++k) {
      if (static_cast<int>(k) == ells[i]) {
        const int64_t e = static_cast<int64_t>(s.size() - letters[i].size());
        for (int64_t j = 0; j < e; ++j) axes.push_back(kEllipsis + static_cast<int>(ell_rank - e + j));
      }
      axes.push_back(letters[i][k]);
      ++count[letters[i][k]];
    }
    if (ells[i] == static_cast<int>(letters[i].size())) {
      const int64_t e = static_cast<int64_t>(s.size() - letters[i].size());
      for (int64_t j = 0; j < e; ++j) axes.push_back(kEllipsis + static_cast<int>(ell_rank - e + j));
    }
    for (size_t k = 0; k < axes.size(); ++k) {
      const int l = axes[k];
      auto it = p.dims.find(l);
      if (it == p.dims.end()) {
        p.dims[l] = s[k];
      } else if (it->second != s[k]) {
        if (l >= kEllipsis && (it->second == 1 || s[k] == 1)) it->second = std::max(it->second, s[k]);
        else return invalid(fmt::format("label '{}' has sizes {} and {}", l >= kEllipsis ? '.' : char(l), it->second, s[k]));
      }
    }
    p.terms.push_back(axes);
  }
  // Output labels.
  std::vector<int> out;
  if (explicit_out) {
    std::vector<int> ol;
    int oell = -1;
    EMLC_TRY(parseTerm(rhs, ol, oell));
    for (size_t k = 0; k <= ol.size(); ++k) {
      if (static_cast<int>(k) == oell)
        for (int64_t j = 0; j < ell_rank; ++j) out.push_back(kEllipsis + static_cast<int>(j));
      if (k < ol.size()) {
        if (!count.count(ol[k])) return invalid(fmt::format("output label '{}' is not in any input", char(ol[k])));
        if (std::find(out.begin(), out.end(), ol[k]) != out.end())
          return invalid(fmt::format("output label '{}' is repeated", char(ol[k])));
        out.push_back(ol[k]);
      }
    }
    // Ellipsis dims missing from an explicit output are summed.
  } else {
    for (int64_t j = 0; j < ell_rank; ++j) out.push_back(kEllipsis + static_cast<int>(j));
    for (const auto& kv : count)
      if (kv.second == 1) out.push_back(kv.first);  // std::map: ascending char code
  }
  p.labels = out;
  p.out_rank = out.size();
  for (const auto& axes : p.terms)
    for (int l : axes)
      if (std::find(p.labels.begin(), p.labels.end(), l) == p.labels.end()) p.labels.push_back(l);
  return p;
}

class EinsumOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kNumeric, "any equation (explicit or implicit output, ellipsis)"}; }
  Status infer(Node& n, Graph& g) const override {
    if (n.inputs.empty()) return invalid("needs at least one input");
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (n.inputs[i] == kNoTensor) return invalid("inputs may not be omitted");
      EMLC_TRY(checkShape(g.inType(n, i).shape, "input"));
    }
    const DType t = g.inType(n, 0).dtype;
    if ((!dtypeIsFloat(t) && !dtypeIsInteger(t)) || !dtypeSupported(t))
      return unsupported(fmt::format("element type {} is not supported by this op", dtypeName(t)));
    for (size_t i = 1; i < n.inputs.size(); ++i)
      if (g.inType(n, i).dtype != t) return invalid("input types differ");
    if (n.inputs.size() > static_cast<size_t>(rt::kMaxEinsumInputs))
      return unsupported(fmt::format("{} inputs; at most {} are supported", n.inputs.size(), rt::kMaxEinsumInputs));
    EMLC_ASSIGN(EinsumPlan p, planEinsum(n, g));
    if (p.labels.size() > static_cast<size_t>(rt::kMaxEinsumLabels))
      return unsupported(fmt::format("{} distinct labels; at most {} are supported", p.labels.size(),
                                     rt::kMaxEinsumLabels));
    Shape out;
    for (size_t k = 0; k < p.out_rank; ++k) out.push_back(p.dims[p.labels[k]]);
    EMLC_TRY(checkShape(out, "output"));
    int64_t iters = 1;
    for (int l : p.labels) {
      iters *= std::max<int64_t>(p.dims[l], 1);
      if (iters >= (int64_t{1} << 31)) return unsupported("the einsum iteration space has more than 2^31 points");
    }
    TensorType y;
    y.dtype = t;
    y.shape = out;
    setOut(g, n, 0, y);
    return Status::ok();
  }

  Status lower(Lowering& l) const override {
    const Node& n = l.node();
    EMLC_ASSIGN(EinsumPlan plan, planEinsum(n, l.graph()));
    rt::EinsumParams p{};
    p.n_inputs = static_cast<int32_t>(n.inputs.size());
    p.n_labels = static_cast<int32_t>(plan.labels.size());
    p.out_rank = static_cast<int32_t>(plan.out_rank);
    for (size_t k = 0; k < plan.labels.size(); ++k) p.dims[k] = static_cast<int32_t>(plan.dims[plan.labels[k]]);
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const Shape& s = l.inType(i).shape;
      std::vector<int64_t> st = rowMajorStrides(s);
      for (size_t a = 0; a < s.size(); ++a) {
        const int lab = plan.terms[i][a];
        const size_t k = static_cast<size_t>(std::find(plan.labels.begin(), plan.labels.end(), lab) - plan.labels.begin());
        if (s[a] == 1 && plan.dims[lab] != 1) continue;  // broadcast
        p.strides[i * rt::kMaxEinsumLabels + k] += static_cast<int32_t>(st[a]);
      }
    }
    std::vector<size_t> ks;
    for (size_t i = 0; i < n.inputs.size(); ++i) ks.push_back(i);
    return dispatchNumeric(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("einsum"), &rt::einsum<T>, p, l.inList<T>(ks), l.out<T>(0));
    });
  }
};

}  // namespace

const Op& op_Einsum() { static const EinsumOp op; return op; }

}  // namespace emlc
