#include "passes/simplify.h"

#include <fmt/format.h>

#include <cstring>
#include <numeric>

#include "ops/op_util.h"
#include "passes/infer.h"
#include "passes/rewrite.h"

namespace emlc {

// ---- constant-fold ------------------------------------------------------------

Expected<bool> ConstantFoldPass::run(Graph& g, const PassOptions&) {
  const size_t limit = InferOptions{}.fold_limit_bytes;
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    if (n.dead || !foldable(g, n, limit)) continue;
    const std::string ref = nodeRef(g, static_cast<NodeId>(i));
    EMLC_TRY(foldNode(g, n));
    note(fmt::format("folded {} ({}) into constants", ref, n.op_type));
    changed = true;
  }
  EMLC_TRY(finishPass(g));
  return changed;
}

// ---- identity-removal -----------------------------------------------------------

namespace {

bool sameType(const TensorType& a, const TensorType& b) {
  return a.dtype == b.dtype && a.shape == b.shape && a.layout == b.layout && a.quant == b.quant;
}

// Pad's pads (begin..., end...) when they are known; empty otherwise.
std::vector<int64_t> padAmounts(const Graph& g, const Node& n) {
  if (n.opset < 11) return n.attrInts(n.opset < 2 ? "paddings" : "pads");
  if (n.in(3) != kNoTensor || n.in(1) == kNoTensor || !g.t(n.inputs[1]).isConstant()) return {};
  auto v = constInts(g, n.inputs[1]);
  return v.isOk() ? v.value() : std::vector<int64_t>{};
}

bool identityLike(const Graph& g, const Node& n) {
  if (!n.domain.empty() || n.inputs.empty() || n.in(0) == kNoTensor || n.out(0) == kNoTensor) return false;
  const TensorType& x = g.t(n.inputs[0]).type;
  const TensorType& y = g.t(n.outputs[0]).type;
  if (!sameType(x, y)) return false;
  const std::string& op = n.op_type;
  if (op == "Identity") return true;
  if (op == "Dropout") return n.out(1) == kNoTensor || readers(g, n.outputs[1]).empty();
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" || op == "Expand" || op == "Cast")
    return n.outputs.size() == 1;
  if (op == "Pad") {
    std::vector<int64_t> p = padAmounts(g, n);
    if (p.empty()) return false;
    for (int64_t v : p)
      if (v != 0) return false;
    return true;
  }
  if (op == "Transpose") {
    // An absent perm reverses the axes: the identity for rank <= 1 only.
    if (!n.has("perm")) return x.rank() <= 1;
    std::vector<int64_t> perm = n.attrInts("perm");
    for (size_t i = 0; i < perm.size(); ++i)
      if (perm[i] != static_cast<int64_t>(i)) return false;
    return true;
  }
  return false;
}

}  // namespace

Expected<bool> IdentityRemovalPass::run(Graph& g, const PassOptions&) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (n.dead || !identityLike(g, n)) continue;
    const std::string what = fmt::format("removed {} ({})", nodeRef(g, static_cast<NodeId>(i)), n.op_type);
    if (bypassNode(g, static_cast<NodeId>(i), n.inputs[0], n.outputs[0])) {
      note(what);
      changed = true;
    }
  }
  EMLC_TRY(finishPass(g));
  return changed;
}

// ---- transpose-cancel -------------------------------------------------------------

namespace {

bool isView(const Node& n) {
  return n.domain.empty() && n.outputs.size() == 1 && n.in(0) != kNoTensor &&
         (n.op_type == "Reshape" || n.op_type == "Flatten" || n.op_type == "Squeeze" || n.op_type == "Unsqueeze");
}

// Transpose's permutation (absent: reversed axes).
std::vector<int64_t> permOf(const Graph& g, const Node& n) {
  std::vector<int64_t> perm = n.attrInts("perm");
  if (perm.empty()) {
    const int64_t r = g.t(n.inputs[0]).type.rank();
    for (int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
  }
  return perm;
}

// Turns node `id` into Reshape(x) -> its current output (same position).
void makeReshape(Graph& g, NodeId id, TensorId x) {
  Node& n = g.n(id);
  const Shape out = g.t(n.outputs[0]).type.shape;
  TensorType st;
  st.dtype = DType::I64;
  st.shape = {static_cast<int64_t>(out.size())};
  std::vector<uint8_t> bytes(out.size() * 8);
  if (!out.empty()) std::memcpy(bytes.data(), out.data(), bytes.size());
  const TensorId shape = addConstant(g, g.t(n.outputs[0]).name + "_shape", st, std::move(bytes));
  Node& m = g.n(id);  // addConstant may not move nodes, but be explicit
  m.op_type = "Reshape";
  m.domain.clear();
  m.opset = 13;
  m.attrs.clear();
  m.inputs = {x, shape};
}

// Kills node `id` if no output of it is read or is a graph output.
bool dropIfUnread(Graph& g, NodeId id) {
  for (TensorId o : g.n(id).outputs)
    if (o != kNoTensor && (isGraphOutput(g, o) || !readers(g, o).empty())) return false;
  killNode(g, id);
  return true;
}

bool hasZeroDim(const Shape& s) {
  for (int64_t d : s)
    if (d == 0) return true;
  return false;
}

// Moves only size-1 axes: the element order in memory is unchanged.
bool permKeepsOrder(const Shape& in, const std::vector<int64_t>& perm) {
  int64_t last = -1;
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(in.size())) return false;
    if (in[static_cast<size_t>(p)] == 1) continue;
    if (p < last) return false;
    last = p;
  }
  return true;
}

}  // namespace

Expected<bool> TransposeCancelPass::run(Graph& g, const PassOptions&) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const NodeId id = static_cast<NodeId>(i);
    if (g.n(id).dead || !g.n(id).domain.empty()) continue;
    const Node& n = g.n(id);
    if (n.op_type == "Transpose" && n.outputs.size() == 1) {
      const TensorId x = n.inputs[0];
      const Tensor& xt = g.t(x);
      std::vector<int64_t> perm = permOf(g, n);
      const NodeId pid = xt.producer;
      if (pid >= 0 && !g.n(pid).dead && g.n(pid).op_type == "Transpose" && g.n(pid).domain.empty() &&
          g.n(pid).outputs.size() == 1) {
        // y = T(T(x0, p1), p2) = T(x0, q) with q[i] = p1[p2[i]].
        const std::vector<int64_t> p1 = permOf(g, g.n(pid));
        std::vector<int64_t> q(perm.size());
        for (size_t k = 0; k < perm.size(); ++k) q[k] = p1[static_cast<size_t>(perm[k])];
        const TensorId x0 = g.n(pid).inputs[0];
        Attribute a;
        a.kind = Attribute::Kind::Ints;
        a.ints = q;
        Node& m = g.n(id);
        m.inputs[0] = x0;
        m.attrs["perm"] = a;
        note(fmt::format("merged Transpose {} into {}", nodeRef(g, pid), nodeRef(g, id)));
        dropIfUnread(g, pid);
        changed = true;
        perm = q;
      }
      const Node& cur = g.n(id);
      const TensorId in = cur.inputs[0];
      std::vector<int64_t> ident(perm.size());
      std::iota(ident.begin(), ident.end(), 0);
      if (perm == ident) {
        if (bypassNode(g, id, in, cur.outputs[0])) {
          note(fmt::format("removed {} (Transpose by the identity)", nodeRef(g, id)));
          changed = true;
        }
      } else if (permKeepsOrder(g.t(in).type.shape, perm) && !hasZeroDim(g.t(in).type.shape) &&
                 g.t(in).type.layout == g.t(cur.outputs[0]).type.layout) {
        makeReshape(g, id, in);
        note(fmt::format("{} moves only size-1 axes: now a Reshape (a view)", nodeRef(g, id)));
        changed = true;
      }
      continue;
    }
    if (isView(n)) {
      const TensorId x = n.inputs[0];
      const NodeId pid = g.t(x).producer;
      const bool chained = pid >= 0 && !g.n(pid).dead && isView(g.n(pid));
      if (!chained) continue;
      const TensorId x0 = g.n(pid).inputs[0];
      const TensorId y = n.outputs[0];
      if (g.t(x0).type.layout != g.t(y).type.layout) continue;
      const std::string refs = fmt::format("{} and {}", nodeRef(g, pid), nodeRef(g, id));
      if (g.t(x0).type.shape == g.t(y).type.shape) {
        if (bypassNode(g, id, x0, y)) {
          note(fmt::format("removed views {}: they come back to the input's shape", refs));
          dropIfUnread(g, pid);
          changed = true;
        }
      } else if (!hasZeroDim(g.t(y).type.shape)) {
        makeReshape(g, id, x0);
        note(fmt::format("merged views {} into one Reshape", refs));
        dropIfUnread(g, pid);
        changed = true;
      }
    }
  }
  EMLC_TRY(finishPass(g));
  return changed;
}

}  // namespace emlc
