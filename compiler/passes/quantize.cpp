#include "passes/quantize.h"

#include "quant/lower_qdq.h"
#include "quant/ptq.h"

namespace emlc {

Expected<bool> QuantizePass::run(Graph& g, const PassOptions& opt) {
  if (!opt.quant || !opt.quant->enabled()) return false;
  return quantizeGraph(g, *opt.quant, opt.quant_result);
}

Expected<bool> LowerQdqPass::run(Graph& g, const PassOptions& opt) {
  if (!hasQdq(g)) return false;
  QdqReport local;
  QdqReport* rep = opt.quant_result ? &opt.quant_result->lowering : &local;
  return lowerQdq(g, rep);
}

}  // namespace emlc
