// Softmax, LogSoftmax, Hardmax.
//
// Opset < 13: the input is coerced to 2-D [prod(dims[:axis]), prod(dims[axis:])]
// and the operation runs along the second axis (default axis 1).
// Opset >= 13: the operation runs along `axis` alone (default -1).
// Both become the kernel's [outer, n, inner] view (runtime/emlc/softmax.h).
#include "emlc/softmax.h"
#include "ops/op_util.h"

namespace emlc {
namespace {

TensorType typeOf(DType d, const Shape& s) {
  TensorType t;
  t.dtype = d;
  t.shape = s;
  return t;
}

enum class SoftKind { Softmax, LogSoftmax, Hardmax };

Expected<rt::SoftmaxParams> softmaxParams(const Node& n, const Shape& s) {
  const int64_t rank = static_cast<int64_t>(s.size());
  const bool legacy = n.opset < 13;
  EMLC_ASSIGN(int64_t axis, normAxis(n.attrInt("axis", legacy ? 1 : -1), rank));
  int64_t outer = 1, mid = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i) {
    const int64_t d = s[static_cast<size_t>(i)];
    if (i < axis) outer *= d;
    else if (i == axis || legacy) mid *= d;
    else inner *= d;
  }
  rt::SoftmaxParams p{};
  p.outer = static_cast<int32_t>(outer);
  p.n = static_cast<int32_t>(mid);
  p.inner = static_cast<int32_t>(inner);
  return p;
}

template <SoftKind K>
class SoftmaxOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kFloat, ""}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireDType(x, {DType::F32, DType::F64}, "input"));
    EMLC_TRY(checkShape(x.shape, "input"));
    if (x.rank() < 1) return invalid("input must have rank >= 1");
    EMLC_TRY(softmaxParams(n, x.shape).status());
    setOut(g, n, 0, typeOf(x.dtype, x.shape));
    return Status::ok();
  }
  // softmax()/log_softmax()/hardmax(): each row is read before it is written.
  bool inPlace(const Node&, const Graph&, size_t k) const override { return k == 0; }

  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(rt::SoftmaxParams p, softmaxParams(l.node(), l.inType(0).shape));
    return dispatchFloat(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      if constexpr (K == SoftKind::Softmax)
        return l.call(kernelName<T>("softmax"), &rt::softmax<T>, p, l.in<T>(0), l.out<T>(0));
      else if constexpr (K == SoftKind::LogSoftmax)
        return l.call(kernelName<T>("log_softmax"), &rt::log_softmax<T>, p, l.in<T>(0), l.out<T>(0));
      else
        return l.call(kernelName<T>("hardmax"), &rt::hardmax<T>, p, l.in<T>(0), l.out<T>(0));
    });
  }
};

}  // namespace

const Op& op_Softmax() { static const SoftmaxOp<SoftKind::Softmax> op; return op; }
const Op& op_LogSoftmax() { static const SoftmaxOp<SoftKind::LogSoftmax> op; return op; }
const Op& op_Hardmax() { static const SoftmaxOp<SoftKind::Hardmax> op; return op; }

}  // namespace emlc
