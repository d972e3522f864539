// activation-fusion (see fusion.h and ops/fused_activation.h).
#include <fmt/format.h>

#include <cmath>

#include "ops/fused_activation.h"
#include "ops/op.h"
#include "passes/fusion.h"
#include "passes/rewrite.h"

namespace emlc {
namespace {

struct Act {
  std::string name;
  float lo = 0, hi = 0, alpha = 0;
};

// A bound input of Clip (opset >= 11) as a float, if constant and exact.
bool clipBound(const Graph& g, const Node& n, size_t k, float def, float* out) {
  if (n.in(k) == kNoTensor) {
    *out = def;
    return true;
  }
  const Tensor& t = g.t(n.inputs[k]);
  if (!t.isConstant() || t.type.numel() != 1) return false;
  const std::vector<double> v = constValues(g, n.inputs[k]);
  const float f = static_cast<float>(v[0]);
  if (static_cast<double>(f) != v[0] && !std::isnan(v[0])) return false;  // not exact in float
  *out = f;
  return true;
}

// The activation node `n` describes, if it is one emlc fuses.
bool activationOf(const Graph& g, const Node& n, Act* a) {
  if (!n.domain.empty() || n.outputs.size() != 1 || n.inputs.empty() || n.in(0) == kNoTensor) return false;
  if (!dtypeIsFloat(g.t(n.inputs[0]).type.dtype)) return false;
  a->name = n.op_type;
  if (n.op_type == "Relu") {
    a->lo = 0.0f;
    a->hi = HUGE_VALF;
    return true;
  }
  if (n.op_type == "Clip") {
    if (n.opset < 11) {
      a->lo = n.attrFloat("min", -HUGE_VALF);
      a->hi = n.attrFloat("max", HUGE_VALF);
      return true;
    }
    return clipBound(g, n, 1, -HUGE_VALF, &a->lo) && clipBound(g, n, 2, HUGE_VALF, &a->hi);
  }
  if (n.op_type == "LeakyRelu") {
    a->alpha = n.attrFloat("alpha", 0.01f);
    return true;
  }
  return n.op_type == "HardSwish" || n.op_type == "Sigmoid" || n.op_type == "Tanh";
}

}  // namespace

Expected<bool> ActivationFusionPass::run(Graph& g, const PassOptions&) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const NodeId id = static_cast<NodeId>(i);
    const Node& act = g.n(id);
    Act a;
    if (act.dead || !activationOf(g, act, &a)) continue;
    const TensorId x = act.inputs[0];
    const NodeId p = g.t(x).producer;
    if (p < 0 || !onlyReader(g, x, id)) continue;
    const Node& prod = g.n(p);
    const Op* op = findOp(prod.domain, prod.op_type);
    if (!op || prod.outputs.empty() || prod.outputs[0] != x || hasFusedActivation(prod) ||
        !op->fusesActivation(prod, g))
      continue;
    if (g.t(x).type.dtype != g.t(act.outputs[0]).type.dtype || g.t(x).type.shape != g.t(act.outputs[0]).type.shape)
      continue;
    const std::string what =
        fmt::format("fused {} ({}) into {} ({})", nodeRef(g, id), act.op_type, nodeRef(g, p), prod.op_type);
    setFusedActivation(g.n(p), a.name, a.lo, a.hi, a.alpha);
    absorbNext(g, p, id);
    note(what);
    changed = true;
  }
  EMLC_TRY(finishPass(g));
  return changed;
}

}  // namespace emlc
