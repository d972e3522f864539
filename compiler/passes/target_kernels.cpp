#include "passes/target_kernels.h"

#include <fmt/format.h>

namespace emlc {

namespace {

bool isInt8Target(const Node& n, const Graph& g) {
  if (n.domain.empty())  // MaxPool runs on int8 codes as they are
    return n.op_type == "MaxPool" && !n.inputs.empty() && g.inType(n, 0).dtype == DType::I8;
  return n.domain == "emlc" && (n.op_type == "QConv" || n.op_type == "QGemm" || n.op_type == "QAdd" ||
                                 n.op_type == "QAvgPool");
}

bool isFloatTarget(const Node& n, const Graph& g) {
  return n.domain.empty() && (n.op_type == "Conv" || n.op_type == "Gemm") && !n.inputs.empty() &&
         g.inType(n, 0).dtype == DType::F32;
}

// Sets n's kernel mark to `kernel`; true if it changed.
bool mark(Node& n, const char* kernel) {
  if (n.attrString(kKernelAttr, "") == kernel) return false;
  Attribute a;
  a.kind = Attribute::Kind::String;
  a.s = kernel;
  n.attrs[kKernelAttr] = a;
  return true;
}

}  // namespace

Expected<bool> TargetKernelsPass::run(Graph& g, const PassOptions& opt) {
  if (opt.target == PassOptions::Target::Generic) return false;
  size_t int8 = 0, fp = 0;
  for (Node& n : g.nodes) {
    if (n.dead) continue;
    if (isInt8Target(n, g) && mark(n, kArmDsp)) ++int8;
    if (isFloatTarget(n, g) && mark(n, kArmFpu)) ++fp;
  }
  if (int8) note(fmt::format("{} int8 conv/matrix/add/pool nodes use the Arm DSP kernels", int8));
  if (fp) note(fmt::format("{} float conv/matrix nodes use the single-precision FPU kernels", fp));
  return int8 + fp > 0;
}

}  // namespace emlc
