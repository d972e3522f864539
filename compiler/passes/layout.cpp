#include "passes/layout.h"

#include <fmt/format.h>

#include "ops/nhwc.h"
#include "ops/op.h"
#include "passes/rewrite.h"

namespace emlc {
namespace {

bool layoutRank(const TensorType& t) { return t.dtype == DType::F32 && (t.rank() == 3 || t.rank() == 4); }

}  // namespace

Expected<bool> LayoutNhwcPass::run(Graph& g, const PassOptions& opt) {
  if (opt.optimize == PassOptions::Optimize::Size) return false;
  std::vector<TensorId> twin(g.tensors.size(), kNoTensor);  // ONNX tensor -> its NHWC twin
  auto twinOf = [&](TensorId x) { return static_cast<size_t>(x) < twin.size() ? twin[x] : kNoTensor; };
  std::vector<Node> out;
  std::vector<size_t> exitAt;  // positions in `out` of the transposes back to the ONNX layout
  size_t converted = 0, entries = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node n = g.nodes[i];
    if (n.dead) continue;
    const Op* op = findOp(n.domain, n.op_type);
    std::vector<bool> li;
    bool convert = op && !n.outputs.empty() && n.outputs[0] != kNoTensor && layoutRank(g.t(n.outputs[0]).type) &&
                   op->supportsLayout(n, g, Layout::NHWC, &li) && li.size() == n.inputs.size();
    if (convert) {
      // A Conv may start a region; other ops only join one: all their
      // layout inputs must be NHWC already.
      const bool anchor = n.op_type == "Conv" && n.domain.empty();
      bool any = false;
      for (size_t k = 0; k < n.inputs.size(); ++k) {
        if (!li[k]) continue;
        if (n.inputs[k] == kNoTensor || !layoutRank(g.t(n.inputs[k]).type)) convert = false;
        else if (twinOf(n.inputs[k]) != kNoTensor) any = true;
        else if (!anchor) convert = false;
      }
      convert = convert && (anchor || any);
    }
    if (!convert) {
      out.push_back(std::move(n));
      continue;
    }
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      if (!li[k]) continue;
      const TensorId x = n.inputs[k];
      if (twinOf(x) == kNoTensor) {
        const TensorType xt = g.t(x).type;
        const TensorId t = addTensorOfType(g, g.t(x).name + "_nhwc", nhwcType(xt));
        twin.resize(g.tensors.size(), kNoTensor);
        twin[x] = t;
        out.push_back(transposeNode(g.t(x).name + "_to_nhwc", x, t, permToNhwc(static_cast<size_t>(xt.rank()))));
        ++entries;
      }
      n.inputs[k] = twin[x];
    }
    const TensorId y = n.outputs[0];
    const TensorType yt = g.t(y).type;
    const TensorId y2 = addTensorOfType(g, g.t(y).name + "_nhwc", nhwcType(yt));
    twin.resize(g.tensors.size(), kNoTensor);
    twin[y] = y2;
    n.outputs[0] = y2;
    Attribute a;
    a.kind = Attribute::Kind::String;
    a.s = "NHWC";
    n.attrs[kLayoutAttr] = a;
    note(fmt::format("{} ({}) runs channels-last", n.name.empty() ? "'" + g.t(y).name + "'" : "'" + n.name + "'",
                     n.op_type));
    out.push_back(std::move(n));
    // The ONNX-layout tensor, for readers outside the region and graph
    // outputs; dropped below when nothing reads it.
    exitAt.push_back(out.size());
    out.push_back(transposeNode(g.t(y).name + "_from_nhwc", y2, y, permFromNhwc(static_cast<size_t>(yt.rank()))));
    ++converted;
  }
  if (converted == 0) return false;
  g.nodes = std::move(out);
  g.relinkProducers();
  // Drop boundary transposes nobody reads.
  size_t exits = 0;
  for (size_t pos : exitAt) {
    const TensorId y = g.nodes[pos].outputs[0];
    if (!isGraphOutput(g, y) && readers(g, y).empty()) killNode(g, static_cast<NodeId>(pos));
    else ++exits;
  }
  note(fmt::format("{} nodes channels-last; {} transposes into regions, {} out of them", converted, entries, exits));
  EMLC_TRY(finishPass(g));
  return true;
}

}  // namespace emlc
