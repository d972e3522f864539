#include "passes/rewrite.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace emlc {

std::vector<NodeId> readers(const Graph& g, TensorId t) {
  std::vector<NodeId> r;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (n.dead) continue;
    if (std::find(n.inputs.begin(), n.inputs.end(), t) != n.inputs.end()) r.push_back(static_cast<NodeId>(i));
  }
  return r;
}

bool isGraphOutput(const Graph& g, TensorId t) {
  return std::find(g.outputs.begin(), g.outputs.end(), t) != g.outputs.end();
}
bool isGraphInput(const Graph& g, TensorId t) {
  return std::find(g.inputs.begin(), g.inputs.end(), t) != g.inputs.end();
}

bool onlyReader(const Graph& g, TensorId t, NodeId n) {
  if (isGraphOutput(g, t)) return false;
  std::vector<NodeId> r = readers(g, t);
  return r.size() == 1 && r[0] == n;
}

NodeId soleReader(const Graph& g, TensorId t) {
  if (isGraphOutput(g, t)) return -1;
  std::vector<NodeId> r = readers(g, t);
  return r.size() == 1 ? r[0] : -1;
}

void replaceReads(Graph& g, TensorId from, TensorId to) {
  for (Node& n : g.nodes) {
    if (n.dead) continue;
    for (TensorId& x : n.inputs)
      if (x == from) x = to;
  }
}

void killNode(Graph& g, NodeId id) {
  Node& n = g.n(id);
  n.dead = true;
  n.inputs.clear();
  n.outputs.clear();
}

void absorbNext(Graph& g, NodeId producer, NodeId consumer) {
  Node& c = g.n(consumer);
  const TensorId out = c.outputs[0];
  killNode(g, consumer);
  g.n(producer).outputs[0] = out;
  g.t(out).producer = producer;
}

bool bypassNode(Graph& g, NodeId id, TensorId in, TensorId out) {
  if (!isGraphOutput(g, out)) {
    killNode(g, id);
    replaceReads(g, out, in);
    return true;
  }
  // `out` must survive as the graph output's name: let in's producer write it.
  const Tensor& src = g.t(in);
  if (src.isConstant() || isGraphInput(g, in) || isGraphOutput(g, in) || src.producer < 0) return false;
  if (g.t(in).type.shape != g.t(out).type.shape || g.t(in).type.dtype != g.t(out).type.dtype) return false;
  Node& p = g.n(src.producer);
  if (p.dead) return false;
  for (TensorId& o : p.outputs)
    if (o == in) o = out;
  killNode(g, id);
  replaceReads(g, in, out);
  g.t(out).type = g.t(in).type;
  g.relinkProducers();
  return true;
}

TensorId addConstant(Graph& g, const std::string& base_name, TensorType type, std::vector<uint8_t> bytes) {
  Tensor t;
  t.name = g.uniqueName(base_name);
  t.type = std::move(type);
  t.typed = true;
  t.data = std::move(bytes);
  return g.addTensor(std::move(t));
}

TensorId addFloatConstant(Graph& g, const std::string& base_name, DType dt, Shape shape,
                          const std::vector<double>& values) {
  TensorType type;
  type.dtype = dt;
  type.shape = std::move(shape);
  std::vector<uint8_t> bytes(values.size() * dtypeSize(dt));
  for (size_t i = 0; i < values.size(); ++i) {
    if (dt == DType::F64) {
      std::memcpy(bytes.data() + 8 * i, &values[i], 8);
    } else {
      const float f = static_cast<float>(values[i]);
      std::memcpy(bytes.data() + 4 * i, &f, 4);
    }
  }
  return addConstant(g, base_name, std::move(type), std::move(bytes));
}

std::vector<double> constValues(const Graph& g, TensorId id) {
  const Tensor& t = g.t(id);
  const size_t n = static_cast<size_t>(t.type.numel());
  std::vector<double> v(n);
  const uint8_t* p = t.data->data();
  for (size_t i = 0; i < n; ++i) {
    switch (t.type.dtype) {
      case DType::F32: { float f; std::memcpy(&f, p + 4 * i, 4); v[i] = f; break; }
      case DType::F64: std::memcpy(&v[i], p + 8 * i, 8); break;
      case DType::I32: { int32_t x; std::memcpy(&x, p + 4 * i, 4); v[i] = x; break; }
      case DType::I64: { int64_t x; std::memcpy(&x, p + 8 * i, 8); v[i] = static_cast<double>(x); break; }
      default: v[i] = 0; break;
    }
  }
  return v;
}

TensorId addTensorOfType(Graph& g, const std::string& base_name, TensorType type) {
  Tensor t;
  t.name = g.uniqueName(base_name);
  t.type = std::move(type);
  t.typed = true;
  return g.addTensor(std::move(t));
}

Node transposeNode(const std::string& name, TensorId in, TensorId out, std::vector<int64_t> perm) {
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

NodeId insertNode(Graph& g, size_t pos, Node n) {
  g.nodes.insert(g.nodes.begin() + static_cast<std::ptrdiff_t>(pos), std::move(n));
  g.relinkProducers();
  return static_cast<NodeId>(pos);
}

std::string nodeRef(const Graph& g, NodeId id) {
  const Node& n = g.n(id);
  if (!n.name.empty()) return fmt::format("'{}'", n.name);
  return fmt::format("#{} ({})", id, n.op_type);
}

Status finishPass(Graph& g) {
  g.compact();
  return verifyGraph(g);
}

}  // namespace emlc
