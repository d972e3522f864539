#include "passes/stateful.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace emlc {

namespace {

bool isRecurrent(const Node& n) {
  return (n.domain.empty() || n.domain == "ai.onnx") && (n.op_type == "RNN" || n.op_type == "GRU" || n.op_type == "LSTM");
}
// The int8 forms (ops/qrnn.cpp): the state is int16, on inputs 8/9 and
// outputs 3/4; inputs 5/6 are the model's int8 initial states.
bool isInt8Recurrent(const Node& n) {
  return n.domain == "emlc" && (n.op_type == "QRNN" || n.op_type == "QGRU" || n.op_type == "QLSTM");
}

// Type of a recurrent node's final state ([1, batch, hidden]; layout 1:
// [batch, 1, hidden]) for a forward node whose Y_h is not in the model.
TensorType stateType(const Graph& g, const Node& n) {
  const TensorType& x = g.inType(n, 0);
  const int64_t layout = n.opset >= 14 || isInt8Recurrent(n) ? n.attrInt("layout", 0) : 0;
  const int64_t batch = layout ? x.shape[0] : x.shape[1];
  const int64_t hidden = g.inType(n, 2).shape[2];
  TensorType t;
  t.dtype = x.dtype;
  t.shape = layout ? Shape{batch, 1, hidden} : Shape{1, batch, hidden};
  return t;
}

bool allZero(const std::vector<uint8_t>& v) {
  return std::all_of(v.begin(), v.end(), [](uint8_t b) { return b == 0; });
}

void dropInput(Graph& g, TensorId id) {
  g.inputs.erase(std::remove(g.inputs.begin(), g.inputs.end(), id), g.inputs.end());
  g.t(id).is_input = false;
  g.t(id).is_state = true;
}

bool isStateValue(const Graph& g, TensorId id) {
  for (const StateLink& s : g.states)
    if (s.value == id) return true;
  return false;
}

// Input `in_k` (initial state) and output `out_k` (final state) of recurrent
// node `id` become a state link.
Status linkRecurrent(Graph& g, NodeId id, size_t in_k, size_t out_k, const char* what) {
  const std::string label = g.label(id);
  StateLink link;
  if (isInt8Recurrent(g.n(id))) {
    // The model's int8 initial state (input 5 or 6) gives way to the int16
    // state: a graph input stops being one (reset value: zeros).
    const TensorId init8 = g.n(id).in(in_k - 3);
    if (init8 != kNoTensor) {
      if (!g.t(init8).is_input)
        return unsupported(fmt::format("--stateful: the {} of {} is computed by the graph; it must be omitted, a "
                                       "constant or a graph input to become a state",
                                       what, label));
      g.inputs.erase(std::remove(g.inputs.begin(), g.inputs.end(), init8), g.inputs.end());
      g.t(init8).is_input = false;
      g.n(id).inputs[in_k - 3] = kNoTensor;
    }
  }
  const TensorId init = g.n(id).in(in_k);
  TensorType type = init != kNoTensor ? g.t(init).type : stateType(g, g.n(id));
  if (init == kNoTensor && isInt8Recurrent(g.n(id))) {  // int16 Q0.15 (h) or Q4.11 (c), see ops/qrnn.cpp
    type.dtype = DType::I16;
    type.quant.scale = {std::ldexp(1.0f, in_k == 8 ? -15 : -11)};
    type.quant.zero_point = {0};
  }
  if (init != kNoTensor && g.t(init).is_input) {
    dropInput(g, init);
    link.value = init;
  } else if (init != kNoTensor && isStateValue(g, init)) {
    return unsupported(fmt::format("--stateful: {} shares its {} with another recurrent node; give each layer its "
                                   "own initial state",
                                   label, what));
  } else if (init == kNoTensor || g.t(init).isConstant()) {
    if (init != kNoTensor && !allZero(*g.t(init).data)) link.reset = *g.t(init).data;
    Tensor s;
    s.name = g.uniqueName((g.n(id).name.empty() ? std::string("rnn") : g.n(id).name) + "_" + what + "_state");
    s.type = type;
    s.typed = true;
    s.is_state = true;
    link.value = g.addTensor(std::move(s));
    Node& n = g.n(id);
    if (n.inputs.size() <= in_k) n.inputs.resize(in_k + 1, kNoTensor);
    n.inputs[in_k] = link.value;
  } else {
    return unsupported(fmt::format("--stateful: the {} of {} is computed by the graph; it must be omitted, a "
                                   "constant or a graph input to become a state",
                                   what, label));
  }
  TensorId next = g.n(id).out(out_k);
  if (next == kNoTensor) {
    Tensor t;
    t.name = g.uniqueName(g.t(link.value).name + "_next");
    t.type = type;
    t.typed = true;
    t.producer = id;
    next = g.addTensor(std::move(t));
    Node& n = g.n(id);
    if (n.outputs.size() <= out_k) n.outputs.resize(out_k + 1, kNoTensor);
    n.outputs[out_k] = next;
  }
  link.next = next;
  g.states.push_back(std::move(link));
  return Status::ok();
}

}  // namespace

Expected<std::pair<std::string, std::string>> parseStatePair(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size() || spec.find('=', eq + 1) != std::string::npos)
    return invalid(fmt::format("--state '{}': expected INPUT=OUTPUT (a graph input and the tensor holding its next "
                               "value)",
                               spec));
  return std::make_pair(spec.substr(0, eq), spec.substr(eq + 1));
}

Status makeStateful(Graph& g, const StateOptions& opt) {
  if (opt.recurrent) {
    size_t found = 0;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      if (g.nodes[i].dead || (!isRecurrent(g.nodes[i]) && !isInt8Recurrent(g.nodes[i]))) continue;
      ++found;
      const NodeId id = static_cast<NodeId>(i);
      const std::string dir = g.n(id).attrString("direction", "forward");
      if (dir != "forward")
        return unsupported(fmt::format("--stateful: {} runs {}; only forward recurrences can run frame by frame "
                                       "(a reverse direction reads the whole sequence first)",
                                       g.label(id), dir));
      if (isInt8Recurrent(g.n(id))) {
        EMLC_TRY(linkRecurrent(g, id, 8, 3, "h"));
        if (g.n(id).op_type == "QLSTM") EMLC_TRY(linkRecurrent(g, id, 9, 4, "c"));
      } else {
        EMLC_TRY(linkRecurrent(g, id, 5, 1, "h"));
        if (g.n(id).op_type == "LSTM") EMLC_TRY(linkRecurrent(g, id, 6, 2, "c"));
      }
    }
    if (found == 0) return invalid("--stateful: the model has no RNN, GRU or LSTM node (use --state IN=OUT for "
                                   "explicit state inputs)");
  }
  for (const auto& [in, out] : opt.pairs) {
    auto iv = g.find(in);
    auto ov = g.find(out);
    if (!iv || !g.t(*iv).is_input)
      return invalid(fmt::format("--state {}={}: '{}' is not a runtime input of the model", in, out, in));
    if (g.t(*iv).is_output)
      return invalid(fmt::format("--state {}={}: '{}' is also a graph output; a state cannot be one", in, out, in));
    if (!ov) return invalid(fmt::format("--state {}={}: the model has no tensor '{}'", in, out, out));
    const Tensor& o = g.t(*ov);
    if (*iv == *ov || o.is_input || o.isConstant() || o.producer < 0)
      return invalid(fmt::format("--state {}={}: '{}' must be computed by the model from the run's inputs", in, out,
                                 out));
    const TensorType& it = g.t(*iv).type;
    if (it.dtype != o.type.dtype || it.shape != o.type.shape)
      return invalid(fmt::format("--state {}={}: '{}' is {} but '{}' is {}; a state and its next value must have "
                                 "the same type",
                                 in, out, in, it.str(), out, o.type.str()));
    for (const StateLink& s : g.states)
      if (s.next == *ov) return invalid(fmt::format("--state {}={}: '{}' already feeds another state", in, out, out));
    dropInput(g, *iv);
    StateLink link;
    link.value = *iv;
    link.next = *ov;
    g.states.push_back(std::move(link));
  }
  g.compact();
  return verifyGraph(g);
}

}  // namespace emlc
