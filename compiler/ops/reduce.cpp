// Reductions (ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd,
// ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceSumSquare) and
// ArgMax/ArgMin.
//
// All ten reductions lower to one kernel (rt::reduce) with a functor; the
// compiler splits the input's axes into kept and reduced ones and merges
// neighbours of the same kind, so the kernel loops over as few axes as
// possible.
#include <algorithm>

#include "emlc/reduce.h"
#include "ops/op_util.h"

namespace emlc {
namespace {

// Which axes of the input are reduced, and whether they are kept as size 1.
struct ReduceAxes {
  std::vector<bool> reduced;
  bool keepdims = true;
};

// Does this node take its axes from input 1 (ReduceSum from opset 13, the
// others from opset 18) rather than from the `axes` attribute?
bool axesFromInput(const Node& n) {
  return n.opset >= 18 || (n.op_type == "ReduceSum" && n.opset >= 13);
}

Expected<ReduceAxes> reduceAxes(const Node& n, const Graph& g) {
  const int64_t rank = g.inType(n, 0).rank();
  std::vector<int64_t> axes;
  bool noop = false;
  if (axesFromInput(n)) {
    EMLC_TRY(requireInputs(n, 1, 2));
    if (n.has("axes")) return invalid("the 'axes' attribute is replaced by input 1 in this opset");
    noop = n.attrInt("noop_with_empty_axes", 0) != 0;
    if (n.in(1) != kNoTensor) {
      EMLC_TRY(requireConst(g, n, 1, "axes"));
      if (g.inType(n, 1).rank() > 1) return invalid("axes must be a 1-D tensor");
      EMLC_ASSIGN(axes, constInts(g, n.inputs[1]));
    }
  } else {
    EMLC_TRY(requireInputs(n, 1, 1));
    axes = n.attrInts("axes");
  }
  ReduceAxes r;
  r.keepdims = n.attrInt("keepdims", 1) != 0;
  r.reduced.assign(static_cast<size_t>(rank), false);
  if (axes.empty()) {
    if (!noop) r.reduced.assign(static_cast<size_t>(rank), true);
    return r;
  }
  if (rank == 0) return invalid("axes are given but the input is a scalar");
  for (int64_t a : axes) {
    EMLC_ASSIGN(int64_t k, normAxis(a, rank, "axes value"));
    if (r.reduced[static_cast<size_t>(k)]) return invalid(fmt::format("axis {} is listed twice in axes", a));
    r.reduced[static_cast<size_t>(k)] = true;
  }
  return r;
}

TensorType makeType(DType d, Shape s) {
  TensorType t;
  t.dtype = d;
  t.shape = std::move(s);
  return t;
}

Shape reducedShape(const Shape& in, const ReduceAxes& r) {
  Shape out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!r.reduced[i]) out.push_back(in[i]);
    else if (r.keepdims) out.push_back(1);
  }
  return out;
}

// Kept/reduced axes with their input strides; size-1 axes are dropped and
// neighbours of the same kind merged (row-major strides allow it).
rt::ReduceParams reduceParams(const Shape& in, const std::vector<bool>& reduced) {
  struct Ax { int64_t dim, stride; bool red; };
  std::vector<int64_t> st = rowMajorStrides(in);
  std::vector<Ax> axes;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == 1) continue;
    if (!axes.empty() && axes.back().red == reduced[i]) {
      axes.back().dim *= in[i];
      axes.back().stride = st[i];
    } else {
      axes.push_back({in[i], st[i], reduced[i]});
    }
  }
  rt::ReduceParams p{};
  int64_t count = 1;
  for (const Ax& a : axes) {
    if (a.red) {
      p.inner_dims[p.inner_rank] = static_cast<int32_t>(a.dim);
      p.inner_strides[p.inner_rank++] = static_cast<int32_t>(a.stride);
      count *= a.dim;
    } else {
      p.outer_dims[p.outer_rank] = static_cast<int32_t>(a.dim);
      p.outer_strides[p.outer_rank++] = static_cast<int32_t>(a.stride);
    }
  }
  p.count = static_cast<int32_t>(count);
  return p;
}

template <class F, bool FloatOnly = false>
class ReduceOp final : public Op {
 public:
  OpDoc doc() const override {
    return {FloatOnly ? doc::kFloat : doc::kNumeric, "axes (when an input) must be a compile-time constant"};
  }
  Status infer(Node& n, Graph& g) const override {
    if (n.inputs.empty() || n.in(0) == kNoTensor) return invalid("input 0 is missing");
    const TensorType& x = g.inType(n, 0);
    if (FloatOnly) {
      EMLC_TRY(requireDType(x, {DType::F32, DType::F64}, "input"));
    } else if (!dtypeIsFloat(x.dtype) && !dtypeIsInteger(x.dtype)) {
      return unsupported(fmt::format("element type {} is not supported by this op", dtypeName(x.dtype)));
    }
    if (!dtypeSupported(x.dtype))
      return unsupported(fmt::format("element type {} is not supported", dtypeName(x.dtype)));
    EMLC_ASSIGN(ReduceAxes r, reduceAxes(n, g));
    EMLC_TRY(checkShape(x.shape, "input"));
    setOut(g, n, 0, makeType(x.dtype, reducedShape(x.shape, r)));
    return Status::ok();
  }

  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(ReduceAxes r, reduceAxes(l.node(), l.graph()));
    rt::ReduceParams p = reduceParams(l.inType(0).shape, r.reduced);
    return dispatchNumeric(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      if constexpr (FloatOnly && !std::is_floating_point_v<T>) {
        return internal("float-only reduction on an integer type");
      } else {
        return l.call(fmt::format("emlc::rt::reduce<{}, {}>", ctypeName<T>(), F::kName), &rt::reduce<T, F>, p, F{},
                      l.in<T>(0), l.out<T>(0));
      }
    });
  }

  bool needsConstInput(const Node& n, size_t k) const override { return k == 1 && axesFromInput(n); }
};

// ---- ArgMax / ArgMin --------------------------------------------------------

template <bool IsMax>
class ArgOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kNumeric, ""}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    const TensorType& x = g.inType(n, 0);
    if ((!dtypeIsFloat(x.dtype) && !dtypeIsInteger(x.dtype)) || !dtypeSupported(x.dtype))
      return unsupported(fmt::format("element type {} is not supported by this op", dtypeName(x.dtype)));
    EMLC_TRY(checkShape(x.shape, "input"));
    EMLC_ASSIGN(int64_t axis, normAxis(n.attrInt("axis", 0), x.rank()));
    if (x.rank() == 0) return invalid("input must have rank >= 1");
    if (x.shape[static_cast<size_t>(axis)] == 0) return invalid("the reduced axis has size 0");
    const int64_t last = n.attrInt("select_last_index", 0);
    if (last != 0 && last != 1) return invalid("select_last_index must be 0 or 1");
    ReduceAxes r;
    r.keepdims = n.attrInt("keepdims", 1) != 0;
    r.reduced.assign(x.shape.size(), false);
    r.reduced[static_cast<size_t>(axis)] = true;
    setOut(g, n, 0, makeType(DType::I64, reducedShape(x.shape, r)));
    return Status::ok();
  }

  Status lower(Lowering& l) const override {
    const Shape& s = l.inType(0).shape;
    const int64_t axis = *normAxis(l.node().attrInt("axis", 0), static_cast<int64_t>(s.size()));
    rt::ArgParams p{};
    p.outer = 1;
    p.inner = 1;
    for (size_t i = 0; i < s.size(); ++i) {
      if (static_cast<int64_t>(i) < axis) p.outer *= static_cast<int32_t>(s[i]);
      else if (static_cast<int64_t>(i) > axis) p.inner *= static_cast<int32_t>(s[i]);
    }
    p.axis = static_cast<int32_t>(s[static_cast<size_t>(axis)]);
    p.select_last = static_cast<int32_t>(l.node().attrInt("select_last_index", 0));
    return dispatchNumeric(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>(IsMax ? "argmax" : "argmin"), IsMax ? &rt::argmax<T> : &rt::argmin<T>, p,
                    l.in<T>(0), l.out<int64_t>(0));
    });
  }
};

}  // namespace

#define EMLC_REDUCE(NAME, F, FLOAT_ONLY) \
  const Op& op_##NAME() { static const ReduceOp<F, FLOAT_ONLY> op; return op; }

EMLC_REDUCE(ReduceSum, rt::ReduceSumF, false)
EMLC_REDUCE(ReduceMean, rt::ReduceMeanF, false)
EMLC_REDUCE(ReduceMax, rt::ReduceMaxF, false)
EMLC_REDUCE(ReduceMin, rt::ReduceMinF, false)
EMLC_REDUCE(ReduceProd, rt::ReduceProdF, false)
EMLC_REDUCE(ReduceL1, rt::ReduceL1F, false)
EMLC_REDUCE(ReduceL2, rt::ReduceL2F, false)
EMLC_REDUCE(ReduceLogSum, rt::ReduceLogSumF, false)
EMLC_REDUCE(ReduceLogSumExp, rt::ReduceLogSumExpF, true)
EMLC_REDUCE(ReduceSumSquare, rt::ReduceSumSquareF, false)

const Op& op_ArgMax() { static const ArgOp<true> op; return op; }
const Op& op_ArgMin() { static const ArgOp<false> op; return op; }

}  // namespace emlc
