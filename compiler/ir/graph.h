// The IR: a Graph of Nodes and Tensors.
//
// Contracts
// - Tensors and nodes are addressed by index (TensorId/NodeId). kNoTensor marks
//   an omitted optional input/output.
// - A tensor's type carries shape, element type, layout and quantization, so no
//   pass can drop quantization silently.
// - A tensor with `data` is a compile-time constant; its bytes are little-endian
//   and densely packed in row-major order.
// - `nodes` is kept in a valid topological order; the verifier checks it.
// - Passes mark nodes dead and call compact() to remove them; compact() remaps
//   ids, so callers must not keep ids across it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/dtype.h"
#include "support/status.h"

namespace emlc {

using TensorId = int32_t;
using NodeId = int32_t;
constexpr TensorId kNoTensor = -1;

using Shape = std::vector<int64_t>;

std::string shapeStr(const Shape& s);  // "[1,3,32,32]"
int64_t shapeNumel(const Shape& s);     // 1 for rank 0

// Quantization parameters: empty scale = not quantized. One scale = per tensor;
// several = per channel along `axis`.
struct QuantParams {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int32_t axis = -1;
  bool quantized() const { return !scale.empty(); }
  bool perChannel() const { return scale.size() > 1; }
  bool operator==(const QuantParams& o) const {
    return scale == o.scale && zero_point == o.zero_point && axis == o.axis;
  }
};

// Memory layout of a tensor's data. `Onnx` is the layout the ONNX model states
// (NCHW for images); NHWC is for kernels that want channels last.
enum class Layout : uint8_t { Onnx, NHWC };

struct TensorType {
  DType dtype = DType::Undefined;
  Shape shape;
  Layout layout = Layout::Onnx;
  QuantParams quant;

  int64_t numel() const { return shapeNumel(shape); }
  size_t bytes() const { return static_cast<size_t>(numel()) * dtypeSize(dtype); }
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  std::string str() const;  // "float32[1,3,32,32]"
};

struct Tensor {
  std::string name;
  TensorType type;
  bool typed = false;                        // type known (set by inference)
  std::optional<std::vector<uint8_t>> data;  // compile-time constant value
  NodeId producer = -1;
  bool is_input = false;
  bool is_output = false;
  bool is_state = false;  // the value of a StateLink (see Graph::states)

  bool isConstant() const { return data.has_value(); }
  template <class T>
  const T* as() const { return reinterpret_cast<const T*>(data->data()); }
};

struct Attribute {
  enum class Kind { Int, Float, String, Ints, Floats, Strings, Tensor, Graph, Other };
  Kind kind = Kind::Other;
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string> strings;
  TensorType tensor_type;        // for Kind::Tensor
  std::vector<uint8_t> tensor_data;
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" for the default ONNX domain
  int opset = 0;       // opset version of the node's domain in the model
  std::vector<TensorId> inputs;
  std::vector<TensorId> outputs;
  std::map<std::string, Attribute> attrs;
  bool dead = false;

  bool has(const std::string& a) const { return attrs.count(a) != 0; }
  int64_t attrInt(const std::string& a, int64_t def) const;
  float attrFloat(const std::string& a, float def) const;
  std::string attrString(const std::string& a, const std::string& def) const;
  std::vector<int64_t> attrInts(const std::string& a, std::vector<int64_t> def = {}) const;
  std::vector<float> attrFloats(const std::string& a, std::vector<float> def = {}) const;
  // Input k if present (not omitted), else kNoTensor.
  TensorId in(size_t k) const { return k < inputs.size() ? inputs[k] : kNoTensor; }
  TensorId out(size_t k) const { return k < outputs.size() ? outputs[k] : kNoTensor; }
};

// Streaming state (emlc --stateful / --state): `value` is a runtime tensor
// with no producer that holds, at the start of a run, what `next` held at the
// end of the previous run (or `reset` after NAME_reset_state(); all zeros if
// `reset` is empty). Both have the same type. The planner keeps `value` in
// arena bytes of its own for the whole run (nothing else ever uses them, so
// they persist across runs) and `next` alive to the end of the run, when it
// is copied into `value`.
struct StateLink {
  TensorId value = kNoTensor;
  TensorId next = kNoTensor;
  std::vector<uint8_t> reset;  // empty: zeros
};

class Graph {
 public:
  std::string name;
  std::vector<Tensor> tensors;
  std::vector<Node> nodes;
  std::vector<TensorId> inputs;   // runtime inputs, in model order
  std::vector<TensorId> outputs;  // in model order
  std::vector<StateLink> states;  // streaming state, if any

  TensorId addTensor(Tensor t);
  NodeId addNode(Node n);  // sets producer of its outputs
  Tensor& t(TensorId id) { return tensors[static_cast<size_t>(id)]; }
  const Tensor& t(TensorId id) const { return tensors[static_cast<size_t>(id)]; }
  Node& n(NodeId id) { return nodes[static_cast<size_t>(id)]; }
  const Node& n(NodeId id) const { return nodes[static_cast<size_t>(id)]; }
  std::optional<TensorId> find(const std::string& tensor_name) const;

  // Type of input/output k of a node (must be present).
  const TensorType& inType(const Node& node, size_t k) const { return t(node.inputs[k]).type; }
  // Makes a fresh tensor name not used in the graph, based on `base`.
  std::string uniqueName(const std::string& base) const;

  // For every tensor, the live nodes that read it (in node order).
  std::vector<std::vector<NodeId>> consumers() const;
  // Removes dead nodes and tensors nothing refers to; remaps ids.
  void compact();
  // Recomputes Tensor::producer from the live nodes.
  void relinkProducers();

  // "node 'conv1' (Conv)", or "node #3 (Conv, output 'y')" for unnamed nodes.
  std::string label(const Node& node) const;
  std::string label(NodeId id) const { return label(n(id)); }
};

// Structural checks: ids in range, every input defined before use (topological
// order), one producer per tensor, types known, constants sized correctly,
// state links well formed.
Status verifyGraph(const Graph& g);

// Text dump of the graph, one node per line (for `emlc inspect --ir`).
std::string printGraph(const Graph& g);

}  // namespace emlc
