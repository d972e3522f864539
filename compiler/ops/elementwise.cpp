// Elementwise ops: unary maps (activations, math), broadcasting binary ops,
// variadic Sum/Mean/Min/Max, Clip, Where, Cast.
#include <cmath>

#include "emlc/cast.h"
#include "emlc/elementwise.h"
#include "ops/fused_activation.h"
#include "ops/op_util.h"

namespace emlc {
namespace {

// Which element types an op accepts.
enum class Types { Float, Signed, Numeric, Bool, Integer };

Status checkTypes(DType t, Types k) {
  switch (k) {
    case Types::Float:
      if (dtypeIsFloat(t)) return Status::ok();
      break;
    case Types::Signed:
      if (dtypeIsFloat(t) || (dtypeIsInteger(t) && dtypeIsSigned(t))) return Status::ok();
      break;
    case Types::Numeric:
      if (dtypeIsFloat(t) || dtypeIsInteger(t)) return Status::ok();
      break;
    case Types::Bool:
      if (t == DType::Bool) return Status::ok();
      break;
    case Types::Integer:
      if (dtypeIsInteger(t)) return Status::ok();
      break;
  }
  return unsupported(fmt::format("element type {} is not supported by this op", dtypeName(t)));
}

// Instantiates the kernel only for the element types the op accepts.
template <Types K, class F>
Status dispatchKind(DType t, F&& f) {
  EMLC_TRY(checkTypes(t, K));
  if constexpr (K == Types::Float) return dispatchFloat(t, f);
  else if constexpr (K == Types::Bool) return f(bool{});
  else return dispatchNumeric(t, f);
}

int32_t count(const TensorType& t) { return static_cast<int32_t>(t.numel()); }

// ---- unary ------------------------------------------------------------------

// Functor construction from attributes (default: no attributes).
template <class F> F makeUnary(const Node&) { return F{}; }
template <> rt::LeakyRelu makeUnary(const Node& n) { return {n.attrFloat("alpha", 0.01f)}; }
template <> rt::Elu makeUnary(const Node& n) { return {n.attrFloat("alpha", 1.0f)}; }
template <> rt::Celu makeUnary(const Node& n) { return {n.attrFloat("alpha", 1.0f)}; }
template <> rt::Selu makeUnary(const Node& n) {
  return {n.attrFloat("alpha", 1.67326319217681884765625f), n.attrFloat("gamma", 1.05070102214813232421875f)};
}
template <> rt::HardSigmoid makeUnary(const Node& n) {
  return {n.attrFloat("alpha", 0.2f), n.attrFloat("beta", 0.5f)};
}
template <> rt::ThresholdedRelu makeUnary(const Node& n) { return {n.attrFloat("alpha", 1.0f)}; }
template <> rt::Shrink makeUnary(const Node& n) { return {n.attrFloat("bias", 0.0f), n.attrFloat("lambd", 0.5f)}; }
template <> rt::Gelu makeUnary(const Node& n) { return {n.attrString("approximate", "none") == "tanh" ? 1 : 0}; }
template <> rt::IsInf makeUnary(const Node& n) {
  return {static_cast<int32_t>(n.attrInt("detect_positive", 1)),
          static_cast<int32_t>(n.attrInt("detect_negative", 1))};
}

// Output type: same as input, or bool for predicates.
template <class F, Types K, bool BoolOut = false>
class Unary final : public Op {
 public:
  OpDoc doc() const override {
    const char* t = K == Types::Float ? doc::kFloat : K == Types::Signed ? doc::kSigned
                    : K == Types::Numeric ? doc::kNumeric : K == Types::Bool ? "bool" : doc::kInteger;
    if constexpr (std::is_same_v<F, rt::Gelu>)
      return {t, "opset 20's op; also fused from the erf and tanh forms older exports write out"};
    if constexpr (std::is_same_v<F, rt::Mish>) return {t, "opset 18's op; also fused from x * Tanh(Softplus(x))"};
    return {t, ""};
  }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    TensorType t = g.inType(n, 0);
    EMLC_TRY(checkTypes(t.dtype, K));
    if constexpr (std::is_same_v<F, rt::Gelu>) {
      const std::string a = n.attrString("approximate", "none");
      if (a != "none" && a != "tanh") return invalid(fmt::format("approximate must be none or tanh, is '{}'", a));
    }
    if (BoolOut) t.dtype = DType::Bool;
    setOut(g, n, 0, t);
    return Status::ok();
  }
  // unary(): y[i] = f(x[i]).
  bool inPlace(const Node&, const Graph&, size_t k) const override { return !BoolOut && k == 0; }
  // Elementwise: any layout.
  bool supportsLayout(const Node& n, const Graph&, Layout, std::vector<bool>* layout_inputs) const override {
    if (layout_inputs) layout_inputs->assign(n.inputs.size(), true);
    return true;
  }
  Status lower(Lowering& l) const override {
    F f = makeUnary<F>(l.node());
    return dispatchKind<K>(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      using R = std::conditional_t<BoolOut, bool, T>;
      return l.call(fmt::format("emlc::rt::unary<{}, {}, {}>", ctypeName<T>(), ctypeName<R>(), F::kName),
                    &rt::unary<T, R, F>, f, l.in<T>(0), l.out<R>(0), count(l.outType(0)));
    });
  }
};

// ---- binary -----------------------------------------------------------------

rt::BroadcastParams broadcastParams(const Shape& a, const Shape& b, const Shape& out) {
  rt::BroadcastParams p{};
  p.rank = static_cast<int32_t>(out.size());
  fillArray(p.dims, out);
  fillArray(p.a_strides, broadcastStrides(a, out));
  fillArray(p.b_strides, broadcastStrides(b, out));
  return p;
}

// How a binary op types its inputs and output.
enum class BinKind {
  Arith,       // numeric, same types, same output type
  Float,       // float only
  Compare,     // numeric or bool in, bool out
  Logical,     // bool in and out
  Bitwise,     // integers
  Pow,         // base and exponent may differ in type
  PRelu,       // slope broadcasts to X (unidirectional)
};

template <class F, BinKind K>
class Binary final : public Op {
  // Broadcasting before opset 7. PRelu: a 1-D slope of size C applies per
  // channel (axis 1). Arithmetic with broadcast=1 and `axis`: B's dims align
  // with A's starting at `axis` (numpy aligns them at the end). Returns B's
  // shape padded with 1s so numpy broadcasting gives the legacy result.
  static Shape legacyShape(const Node& n, const Shape& x, const Shape& b) {
    if (n.opset >= 7) return b;
    if (K == BinKind::PRelu) {
      if (b.size() != 1 || x.size() < 3 || b[0] != x[1]) return b;
      Shape s(x.size() - 1, 1);
      s[0] = b[0];
      return s;
    }
    if (n.attrInt("broadcast", 0) == 0 || !n.has("axis")) return b;
    int64_t axis = n.attrInt("axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(x.size());
    if (axis < 0 || axis + static_cast<int64_t>(b.size()) > static_cast<int64_t>(x.size())) return b;
    Shape s = b;
    s.resize(x.size() - static_cast<size_t>(axis), 1);
    return s;
  }

 public:
  OpDoc doc() const override {
    switch (K) {
      case BinKind::Float: return {doc::kFloat, ""};
      case BinKind::Compare: return {doc::kAll, ""};
      case BinKind::Logical: return {"bool", ""};
      case BinKind::Bitwise: return {doc::kInteger, ""};
      case BinKind::Pow: return {doc::kNumeric, "base and exponent types may differ"};
      default: return {doc::kNumeric, ""};
    }
  }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 2));
    const TensorType& a = g.inType(n, 0);
    const TensorType& b = g.inType(n, 1);
    if (K != BinKind::Pow && a.dtype != b.dtype)
      return invalid(fmt::format("input types differ: {} and {}", dtypeName(a.dtype), dtypeName(b.dtype)));
    switch (K) {
      case BinKind::Arith: case BinKind::PRelu: EMLC_TRY(checkTypes(a.dtype, Types::Numeric)); break;
      case BinKind::Float: EMLC_TRY(checkTypes(a.dtype, Types::Float)); break;
      case BinKind::Compare:
        if (a.dtype != DType::Bool) EMLC_TRY(checkTypes(a.dtype, Types::Numeric));
        break;
      case BinKind::Logical: EMLC_TRY(checkTypes(a.dtype, Types::Bool)); break;
      case BinKind::Bitwise: EMLC_TRY(checkTypes(a.dtype, Types::Integer)); break;
      case BinKind::Pow:
        EMLC_TRY(checkTypes(a.dtype, Types::Numeric));
        EMLC_TRY(checkTypes(b.dtype, Types::Numeric));
        break;
    }
    if (n.opset < 7 && n.attrInt("broadcast", 0) != 0 && n.has("axis")) {
      int64_t axis = n.attrInt("axis", 0), r = a.rank();
      if (axis < -r || axis >= r || (axis < 0 ? axis + r : axis) + b.rank() > r)
        return invalid(fmt::format("legacy broadcast axis {} does not fit shapes {} and {}", axis, shapeStr(a.shape),
                                   shapeStr(b.shape)));
    }
    EMLC_ASSIGN(Shape out, broadcastShapes(a.shape, legacyShape(n, a.shape, b.shape)));
    if (K == BinKind::PRelu && out != a.shape)
      return invalid(fmt::format("slope {} does not broadcast to X {}", shapeStr(b.shape), shapeStr(a.shape)));
    EMLC_TRY(checkShape(out, "output"));
    TensorType t{a.dtype, out};
    if (K == BinKind::Compare || K == BinKind::Logical) t.dtype = DType::Bool;
    if (hasFusedActivation(n)) {
      if (!fusesActivation(n, g)) return invalid("only float Add has a fused activation");
      EMLC_TRY(fusedActivation(n).status());
    }
    setOut(g, n, 0, t);
    return Status::ok();
  }
  // Arithmetic on inputs of the output's shape (or scalars) works in any
  // layout: the same-shape inputs carry it.
  bool supportsLayout(const Node& n, const Graph& g, Layout l, std::vector<bool>* layout_inputs) const override {
    if (l == Layout::Onnx) return true;
    if (K != BinKind::Arith && K != BinKind::Float) return false;
    const Shape& y = g.t(n.outputs[0]).type.shape;
    std::vector<bool> flags(n.inputs.size(), false);
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const TensorType& t = g.inType(n, k);
      if (t.shape == y) flags[k] = true;
      else if (t.numel() != 1) return false;
    }
    if (layout_inputs) *layout_inputs = flags;
    return true;
  }
  // Add applies a fused activation in place after binary().
  bool fusesActivation(const Node& n, const Graph& g) const override {
    return std::is_same_v<F, rt::Add> && dtypeIsFloat(g.inType(n, 0).dtype);
  }
  // binary(): an input with the output's shape is read at the index it is
  // written (the planner checks the shape).
  bool inPlace(const Node&, const Graph&, size_t) const override { return true; }

  Status lower(Lowering& l) const override {
    rt::BroadcastParams p = broadcastParams(
        l.inType(0).shape, legacyShape(l.node(), l.inType(0).shape, l.inType(1).shape), l.outType(0).shape);
    DType ta = l.inType(0).dtype;
    if constexpr (K == BinKind::Pow) {
      return dispatchNumeric(ta, [&](auto za) -> Status {
        return dispatchNumeric(l.inType(1).dtype, [&](auto zb) -> Status {
          return emitCall<decltype(za), decltype(zb), decltype(za)>(l, p);
        });
      });
    } else if constexpr (K == BinKind::Compare || K == BinKind::Logical) {
      return dispatchAll(ta, [&](auto z) -> Status {
        return emitCall<decltype(z), decltype(z), bool>(l, p);
      });
    } else {
      EMLC_TRY(dispatchNumeric(ta, [&](auto z) -> Status {
        using T = decltype(z);
        if constexpr (K == BinKind::Bitwise && !std::is_integral_v<T>) return internal("bitwise op on float");
        else return emitCall<T, T, T>(l, p);
      }));
      return lowerFusedActivation(l);
    }
  }

 private:
  template <class A, class B, class R>
  Status emitCall(Lowering& l, const rt::BroadcastParams& p) const {
    return l.call(fmt::format("emlc::rt::binary<{}, {}, {}, {}>", ctypeName<A>(), ctypeName<B>(),
                              ctypeName<R>(), F::kName),
                  &rt::binary<A, B, R, F>, p, F{}, l.in<A>(0), l.in<B>(1), l.out<R>(0));
  }
};

// Mod: integer mod follows the divisor's sign unless fmod=1; floats need fmod=1.
class ModOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kNumeric, "floating-point inputs need fmod=1 (as ONNX requires)"}; }
  Status infer(Node& n, Graph& g) const override { return Binary<rt::Add, BinKind::Arith>().infer(n, g); }
  bool inPlace(const Node&, const Graph&, size_t) const override { return true; }  // binary()
  Status lower(Lowering& l) const override {
    const bool fmod = l.node().attrInt("fmod", 0) != 0;
    rt::BroadcastParams p = broadcastParams(l.inType(0).shape, l.inType(1).shape, l.outType(0).shape);
    return dispatchNumeric(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      if constexpr (std::is_floating_point_v<T>) {
        if (!fmod) return invalid("Mod on floating-point inputs requires fmod=1");
        return call<T, rt::FMod>(l, p);
      } else {
        return fmod ? call<T, rt::FModInt>(l, p) : call<T, rt::ModInt>(l, p);
      }
    });
  }

 private:
  template <class T, class F>
  static Status call(Lowering& l, const rt::BroadcastParams& p) {
    return l.call(fmt::format("emlc::rt::binary<{0}, {0}, {0}, {1}>", ctypeName<T>(), F::kName),
                  &rt::binary<T, T, T, F>, p, F{}, l.in<T>(0), l.in<T>(1), l.out<T>(0));
  }
};

class BitShiftOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kInteger, ""}; }
  Status infer(Node& n, Graph& g) const override {
    std::string dir = n.attrString("direction", "");
    if (dir != "LEFT" && dir != "RIGHT") return invalid("direction must be LEFT or RIGHT");
    return Binary<rt::Add, BinKind::Bitwise>().infer(n, g);
  }
  bool inPlace(const Node&, const Graph&, size_t) const override { return true; }  // binary()
  Status lower(Lowering& l) const override {
    const bool left = l.node().attrString("direction", "") == "LEFT";
    rt::BroadcastParams p = broadcastParams(l.inType(0).shape, l.inType(1).shape, l.outType(0).shape);
    return dispatchNumeric(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      if constexpr (std::is_floating_point_v<T>) return internal("BitShift on float");
      else if (left) return call<T, rt::ShiftLeft>(l, p);
      else return call<T, rt::ShiftRight>(l, p);
    });
  }

 private:
  template <class T, class F>
  static Status call(Lowering& l, const rt::BroadcastParams& p) {
    return l.call(fmt::format("emlc::rt::binary<{0}, {0}, {0}, {1}>", ctypeName<T>(), F::kName),
                  &rt::binary<T, T, T, F>, p, F{}, l.in<T>(0), l.in<T>(1), l.out<T>(0));
  }
};

// ---- variadic: Sum, Mean, Min, Max ------------------------------------------

template <class F, bool IsMean>
class Variadic final : public Op {
 public:
  OpDoc doc() const override { return {IsMean ? doc::kFloat : doc::kNumeric, ""}; }
  Status infer(Node& n, Graph& g) const override {
    if (n.inputs.empty()) return invalid("needs at least one input");
    if (n.inputs[0] == kNoTensor) return invalid("inputs may not be omitted");
    const TensorType& a = g.inType(n, 0);
    EMLC_TRY(checkTypes(a.dtype, IsMean ? Types::Float : Types::Numeric));
    Shape out = a.shape;
    for (size_t i = 1; i < n.inputs.size(); ++i) {
      if (n.inputs[i] == kNoTensor) return invalid("inputs may not be omitted");
      if (g.inType(n, i).dtype != a.dtype) return invalid("input types differ");
      EMLC_ASSIGN(out, broadcastShapes(out, g.inType(n, i).shape));
    }
    EMLC_TRY(checkShape(out, "output"));
    setOut(g, n, 0, TensorType{a.dtype, out});
    return Status::ok();
  }
  // The first binary() reads inputs 0 and 1 and may write over either (when
  // it has the output's shape); later calls accumulate into the output while
  // reading inputs 2.., which must therefore survive the first call.
  bool inPlace(const Node&, const Graph&, size_t k) const override { return k < 2; }

  Status lower(Lowering& l) const override {
    const Node& n = l.node();
    const Shape& out = l.outType(0).shape;
    return dispatchNumeric(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      const std::string name = fmt::format("emlc::rt::binary<{0}, {0}, {0}, {1}>", ctypeName<T>(), F::kName);
      if (n.inputs.size() == 1) {
        // y = x broadcast to itself: a plain copy through Max(x, x).
        rt::BroadcastParams p = broadcastParams(l.inType(0).shape, l.inType(0).shape, out);
        EMLC_TRY(l.call(fmt::format("emlc::rt::binary<{0}, {0}, {0}, emlc::rt::Max>", ctypeName<T>()),
                        &rt::binary<T, T, T, rt::Max>, p, rt::Max{}, l.in<T>(0), l.in<T>(0), l.out<T>(0)));
      } else {
        rt::BroadcastParams p = broadcastParams(l.inType(0).shape, l.inType(1).shape, out);
        EMLC_TRY(l.call(name, &rt::binary<T, T, T, F>, p, F{}, l.in<T>(0), l.in<T>(1), l.out<T>(0)));
        // Accumulate the rest into the output (reads and writes the same element).
        for (size_t i = 2; i < n.inputs.size(); ++i) {
          rt::BroadcastParams q = broadcastParams(out, l.inType(i).shape, out);
          EMLC_TRY(l.call(name, &rt::binary<T, T, T, F>, q, F{}, l.out<T>(0), l.in<T>(i), l.out<T>(0)));
        }
      }
      if constexpr (IsMean) {
        rt::Scale s{1.0f / static_cast<float>(n.inputs.size())};
        return l.call(fmt::format("emlc::rt::unary<{0}, {0}, emlc::rt::Scale>", ctypeName<T>()),
                      &rt::unary<T, T, rt::Scale>, s, l.out<T>(0), l.out<T>(0), count(l.outType(0)));
      }
      return Status::ok();
    });
  }
};

// ---- Clip -------------------------------------------------------------------

class ClipOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kNumeric, "before opset 11: float32 only"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 3));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(checkTypes(x.dtype, Types::Numeric));
    if (n.opset < 11 && x.dtype != DType::F32) return unsupported("Clip before opset 11 is float only");
    for (size_t k = 1; k < 3; ++k) {
      if (n.in(k) == kNoTensor) continue;
      const TensorType& b = g.inType(n, k);
      if (b.dtype != x.dtype || b.numel() != 1)
        return invalid(fmt::format("bound input {} must be a scalar of type {}", k, dtypeName(x.dtype)));
    }
    setOut(g, n, 0, x);
    return Status::ok();
  }
  // clip()/clip_bounds(): y[i] from x[i].
  bool inPlace(const Node&, const Graph&, size_t k) const override { return k == 0; }
  bool supportsLayout(const Node& n, const Graph&, Layout, std::vector<bool>* layout_inputs) const override {
    if (layout_inputs) {
      layout_inputs->assign(n.inputs.size(), false);
      (*layout_inputs)[0] = true;
    }
    return true;
  }
  Status lower(Lowering& l) const override {
    const Node& n = l.node();
    return dispatchNumeric(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      const std::string name = kernelName<T>("clip");
      if (n.opset < 11) {
        // Bounds are attributes: emit them as a two-element constant table.
        if constexpr (std::is_same_v<T, float>) {
          float lo = n.attrFloat("min", -HUGE_VALF), hi = n.attrFloat("max", HUGE_VALF);
          rt::ClipBounds b{lo, hi};
          return l.call("emlc::rt::clip_bounds", &rt::clip_bounds, b, l.in<float>(0), l.out<float>(0),
                        count(l.outType(0)));
        } else {
          return internal("legacy Clip on non-float");
        }
      }
      return l.call(name, &rt::clip<T>, l.in<T>(0), l.out<T>(0), count(l.outType(0)), l.optIn<T>(1),
                    l.optIn<T>(2));
    });
  }
};

// ---- Where ------------------------------------------------------------------

class WhereOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, ""}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 3, 3));
    if (g.inType(n, 0).dtype != DType::Bool) return invalid("condition must be bool");
    const TensorType& a = g.inType(n, 1);
    if (g.inType(n, 2).dtype != a.dtype) return invalid("X and Y types differ");
    EMLC_ASSIGN(Shape s, broadcastShapes(g.inType(n, 0).shape, a.shape));
    EMLC_ASSIGN(s, broadcastShapes(s, g.inType(n, 2).shape));
    EMLC_TRY(checkShape(s, "output"));
    setOut(g, n, 0, TensorType{a.dtype, s});
    return Status::ok();
  }
  // where(): an input with the output's shape is read at the index it is written.
  bool inPlace(const Node&, const Graph&, size_t) const override { return true; }
  Status lower(Lowering& l) const override {
    const Shape& out = l.outType(0).shape;
    rt::BroadcastParams pca = broadcastParams(l.inType(0).shape, l.inType(1).shape, out);
    rt::BroadcastParams pb = broadcastParams(l.inType(2).shape, l.inType(2).shape, out);
    return dispatchAll(l.inType(1).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("where"), &rt::where<T>, pca, pb, l.in<bool>(0), l.in<T>(1), l.in<T>(2),
                    l.out<T>(0));
    });
  }
};

// ---- Cast / CastLike --------------------------------------------------------

class CastOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "no float16, bfloat16 or string"}; }
  explicit CastOp(bool like) : like_(like) {}
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, like_ ? 2 : 1, like_ ? 2 : 1));
    DType to = like_ ? g.inType(n, 1).dtype : dtypeFromOnnx(static_cast<int32_t>(n.attrInt("to", 0)));
    const TensorType& x = g.inType(n, 0);
    if (!dtypeSupported(to)) return unsupported(fmt::format("cast to {} is not supported", dtypeName(to)));
    if (!dtypeSupported(x.dtype))
      return unsupported(fmt::format("cast from {} is not supported", dtypeName(x.dtype)));
    TensorType t = x;
    t.dtype = to;
    t.quant = {};
    setOut(g, n, 0, t);
    return Status::ok();
  }
  // cast(): y[i] from x[i] (asked only when the types match: a same-type cast).
  bool inPlace(const Node&, const Graph&, size_t k) const override { return k == 0; }
  Status lower(Lowering& l) const override {
    return dispatchAll(l.inType(0).dtype, [&](auto zi) -> Status {
      return dispatchAll(l.outType(0).dtype, [&](auto zo) -> Status {
        using A = decltype(zi);
        using B = decltype(zo);
        return l.call(kernelName<A, B>("cast"), &rt::cast<A, B>, l.in<A>(0), l.out<B>(0), count(l.outType(0)));
      });
    });
  }

 private:
  bool like_;
};

}  // namespace

#define EMLC_UNARY(NAME, F, K) \
  const Op& op_##NAME() { static const Unary<F, K> op; return op; }
#define EMLC_PREDICATE(NAME, F, K) \
  const Op& op_##NAME() { static const Unary<F, K, true> op; return op; }
#define EMLC_BINARY(NAME, F, K) \
  const Op& op_##NAME() { static const Binary<F, K> op; return op; }

EMLC_UNARY(Relu, rt::Relu, Types::Signed)
EMLC_UNARY(LeakyRelu, rt::LeakyRelu, Types::Float)
EMLC_UNARY(Elu, rt::Elu, Types::Float)
EMLC_UNARY(Celu, rt::Celu, Types::Float)
EMLC_UNARY(Selu, rt::Selu, Types::Float)
EMLC_UNARY(Sigmoid, rt::Sigmoid, Types::Float)
EMLC_UNARY(Tanh, rt::Tanh, Types::Float)
EMLC_UNARY(HardSigmoid, rt::HardSigmoid, Types::Float)
EMLC_UNARY(HardSwish, rt::HardSwish, Types::Float)
EMLC_UNARY(Softplus, rt::Softplus, Types::Float)
EMLC_UNARY(Softsign, rt::Softsign, Types::Float)
EMLC_UNARY(Mish, rt::Mish, Types::Float)
EMLC_UNARY(Gelu, rt::Gelu, Types::Float)
EMLC_UNARY(ThresholdedRelu, rt::ThresholdedRelu, Types::Float)
EMLC_UNARY(Shrink, rt::Shrink, Types::Numeric)
EMLC_UNARY(Exp, rt::Exp, Types::Float)
EMLC_UNARY(Log, rt::Log, Types::Float)
EMLC_UNARY(Sqrt, rt::Sqrt, Types::Float)
EMLC_UNARY(Abs, rt::Abs, Types::Numeric)
EMLC_UNARY(Neg, rt::Neg, Types::Signed)
EMLC_UNARY(Reciprocal, rt::Reciprocal, Types::Float)
EMLC_UNARY(Floor, rt::Floor, Types::Float)
EMLC_UNARY(Ceil, rt::Ceil, Types::Float)
EMLC_UNARY(Round, rt::Round, Types::Float)
EMLC_UNARY(Erf, rt::Erf, Types::Float)
EMLC_UNARY(Sign, rt::Sign, Types::Numeric)
EMLC_UNARY(Sin, rt::Sin, Types::Float)
EMLC_UNARY(Cos, rt::Cos, Types::Float)
EMLC_UNARY(Tan, rt::Tan, Types::Float)
EMLC_UNARY(Asin, rt::Asin, Types::Float)
EMLC_UNARY(Acos, rt::Acos, Types::Float)
EMLC_UNARY(Atan, rt::Atan, Types::Float)
EMLC_UNARY(Sinh, rt::Sinh, Types::Float)
EMLC_UNARY(Cosh, rt::Cosh, Types::Float)
EMLC_UNARY(Asinh, rt::Asinh, Types::Float)
EMLC_UNARY(Acosh, rt::Acosh, Types::Float)
EMLC_UNARY(Atanh, rt::Atanh, Types::Float)
EMLC_UNARY(Not, rt::Not, Types::Bool)
EMLC_PREDICATE(IsNaN, rt::IsNaN, Types::Float)
EMLC_PREDICATE(IsInf, rt::IsInf, Types::Float)

EMLC_BINARY(Add, rt::Add, BinKind::Arith)
EMLC_BINARY(Sub, rt::Sub, BinKind::Arith)
EMLC_BINARY(Mul, rt::Mul, BinKind::Arith)
EMLC_BINARY(Div, rt::Div, BinKind::Arith)
EMLC_BINARY(Pow, rt::Pow, BinKind::Pow)
EMLC_BINARY(PRelu, rt::PRelu, BinKind::PRelu)
EMLC_BINARY(Equal, rt::Equal, BinKind::Compare)
EMLC_BINARY(Less, rt::Less, BinKind::Compare)
EMLC_BINARY(LessOrEqual, rt::LessOrEqual, BinKind::Compare)
EMLC_BINARY(Greater, rt::Greater, BinKind::Compare)
EMLC_BINARY(GreaterOrEqual, rt::GreaterOrEqual, BinKind::Compare)
EMLC_BINARY(And, rt::And, BinKind::Logical)
EMLC_BINARY(Or, rt::Or, BinKind::Logical)
EMLC_BINARY(Xor, rt::Xor, BinKind::Logical)

const Op& op_Mod() { static const ModOp op; return op; }
const Op& op_BitShift() { static const BitShiftOp op; return op; }
const Op& op_Sum() { static const Variadic<rt::Add, false> op; return op; }
const Op& op_Mean() { static const Variadic<rt::Add, true> op; return op; }
const Op& op_Min() { static const Variadic<rt::Min, false> op; return op; }
const Op& op_Max() { static const Variadic<rt::Max, false> op; return op; }
const Op& op_Clip() { static const ClipOp op; return op; }
const Op& op_Where() { static const WhereOp op; return op; }
const Op& op_Cast() { static const CastOp op(false); return op; }
const Op& op_CastLike() { static const CastOp op(true); return op; }

}  // namespace emlc
