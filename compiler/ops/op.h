// The op interface. Every ONNX op emlc supports lives in one place: a class
// implementing Op in compiler/ops/<family>.cpp, registered by one line in
// ops.def. The class owns the op's attribute checks, shape/type inference,
// and its kernel call (evaluation and emission share Op::lower).
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "ops/lowering.h"
#include "support/status.h"

namespace emlc {

// What `emlc list-ops` and README's operator table say about an op, kept in
// the op's class (one place per op). `types` uses the short names of
// kOpTypeLegend; `limits` says, for users, what emlc does not support or
// needs to be a compile-time constant ("" when nothing beyond ONNX's
// definition applies).
struct OpDoc {
  std::string types;
  std::string limits;
};
inline constexpr const char* kOpTypeLegend =
    "float = float32, float64; int = int8, int16, int32, int64; uint = uint8, uint16, uint32, uint64";

class Op {
 public:
  virtual ~Op() = default;

  // Checks attributes, opset and input types, and sets the output types
  // (Graph::t(out).type, typed = true). Inputs are typed; constant inputs have
  // data. Returns Unsupported (with a reason, no node prefix: the caller adds
  // it) for valid models emlc can't compile, Invalid for malformed ones.
  virtual Status infer(Node& n, Graph& g) const = 0;

  // Describes the kernel call (see lowering.h). Called only after infer().
  virtual Status lower(Lowering& l) const = 0;

  // Output 0 is input 0 reinterpreted (same bytes): the planner may share
  // storage, and lower() must be `return l.viewCopy();`.
  virtual bool isView() const { return false; }

  // Output 0 may be written over input k (same bytes): the kernel reads
  // every element of input k it needs before (or when) it writes the output
  // element at the same index, so passing the same pointer for both is
  // correct. The planner asks only when input k has output 0's exact type
  // (element type and shape) and decides itself whether input k dies at
  // this node, is writable and is not read through another input. Eval mode
  // always uses separate buffers. Default: never.
  virtual bool inPlace(const Node& n, const Graph& g, size_t k) const {
    (void)n; (void)g; (void)k;
    return false;
  }

  // Bytes of kernel scratch (im2col buffers and the like) one evaluation
  // needs. The planner gives them an arena buffer live at this node's step
  // only; lower() gets it with `l.scratch<T>(count)` (count * sizeof(T) must
  // not exceed these bytes). Default: none.
  virtual size_t scratchBytes(const Node& n, const Graph& g) const {
    (void)n; (void)g;
    return 0;
  }

  // lower() applies a fused activation given by the node's emlc_activation
  // attributes (ops/fused_activation.h), so the activation-fusion pass may
  // fold a following activation into this node. Default: no.
  virtual bool fusesActivation(const Node& n, const Graph& g) const {
    (void)n; (void)g;
    return false;
  }

  // The node can run with its layout tensors in layout `l` (ops/nhwc.h):
  // the layout-nhwc pass converts a node only when this says yes, and
  // marks in `layout_inputs` (one flag per input) which inputs carry the
  // layout; output 0 always does. Default: the model's layout only.
  virtual bool supportsLayout(const Node& n, const Graph& g, Layout l, std::vector<bool>* layout_inputs) const {
    (void)n; (void)g; (void)layout_inputs;
    return l == Layout::Onnx;
  }

  // Fold even when inputs are not constant (outputs depend on shapes only).
  virtual bool shapeOnly() const { return false; }

  // Constant folding may evaluate this node at import when its inputs are
  // constant. DequantizeLinear says no: the int8 lowering needs the integer
  // weights and scales behind it (and folds what stays float itself).
  virtual bool foldable() const { return true; }

  // Multiply-accumulates of one evaluation (Conv, Gemm, MatMul...; 0 else).
  virtual int64_t macs(const Node& n, const Graph& g) const {
    (void)n; (void)g;
    return 0;
  }

  // Input k of this node must be a compile-time constant (a shape, axes,
  // pads...). Used to freeze such inputs from test data.
  virtual bool needsConstInput(const Node& n, size_t k) const {
    (void)n; (void)k;
    return false;
  }

  // Element types and limits for the documentation (see OpDoc).
  virtual OpDoc doc() const { return {}; }
};

// The registry (ops/registry.cpp, filled from ops.def). nullptr if unknown.
// Domain "" (or "ai.onnx") holds the ONNX ops; domain "emlc" holds emlc's
// internal ops (the int8 kernels the quantization passes create).
const Op* findOp(const std::string& domain, const std::string& op_type);
// All registered op types, sorted (for README's table and `emlc --list-ops`).
std::vector<std::string> registeredOps();
// The operator table: a Markdown table (README.md) or plain text
// (`emlc list-ops`), one row per op with its OpDoc.
std::string operatorTable(bool markdown);

// emlc's internal op types (domain "emlc"), sorted.
std::vector<std::string> internalOps();

}  // namespace emlc
