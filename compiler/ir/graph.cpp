#include "ir/graph.h"

#include <fmt/format.h>

#include <set>

namespace emlc {

std::string shapeStr(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

int64_t shapeNumel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

std::string TensorType::str() const {
  std::string r = std::string(dtypeName(dtype)) + shapeStr(shape);
  if (quant.quantized()) {
    r += quant.perChannel() ? fmt::format(" q(per-channel axis {})", quant.axis)
                            : fmt::format(" q(scale {:g}, zp {})", quant.scale[0],
                                          quant.zero_point.empty() ? 0 : quant.zero_point[0]);
  }
  if (layout == Layout::NHWC) r += " NHWC";
  return r;
}

int64_t Node::attrInt(const std::string& a, int64_t def) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? def : it->second.i;
}
float Node::attrFloat(const std::string& a, float def) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? def : it->second.f;
}
std::string Node::attrString(const std::string& a, const std::string& def) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? def : it->second.s;
}
std::vector<int64_t> Node::attrInts(const std::string& a, std::vector<int64_t> def) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? def : it->second.ints;
}
std::vector<float> Node::attrFloats(const std::string& a, std::vector<float> def) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? def : it->second.floats;
}

TensorId Graph::addTensor(Tensor t) {
  tensors.push_back(std::move(t));
  return static_cast<TensorId>(tensors.size() - 1);
}

NodeId Graph::addNode(Node n) {
  nodes.push_back(std::move(n));
  NodeId id = static_cast<NodeId>(nodes.size() - 1);
  for (TensorId o : nodes.back().outputs)
    if (o != kNoTensor) t(o).producer = id;
  return id;
}

std::optional<TensorId> Graph::find(const std::string& tensor_name) const {
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].name == tensor_name) return static_cast<TensorId>(i);
  return std::nullopt;
}

std::string Graph::uniqueName(const std::string& base) const {
  std::set<std::string> used;
  for (const Tensor& x : tensors) used.insert(x.name);
  if (!used.count(base)) return base;
  for (int i = 1;; ++i) {
    std::string c = fmt::format("{}_{}", base, i);
    if (!used.count(c)) return c;
  }
}

std::vector<std::vector<NodeId>> Graph::consumers() const {
  std::vector<std::vector<NodeId>> c(tensors.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].dead) continue;
    for (TensorId in : nodes[i].inputs)
      if (in != kNoTensor && (c[in].empty() || c[in].back() != static_cast<NodeId>(i)))
        c[in].push_back(static_cast<NodeId>(i));
  }
  return c;
}

void Graph::relinkProducers() {
  for (Tensor& x : tensors) x.producer = -1;
  for (size_t i = 0; i < nodes.size(); ++i)
    for (TensorId o : nodes[i].outputs)
      if (o != kNoTensor) t(o).producer = static_cast<NodeId>(i);
}

void Graph::compact() {
  std::vector<Node> live;
  for (Node& n : nodes)
    if (!n.dead) live.push_back(std::move(n));
  nodes = std::move(live);
  std::vector<bool> used(tensors.size(), false);
  for (const Node& n : nodes) {
    for (TensorId x : n.inputs) if (x != kNoTensor) used[x] = true;
    for (TensorId x : n.outputs) if (x != kNoTensor) used[x] = true;
  }
  for (TensorId x : inputs) used[x] = true;
  for (TensorId x : outputs) used[x] = true;
  for (const StateLink& s : states) used[s.value] = used[s.next] = true;
  std::vector<TensorId> remap(tensors.size(), kNoTensor);
  std::vector<Tensor> kept;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!used[i]) continue;
    remap[i] = static_cast<TensorId>(kept.size());
    kept.push_back(std::move(tensors[i]));
  }
  tensors = std::move(kept);
  auto fix = [&](TensorId& x) { if (x != kNoTensor) x = remap[x]; };
  for (Node& n : nodes) {
    for (TensorId& x : n.inputs) fix(x);
    for (TensorId& x : n.outputs) fix(x);
  }
  for (TensorId& x : inputs) fix(x);
  for (TensorId& x : outputs) fix(x);
  for (StateLink& s : states) fix(s.value), fix(s.next);
  relinkProducers();
}

std::string Graph::label(const Node& node) const {
  if (!node.name.empty()) return fmt::format("node '{}' ({})", node.name, node.op_type);
  size_t idx = static_cast<size_t>(&node - nodes.data());
  std::string out = node.outputs.empty() || node.outputs[0] == kNoTensor
                        ? std::string()
                        : fmt::format(", output '{}'", t(node.outputs[0]).name);
  return fmt::format("node #{} ({}{})", idx, node.op_type, out);
}

Status verifyGraph(const Graph& g) {
  const auto nt = static_cast<TensorId>(g.tensors.size());
  std::vector<bool> defined(g.tensors.size(), false);
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor& x = g.tensors[i];
    if (x.isConstant()) {
      defined[i] = true;
      if (x.typed && x.data->size() != x.type.bytes())
        return internal(fmt::format("constant '{}' holds {} bytes, its type {} needs {}", x.name,
                                    x.data->size(), x.type.str(), x.type.bytes()));
    }
  }
  for (TensorId in : g.inputs) {
    if (in < 0 || in >= nt) return internal("graph input id out of range");
    defined[in] = true;
  }
  for (const StateLink& s : g.states) {
    if (s.value < 0 || s.value >= nt || s.next < 0 || s.next >= nt) return internal("state id out of range");
    const Tensor& v = g.t(s.value);
    if (!v.is_state || v.is_input || v.isConstant() || v.producer >= 0)
      return internal(fmt::format("state '{}' must be a non-constant tensor with no producer", v.name));
    if (v.type.dtype != g.t(s.next).type.dtype || v.type.shape != g.t(s.next).type.shape)
      return internal(fmt::format("state '{}' {} and its next value '{}' {} differ in type", v.name, v.type.str(),
                                  g.t(s.next).name, g.t(s.next).type.str()));
    if (!s.reset.empty() && s.reset.size() != v.type.bytes())
      return internal(fmt::format("state '{}': reset value has the wrong size", v.name));
    defined[s.value] = true;
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (n.dead) continue;
    for (TensorId in : n.inputs) {
      if (in == kNoTensor) continue;
      if (in < 0 || in >= nt) return internal(g.label(n) + ": input id out of range");
      if (!defined[in])
        return internal(fmt::format("{}: reads '{}' before it is produced", g.label(n), g.t(in).name));
    }
    for (TensorId o : n.outputs) {
      if (o == kNoTensor) continue;
      if (o < 0 || o >= nt) return internal(g.label(n) + ": output id out of range");
      if (defined[o])
        return internal(fmt::format("{}: output '{}' is defined twice", g.label(n), g.t(o).name));
      if (g.t(o).producer != static_cast<NodeId>(i))
        return internal(fmt::format("{}: producer link of '{}' is stale", g.label(n), g.t(o).name));
      defined[o] = true;
    }
  }
  for (TensorId o : g.outputs) {
    if (o < 0 || o >= nt || !defined[o]) return internal("graph output is never produced");
  }
  for (const StateLink& s : g.states)
    if (!defined[s.next]) return internal(fmt::format("next value of state '{}' is never produced", g.t(s.value).name));
  return Status::ok();
}

std::string printGraph(const Graph& g) {
  std::string s = fmt::format("graph '{}'\n", g.name);
  auto tname = [&](TensorId id) { return id == kNoTensor ? std::string("<none>") : g.t(id).name; };
  for (TensorId in : g.inputs) s += fmt::format("  input  {}: {}\n", g.t(in).name, g.t(in).type.str());
  for (const StateLink& st : g.states)
    s += fmt::format("  state  {}: {} (next: {}{})\n", g.t(st.value).name, g.t(st.value).type.str(),
                     g.t(st.next).name, st.reset.empty() ? "" : ", reset from a constant");
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (n.dead) continue;
    std::string ins, outs;
    for (TensorId x : n.inputs) {
      ins += (ins.empty() ? "" : ", ") + tname(x);
      if (x != kNoTensor && g.t(x).isConstant()) ins += "(const)";
    }
    for (TensorId x : n.outputs)
      outs += (outs.empty() ? "" : ", ") + tname(x) + (x == kNoTensor ? "" : ":" + g.t(x).type.str());
    // emlc's own attributes (fused activations, layout) show what passes did.
    std::string extra;
    for (const auto& [key, a] : n.attrs) {
      if (key.rfind("emlc_", 0) != 0) continue;
      extra += extra.empty() ? " {" : ", ";
      extra += key + "=" + (a.kind == Attribute::Kind::String  ? a.s
                            : a.kind == Attribute::Kind::Float ? fmt::format("{:g}", a.f)
                                                               : std::to_string(a.i));
    }
    if (!extra.empty()) extra += "}";
    s += fmt::format("  %{} {} '{}' ({}) -> {}{}\n", i, n.op_type, n.name, ins, outs, extra);
  }
  for (TensorId o : g.outputs) s += fmt::format("  output {}: {}\n", g.t(o).name, g.t(o).type.str());
  return s;
}

}  // namespace emlc
