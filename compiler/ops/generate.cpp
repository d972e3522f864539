// Generators: ConstantOfShape, Range, EyeLike. Their output shapes come from
// constants, so they usually fold; large outputs stay kernels (fills).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "emlc/gather.h"
#include "emlc/layout.h"
#include "ops/op_util.h"

namespace emlc {
namespace {

// A plain (unquantized, ONNX-layout) tensor type.
TensorType plainType(DType dt, Shape s) {
  TensorType t;
  t.dtype = dt;
  t.shape = std::move(s);
  return t;
}

// y[0..n) = v. (ConstArray<bool> cannot be passed: vector<bool> has no data().)
template <class T>
Status fillCall(Lowering& l, size_t outK, T v, int32_t n) {
  if constexpr (std::is_same_v<T, bool>)
    return l.call("emlc::rt::fill<bool>", &rt::fill<bool>, l.out<bool>(outK), n, v);
  else
    return l.call(kernelName<T>("fill_from"), &rt::fill_from<T>, ConstArray<T>{{v}}, l.out<T>(outK), n);
}

int32_t i32(int64_t v) { return static_cast<int32_t>(v); }

// ---- ConstantOfShape ----------------------------------------------------------

class ConstantOfShapeOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "shape must be a compile-time constant"}; }
  bool needsConstInput(const Node&, size_t k) const override { return k == 0; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    EMLC_TRY(requireConst(g, n, 0, "input"));
    if (g.inType(n, 0).rank() != 1) return invalid("the shape input must be 1-D");
    EMLC_ASSIGN(Shape shape, constInts(g, n.inputs[0]));
    for (int64_t d : shape)
      if (d < 0) return invalid(fmt::format("shape {} has a negative dimension", shapeStr(shape)));
    EMLC_TRY(checkShape(shape, "output"));
    DType dt = DType::F32;
    if (n.has("value")) {
      const Attribute& a = n.attrs.at("value");
      if (a.kind != Attribute::Kind::Tensor) return invalid("attribute 'value' must be a tensor");
      if (a.tensor_type.numel() != 1) return invalid("attribute 'value' must have one element");
      dt = a.tensor_type.dtype;
      if (!dtypeSupported(dt)) return unsupported(fmt::format("element type {} is not supported", dtypeName(dt)));
      if (a.tensor_data.size() != dtypeSize(dt)) return invalid("attribute 'value' has the wrong size");
    }
    setOut(g, n, 0, plainType(dt, shape));
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const int32_t total = i32(l.outType(0).numel());
    if (total == 0) return Status::ok();
    const Node& n = l.node();
    return dispatchAll(l.outType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      T v{};
      if (n.has("value")) std::memcpy(&v, n.attrs.at("value").tensor_data.data(), sizeof(T));
      return fillCall<T>(l, 0, v, total);
    });
  }
};

// ---- Range ------------------------------------------------------------------

class RangeOp final : public Op {
 public:
  OpDoc doc() const override { return {"float, int16, int32, int64", "start, limit and delta must be compile-time constants"}; }
  bool needsConstInput(const Node&, size_t k) const override { return k <= 2; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 3, 3));
    const DType dt = g.inType(n, 0).dtype;
    static const char* names[] = {"start", "limit", "delta"};
    for (size_t k = 0; k < 3; ++k) {
      if (g.inType(n, k).dtype != dt) return invalid("start, limit and delta must have the same element type");
      if (g.inType(n, k).numel() != 1) return invalid(fmt::format("{} must be a scalar", names[k]));
      EMLC_TRY(requireConst(g, n, k, names[k]));
    }
    if (dt != DType::F32 && dt != DType::F64 && dt != DType::I16 && dt != DType::I32 && dt != DType::I64)
      return invalid(fmt::format("element type {} is not allowed for Range", dtypeName(dt)));
    EMLC_ASSIGN(int64_t count, countOf(n, g));
    Shape out{count};
    EMLC_TRY(checkShape(out, "output"));
    setOut(g, n, 0, plainType(dt, out));
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const int32_t total = i32(l.outType(0).numel());
    if (total == 0) return Status::ok();
    const Graph& g = l.graph();
    const Node& n = l.node();
    return dispatchNumeric(l.outType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      ConstArray<T> sd{{g.t(n.inputs[0]).as<T>()[0], g.t(n.inputs[2]).as<T>()[0]}};
      return l.call(kernelName<T>("range"), &rt::range<T>, sd, l.out<T>(0), total);
    });
  }

 private:
  // max(ceil((limit - start) / delta), 0).
  static Expected<int64_t> countOf(const Node& n, const Graph& g) {
    const DType dt = g.inType(n, 0).dtype;
    if (dtypeIsFloat(dt)) {
      EMLC_ASSIGN(std::vector<double> s, constDoubles(g, n.inputs[0]));
      EMLC_ASSIGN(std::vector<double> e, constDoubles(g, n.inputs[1]));
      EMLC_ASSIGN(std::vector<double> d, constDoubles(g, n.inputs[2]));
      if (d[0] == 0 || !std::isfinite(d[0]) || !std::isfinite(s[0]) || !std::isfinite(e[0]))
        return invalid("start, limit and delta must be finite and delta non-zero");
      const double c = std::ceil((e[0] - s[0]) / d[0]);
      if (c > 2147483647.0) return unsupported("the range has too many elements");
      return c > 0 ? static_cast<int64_t>(c) : int64_t{0};
    }
    std::vector<int64_t> v[3];
    for (size_t k = 0; k < 3; ++k) {
      if (dt == DType::I16) {
        v[k] = {g.t(n.inputs[k]).as<int16_t>()[0]};
      } else {
        EMLC_ASSIGN(v[k], constInts(g, n.inputs[k]));
      }
    }
    const int64_t s = v[0][0], e = v[1][0], d = v[2][0];
    if (d == 0) return invalid("delta must not be 0");
    if ((d > 0 && e <= s) || (d < 0 && e >= s)) return int64_t{0};
    // |e - s| may not fit in int64; use unsigned arithmetic.
    const uint64_t span = d > 0 ? static_cast<uint64_t>(e) - static_cast<uint64_t>(s)
                                : static_cast<uint64_t>(s) - static_cast<uint64_t>(e);
    const uint64_t mag = d > 0 ? static_cast<uint64_t>(d) : uint64_t{0} - static_cast<uint64_t>(d);
    const uint64_t c = span / mag + (span % mag != 0);
    if (c > 2147483647u) return unsupported("the range has too many elements");
    return static_cast<int64_t>(c);
  }
};

// ---- EyeLike ----------------------------------------------------------------

class EyeLikeOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, ""}; }
  bool shapeOnly() const override { return true; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    const TensorType& x = g.inType(n, 0);
    if (x.rank() != 2) return invalid(fmt::format("input must be 2-D, is {}", shapeStr(x.shape)));
    DType dt = x.dtype;
    if (n.has("dtype")) dt = dtypeFromOnnx(static_cast<int32_t>(n.attrInt("dtype", 1)));
    if (!dtypeSupported(dt)) return unsupported(fmt::format("element type {} is not supported", dtypeName(dt)));
    setOut(g, n, 0, plainType(dt, x.shape));
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const Shape& s = l.outType(0).shape;
    if (shapeNumel(s) == 0) return Status::ok();
    const int64_t k = std::clamp<int64_t>(l.node().attrInt("k", 0), -s[0] - 1, s[1] + 1);
    return dispatchAll(l.outType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("eye"), &rt::eye<T>, i32(s[0]), i32(s[1]), i32(k), l.out<T>(0));
    });
  }
};

}  // namespace

const Op& op_ConstantOfShape() { static const ConstantOfShapeOp op; return op; }
const Op& op_Range() { static const RangeOp op; return op; }
const Op& op_EyeLike() { static const EyeLikeOp op; return op; }

}  // namespace emlc
