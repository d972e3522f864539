// Views and shape queries: Reshape, Flatten, Squeeze, Unsqueeze, Identity,
// Dropout (inference), Shape, Size.
//
// Views reinterpret their input's bytes: the planner gives input and output
// the same storage when it can, and lower() copies only when it could not.
// Shape and Size depend on shapes only and are always folded to constants.
#include <algorithm>
#include <set>

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

Status requireStorable(const TensorType& t) {
  if (!dtypeSupported(t.dtype))
    return unsupported(fmt::format("element type {} is not supported", dtypeName(t.dtype)));
  return Status::ok();
}

// Type of a view of `in` with shape `s`.
Expected<TensorType> viewType(const TensorType& in, Shape s) {
  if (in.quant.perChannel())
    return unsupported("per-channel quantized tensors cannot be reshaped (the channel axis would move)");
  EMLC_TRY(checkShape(s, "output"));
  TensorType t = in;
  t.shape = std::move(s);
  return t;
}

// Reads a constant axes list (attribute before `input_from`, input k after).
Expected<std::vector<int64_t>> axesFrom(const Node& n, const Graph& g, int input_from, size_t k, bool* given) {
  *given = false;
  if (n.opset < input_from) {
    if (!n.has("axes")) return std::vector<int64_t>{};
    *given = true;
    return n.attrInts("axes");
  }
  if (n.in(k) == kNoTensor) return std::vector<int64_t>{};
  EMLC_TRY(requireConst(g, n, k, "axes"));
  *given = true;
  return constInts(g, n.inputs[k]);
}

// Normalises axes against `rank`; duplicates are invalid.
Expected<std::vector<int64_t>> normAxes(const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> out;
  std::set<int64_t> seen;
  for (int64_t a : axes) {
    EMLC_ASSIGN(int64_t x, normAxis(a, rank, "axis"));
    if (!seen.insert(x).second) return invalid(fmt::format("axis {} is repeated", a));
    out.push_back(x);
  }
  return out;
}

// Base of all views: isView, lower = viewCopy.
class ViewOp : public Op {
 public:
  bool isView() const override { return true; }
  Status lower(Lowering& l) const override { return l.viewCopy(); }
};

// ---- Reshape ----------------------------------------------------------------

class ReshapeOp final : public ViewOp {
 public:
  OpDoc doc() const override { return {doc::kAll, "shape must be a compile-time constant; a view (no copy)"}; }
  bool needsConstInput(const Node& n, size_t k) const override { return n.opset >= 5 && k == 1; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, n.opset < 5 ? 1 : 2));
    const TensorType& x = g.inType(n, 0);
    std::vector<int64_t> spec;
    if (n.opset < 5) {
      EMLC_TRY(requireInputs(n, 1, 1));
      if (!n.has("shape")) return invalid("attribute 'shape' is missing");
      spec = n.attrInts("shape");
    } else {
      EMLC_TRY(requireInputs(n, 2, 2));
      EMLC_TRY(requireConst(g, n, 1, "shape"));
      if (g.inType(n, 1).rank() != 1) return invalid("input 'shape' must be 1-D");
      EMLC_ASSIGN(spec, constInts(g, n.inputs[1]));
    }
    EMLC_TRY(requireStorable(x));
    const bool allowzero = n.opset >= 14 && n.attrInt("allowzero", 0) != 0;
    Shape out(spec.size());
    int64_t known = 1;
    int infer_at = -1;
    bool has_zero = false;
    for (size_t i = 0; i < spec.size(); ++i) {
      int64_t d = spec[i];
      if (d == 0 && !allowzero) {
        if (i >= x.shape.size())
          return invalid(fmt::format("shape[{}] = 0 copies a dimension the input (rank {}) does not have", i,
                                     x.shape.size()));
        d = x.shape[i];
      } else if (d == -1) {
        if (infer_at >= 0) return invalid("shape has more than one -1");
        infer_at = static_cast<int>(i);
        continue;
      } else if (d < -1) {
        return invalid(fmt::format("shape[{}] = {} is negative", i, d));
      }
      if (d == 0) has_zero = true;
      if (d > 0 && known > (int64_t{1} << 40) / d) return unsupported("output shape is too large");
      known *= d;
      out[i] = d;
    }
    const int64_t total = x.numel();
    if (infer_at >= 0) {
      if (allowzero && has_zero) return invalid("allowzero=1 with both 0 and -1 in shape is invalid");
      if (known == 0) {
        if (total != 0) return invalid("shape has a zero dimension and -1 but the input is not empty");
        return invalid("the -1 dimension is ambiguous when other dimensions are 0");
      }
      if (total % known != 0)
        return invalid(fmt::format("cannot reshape {} into {}", shapeStr(x.shape), shapeStr(spec)));
      out[static_cast<size_t>(infer_at)] = total / known;
    } else if (known != total) {
      return invalid(fmt::format("cannot reshape {} ({} elements) into {}", shapeStr(x.shape), total,
                                 shapeStr(out)));
    }
    EMLC_ASSIGN(TensorType t, viewType(x, out));
    setOut(g, n, 0, t);
    return Status::ok();
  }
};

// ---- Flatten ----------------------------------------------------------------

class FlattenOp final : public ViewOp {
 public:
  OpDoc doc() const override { return {doc::kAll, "a view (no copy)"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    const int64_t r = x.rank();
    int64_t axis = n.attrInt("axis", 1);
    if (axis < -r || axis > r) return invalid(fmt::format("axis {} is out of range for rank {}", axis, r));
    if (axis < 0) {
      if (n.opset < 11) return invalid("negative axis needs opset 11");
      axis += r;
    }
    int64_t a = 1, b = 1;
    for (int64_t i = 0; i < r; ++i) (i < axis ? a : b) *= x.shape[static_cast<size_t>(i)];
    EMLC_ASSIGN(TensorType t, viewType(x, Shape{a, b}));
    setOut(g, n, 0, t);
    return Status::ok();
  }
};

// ---- Squeeze / Unsqueeze ------------------------------------------------------

class SqueezeOp final : public ViewOp {
 public:
  OpDoc doc() const override { return {doc::kAll, "axes must be a compile-time constant; a view (no copy)"}; }
  bool needsConstInput(const Node& n, size_t k) const override { return n.opset >= 13 && k == 1; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, n.opset >= 13 ? 2 : 1));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    bool given = false;
    EMLC_ASSIGN(std::vector<int64_t> axes, axesFrom(n, g, 13, 1, &given));
    EMLC_ASSIGN(axes, normAxes(axes, x.rank()));
    std::vector<bool> drop(x.shape.size(), false);
    if (!given || axes.empty()) {  // an empty axes list squeezes all, as in onnxruntime
      for (size_t i = 0; i < x.shape.size(); ++i) drop[i] = x.shape[i] == 1;
    } else {
      for (int64_t a : axes) {
        if (x.shape[static_cast<size_t>(a)] != 1)
          return invalid(fmt::format("cannot squeeze axis {} of size {}", a, x.shape[static_cast<size_t>(a)]));
        drop[static_cast<size_t>(a)] = true;
      }
    }
    Shape out;
    for (size_t i = 0; i < x.shape.size(); ++i)
      if (!drop[i]) out.push_back(x.shape[i]);
    EMLC_ASSIGN(TensorType t, viewType(x, out));
    setOut(g, n, 0, t);
    return Status::ok();
  }
};

class UnsqueezeOp final : public ViewOp {
 public:
  OpDoc doc() const override { return {doc::kAll, "axes must be a compile-time constant; a view (no copy)"}; }
  bool needsConstInput(const Node& n, size_t k) const override { return n.opset >= 13 && k == 1; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, n.opset >= 13 ? 2 : 1, n.opset >= 13 ? 2 : 1));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    bool given = false;
    EMLC_ASSIGN(std::vector<int64_t> axes, axesFrom(n, g, 13, 1, &given));
    if (!given) return invalid("axes are required");
    const int64_t r = x.rank() + static_cast<int64_t>(axes.size());
    if (r > rt::kMaxRank)
      return unsupported(fmt::format("output rank {} exceeds the runtime's limit of {}", r, rt::kMaxRank));
    EMLC_ASSIGN(axes, normAxes(axes, r));
    std::vector<bool> ins(static_cast<size_t>(r), false);
    for (int64_t a : axes) ins[static_cast<size_t>(a)] = true;
    Shape out;
    size_t j = 0;
    for (int64_t i = 0; i < r; ++i) out.push_back(ins[static_cast<size_t>(i)] ? 1 : x.shape[j++]);
    EMLC_ASSIGN(TensorType t, viewType(x, out));
    setOut(g, n, 0, t);
    return Status::ok();
  }
};

// ---- Identity / Dropout -----------------------------------------------------

class IdentityOp final : public ViewOp {
 public:
  OpDoc doc() const override { return {doc::kAll, "tensors only (no sequences or optionals); a view"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    setOut(g, n, 0, x);
    return Status::ok();
  }
};

// Inference-mode Dropout: output 0 is the input; the optional mask is all
// true (all kept). Training mode is supported only with ratio 0 (identity).
class DropoutOp final : public ViewOp {
 public:
  OpDoc doc() const override { return {doc::kAll, "inference only (training_mode must be a constant false); a view"}; }
  bool needsConstInput(const Node& n, size_t k) const override { return n.opset >= 12 && (k == 1 || k == 2); }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, n.opset >= 12 ? 3 : 1));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    if (!dtypeIsFloat(x.dtype)) return unsupported(fmt::format("element type {} is not supported", dtypeName(x.dtype)));
    if (n.outputs.size() > 2) return invalid("Dropout has at most 2 outputs");
    if (n.opset >= 12) {
      if (n.in(1) != kNoTensor && g.inType(n, 1).numel() != 1) return invalid("ratio must be a scalar");
      if (n.in(2) != kNoTensor) {
        EMLC_TRY(requireConst(g, n, 2, "training_mode"));
        const Tensor& tm = g.t(n.inputs[2]);
        if (tm.type.dtype != DType::Bool || tm.type.numel() != 1) return invalid("training_mode must be a bool scalar");
        if (tm.as<uint8_t>()[0] != 0) {
          // Training mode drops at random; only ratio 0 is deterministic.
          bool zero = false;
          if (n.in(1) != kNoTensor && g.t(n.inputs[1]).isConstant()) {
            EMLC_ASSIGN(std::vector<double> r, constDoubles(g, n.inputs[1]));
            zero = r.size() == 1 && r[0] == 0.0;
          }
          if (!zero) return unsupported("Dropout in training mode (random masks) is not supported");
        }
      }
    }
    // Before opset 7, is_test=0 (the default) asked for training mode;
    // inference engines treat that Dropout as the identity, as emlc does.
    setOut(g, n, 0, x);
    if (hasOut(n, 1)) {
      TensorType m = x;
      m.quant = {};
      if (n.opset >= 10) m.dtype = DType::Bool;
      setOut(g, n, 1, m);
    }
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    EMLC_TRY(l.viewCopy());
    if (!l.hasOut(1)) return Status::ok();
    const int32_t count = static_cast<int32_t>(l.outType(1).numel());
    return dispatchAll(l.outType(1).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return fillCall<T>(l, 1, T(1), count);
    });
  }
};

// ---- Shape / Size -----------------------------------------------------------

class ShapeQueryOp : public Op {
 public:
  bool shapeOnly() const override { return true; }
  Status lower(Lowering& l) const override {
    std::vector<int64_t> v = values(l.node(), l.inType(0));
    const int32_t count = static_cast<int32_t>(v.size());
    return l.call("emlc::rt::copy<int64_t>", &rt::copy<int64_t>, ConstArray<int64_t>{v}, l.out<int64_t>(0), count);
  }

 protected:
  virtual std::vector<int64_t> values(const Node& n, const TensorType& x) const = 0;
};

class ShapeOp final : public ShapeQueryOp {
 public:
  OpDoc doc() const override { return {doc::kAll, "always folded to a constant"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    setOut(g, n, 0, plainType(DType::I64, Shape{static_cast<int64_t>(values(n, g.inType(n, 0)).size())}));
    return Status::ok();
  }

 protected:
  std::vector<int64_t> values(const Node& n, const TensorType& x) const override {
    const int64_t r = x.rank();
    auto clampDim = [r](int64_t v) {
      if (v < 0) v += r;
      return std::min(std::max<int64_t>(v, 0), r);
    };
    int64_t start = 0, end = r;
    if (n.opset >= 15) {
      start = clampDim(n.attrInt("start", 0));
      if (n.has("end")) end = clampDim(n.attrInt("end", r));
    }
    std::vector<int64_t> v;
    for (int64_t i = start; i < end; ++i) v.push_back(x.shape[static_cast<size_t>(i)]);
    return v;
  }
};

class SizeOp final : public ShapeQueryOp {
 public:
  OpDoc doc() const override { return {doc::kAll, "always folded to a constant"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    setOut(g, n, 0, plainType(DType::I64, Shape{}));
    return Status::ok();
  }

 protected:
  std::vector<int64_t> values(const Node&, const TensorType& x) const override { return {x.numel()}; }
};

}  // namespace

const Op& op_Reshape() { static const ReshapeOp op; return op; }
const Op& op_Flatten() { static const FlattenOp op; return op; }
const Op& op_Squeeze() { static const SqueezeOp op; return op; }
const Op& op_Unsqueeze() { static const UnsqueezeOp op; return op; }
const Op& op_Identity() { static const IdentityOp op; return op; }
const Op& op_Dropout() { static const DropoutOp op; return op; }
const Op& op_Shape() { static const ShapeOp op; return op; }
const Op& op_Size() { static const SizeOp op; return op; }

}  // namespace emlc
