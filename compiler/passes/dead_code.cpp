// Dead-node removal: drops nodes none of whose outputs reach a graph output
// (or a state's next value), and constants nothing reads.
#include "passes/dead_code.h"

namespace emlc {

Expected<bool> DeadCodePass::run(Graph& g, const PassOptions&) {
  std::vector<bool> needed(g.tensors.size(), false);
  for (TensorId o : g.outputs) needed[o] = true;
  for (const StateLink& s : g.states) needed[s.next] = true;  // copied into the state after the run
  bool changed = false;
  for (size_t i = g.nodes.size(); i-- > 0;) {
    Node& n = g.nodes[i];
    if (n.dead) continue;
    bool live = false;
    for (TensorId x : n.outputs)
      if (x != kNoTensor && needed[x]) live = true;
    if (!live) {
      n.dead = true;
      changed = true;
      continue;
    }
    for (TensorId x : n.inputs)
      if (x != kNoTensor) needed[x] = true;
  }
  size_t before = g.tensors.size();
  g.compact();
  changed |= g.tensors.size() != before;
  EMLC_TRY(verifyGraph(g));
  return changed;
}

}  // namespace emlc
