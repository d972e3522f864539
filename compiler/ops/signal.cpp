// Signal-processing generators: HannWindow, HammingWindow, BlackmanWindow
// (opset 17). The size must be a compile-time constant, so they fold to
// constant tables (an audio front end's window lands in flash).
#include "emlc/signal.h"
#include "ops/op_util.h"

namespace emlc {
namespace {

class WindowOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kFloat, "size must be a compile-time constant (folded to a table)"}; }
  WindowOp(double a0, double a1, double a2) : a0_(a0), a1_(a1), a2_(a2) {}
  bool needsConstInput(const Node&, size_t k) const override { return k == 0; }

  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    EMLC_TRY(requireConst(g, n, 0, "size"));
    if (g.inType(n, 0).numel() != 1) return invalid("size must be a scalar");
    EMLC_ASSIGN(std::vector<int64_t> size, constInts(g, n.inputs[0]));
    if (size[0] < 0) return invalid(fmt::format("size must not be negative, is {}", size[0]));
    const int64_t periodic = n.attrInt("periodic", 1);
    if (periodic != 0 && periodic != 1) return invalid(fmt::format("periodic must be 0 or 1, is {}", periodic));
    const DType dt = dtypeFromOnnx(static_cast<int32_t>(n.attrInt("output_datatype", 1)));
    EMLC_TRY(requireDType(TensorType{dt, {}}, {DType::F32, DType::F64}, "output_datatype"));
    TensorType t;
    t.dtype = dt;
    t.shape = {size[0]};
    EMLC_TRY(checkShape(t.shape, "output"));
    setOut(g, n, 0, t);
    return Status::ok();
  }

  Status lower(Lowering& l) const override {
    rt::WindowParams p{};
    p.size = static_cast<int32_t>(l.outType(0).numel());
    p.periodic = static_cast<int32_t>(l.node().attrInt("periodic", 1));
    p.a0 = a0_;
    p.a1 = a1_;
    p.a2 = a2_;
    return dispatchFloat(l.outType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("cosine_window"), &rt::cosine_window<T>, p, l.out<T>(0));
    });
  }

 private:
  double a0_, a1_, a2_;
};

}  // namespace

const Op& op_HannWindow() { static const WindowOp op(0.5, 0.5, 0.0); return op; }
const Op& op_HammingWindow() { static const WindowOp op(25.0 / 46.0, 21.0 / 46.0, 0.0); return op; }
const Op& op_BlackmanWindow() { static const WindowOp op(0.42, 0.5, 0.08); return op; }

}  // namespace emlc
