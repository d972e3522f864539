#include "eval/evaluator.h"

#include <fmt/format.h>

#include <cstring>

#include "ops/op.h"

namespace emlc {

Status evalNode(const Graph& g, const Node& n, const std::vector<const void*>& in,
                const std::vector<void*>& out) {
  const Op* op = findOp(n.domain, n.op_type);
  if (!op) return internal(g.label(n) + ": no implementation registered");
  Lowering l(g, n, in, out);
  Status st = op->lower(l);
  if (!st.isOk() && st.error().message.rfind(g.label(n), 0) != 0) st.error().context(g.label(n));
  return st;
}

Expected<std::vector<HostTensor>> runGraph(const Graph& g, const std::vector<HostTensor>& inputs,
                                           const TensorObserver* observe) {
  std::vector<std::vector<uint8_t>> state(g.states.size());
  return runGraphStep(g, inputs, state, observe);
}

Expected<std::vector<HostTensor>> runGraphStep(const Graph& g, const std::vector<HostTensor>& inputs,
                                               std::vector<std::vector<uint8_t>>& state,
                                               const TensorObserver* observe) {
  if (state.size() != g.states.size())
    return invalid(fmt::format("the model has {} states, {} given", g.states.size(), state.size()));
  for (size_t k = 0; k < g.states.size(); ++k) {
    const StateLink& s = g.states[k];
    const size_t bytes = g.t(s.value).type.bytes();
    if (state[k].empty()) state[k] = s.reset.empty() ? std::vector<uint8_t>(bytes, 0) : s.reset;
    if (state[k].size() != bytes)
      return invalid(fmt::format("state '{}' holds {} bytes, its type {} needs {}", g.t(s.value).name,
                                 state[k].size(), g.t(s.value).type.str(), bytes));
  }
  if (inputs.size() != g.inputs.size())
    return invalid(fmt::format("the model has {} inputs, {} given", g.inputs.size(), inputs.size()));
  std::vector<std::vector<uint8_t>> buf(g.tensors.size());
  std::vector<const void*> ptr(g.tensors.size(), nullptr);
  for (size_t i = 0; i < g.tensors.size(); ++i)
    if (g.tensors[i].isConstant()) ptr[i] = g.tensors[i].data->data();
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& t = g.t(g.inputs[k]);
    if (inputs[k].type.dtype != t.type.dtype || inputs[k].type.shape != t.type.shape)
      return invalid(fmt::format("input '{}' must be {}, got {}", t.name, t.type.str(), inputs[k].type.str()));
    ptr[g.inputs[k]] = inputs[k].data.data();
    if (observe) (*observe)(g.inputs[k], inputs[k].data.data());
  }
  for (size_t k = 0; k < g.states.size(); ++k) ptr[g.states[k].value] = state[k].data();
  // Free each buffer after its last reader to keep peak memory low.
  std::vector<int> last(g.tensors.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (TensorId x : g.nodes[i].inputs)
      if (x != kNoTensor) last[x] = static_cast<int>(i);
  for (TensorId o : g.outputs) last[o] = static_cast<int>(g.nodes.size());
  for (const StateLink& s : g.states) last[s.next] = static_cast<int>(g.nodes.size());

  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (n.dead) continue;
    std::vector<const void*> in;
    for (TensorId x : n.inputs) in.push_back(x == kNoTensor ? nullptr : ptr[x]);
    std::vector<void*> out;
    for (TensorId x : n.outputs) {
      if (x == kNoTensor) { out.push_back(nullptr); continue; }
      buf[x].assign(std::max<size_t>(g.t(x).type.bytes(), 1), 0);
      ptr[x] = buf[x].data();
      out.push_back(buf[x].data());
    }
    EMLC_TRY(evalNode(g, n, in, out));
    if (observe)
      for (TensorId x : n.outputs)
        if (x != kNoTensor) (*observe)(x, static_cast<const uint8_t*>(ptr[x]));
    for (TensorId x : n.inputs)
      if (x != kNoTensor && last[x] == static_cast<int>(i) && !buf[x].empty()) {
        std::vector<uint8_t>().swap(buf[x]);
        ptr[x] = nullptr;
      }
  }
  std::vector<HostTensor> outs;
  // Read the outputs before the states change (an output may be a state).
  for (TensorId o : g.outputs) {
    HostTensor h;
    h.type = g.t(o).type;
    const auto* p = static_cast<const uint8_t*>(ptr[o]);
    if (!p && h.type.bytes() > 0) return internal(fmt::format("output '{}' was not computed", g.t(o).name));
    if (p) h.data.assign(p, p + h.type.bytes());
    outs.push_back(std::move(h));
  }
  std::vector<std::vector<uint8_t>> next;
  for (const StateLink& s : g.states) {
    const auto* p = static_cast<const uint8_t*>(ptr[s.next]);
    if (!p) return internal(fmt::format("next value '{}' of a state was not computed", g.t(s.next).name));
    next.emplace_back(p, p + g.t(s.next).type.bytes());
  }
  state = std::move(next);
  return outs;
}

}  // namespace emlc
