#include "passes/infer.h"

#include <fmt/format.h>

#include "eval/evaluator.h"
#include "ops/op.h"

namespace emlc {

bool foldable(const Graph& g, const Node& n, size_t limit) {
  const Op* found = findOp(n.domain, n.op_type);
  if (!found) return false;
  const Op& op = *found;
  if (!op.foldable()) return false;
  size_t in_bytes = 0, out_bytes = 0;
  for (TensorId x : n.inputs) {
    if (x == kNoTensor) continue;
    if (!g.t(x).isConstant() && !op.shapeOnly()) return false;
    if (g.t(x).isConstant()) in_bytes += g.t(x).type.bytes();
  }
  for (TensorId x : n.outputs)
    if (x != kNoTensor) out_bytes += g.t(x).type.bytes();
  return out_bytes <= limit || out_bytes <= in_bytes;
}

Status foldNode(Graph& g, Node& n) {
  std::vector<const void*> in;
  for (TensorId x : n.inputs)
    in.push_back(x == kNoTensor || !g.t(x).isConstant() ? nullptr : g.t(x).data->data());
  std::vector<std::vector<uint8_t>> bufs(n.outputs.size());
  std::vector<void*> out;
  for (size_t k = 0; k < n.outputs.size(); ++k) {
    if (n.outputs[k] == kNoTensor) { out.push_back(nullptr); continue; }
    bufs[k].assign(std::max<size_t>(g.t(n.outputs[k]).type.bytes(), 1), 0);
    out.push_back(bufs[k].data());
  }
  EMLC_TRY(evalNode(g, n, in, out));
  for (size_t k = 0; k < n.outputs.size(); ++k) {
    if (n.outputs[k] == kNoTensor) continue;
    bufs[k].resize(g.t(n.outputs[k]).type.bytes());
    g.t(n.outputs[k]).data = std::move(bufs[k]);
  }
  n.dead = true;
  return Status::ok();
}

Status inferAndFold(Graph& g, const InferOptions& opt) {
  std::vector<std::string> problems;
  bool any_invalid = false, any_internal = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    if (n.dead) continue;
    std::string where = fmt::format("{} [opset {}]", g.label(n), n.opset);
    const Op* op = findOp(n.domain, n.op_type);
    if (!op) {
      problems.push_back(fmt::format("{}: op type '{}'{} is not supported", where, n.op_type,
                                     n.domain.empty() ? "" : " of domain '" + n.domain + "'"));
      continue;
    }
    bool ready = true;
    for (TensorId x : n.inputs)
      if (x != kNoTensor && !g.t(x).typed) ready = false;
    if (!ready) continue;  // depends on a node already reported
    Status st = op->infer(n, g);
    if (st.isOk()) {
      for (TensorId x : n.outputs)
        if (x != kNoTensor && !g.t(x).typed)
          st = internal(fmt::format("output '{}' was not typed by inference", g.t(x).name));
    }
    if (!st.isOk()) {
      any_invalid |= st.error().kind == ErrorKind::Invalid;
      any_internal |= st.error().kind == ErrorKind::Internal;
      problems.push_back(fmt::format("{}: {}", where, st.error().message));
      for (TensorId x : n.outputs)
        if (x != kNoTensor) g.t(x).typed = false;
      continue;
    }
    if (opt.onnx_shapes) {
      for (TensorId x : n.outputs) {
        if (x == kNoTensor) continue;
        auto it = opt.onnx_shapes->find(g.t(x).name);
        if (it != opt.onnx_shapes->end() && it->second != g.t(x).type.shape) {
          any_internal = true;
          problems.push_back(fmt::format("{}: emlc infers shape {} for '{}' but ONNX infers {}", where,
                                         shapeStr(g.t(x).type.shape), g.t(x).name, shapeStr(it->second)));
        }
      }
    }
    if (opt.fold && foldable(g, n, opt.fold_limit_bytes)) {
      Status fs = foldNode(g, n);
      if (!fs.isOk()) {
        any_internal |= fs.error().kind == ErrorKind::Internal;
        problems.push_back(fmt::format("{}: while folding: {}", where, fs.error().message));
      }
    }
  }
  if (!problems.empty()) {
    // Malformed nodes are "errors"; valid nodes emlc cannot handle are "cannot compile".
    const char* what = any_invalid && !any_internal ? "with errors" : "emlc cannot compile";
    std::string msg = problems.size() == 1 ? fmt::format("the model has 1 node {}:", what)
                                           : fmt::format("the model has {} nodes {}:", problems.size(), what);
    for (const auto& p : problems) msg += "\n  " + p;
    ErrorKind kind = any_internal ? ErrorKind::Internal : any_invalid ? ErrorKind::Invalid : ErrorKind::Unsupported;
    return Error{kind, msg};
  }
  g.compact();
  return verifyGraph(g);
}

}  // namespace emlc
