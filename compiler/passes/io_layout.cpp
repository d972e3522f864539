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

// perm of a Transpose from (N, spatial..., C) to (N, C, spatial...), or back.
std::vector<int64_t> permFromNhwc(size_t rank) {
  std::vector<int64_t> p{0, static_cast<int64_t>(rank) - 1};
  for (size_t i = 1; i + 1 < rank; ++i) p.push_back(static_cast<int64_t>(i));
  return p;
}
std::vector<int64_t> permToNhwc(size_t rank) {
  std::vector<int64_t> p{0};
  for (size_t i = 2; i < rank; ++i) p.push_back(static_cast<int64_t>(i));
  p.push_back(1);
  return p;
}

Node transpose(const std::string& name, TensorId in, TensorId out, std::vector<int64_t> perm) {
  Node t;
  t.name = name;
  t.op_type = "Transpose";
  t.opset = 13;
  Attribute a;
  a.kind = Attribute::Kind::Ints;
  a.ints = std::move(perm);
  t.attrs["perm"] = a;
  t.inputs = {in};
  t.outputs = {out};
  return t;
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
    insertNode(g, 0, transpose(g.t(t).name + "_from_nhwc", t, x, permFromNhwc(static_cast<size_t>(g.t(x).type.rank()))));
    note(fmt::format("input '{}' is {} (channels-last)", g.t(t).name, g.t(t).type.str()));
    x = t;
    ++changed;
  }
  for (TensorId& y : g.outputs) {
    if (!ioRank(g.t(y).type) || isGraphInput(g, y)) continue;
    const TensorId t = nhwcTwin(g, y);
    insertNode(g, g.nodes.size(), transpose(g.t(t).name + "_to_nhwc", y, t, permToNhwc(static_cast<size_t>(g.t(y).type.rank()))));
    note(fmt::format("output '{}' is {} (channels-last)", g.t(t).name, g.t(t).type.str()));
    y = t;
    ++changed;
  }
  if (changed == 0) return false;
  EMLC_TRY(finishPass(g));
  return true;
}

}  // namespace emlc
