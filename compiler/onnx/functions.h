// ONNX functions, inlined at import: a node that calls a function becomes
// the function's body, with the call's inputs, outputs and attributes
// substituted and the body's own tensors renamed apart.
//
// Which calls are inlined (in this order):
//  1. model-local functions (ModelProto.functions, matched by domain and
//     name), as newer exporters emit (PyTorch's dynamo exporter, onnxscript);
//  2. standard ops emlc has no kernel for whose ONNX schema defines a function
//     body, including context-dependent bodies (built from the input types
//     the model declares), when every op of the body is one emlc
//     compiles (or is itself function-bodied); otherwise the call is kept, so
//     the error names the op the model uses.
// Ops emlc implements natively are kept (their kernels are faster than the
// bodies). Bodies may call other functions, up to a nesting depth of 16; a
// function that calls itself is an error.
//
// Each body node carries the opset version of its domain from the
// function's opset imports (the model's when the function imports none; a
// standard function's body uses the op's own version).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/status.h"

namespace onnx {
class ModelProto;
class NodeProto;
class TypeProto;
}  // namespace onnx

namespace emlc {

struct FlatNode {
  const onnx::NodeProto* node = nullptr;  // points into `storage` or the model
  int opset = 0;                          // version of the node's domain
  std::string where;                      // "node 'x' (Op)", with the call chain for inlined nodes
};

struct FlatGraph {
  std::vector<FlatNode> nodes;
  std::vector<std::unique_ptr<onnx::NodeProto>> storage;  // inlined nodes
  int inlined_calls = 0;
};

// Refuses model-local functions that call themselves, directly or through
// others (checked before ONNX's checker and shape inference, which would
// recurse without end on them).
Status checkFunctionRecursion(const onnx::ModelProto& model);

// `opsets`: the model's domain versions ("" for the default domain).
// `native(domain, op_type)`: true if emlc implements the op itself.
// `types`: declared types by tensor name (for context-dependent bodies).
Expected<FlatGraph> inlineFunctions(const onnx::ModelProto& model, const std::map<std::string, int>& opsets,
                                    const std::function<bool(const std::string& domain, const std::string& op_type)>& native,
                                    const std::map<std::string, onnx::TypeProto>& types);

}  // namespace emlc
