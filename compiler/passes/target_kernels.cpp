#include "passes/target_kernels.h"

#include <fmt/format.h>

namespace emlc {

Expected<bool> TargetKernelsPass::run(Graph& g, const PassOptions& opt) {
  if (opt.target == PassOptions::Target::Generic) return false;
  size_t marked = 0;
  for (Node& n : g.nodes) {
    if (n.dead || n.domain != "emlc" || (n.op_type != "QConv" && n.op_type != "QGemm" && n.op_type != "QAdd" &&
                                               n.op_type != "QAvgPool"))
      continue;
    if (n.attrString(kKernelAttr, "") == kArmDsp) continue;
    Attribute a;
    a.kind = Attribute::Kind::String;
    a.s = kArmDsp;
    n.attrs[kKernelAttr] = a;
    ++marked;
  }
  if (marked) note(fmt::format("{} int8 conv/matrix/add/average-pool nodes use the Arm DSP kernels", marked));
  return marked > 0;
}

}  // namespace emlc
