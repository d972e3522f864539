// pad-fold (see fusion.h): a constant-mode Pad of the spatial axes feeding a
// Conv or pooling node becomes that node's pads.
//
// Conv: zero padding, added to the Conv's pads.
// AveragePool: zero padding; the pool then counts the padded taps
//   (count_include_pad = 1), which is what averaging the padded tensor does.
//   Folded only if the pool had no pads or already counted them.
// MaxPool: padding with -inf, or with zero when the input is known to be
//   non-negative (a Relu, or a fused Relu/Clip with a bound >= 0); pool
//   padding never wins, so both give the same maxima as long as every window
//   sees at least one real element (pads smaller than the kernel, no
//   dilation). Not with the Indices output (indices would shift).
#include <fmt/format.h>

#include <cmath>

#include "ops/fused_activation.h"
#include "ops/op_util.h"
#include "passes/fusion.h"
#include "passes/rewrite.h"

namespace emlc {
namespace {

struct PadInfo {
  std::vector<int64_t> pads;  // begin..., end... over all axes
  double value = 0;
};

// A constant-mode Pad with known pads and value; false otherwise.
bool readPad(const Graph& g, const Node& n, PadInfo* info) {
  if (n.attrString("mode", "constant") != "constant" || n.outputs.size() != 1) return false;
  const size_t r = static_cast<size_t>(g.t(n.inputs[0]).type.rank());
  if (n.opset < 11) {
    info->pads = n.attrInts(n.opset < 2 ? "paddings" : "pads");
    info->value = n.attrFloat("value", 0.0f);
  } else {
    if (n.in(3) != kNoTensor || n.in(1) == kNoTensor || !g.t(n.inputs[1]).isConstant()) return false;
    auto p = constInts(g, n.inputs[1]);
    if (!p.isOk()) return false;
    info->pads = p.value();
    if (n.in(2) != kNoTensor) {
      if (!g.t(n.inputs[2]).isConstant()) return false;
      std::vector<double> v = constValues(g, n.inputs[2]);
      if (v.size() != 1) return false;
      info->value = v[0];
    }
  }
  if (info->pads.size() != 2 * r || r < 3) return false;
  // No padding of N and C; none negative.
  for (size_t a = 0; a < r; ++a) {
    const int64_t b = info->pads[a], e = info->pads[a + r];
    if (b < 0 || e < 0) return false;
    if (a < 2 && (b != 0 || e != 0)) return false;
  }
  return true;
}

bool nonNegative(const Graph& g, TensorId x) {
  const NodeId p = g.t(x).producer;
  if (p < 0) return false;
  const Node& n = g.n(p);
  if (n.op_type == "Relu" && n.domain.empty()) return true;
  auto a = fusedActivation(n);
  return a.isOk() && a->kind == rt::kActClamp && a->lo >= 0.0f;
}

bool zeroPadsAttr(const Node& n, size_t spatial) {
  std::vector<int64_t> p = n.attrInts("pads", std::vector<int64_t>(2 * spatial, 0));
  for (int64_t v : p)
    if (v != 0) return false;
  return true;
}

Attribute intsAttr(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::Ints;
  a.ints = std::move(v);
  return a;
}

}  // namespace

Expected<bool> PadFoldPass::run(Graph& g, const PassOptions&) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const NodeId pid = static_cast<NodeId>(i);
    const Node& pad = g.n(pid);
    if (pad.dead || pad.op_type != "Pad" || !pad.domain.empty()) continue;
    PadInfo info;
    if (!readPad(g, pad, &info)) continue;
    const TensorId x = pad.inputs[0], y = pad.outputs[0];
    if (!dtypeIsFloat(g.t(x).type.dtype)) continue;
    const NodeId cid = soleReader(g, y);
    if (cid < 0) continue;
    const Node& c = g.n(cid);
    if (!c.domain.empty() || c.inputs.empty() || c.inputs[0] != y) continue;
    bool used_elsewhere = false;
    for (size_t k = 1; k < c.inputs.size(); ++k) used_elsewhere |= c.inputs[k] == y;
    if (used_elsewhere) continue;
    const size_t r = static_cast<size_t>(g.t(x).type.rank()), sp = r - 2;
    const std::string autoPad = c.attrString("auto_pad", "NOTSET");
    if (autoPad != "NOTSET" && autoPad != "VALID") continue;
    std::vector<int64_t> old = autoPad == "VALID" ? std::vector<int64_t>(2 * sp, 0)
                                                  : c.attrInts("pads", std::vector<int64_t>(2 * sp, 0));
    if (old.size() != 2 * sp) continue;
    bool ok = false;
    bool set_cip = false;
    if (c.op_type == "Conv") {
      ok = info.value == 0.0;
    } else if (c.op_type == "AveragePool") {
      ok = info.value == 0.0 && (c.attrInt("count_include_pad", 0) == 1 || zeroPadsAttr(c, sp));
      set_cip = true;
    } else if (c.op_type == "MaxPool") {
      const bool value_ok = (std::isinf(info.value) && info.value < 0) || (info.value == 0.0 && nonNegative(g, x));
      ok = value_ok && c.outputs.size() == 1;
      std::vector<int64_t> k = c.attrInts("kernel_shape");
      std::vector<int64_t> d = c.attrInts("dilations", std::vector<int64_t>(sp, 1));
      if (k.size() != sp || d.size() != sp) ok = false;
      for (size_t a = 0; ok && a < sp; ++a)
        ok = d[a] == 1 && info.pads[2 + a] + old[a] < k[a] && info.pads[r + 2 + a] + old[sp + a] < k[a] &&
             c.attrInt("ceil_mode", 0) == 0;
    }
    if (!ok) continue;
    std::vector<int64_t> merged(2 * sp);
    for (size_t a = 0; a < sp; ++a) {
      merged[a] = old[a] + info.pads[2 + a];
      merged[sp + a] = old[sp + a] + info.pads[r + 2 + a];
    }
    const std::string what = fmt::format("folded {} (Pad) into {} ({}) pads", nodeRef(g, pid), nodeRef(g, cid),
                                         c.op_type);
    Node& m = g.n(cid);
    m.attrs["pads"] = intsAttr(merged);
    m.attrs.erase("auto_pad");
    if (set_cip) {
      Attribute a;
      a.kind = Attribute::Kind::Int;
      a.i = 1;
      m.attrs["count_include_pad"] = a;
    }
    m.inputs[0] = x;
    killNode(g, pid);
    note(what);
    changed = true;
  }
  EMLC_TRY(finishPass(g));
  return changed;
}

}  // namespace emlc
