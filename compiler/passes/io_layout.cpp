#include "passes/io_layout.h"

#include <fmt/format.h>

#include <utility>

#include "ops/nhwc.h"
#include "passes/rewrite.h"

namespace emlc {
namespace {

bool ioRank(const TensorType& t) {
  return t.dtype == DType::F32 && t.layout == Layout::Onnx && (t.rank() == 3 || t.rank() == 4);
}

// A new NHWC tensor that takes over `x`'s name (the generated API keeps the
// model's names); `x` is renamed.
TensorId nhwcTwin(Graph& g, TensorId x) {
  const TensorId t = addTensorOfType(g, g.t(x).name + "_nhwc", nhwcType(g.t(x).type));
  std::swap(g.t(t).name, g.t(x).name);
  return t;
}

}  // namespace

Expected<bool> IoLayoutPass::run(Graph& g, const PassOptions& opt) {
  if (!opt.io_nhwc) return false;
  size_t changed = 0;
  for (TensorId& x : g.inputs) {
    if (!ioRank(g.t(x).type) || isGraphOutput(g, x)) continue;
    const TensorId t = nhwcTwin(g, x);
    insertNode(g, 0, transposeNode(g.t(t).name + "_from_nhwc", t, x, permFromNhwc(static_cast<size_t>(g.t(x).type.rank()))));
    note(fmt::format("input '{}' is {} (channels-last)", g.t(t).name, g.t(t).type.str()));
    x = t;
    ++changed;
  }
  for (TensorId& y : g.outputs) {
    if (!ioRank(g.t(y).type) || isGraphInput(g, y)) continue;
    const TensorId t = nhwcTwin(g, y);
    insertNode(g, g.nodes.size(), transposeNode(g.t(t).name + "_to_nhwc", y, t, permToNhwc(static_cast<size_t>(g.t(y).type.rank()))));
    note(fmt::format("output '{}' is {} (channels-last)", g.t(t).name, g.t(t).type.str()));
    y = t;
    ++changed;
  }
  if (changed == 0) return false;
  EMLC_TRY(finishPass(g));
  return true;
}

}  // namespace emlc
