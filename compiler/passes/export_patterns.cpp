#include "passes/export_patterns.h"

#include <cmath>
#include <cstring>

namespace emlc {

bool isOp(const Node& n, const char* op) {
  return !n.dead && (n.domain.empty() || n.domain == "ai.onnx") && n.op_type == op;
}

const Node* PatternView::producer(TensorId t, const char* op) const {
  if (t == kNoTensor) return nullptr;
  const NodeId p = g_.t(t).producer;
  if (p < 0) return nullptr;
  const Node& n = g_.n(p);
  return isOp(n, op) ? &n : nullptr;
}

bool PatternView::internal(TensorId t) const {
  if (t == kNoTensor) return false;
  const Tensor& x = g_.t(t);
  if (x.is_output || x.is_state) return false;
  for (const StateLink& s : g_.states)
    if (s.next == t) return false;
  const auto& c = cons_[static_cast<size_t>(t)];
  if (c.size() != 1) return false;
  int reads = 0;
  for (TensorId in : g_.n(c[0]).inputs) reads += in == t ? 1 : 0;
  return reads == 1;
}

const Node* PatternView::soleConsumer(TensorId t, const char* op) const {
  if (!internal(t)) return nullptr;
  const Node& n = g_.n(cons_[static_cast<size_t>(t)][0]);
  return isOp(n, op) ? &n : nullptr;
}

std::optional<double> PatternView::constValue(TensorId t) const {
  if (t == kNoTensor) return std::nullopt;
  const Tensor& x = g_.t(t);
  if (!x.isConstant() || x.type.numel() < 1) return std::nullopt;
  const int64_t n = x.type.numel();
  auto at = [&](int64_t i) -> std::optional<double> {
    if (x.type.dtype == DType::F32) {
      float v;
      std::memcpy(&v, x.data->data() + 4 * i, 4);
      return v;
    }
    if (x.type.dtype == DType::F64) {
      double v;
      std::memcpy(&v, x.data->data() + 8 * i, 8);
      return v;
    }
    return std::nullopt;
  };
  const std::optional<double> first = at(0);
  if (!first) return std::nullopt;
  for (int64_t i = 1; i < n; ++i)
    if (at(i) != first) return std::nullopt;
  return first;
}

bool PatternView::isConst(TensorId t, double v) const {
  const std::optional<double> c = constValue(t);
  return c && std::fabs(*c - v) <= 1e-5 * std::max(1.0, std::fabs(v));
}

TensorId PatternView::other(const Node& n, TensorId x) const {
  if (n.inputs.size() != 2) return kNoTensor;
  if (n.inputs[0] == x) return n.inputs[1];
  if (n.inputs[1] == x) return n.inputs[0];
  return kNoTensor;
}

}  // namespace emlc
