// Data movement with static index maps: Transpose, Slice, Expand,
// DepthToSpace, SpaceToDepth (all one strided copy), Concat, Split, Pad, Tile.
#include <algorithm>
#include <numeric>
#include <set>

#include "emlc/layout.h"
#include "ops/op_util.h"

namespace emlc {
namespace {

Status requireStorable(const TensorType& t) {
  if (!dtypeSupported(t.dtype))
    return unsupported(fmt::format("element type {} is not supported", dtypeName(t.dtype)));
  if (t.quant.perChannel()) return unsupported("per-channel quantized tensors are not supported by this op");
  return checkShape(t.shape, "input");
}

int64_t product(const Shape& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < s.size(); ++i) p *= s[i];
  return p;
}

// ---- strided copies -----------------------------------------------------------

// A strided copy: output dims, per-axis input strides (elements), offset.
struct Strided {
  Shape dims;
  std::vector<int64_t> strides;
  int64_t offset = 0;
};

// Drops unit axes and merges axes that are contiguous in the input, so the
// kernel's inner loop runs as long as possible.
rt::StridedParams simplify(const Strided& s) {
  std::vector<int64_t> d, st;
  for (size_t i = 0; i < s.dims.size(); ++i) {
    if (s.dims[i] == 1) continue;
    if (!d.empty() && st.back() == s.strides[i] * s.dims[i]) {
      d.back() *= s.dims[i];
      st.back() = s.strides[i];
      continue;
    }
    d.push_back(s.dims[i]);
    st.push_back(s.strides[i]);
  }
  rt::StridedParams p{};
  p.rank = static_cast<int32_t>(d.size());
  p.offset = static_cast<int32_t>(s.offset);
  fillArray(p.dims, d);
  fillArray(p.strides, st);
  return p;
}

// Runs a strided copy of input 0 into output 0 (nothing for empty outputs).
Status lowerStrided(Lowering& l, const Strided& s) {
  if (l.outType(0).numel() == 0) return Status::ok();
  rt::StridedParams p = simplify(s);
  return dispatchAll(l.inType(0).dtype, [&](auto z) -> Status {
    using T = decltype(z);
    return l.call(kernelName<T>("strided_copy"), &rt::strided_copy<T>, p, l.in<T>(0), l.out<T>(0));
  });
}

// Input `shape` (row-major) read through permutation `perm`.
Strided permuted(const Shape& shape, const std::vector<int64_t>& perm) {
  std::vector<int64_t> rs = rowMajorStrides(shape);
  Strided s;
  for (int64_t a : perm) {
    s.dims.push_back(shape[static_cast<size_t>(a)]);
    s.strides.push_back(rs[static_cast<size_t>(a)]);
  }
  return s;
}

// ---- Transpose --------------------------------------------------------------

std::vector<int64_t> transposePerm(const Node& n, int64_t rank) {
  if (n.has("perm")) return n.attrInts("perm");
  std::vector<int64_t> p(static_cast<size_t>(rank));
  for (int64_t i = 0; i < rank; ++i) p[static_cast<size_t>(i)] = rank - 1 - i;
  return p;
}

class TransposeOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, ""}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    std::vector<int64_t> perm = transposePerm(n, x.rank());
    if (static_cast<int64_t>(perm.size()) != x.rank())
      return invalid(fmt::format("perm has {} entries for rank {}", perm.size(), x.rank()));
    std::vector<bool> seen(perm.size(), false);
    for (int64_t a : perm) {
      if (a < 0 || a >= x.rank() || seen[static_cast<size_t>(a)])
        return invalid("perm is not a permutation of the input's axes");
      seen[static_cast<size_t>(a)] = true;
    }
    TensorType t = x;
    for (size_t i = 0; i < perm.size(); ++i) t.shape[i] = x.shape[static_cast<size_t>(perm[i])];
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const Shape& in = l.inType(0).shape;
    return lowerStrided(l, permuted(in, transposePerm(l.node(), static_cast<int64_t>(in.size()))));
  }
};

// ---- DepthToSpace / SpaceToDepth ----------------------------------------------

// Both are a reshape to 6-d, a transpose and a reshape back.
class DepthSpaceOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, ""}; }
  explicit DepthSpaceOp(bool toSpace) : toSpace_(toSpace) {}
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    if (x.rank() != 4) return invalid(fmt::format("input must be 4-D (NCHW), is {}", shapeStr(x.shape)));
    if (!n.has("blocksize")) return invalid("attribute 'blocksize' is missing");
    const int64_t b = n.attrInt("blocksize", 0);
    if (b <= 0 || b > 65536) return invalid(fmt::format("blocksize {} is invalid", b));
    const std::string mode = n.attrString("mode", "DCR");
    if (toSpace_ && mode != "DCR" && mode != "CRD") return invalid(fmt::format("mode '{}' is invalid", mode));
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    TensorType t = x;
    if (toSpace_) {
      if (C % (b * b) != 0) return invalid(fmt::format("channels {} are not divisible by blocksize^2", C));
      t.shape = {N, C / (b * b), H * b, W * b};
    } else {
      if (H % b != 0 || W % b != 0)
        return invalid(fmt::format("height {} and width {} must be divisible by blocksize {}", H, W, b));
      t.shape = {N, C * b * b, H / b, W / b};
    }
    EMLC_TRY(checkShape(t.shape, "output"));
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const Node& n = l.node();
    const Shape& x = l.inType(0).shape;
    const int64_t b = n.attrInt("blocksize", 1);
    const int64_t N = x[0], C = x[1], H = x[2], W = x[3];
    if (toSpace_) {
      if (n.attrString("mode", "DCR") == "DCR")
        return lowerStrided(l, permuted({N, b, b, C / (b * b), H, W}, {0, 3, 4, 1, 5, 2}));
      return lowerStrided(l, permuted({N, C / (b * b), b, b, H, W}, {0, 1, 4, 2, 5, 3}));
    }
    return lowerStrided(l, permuted({N, C, H / b, b, W / b, b}, {0, 3, 5, 1, 2, 4}));
  }

 private:
  bool toSpace_;
};

// ---- Slice ------------------------------------------------------------------

class SliceOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "starts, ends, axes and steps must be compile-time constants"}; }
  bool needsConstInput(const Node& n, size_t k) const override { return n.opset >= 10 && k >= 1; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 5));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    EMLC_ASSIGN(Strided s, plan(n, g));
    TensorType t = x;
    t.shape = s.dims;
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(Strided s, plan(l.node(), l.graph()));
    return lowerStrided(l, s);
  }

 private:
  static Expected<Strided> plan(const Node& n, const Graph& g) {
    std::vector<int64_t> starts, ends, axes, steps;
    const TensorType& x = g.inType(n, 0);
    const int64_t r = x.rank();
    if (n.opset < 10) {
      EMLC_TRY(requireInputs(n, 1, 1));
      if (!n.has("starts") || !n.has("ends")) return invalid("attributes 'starts' and 'ends' are required");
      starts = n.attrInts("starts");
      ends = n.attrInts("ends");
      axes = n.attrInts("axes");
    } else {
      EMLC_TRY(requireInputs(n, 3, 5));
      static const char* names[] = {"", "starts", "ends", "axes", "steps"};
      std::vector<int64_t>* dst[] = {nullptr, &starts, &ends, &axes, &steps};
      for (size_t k = 1; k < 5; ++k) {
        if (n.in(k) == kNoTensor) continue;
        EMLC_TRY(requireConst(g, n, k, names[k]));
        if (g.inType(n, k).rank() != 1) return invalid(fmt::format("input '{}' must be 1-D", names[k]));
        EMLC_ASSIGN(*dst[k], constInts(g, n.inputs[k]));
      }
    }
    const bool hasAxes = n.opset < 10 ? n.has("axes") : n.in(3) != kNoTensor;
    const bool hasSteps = n.opset >= 10 && n.in(4) != kNoTensor;
    if (!hasAxes) {
      axes.resize(starts.size());
      std::iota(axes.begin(), axes.end(), 0);
    }
    if (!hasSteps) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
      return invalid("starts, ends, axes and steps must have the same length");
    Strided s;
    s.dims = x.shape;
    s.strides = rowMajorStrides(x.shape);
    std::vector<int64_t> rs = s.strides;
    std::set<int64_t> seen;
    for (size_t i = 0; i < starts.size(); ++i) {
      EMLC_ASSIGN(int64_t a, normAxis(axes[i], r, "axis"));
      if (!seen.insert(a).second) return invalid(fmt::format("axis {} is repeated", axes[i]));
      const int64_t dim = x.shape[static_cast<size_t>(a)];
      const int64_t step = steps[i];
      if (step == 0) return invalid("steps must not be 0");
      int64_t st = starts[i], en = ends[i];
      if (st < 0) st += dim;
      if (en < 0) en += dim;
      if (step > 0) {
        st = std::clamp<int64_t>(st, 0, dim);
        en = std::clamp<int64_t>(en, 0, dim);
      } else {
        st = std::clamp<int64_t>(st, 0, std::max<int64_t>(dim - 1, 0));
        en = std::clamp<int64_t>(en, -1, dim - 1);
      }
      int64_t cnt = 0;
      if (step > 0 && en > st) cnt = (en - st - 1) / step + 1;  // ceil without overflow
      if (step < 0 && en < st) {
        // |step| may be huge: count = ceil((st - en) / -step) without overflow.
        const uint64_t span = static_cast<uint64_t>(st - en);
        const uint64_t mag = step == INT64_MIN ? (uint64_t{1} << 63) : static_cast<uint64_t>(-step);
        cnt = static_cast<int64_t>((span + mag - 1) / mag);
      }
      if (dim == 0) cnt = 0;
      s.dims[static_cast<size_t>(a)] = cnt;
      if (cnt > 0) s.offset += st * rs[static_cast<size_t>(a)];
      s.strides[static_cast<size_t>(a)] = cnt > 1 ? step * rs[static_cast<size_t>(a)] : 0;
    }
    EMLC_TRY(checkShape(s.dims, "output"));
    return s;
  }
};

// ---- Expand -----------------------------------------------------------------

class ExpandOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "shape must be a compile-time constant"}; }
  bool needsConstInput(const Node&, size_t k) const override { return k == 1; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 2));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    EMLC_TRY(requireConst(g, n, 1, "shape"));
    if (g.inType(n, 1).rank() != 1) return invalid("input 'shape' must be 1-D");
    EMLC_ASSIGN(std::vector<int64_t> shape, constInts(g, n.inputs[1]));
    for (int64_t d : shape)
      if (d < 0) return invalid(fmt::format("shape {} has a negative dimension", shapeStr(shape)));
    if (shape.size() > static_cast<size_t>(rt::kMaxRank))
      return unsupported(fmt::format("output rank {} exceeds the runtime's limit of {}", shape.size(), rt::kMaxRank));
    EMLC_ASSIGN(Shape out, broadcastShapes(x.shape, shape));
    EMLC_TRY(checkShape(out, "output"));
    TensorType t = x;
    t.shape = out;
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const Shape& in = l.inType(0).shape;
    const Shape& out = l.outType(0).shape;
    Strided s;
    s.dims = out;
    for (int32_t v : broadcastStrides(in, out)) s.strides.push_back(v);
    return lowerStrided(l, s);
  }
};

// ---- Concat -----------------------------------------------------------------

int64_t concatAxis(const Node& n) {
  return n.attrInt("axis", n.opset < 4 ? 1 : 0);
}

class ConcatOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "inputs of different quantization are refused"}; }
  Status infer(Node& n, Graph& g) const override {
    if (n.inputs.empty()) return invalid("needs at least one input");
    for (TensorId x : n.inputs)
      if (x == kNoTensor) return invalid("inputs may not be omitted");
    const TensorType& a = g.inType(n, 0);
    EMLC_TRY(requireStorable(a));
    if (n.opset >= 4 && !n.has("axis")) return invalid("attribute 'axis' is missing");
    if (a.rank() == 0) return invalid("inputs must have rank >= 1");
    EMLC_ASSIGN(int64_t axis, normAxis(concatAxis(n), a.rank()));
    Shape out = a.shape;
    out[static_cast<size_t>(axis)] = 0;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const TensorType& b = g.inType(n, i);
      if (b.dtype != a.dtype) return invalid("input types differ");
      if (!(b.quant == a.quant)) return unsupported("inputs with different quantization are not supported");
      if (b.rank() != a.rank()) return invalid("input ranks differ");
      for (size_t d = 0; d < out.size(); ++d)
        if (d != static_cast<size_t>(axis) && b.shape[d] != a.shape[d])
          return invalid(fmt::format("input shapes {} and {} differ outside axis {}", shapeStr(a.shape),
                                     shapeStr(b.shape), axis));
      out[static_cast<size_t>(axis)] += b.shape[static_cast<size_t>(axis)];
    }
    EMLC_TRY(checkShape(out, "output"));
    TensorType t = a;
    t.shape = out;
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const Node& n = l.node();
    const Shape& out = l.outType(0).shape;
    if (shapeNumel(out) == 0) return Status::ok();
    const size_t axis = static_cast<size_t>(normAxis(concatAxis(n), static_cast<int64_t>(out.size())).value());
    const int64_t inner = product(out, axis + 1, out.size());
    std::vector<int32_t> chunks;
    std::vector<size_t> ks;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const int64_t c = l.inType(i).shape[axis] * inner;
      if (c == 0) continue;  // empty inputs contribute nothing
      chunks.push_back(static_cast<int32_t>(c));
      ks.push_back(i);
    }
    const int32_t outer = static_cast<int32_t>(product(out, 0, axis));
    const int32_t nin = static_cast<int32_t>(ks.size());
    return dispatchAll(l.outType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("concat"), &rt::concat<T>, nin, outer, ConstArray<int32_t>{chunks},
                    l.inList<T>(ks), l.out<T>(0));
    });
  }
};

// ---- Split ------------------------------------------------------------------

class SplitOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "split sizes must be compile-time constants; every output must be used"}; }
  bool needsConstInput(const Node& n, size_t k) const override { return n.opset >= 13 && k == 1; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 2));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    EMLC_ASSIGN(std::vector<int64_t> sizes, splitSizes(n, g));
    EMLC_ASSIGN(int64_t axis, normAxis(n.attrInt("axis", 0), x.rank()));
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      TensorType t = x;
      t.shape[static_cast<size_t>(axis)] = sizes[k];
      setOut(g, n, k, t);
    }
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const Node& n = l.node();
    const Shape& in = l.inType(0).shape;
    if (shapeNumel(in) == 0) return Status::ok();
    const size_t axis = static_cast<size_t>(normAxis(n.attrInt("axis", 0), static_cast<int64_t>(in.size())).value());
    const int64_t inner = product(in, axis + 1, in.size());
    std::vector<int32_t> chunks;
    std::vector<size_t> ks;
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      const int64_t c = l.outType(k).shape[axis] * inner;
      if (c == 0) continue;
      chunks.push_back(static_cast<int32_t>(c));
      ks.push_back(k);
    }
    const int32_t outer = static_cast<int32_t>(product(in, 0, axis));
    const int32_t nout = static_cast<int32_t>(ks.size());
    return dispatchAll(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("split"), &rt::split<T>, nout, outer, ConstArray<int32_t>{chunks}, l.in<T>(0),
                    l.outList<T>(ks));
    });
  }

 private:
  static Expected<std::vector<int64_t>> splitSizes(const Node& n, const Graph& g) {
    EMLC_TRY(requireInputs(n, 1, n.opset >= 13 || n.opset < 2 ? 2 : 1));
    const TensorType& x = g.inType(n, 0);
    if (x.rank() == 0) return invalid("input must have rank >= 1");
    EMLC_ASSIGN(int64_t axis, normAxis(n.attrInt("axis", 0), x.rank()));
    const int64_t dim = x.shape[static_cast<size_t>(axis)];
    const size_t nout = n.outputs.size();
    if (nout == 0) return invalid("Split needs at least one output");
    for (size_t k = 0; k < nout; ++k)
      if (n.outputs[k] == kNoTensor) return unsupported("omitted Split outputs are not supported");
    std::vector<int64_t> sizes;
    bool given = false;
    if (n.in(1) != kNoTensor) {
      EMLC_TRY(requireConst(g, n, 1, "split"));
      EMLC_ASSIGN(sizes, constInts(g, n.inputs[1]));
      given = true;
    } else if (n.opset < 13 && n.has("split")) {
      sizes = n.attrInts("split");
      given = true;
    }
    if (given) {
      if (sizes.size() != nout)
        return invalid(fmt::format("split has {} entries for {} outputs", sizes.size(), nout));
      int64_t sum = 0;
      for (int64_t v : sizes) {
        if (v < 0) return invalid("split sizes must not be negative");
        if (v > dim) return invalid("a split size exceeds the dimension");
        sum += v;
      }
      if (sum != dim) return invalid(fmt::format("split sizes sum to {} but the dimension is {}", sum, dim));
      return sizes;
    }
    if (dim % static_cast<int64_t>(nout) != 0)
      return invalid(fmt::format("dimension {} cannot be split into {} equal parts", dim, nout));
    return std::vector<int64_t>(nout, dim / static_cast<int64_t>(nout));
  }
};

// ---- Pad --------------------------------------------------------------------

class PadOp final : public Op {
 public:
  OpDoc doc() const override {
    return {doc::kAll, "pads and axes must be compile-time constants; modes constant, reflect, edge (not wrap)"};
  }
  bool needsConstInput(const Node& n, size_t k) const override { return n.opset >= 11 && (k == 1 || k == 3); }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 4));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    EMLC_ASSIGN(Plan p, plan(n, g));
    if (n.opset >= 11 && n.in(2) != kNoTensor) {
      const TensorType& v = g.inType(n, 2);
      if (v.dtype != x.dtype) return invalid("constant_value must have the input's element type");
      if (v.numel() != 1) return invalid("constant_value must be a scalar");
    }
    TensorType t = x;
    t.shape = p.out;
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    const Node& n = l.node();
    EMLC_ASSIGN(Plan pl, plan(n, l.graph()));
    if (shapeNumel(pl.out) == 0) return Status::ok();
    const Shape& in = l.inType(0).shape;
    rt::PadParams p{};
    p.rank = static_cast<int32_t>(in.size());
    p.mode = pl.mode;
    fillArray(p.in_dims, in);
    fillArray(p.out_dims, pl.out);
    fillArray(p.begin, pl.begin);
    return dispatchAll(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      if (n.opset < 11) {
        // Before opset 11 the value is a float attribute (and T a float type).
        if constexpr (std::is_same_v<T, bool>) {
          return unsupported("Pad of bool before opset 11 is not supported");
        } else {
          ConstArray<T> v{{static_cast<T>(n.attrFloat("value", 0.0f))}};
          return l.call(kernelName<T>("pad"), &rt::pad<T>, p, l.in<T>(0), v, l.out<T>(0));
        }
      }
      return l.call(kernelName<T>("pad"), &rt::pad<T>, p, l.in<T>(0), l.optIn<T>(2), l.out<T>(0));
    });
  }

 private:
  struct Plan {
    Shape out;
    std::vector<int64_t> begin;
    int32_t mode = rt::kPadConstant;
  };
  static Expected<Plan> plan(const Node& n, const Graph& g) {
    const TensorType& x = g.inType(n, 0);
    const size_t r = x.shape.size();
    std::vector<int64_t> pads;
    if (n.opset < 11) {
      EMLC_TRY(requireInputs(n, 1, 1));
      const char* name = n.opset < 2 ? "paddings" : "pads";
      if (!n.has(name)) return invalid(fmt::format("attribute '{}' is missing", name));
      pads = n.attrInts(name);
    } else {
      EMLC_TRY(requireInputs(n, 2, n.opset >= 18 ? 4 : 3));
      EMLC_TRY(requireConst(g, n, 1, "pads"));
      EMLC_ASSIGN(pads, constInts(g, n.inputs[1]));
    }
    std::vector<int64_t> axes(r);
    std::iota(axes.begin(), axes.end(), 0);
    if (n.opset >= 18 && n.in(3) != kNoTensor) {
      EMLC_TRY(requireConst(g, n, 3, "axes"));
      EMLC_ASSIGN(std::vector<int64_t> given, constInts(g, n.inputs[3]));
      axes.clear();
      std::set<int64_t> seen;
      for (int64_t a : given) {
        EMLC_ASSIGN(int64_t v, normAxis(a, static_cast<int64_t>(r), "axis"));
        if (!seen.insert(v).second) return invalid(fmt::format("axis {} is repeated", a));
        axes.push_back(v);
      }
    }
    if (pads.size() != 2 * axes.size())
      return invalid(fmt::format("pads has {} entries; expected {}", pads.size(), 2 * axes.size()));
    Plan p;
    const std::string mode = n.attrString("mode", "constant");
    if (mode == "constant") p.mode = rt::kPadConstant;
    else if (mode == "reflect") p.mode = rt::kPadReflect;
    else if (mode == "edge") p.mode = rt::kPadEdge;
    else if (mode == "wrap") return unsupported("mode 'wrap' is not supported");
    else return invalid(fmt::format("mode '{}' is invalid", mode));
    p.out = x.shape;
    p.begin.assign(r, 0);
    const size_t na = axes.size();
    for (size_t i = 0; i < na; ++i) {
      const size_t a = static_cast<size_t>(axes[i]);
      const int64_t b = pads[i], e = pads[i + na], dim = x.shape[a];
      if (b < -dim || e < -dim || b > (int64_t{1} << 31) || e > (int64_t{1} << 31))
        return invalid(fmt::format("pads ({}, {}) are out of range for axis {} of size {}", b, e, a, dim));
      const int64_t od = dim + b + e;
      if (od < 0) return invalid(fmt::format("pads ({}, {}) give a negative size on axis {}", b, e, a));
      if (p.mode == rt::kPadReflect && od > 0 && (b > dim - 1 || e > dim - 1))
        return unsupported(fmt::format("reflect pads ({}, {}) on axis {} of size {} must be smaller than the size",
                                       b, e, a, dim));
      if (p.mode == rt::kPadEdge && od > 0 && dim == 0)
        return invalid(fmt::format("edge padding of the empty axis {}", a));
      p.out[a] = od;
      p.begin[a] = b;
    }
    EMLC_TRY(checkShape(p.out, "output"));
    return p;
  }
};

// ---- Tile -------------------------------------------------------------------

class TileOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kAll, "repeats must be a compile-time constant; opset 6 and later"}; }
  bool needsConstInput(const Node& n, size_t k) const override { return n.opset >= 6 && k == 1; }
  Status infer(Node& n, Graph& g) const override {
    if (n.opset < 6) return unsupported("Tile before opset 6 (tiles/axis inputs) is not supported");
    EMLC_TRY(requireInputs(n, 2, 2));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireStorable(x));
    EMLC_TRY(requireConst(g, n, 1, "repeats"));
    EMLC_ASSIGN(std::vector<int64_t> reps, constInts(g, n.inputs[1]));
    if (reps.size() != x.shape.size())
      return invalid(fmt::format("repeats has {} entries for rank {}", reps.size(), x.rank()));
    TensorType t = x;
    for (size_t i = 0; i < reps.size(); ++i) {
      if (reps[i] < 0) return invalid("repeats must not be negative");
      if (x.shape[i] != 0 && reps[i] > (int64_t{1} << 32) / x.shape[i])
        return unsupported("output is too large");
      t.shape[i] = x.shape[i] * reps[i];
    }
    EMLC_TRY(checkShape(t.shape, "output"));
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    if (l.outType(0).numel() == 0) return Status::ok();
    rt::TileParams p{};
    p.rank = static_cast<int32_t>(l.inType(0).rank());
    fillArray(p.in_dims, l.inType(0).shape);
    fillArray(p.out_dims, l.outType(0).shape);
    return dispatchAll(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("tile"), &rt::tile<T>, p, l.in<T>(0), l.out<T>(0));
    });
  }
};

}  // namespace

const Op& op_Transpose() { static const TransposeOp op; return op; }
const Op& op_DepthToSpace() { static const DepthSpaceOp op(true); return op; }
const Op& op_SpaceToDepth() { static const DepthSpaceOp op(false); return op; }
const Op& op_Slice() { static const SliceOp op; return op; }
const Op& op_Expand() { static const ExpandOp op; return op; }
const Op& op_Concat() { static const ConcatOp op; return op; }
const Op& op_Split() { static const SplitOp op; return op; }
const Op& op_Pad() { static const PadOp op; return op; }
const Op& op_Tile() { static const TileOp op; return op; }

}  // namespace emlc
