// TopK (opsets 1, 10, 11): the k largest or smallest elements along an axis
// and their int64 indices. K must be a compile-time constant (input 1 from
// opset 10, the `k` attribute before).
#include "emlc/topk.h"
#include "ops/op_util.h"

namespace emlc {
namespace {

struct TopKConfig {
  int64_t axis = -1;
  int64_t k = 0;
  bool largest = true;
};

Expected<TopKConfig> parseTopK(const Node& n, const Graph& g) {
  TopKConfig c;
  if (n.opset < 10) {
    EMLC_TRY(requireInputs(n, 1, 1));
    if (!n.has("k")) return invalid("attribute 'k' is missing");
    c.k = n.attrInt("k", 0);
  } else {
    EMLC_TRY(requireInputs(n, 2, 2));
    EMLC_TRY(requireConst(g, n, 1, "K"));
    if (g.inType(n, 1).numel() != 1) return invalid("K must hold exactly one value");
    EMLC_ASSIGN(std::vector<int64_t> k, constInts(g, n.inputs[1]));
    c.k = k[0];
  }
  const TensorType& x = g.inType(n, 0);
  if (x.rank() == 0) return invalid("input must have rank >= 1");
  EMLC_ASSIGN(c.axis, normAxis(n.attrInt("axis", -1), x.rank()));
  if (c.k < 0 || c.k > x.shape[static_cast<size_t>(c.axis)])
    return invalid(fmt::format("K={} is out of range for axis size {}", c.k, x.shape[static_cast<size_t>(c.axis)]));
  const int64_t largest = n.attrInt("largest", 1), sorted = n.attrInt("sorted", 1);
  if ((largest != 0 && largest != 1) || (sorted != 0 && sorted != 1))
    return invalid("largest and sorted must be 0 or 1");
  c.largest = largest != 0;
  // sorted=0 leaves the order unspecified; the kernel always sorts.
  return c;
}

class TopKOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kNumeric, "K must be a compile-time constant"}; }
  Status infer(Node& n, Graph& g) const override {
    if (n.in(0) == kNoTensor) return invalid("input 0 is missing");
    const TensorType& x = g.inType(n, 0);
    if (n.outputs.size() != 2 || n.outputs[0] == kNoTensor || n.outputs[1] == kNoTensor)
      return invalid("TopK needs both outputs (values and indices)");
    if ((!dtypeIsFloat(x.dtype) && !dtypeIsInteger(x.dtype)) || !dtypeSupported(x.dtype))
      return unsupported(fmt::format("element type {} is not supported by this op", dtypeName(x.dtype)));
    EMLC_TRY(checkShape(x.shape, "input"));
    EMLC_ASSIGN(TopKConfig c, parseTopK(n, g));
    TensorType v = x;
    v.shape[static_cast<size_t>(c.axis)] = c.k;
    TensorType i = v;
    i.dtype = DType::I64;
    i.quant = {};
    setOut(g, n, 0, v);
    setOut(g, n, 1, i);
    return Status::ok();
  }

  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(TopKConfig c, parseTopK(l.node(), l.graph()));
    const Shape& s = l.inType(0).shape;
    rt::TopKParams p{};
    p.outer = 1;
    p.inner = 1;
    for (size_t a = 0; a < s.size(); ++a) {
      if (static_cast<int64_t>(a) < c.axis) p.outer *= static_cast<int32_t>(s[a]);
      else if (static_cast<int64_t>(a) > c.axis) p.inner *= static_cast<int32_t>(s[a]);
    }
    p.axis = static_cast<int32_t>(s[static_cast<size_t>(c.axis)]);
    p.k = static_cast<int32_t>(c.k);
    p.largest = c.largest ? 1 : 0;
    if (l.outType(0).numel() == 0) return Status::ok();
    return dispatchNumeric(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("topk"), &rt::topk<T>, p, l.in<T>(0), l.out<T>(0), l.out<int64_t>(1));
    });
  }

  bool needsConstInput(const Node& n, size_t k) const override { return n.opset >= 10 && k == 1; }
};

}  // namespace

const Op& op_TopK() { static const TopKOp op; return op; }

}  // namespace emlc
