// Host evaluation of graphs through the runtime kernels (the same code the
// generated C++ calls). Used for constant folding, `emlc run` and, later,
// calibration and bit-exact checks of generated code.
#pragma once

#include <functional>
#include <vector>

#include "ir/graph.h"
#include "ir/host_tensor.h"
#include "support/status.h"

namespace emlc {

// Evaluates one (inferred) node. `in`/`out` point to buffers of the node's
// input/output types (nullptr for omitted tensors).
Status evalNode(const Graph& g, const Node& n, const std::vector<const void*>& in,
                const std::vector<void*>& out);

// Sees every runtime tensor once, right after it is computed (graph inputs
// first): its id and bytes (valid during the call only).
using TensorObserver = std::function<void(TensorId, const uint8_t*)>;

// Runs the whole graph on `inputs` (in Graph::inputs order, types checked) and
// returns the outputs in Graph::outputs order. Streaming states (if any)
// start from their reset values. `observe` (optional) sees the
// intermediate tensors (calibration, per-layer error reports).
Expected<std::vector<HostTensor>> runGraph(const Graph& g, const std::vector<HostTensor>& inputs,
                                           const TensorObserver* observe = nullptr);

// One run of a graph with streaming states: `state` holds one byte vector per
// Graph::states entry (an empty vector: the reset value); it is read as the
// state at the start and replaced by the next values, as the generated code
// does across calls.
Expected<std::vector<HostTensor>> runGraphStep(const Graph& g, const std::vector<HostTensor>& inputs,
                                               std::vector<std::vector<uint8_t>>& state,
                                               const TensorObserver* observe = nullptr);

}  // namespace emlc
