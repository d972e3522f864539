// ONNX importer: ModelProto -> Graph.
//
// Contract: on success the Graph holds every initializer and Constant node
// as a constant tensor, every runtime input with a fully static shape, and
// the model's nodes in topological order with attributes converted and each
// node's opset recorded. Nothing is inferred yet (see passes/infer.h).
// Errors name the offending tensor/node. Never throws.
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "ir/host_tensor.h"
#include "support/status.h"

namespace onnx {
class ModelProto;
class TensorProto;
}  // namespace onnx

namespace emlc {

struct ImportOptions {
  // Fixes dynamic (or overrides) dimensions of named inputs.
  std::map<std::string, Shape> input_shapes;
  // Inputs replaced by constants (e.g. shape-like test inputs).
  std::map<std::string, HostTensor> frozen_inputs;
  // Largest tensor (bytes) accepted anywhere in the model.
  uint64_t max_tensor_bytes = uint64_t{1} << 30;
  // Largest model file accepted.
  uint64_t max_file_bytes = uint64_t{2} << 30;
  // Run ONNX's checker (off only for tests of emlc's own checks).
  bool run_checker = true;
  // Also run ONNX's shape inference and cross-check emlc's shapes against it.
  // Off by default: ONNX 1.12's shape inference crashes on some malformed
  // models (found by fuzzing: ConvInteger with mismatched ranks), so it only
  // runs on trusted inputs (the conformance suite). emlc infers every shape
  // itself either way.
  bool onnx_shape_check = false;
};

struct ImportResult {
  Graph graph;
  // Shapes ONNX's shape inference found for intermediate tensors, by name;
  // used to cross-check emlc's own inference.
  std::map<std::string, Shape> onnx_shapes;
};

// Reads and parses a model file.
Expected<ImportResult> importModelFile(const std::string& path, const ImportOptions& opt);
// Imports a parsed model; `model_dir` resolves external data ("" = none).
Expected<ImportResult> importModel(onnx::ModelProto& model, const std::string& model_dir,
                                   const ImportOptions& opt);
// Reads a model file into a ModelProto (size limit, parse errors as values).
Status loadModelProto(const std::string& path, uint64_t max_bytes, onnx::ModelProto* model);

// Converts a TensorProto (with raw, typed or external data) to a HostTensor.
Expected<HostTensor> tensorFromProto(const onnx::TensorProto& t, const std::string& model_dir,
                                     uint64_t max_bytes);

}  // namespace emlc
