// Indexed data movement and scans: Gather, GatherElements, GatherND,
// ScatterElements (and the deprecated Scatter), ScatterND, OneHot, Compress,
// ReverseSequence, Trilu, CumSum.
//
// Index tensors may be run-time inputs (int32 or int64); the kernels clamp
// out-of-range indices so they never access memory out of bounds. Constant
// indices are checked here and rejected when out of range.
#include <algorithm>

#include "emlc/gather.h"
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

Status requireStorable(const TensorType& t) {
  if (!dtypeSupported(t.dtype))
    return unsupported(fmt::format("element type {} is not supported", dtypeName(t.dtype)));
  if (t.quant.perChannel()) return unsupported("per-channel quantized tensors are not supported by this op");
  return checkShape(t.shape, "input");
}

Status requireIndexType(const TensorType& t, const char* what) {
  if (t.dtype != DType::I32 && t.dtype != DType::I64)
    return invalid(fmt::format("{} must be int32 or int64, is {}", what, dtypeName(t.dtype)));
  return Status::ok();
}

int64_t product(const Shape& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < s.size(); ++i) p *= s[i];
  return p;
}

int32_t i32(int64_t v) { return static_cast<int32_t>(v); }

// Constant indices must lie in [-dim, dim) (run-time ones are clamped).
Status checkConstIndices(const Graph& g, TensorId id, const std::vector<int64_t>& dims, size_t period,
                         const char* what) {
  if (!g.t(id).isConstant()) return Status::ok();
  EMLC_ASSIGN(std::vector<int64_t> v, constInts(g, id));
  for (size_t i = 0; i < v.size(); ++i) {
    const int64_t d = dims[period == 0 ? 0 : i % period];
    if (v[i] < -d || v[i] >= d)
      return invalid(fmt::format("{} value {} is out of range for a dimension of size {}", what, v[i], d));
  }
  return Status::ok();
}

// Index type dispatch (int32/int64).
template <class F>
Status dispatchIndex(DType t, F&& f) {
  if (t == DType::I32) return f(int32_t{});
  if (t == DType::I64) return f(int64_t{});
  return internal("index type must be int32 or int64");
}

// Scatter reduction attribute: none always; add/mul from opset 16 (11+ for
// ScatterND 16); max/min from 18.
Expected<int32_t> reduction(const Node& n, DType t) {
  const std::string r = n.attrString("reduction", "none");
  int32_t v;
  if (r == "none") return rt::kReduceNone;
  if (r == "add") v = rt::kReduceAdd;
  else if (r == "mul") v = rt::kReduceMul;
  else if (r == "max") v = rt::kReduceMax;
  else if (r == "min") v = rt::kReduceMin;
  else return invalid(fmt::format("reduction '{}' is invalid", r));
  if (t == DType::Bool) return unsupported(fmt::format("reduction '{}' on bool is not supported", r));
  return v;
}

// ---- Gather -----------------------------------------------------------------

class GatherOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "indices int32/int64; out-of-range runtime indices are clamped"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 2));
    const TensorType& x = g.inType(n, 0);
    const TensorType& idx = g.inType(n, 1);
    EMLC_TRY(requireStorable(x));
    EMLC_TRY(requireIndexType(idx, "indices"));
    if (x.rank() == 0) return invalid("data must have rank >= 1");
    EMLC_ASSIGN(int64_t axis, normAxis(n.attrInt("axis", 0), x.rank()));
    const size_t a = static_cast<size_t>(axis);
    Shape out(x.shape.begin(), x.shape.begin() + static_cast<std::ptrdiff_t>(a));
    out.insert(out.end(), idx.shape.begin(), idx.shape.end());
    out.insert(out.end(), x.shape.begin() + static_cast<std::ptrdiff_t>(a) + 1, x.shape.end());
    EMLC_TRY(checkShape(out, "output"));
    if (x.shape[a] == 0 && shapeNumel(out) != 0) return invalid("gathers from an empty axis");
    EMLC_TRY(checkConstIndices(g, n.inputs[1], {x.shape[a]}, 0, "index"));
    TensorType t = x;
    t.shape = out;
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    if (l.outType(0).numel() == 0) return Status::ok();
    const Shape& x = l.inType(0).shape;
    const size_t a = static_cast<size_t>(normAxis(l.node().attrInt("axis", 0), static_cast<int64_t>(x.size())).value());
    rt::GatherParams p{i32(product(x, 0, a)), i32(x[a]), i32(product(x, a + 1, x.size())),
                       i32(l.inType(1).numel())};
    return dispatchAll(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return dispatchIndex(l.inType(1).dtype, [&](auto zi) -> Status {
        using I = decltype(zi);
        return l.call(kernelName<T, I>("gather"), &rt::gather<T, I>, p, l.in<T>(0), l.in<I>(1), l.out<T>(0));
      });
    });
  }
};

// ---- GatherElements / ScatterElements ---------------------------------------

// Checks data/indices(/updates) of the *Elements ops; returns the axis.
Expected<int64_t> checkElements(const Node& n, const Graph& g, bool scatter) {
  const TensorType& x = g.inType(n, 0);
  const TensorType& idx = g.inType(n, 1);
  EMLC_TRY(requireStorable(x));
  EMLC_TRY(requireIndexType(idx, "indices"));
  if (x.rank() == 0) return invalid("data must have rank >= 1");
  if (idx.rank() != x.rank()) return invalid("indices must have the data's rank");
  EMLC_ASSIGN(int64_t axis, normAxis(n.attrInt("axis", 0), x.rank()));
  for (size_t d = 0; d < x.shape.size(); ++d)
    if (d != static_cast<size_t>(axis) && idx.shape[d] > x.shape[d])
      return invalid(fmt::format("indices {} exceed data {} outside the axis", shapeStr(idx.shape), shapeStr(x.shape)));
  if (idx.numel() > 0 && x.shape[static_cast<size_t>(axis)] == 0) return invalid("indexes an empty axis");
  if (scatter) {
    const TensorType& u = g.inType(n, 2);
    if (u.dtype != x.dtype) return invalid("updates must have the data's element type");
    if (u.shape != idx.shape) return invalid("updates must have the indices' shape");
  }
  EMLC_TRY(checkConstIndices(g, n.inputs[1], {x.shape[static_cast<size_t>(axis)]}, 0, "index"));
  return axis;
}

rt::ElementsParams elementsParams(const Shape& data, const Shape& idx, int64_t axis) {
  rt::ElementsParams p{};
  p.rank = static_cast<int32_t>(data.size());
  p.axis = static_cast<int32_t>(axis);
  p.axis_dim = i32(data[static_cast<size_t>(axis)]);
  fillArray(p.dims, idx);
  fillArray(p.x_strides, rowMajorStrides(data));
  return p;
}

class GatherElementsOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "indices int32/int64; out-of-range runtime indices are clamped"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 2));
    EMLC_TRY(checkElements(n, g, false).status());
    TensorType t = g.inType(n, 0);
    t.shape = g.inType(n, 1).shape;
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    if (l.outType(0).numel() == 0) return Status::ok();
    const int64_t axis = normAxis(l.node().attrInt("axis", 0), l.inType(0).rank()).value();
    rt::ElementsParams p = elementsParams(l.inType(0).shape, l.inType(1).shape, axis);
    return dispatchAll(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return dispatchIndex(l.inType(1).dtype, [&](auto zi) -> Status {
        using I = decltype(zi);
        return l.call(kernelName<T, I>("gather_elements"), &rt::gather_elements<T, I>, p, l.in<T>(0), l.in<I>(1),
                      l.out<T>(0));
      });
    });
  }
};

class ScatterElementsOp final : public Op {
 public:
  OpDoc doc() const override {
    return {doc::kAll, "indices int32/int64, clamped; no reduction on bool"};
  }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 3, 3));
    EMLC_TRY(checkElements(n, g, true).status());
    EMLC_TRY(reduction(n, g.inType(n, 0).dtype).status());
    setOut(g, n, 0, g.inType(n, 0));
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const int32_t total = i32(l.outType(0).numel());
    if (total == 0) return Status::ok();
    const int64_t axis = normAxis(l.node().attrInt("axis", 0), l.inType(0).rank()).value();
    rt::ElementsParams p = elementsParams(l.inType(0).shape, l.inType(1).shape, axis);
    EMLC_ASSIGN(int32_t red, reduction(l.node(), l.inType(0).dtype));
    return dispatchAll(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return dispatchIndex(l.inType(1).dtype, [&](auto zi) -> Status {
        using I = decltype(zi);
        return l.call(kernelName<T, I>("scatter_elements"), &rt::scatter_elements<T, I>, p, red, l.in<T>(0),
                      l.in<I>(1), l.in<T>(2), l.out<T>(0), total);
      });
    });
  }
};

// ---- GatherND / ScatterND ---------------------------------------------------

// Layout of GatherND (batch_dims b) or ScatterND (b = 0).
Expected<rt::GatherNDParams> ndParams(const Shape& data, const Shape& idx, int64_t b) {
  const int64_t r = static_cast<int64_t>(data.size()), q = static_cast<int64_t>(idx.size());
  if (r < 1 || q < 1) return invalid("data and indices must have rank >= 1");
  if (b < 0 || b >= std::min(r, q)) return invalid(fmt::format("batch_dims {} is out of range", b));
  for (int64_t i = 0; i < b; ++i)
    if (data[static_cast<size_t>(i)] != idx[static_cast<size_t>(i)])
      return invalid("the batch dimensions of data and indices differ");
  const int64_t k = idx.back();
  if (k < 1 || k > r - b)
    return invalid(fmt::format("the last indices dimension {} must be in [1, {}]", k, r - b));
  const size_t ub = static_cast<size_t>(b), uk = static_cast<size_t>(k);
  rt::GatherNDParams p{};
  p.batch = i32(product(data, 0, ub));
  p.count = i32(product(idx, ub, idx.size() - 1));
  p.k = i32(k);
  p.slice = i32(product(data, ub + uk, data.size()));
  p.batch_stride = i32(product(data, ub, data.size()));
  std::vector<int64_t> rs = rowMajorStrides(data);
  for (size_t j = 0; j < uk; ++j) {
    p.dims[j] = i32(data[ub + j]);
    p.strides[j] = i32(rs[ub + j]);
  }
  return p;
}

Shape ndOutShape(const Shape& data, const Shape& idx, int64_t b) {
  Shape out(idx.begin(), idx.end() - 1);
  out.insert(out.end(), data.begin() + b + idx.back(), data.end());
  return out;
}

Status checkNdIndices(const Graph& g, const Node& n, const rt::GatherNDParams& p, int64_t count) {
  std::vector<int64_t> dims(p.dims, p.dims + p.k);
  for (int64_t d : dims)
    if (d == 0 && count > 0) return invalid("indexes an empty dimension");
  return checkConstIndices(g, n.inputs[1], dims, static_cast<size_t>(p.k), "index");
}

class GatherNDOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "indices int32/int64, clamped"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 2));
    const TensorType& x = g.inType(n, 0);
    const TensorType& idx = g.inType(n, 1);
    EMLC_TRY(requireStorable(x));
    EMLC_TRY(requireIndexType(idx, "indices"));
    const int64_t b = n.attrInt("batch_dims", 0);
    EMLC_ASSIGN(rt::GatherNDParams p, ndParams(x.shape, idx.shape, b));
    Shape out = ndOutShape(x.shape, idx.shape, b);
    EMLC_TRY(checkShape(out, "output"));
    EMLC_TRY(checkNdIndices(g, n, p, shapeNumel(out)));
    TensorType t = x;
    t.shape = out;
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    if (l.outType(0).numel() == 0) return Status::ok();
    EMLC_ASSIGN(rt::GatherNDParams p, ndParams(l.inType(0).shape, l.inType(1).shape, l.node().attrInt("batch_dims", 0)));
    return dispatchAll(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return dispatchIndex(l.inType(1).dtype, [&](auto zi) -> Status {
        using I = decltype(zi);
        return l.call(kernelName<T, I>("gather_nd"), &rt::gather_nd<T, I>, p, l.in<T>(0), l.in<I>(1), l.out<T>(0));
      });
    });
  }
};

class ScatterNDOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "indices int32/int64, clamped; no reduction on bool"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 3, 3));
    const TensorType& x = g.inType(n, 0);
    const TensorType& idx = g.inType(n, 1);
    const TensorType& u = g.inType(n, 2);
    EMLC_TRY(requireStorable(x));
    EMLC_TRY(requireIndexType(idx, "indices"));
    EMLC_TRY(reduction(n, x.dtype).status());
    if (u.dtype != x.dtype) return invalid("updates must have the data's element type");
    EMLC_ASSIGN(rt::GatherNDParams p, ndParams(x.shape, idx.shape, 0));
    if (u.shape != ndOutShape(x.shape, idx.shape, 0))
      return invalid(fmt::format("updates {} do not match indices {} and data {}", shapeStr(u.shape),
                                 shapeStr(idx.shape), shapeStr(x.shape)));
    EMLC_TRY(checkNdIndices(g, n, p, u.numel()));
    setOut(g, n, 0, x);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const int32_t total = i32(l.outType(0).numel());
    if (total == 0) return Status::ok();
    EMLC_ASSIGN(rt::GatherNDParams p, ndParams(l.inType(0).shape, l.inType(1).shape, 0));
    EMLC_ASSIGN(int32_t red, reduction(l.node(), l.inType(0).dtype));
    return dispatchAll(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return dispatchIndex(l.inType(1).dtype, [&](auto zi) -> Status {
        using I = decltype(zi);
        return l.call(kernelName<T, I>("scatter_nd"), &rt::scatter_nd<T, I>, p, red, l.in<T>(0), l.in<I>(1),
                      l.in<T>(2), l.out<T>(0), total);
      });
    });
  }
};

// ---- OneHot -----------------------------------------------------------------

class OneHotOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "depth must be a compile-time constant"}; }
  bool needsConstInput(const Node&, size_t k) const override { return k == 1; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 3, 3));
    const TensorType& idx = g.inType(n, 0);
    const TensorType& vals = g.inType(n, 2);
    if (!dtypeIsFloat(idx.dtype) && !dtypeIsInteger(idx.dtype))
      return invalid(fmt::format("indices must be numeric, are {}", dtypeName(idx.dtype)));
    EMLC_TRY(requireStorable(vals));
    if (vals.numel() != 2) return invalid("values must have two elements (off, on)");
    EMLC_TRY(requireConst(g, n, 1, "depth"));
    EMLC_ASSIGN(int64_t depth, depthOf(n, g));
    const int64_t r = idx.rank() + 1;
    EMLC_ASSIGN(int64_t axis, normAxis(n.attrInt("axis", -1), r));
    Shape out = idx.shape;
    out.insert(out.begin() + axis, depth);
    EMLC_TRY(checkShape(out, "output"));
    TensorType t = plainType(vals.dtype, out);
    t.quant = vals.quant;
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const Shape& out = l.outType(0).shape;
    if (shapeNumel(out) == 0) return Status::ok();
    const size_t axis = static_cast<size_t>(normAxis(l.node().attrInt("axis", -1), static_cast<int64_t>(out.size())).value());
    const int32_t outer = i32(product(out, 0, axis)), depth = i32(out[axis]);
    const int32_t inner = i32(product(out, axis + 1, out.size()));
    return dispatchNumeric(l.inType(0).dtype, [&](auto zi) -> Status {
      using I = decltype(zi);
      return dispatchAll(l.outType(0).dtype, [&](auto z) -> Status {
        using T = decltype(z);
        return l.call(kernelName<I, T>("one_hot"), &rt::one_hot<I, T>, outer, depth, inner, l.in<I>(0),
                      l.in<T>(2), l.out<T>(0));
      });
    });
  }

 private:
  static Expected<int64_t> depthOf(const Node& n, const Graph& g) {
    const Tensor& d = g.t(n.inputs[1]);
    if (d.type.numel() != 1) return invalid("depth must be a scalar");
    EMLC_ASSIGN(std::vector<double> v, constDoubles(g, n.inputs[1]));
    if (!(v[0] >= 1) || v[0] > 2147483647.0) return invalid(fmt::format("depth {} is invalid", v[0]));
    return static_cast<int64_t>(v[0]);
  }
};

// ---- Compress ---------------------------------------------------------------

// With a constant condition, Compress is a Gather with constant indices.
class CompressOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "condition must be a compile-time constant (it fixes the output shape)"}; }
  bool needsConstInput(const Node&, size_t k) const override { return k == 1; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 2));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    EMLC_TRY(requireConst(g, n, 1, "condition"));
    EMLC_ASSIGN(Plan p, plan(n, g));
    TensorType t = x;
    if (n.has("axis")) t.shape[p.axis] = static_cast<int64_t>(p.indices.size());
    else t.shape = {static_cast<int64_t>(p.indices.size())};
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    if (l.outType(0).numel() == 0) return Status::ok();
    EMLC_ASSIGN(Plan pl, plan(l.node(), l.graph()));
    const TensorType& x = l.inType(0);
    rt::GatherParams p{};
    if (l.node().has("axis")) {
      p = {i32(product(x.shape, 0, pl.axis)), i32(x.shape[pl.axis]), i32(product(x.shape, pl.axis + 1, x.shape.size())),
           i32(static_cast<int64_t>(pl.indices.size()))};
    } else {
      p = {1, i32(x.numel()), 1, i32(static_cast<int64_t>(pl.indices.size()))};
    }
    return dispatchAll(x.dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T, int32_t>("gather"), &rt::gather<T, int32_t>, p, l.in<T>(0),
                    ConstArray<int32_t>{pl.indices}, l.out<T>(0));
    });
  }

 private:
  struct Plan {
    size_t axis = 0;
    std::vector<int32_t> indices;
  };
  static Expected<Plan> plan(const Node& n, const Graph& g) {
    const TensorType& x = g.inType(n, 0);
    const Tensor& c = g.t(n.inputs[1]);
    if (c.type.dtype != DType::Bool || c.type.rank() != 1) return invalid("condition must be a 1-D bool tensor");
    Plan p;
    int64_t dim = x.numel();
    if (n.has("axis")) {
      EMLC_ASSIGN(int64_t a, normAxis(n.attrInt("axis", 0), x.rank()));
      p.axis = static_cast<size_t>(a);
      dim = x.shape[p.axis];
    }
    const uint8_t* cond = c.as<uint8_t>();
    for (int64_t i = 0; i < c.type.numel(); ++i) {
      if (!cond[i]) continue;
      if (i >= dim) return invalid("condition selects an element beyond the input's extent");
      p.indices.push_back(static_cast<int32_t>(i));
    }
    return p;
  }
};

// ---- ReverseSequence ----------------------------------------------------------

class ReverseSequenceOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "sequence lengths are clamped to the axis size"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 2));
    const TensorType& x = g.inType(n, 0);
    const TensorType& lens = g.inType(n, 1);
    EMLC_TRY(requireStorable(x));
    EMLC_TRY(requireIndexType(lens, "sequence_lens"));
    if (x.rank() < 2) return invalid("input must have rank >= 2");
    const int64_t ba = n.attrInt("batch_axis", 1), ta = n.attrInt("time_axis", 0);
    if (!((ba == 0 && ta == 1) || (ba == 1 && ta == 0)))
      return invalid("batch_axis and time_axis must be 0 and 1 in some order");
    if (lens.rank() != 1 || lens.shape[0] != x.shape[static_cast<size_t>(ba)])
      return invalid("sequence_lens must be 1-D with one entry per batch");
    setOut(g, n, 0, x);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const Shape& x = l.inType(0).shape;
    if (shapeNumel(x) == 0) return Status::ok();
    const int32_t ta = i32(l.node().attrInt("time_axis", 0));
    const int32_t seq = i32(x[static_cast<size_t>(ta)]), batch = i32(x[static_cast<size_t>(1 - ta)]);
    const int32_t inner = i32(product(x, 2, x.size()));
    return dispatchAll(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return dispatchIndex(l.inType(1).dtype, [&](auto zi) -> Status {
        using I = decltype(zi);
        return l.call(kernelName<T, I>("reverse_sequence"), &rt::reverse_sequence<T, I>, seq, batch, inner, ta,
                      l.in<I>(1), l.in<T>(0), l.out<T>(0));
      });
    });
  }
};

// ---- Trilu ------------------------------------------------------------------

class TriluOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "k must be a compile-time constant"}; }
  bool needsConstInput(const Node&, size_t k) const override { return k == 1; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 2));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    if (x.rank() < 2) return invalid("input must have rank >= 2");
    EMLC_TRY(kOf(n, g).status());
    setOut(g, n, 0, x);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const Shape& x = l.inType(0).shape;
    if (shapeNumel(x) == 0) return Status::ok();
    const int64_t rows = x[x.size() - 2], cols = x.back();
    EMLC_ASSIGN(int64_t k, kOf(l.node(), l.graph()));
    const int32_t kk = i32(std::clamp<int64_t>(k, -rows - 1, cols + 1));
    const int32_t upper = l.node().attrInt("upper", 1) != 0 ? 1 : 0;
    const int32_t batch = i32(product(x, 0, x.size() - 2));
    return dispatchAll(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("trilu"), &rt::trilu<T>, batch, i32(rows), i32(cols), kk, upper, l.in<T>(0),
                    l.out<T>(0));
    });
  }

 private:
  static Expected<int64_t> kOf(const Node& n, const Graph& g) {
    if (n.in(1) == kNoTensor) return int64_t{0};
    EMLC_TRY(requireConst(g, n, 1, "k"));
    if (g.inType(n, 1).numel() != 1) return invalid("k must be a scalar");
    EMLC_ASSIGN(std::vector<int64_t> v, constInts(g, n.inputs[1]));
    return v[0];
  }
};

// ---- CumSum -----------------------------------------------------------------

class CumSumOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kNumeric, "axis must be a compile-time constant"}; }
  bool needsConstInput(const Node&, size_t k) const override { return k == 1; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 2));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    if (x.dtype == DType::Bool) return invalid("CumSum does not accept bool");
    if (x.quant.quantized()) return unsupported("quantized CumSum is not supported");
    EMLC_TRY(axisOf(n, g).status());
    setOut(g, n, 0, x);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const Shape& x = l.inType(0).shape;
    if (shapeNumel(x) == 0) return Status::ok();
    EMLC_ASSIGN(int64_t axis, axisOf(l.node(), l.graph()));
    const size_t a = static_cast<size_t>(axis);
    const int32_t outer = i32(product(x, 0, a)), len = i32(x[a]), inner = i32(product(x, a + 1, x.size()));
    const int32_t excl = l.node().attrInt("exclusive", 0) != 0, rev = l.node().attrInt("reverse", 0) != 0;
    return dispatchNumeric(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("cumsum"), &rt::cumsum<T>, outer, len, inner, excl, rev, l.in<T>(0), l.out<T>(0));
    });
  }

 private:
  static Expected<int64_t> axisOf(const Node& n, const Graph& g) {
    EMLC_TRY(requireConst(g, n, 1, "axis"));
    if (g.inType(n, 1).numel() != 1) return invalid("axis must be a scalar");
    EMLC_ASSIGN(std::vector<int64_t> v, constInts(g, n.inputs[1]));
    const TensorType& x = g.inType(n, 0);
    if (x.rank() == 0) return invalid("input must have rank >= 1");
    return normAxis(v[0], x.rank());
  }
};

}  // namespace

const Op& op_Gather() { static const GatherOp op; return op; }
const Op& op_GatherElements() { static const GatherElementsOp op; return op; }
const Op& op_GatherND() { static const GatherNDOp op; return op; }
const Op& op_ScatterElements() { static const ScatterElementsOp op; return op; }
const Op& op_Scatter() { static const ScatterElementsOp op; return op; }
const Op& op_ScatterND() { static const ScatterNDOp op; return op; }
const Op& op_OneHot() { static const OneHotOp op; return op; }
const Op& op_Compress() { static const CompressOp op; return op; }
const Op& op_ReverseSequence() { static const ReverseSequenceOp op; return op; }
const Op& op_Trilu() { static const TriluOp op; return op; }
const Op& op_CumSum() { static const CumSumOp op; return op; }

}  // namespace emlc
