// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opsets 12, 13):
// reduction none/sum/mean, ignore_index, optional class weights, and SCE's
// optional log_prob output.
#include <limits>

#include "emlc/loss.h"
#include "ops/op_util.h"

namespace emlc {
namespace {

Expected<int32_t> reductionCode(const Node& n) {
  const std::string r = n.attrString("reduction", "mean");
  if (r == "none") return 0;
  if (r == "sum") return 1;
  if (r == "mean") return 2;
  return invalid(fmt::format("reduction '{}' is not none, sum or mean", r));
}

template <bool IsSCE>
class LossOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kFloat, "labels int32/int64"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 3));
    const TensorType& x = g.inType(n, 0);
    const TensorType& t = g.inType(n, 1);
    EMLC_TRY(requireDType(x, {DType::F32, DType::F64}, IsSCE ? "scores" : "input"));
    EMLC_TRY(requireDType(t, {DType::I64, DType::I32}, IsSCE ? "labels" : "target"));
    EMLC_TRY(checkShape(x.shape, "input"));
    if (x.rank() < 2) return invalid("input must have shape [N, C, d1, ...]");
    if (t.rank() != x.rank() - 1) return invalid("target must have shape [N, d1, ...]");
    for (size_t i = 0; i < t.shape.size(); ++i)
      if (t.shape[i] != x.shape[i == 0 ? 0 : i + 1])
        return invalid(fmt::format("target shape {} does not match input shape {}", shapeStr(t.shape), shapeStr(x.shape)));
    if (n.in(2) != kNoTensor) {
      const TensorType& w = g.inType(n, 2);
      if (w.dtype != x.dtype) return invalid("weight type differs from the input's");
      if (w.rank() != 1 || w.shape[0] != x.shape[1]) return invalid("weight must have shape [C]");
    }
    EMLC_ASSIGN(int32_t red, reductionCode(n));
    TensorType out;
    out.dtype = x.dtype;
    if (red == 0) out.shape = t.shape;
    setOut(g, n, 0, out);
    if (IsSCE) {
      if (n.outputs.size() > 2) return invalid("at most two outputs");
      setOut(g, n, 1, x);
    } else if (n.outputs.size() > 1) {
      return invalid("one output only");
    }
    return Status::ok();
  }

  Status lower(Lowering& l) const override {
    const Node& n = l.node();
    const Shape& s = l.inType(0).shape;
    rt::LossParams p{};
    p.n = static_cast<int32_t>(s[0]);
    p.c = static_cast<int32_t>(s[1]);
    p.d = 1;
    for (size_t i = 2; i < s.size(); ++i) p.d *= static_cast<int32_t>(s[i]);
    EMLC_ASSIGN(p.reduction, reductionCode(n));
    // An ignore_index outside [0, C) never matches a valid target, and
    // out-of-range targets are ignored anyway: encode it as -1.
    const int64_t ii = n.has("ignore_index") ? n.attrInt("ignore_index", -1) : -1;
    p.ignore_index = ii >= 0 && ii < p.c ? static_cast<int32_t>(ii) : -1;
    return dispatchFloat(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      if (l.inType(1).dtype == DType::I64) return call<T, int64_t>(l, p);
      return call<T, int32_t>(l, p);
    });
  }

 private:
  template <class T, class I>
  static Status call(Lowering& l, const rt::LossParams& p) {
    if constexpr (IsSCE) {
      if (l.hasOut(1))
        return l.call(kernelName<T, I>("softmax_cross_entropy_loss_log_prob"),
                      &rt::softmax_cross_entropy_loss_log_prob<T, I>, p, l.in<T>(0), l.in<I>(1), l.optIn<T>(2),
                      l.out<T>(0), l.out<T>(1));
      return l.call(kernelName<T, I>("softmax_cross_entropy_loss"), &rt::softmax_cross_entropy_loss<T, I>, p,
                    l.in<T>(0), l.in<I>(1), l.optIn<T>(2), l.out<T>(0));
    } else {
      return l.call(kernelName<T, I>("nll_loss"), &rt::nll_loss<T, I>, p, l.in<T>(0), l.in<I>(1), l.optIn<T>(2),
                    l.out<T>(0));
    }
  }
};

}  // namespace

const Op& op_NegativeLogLikelihoodLoss() { static const LossOp<false> op; return op; }
const Op& op_SoftmaxCrossEntropyLoss() { static const LossOp<true> op; return op; }

}  // namespace emlc
