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
};

// The registry (ops/registry.cpp, filled from ops.def). nullptr if unknown.
// Domain "" (or "ai.onnx") holds the ONNX ops; domain "emlc" holds emlc's
// internal ops (the int8 kernels the quantization passes create).
const Op* findOp(const std::string& domain, const std::string& op_type);
// All registered op types, sorted (for README's table and `emlc --list-ops`).
std::vector<std::string> registeredOps();
// emlc's internal op types (domain "emlc"), sorted.
std::vector<std::string> internalOps();

}  // namespace emlc
