// Convolutions and fully connected layers on sparse weights (internal ops of
// domain "emlc", made by the sparse-weights pass, prune/sparse.h), on the
// zero-skipping kernels of runtime/emlc/sparse.h:
//
// emlc.QConvSparse  inputs X (int8/uint8), mask (uint8 [M, ceil(K/8)]),
//                   values (int8 [nnz]), B (int32 [M], optional); QConv's
//                   attributes plus w_shape (the dense W's shape), multiplier,
//                   shift (per output channel) and qparams (input_offset,
//                   weight_offset = 0, output_offset, act_min, act_max), all
//                   taken from the dense QConv (ops/qconv.h).
// emlc.QGemmSparse  inputs A [..., K], mask [N, ceil(K/8)], values, bias
//                   (int32 [N], required: it holds bias + input_offset *
//                   sum(row), folded by the pass); w_shape [N, K] and the
//                   same requantisation attributes as QConvSparse.
// emlc.ConvSparse   float Conv: X, mask, values (float), B (optional); Conv's
//                   attributes plus w_shape; a fused activation runs after.
// emlc.GemmSparse   float Gemm A [M, K] (transA 0, alpha = beta = 1),
//                   mask, values, C (float [N], optional); w_shape [N, K].
#include <fmt/format.h>

#include <algorithm>

#include "emlc/sparse.h"
#include "ops/conv_geometry.h"
#include "ops/fused_activation.h"
#include "ops/op_util.h"
#include "ops/quant_util.h"

namespace emlc {
namespace {

// Geometry of the dense convolution the sparse node replaces: the integer
// conv geometry on a two-tensor graph with X's and the dense W's shapes
// (int8 stand-ins: the geometry depends on shapes and attributes only).
Expected<ConvGeometry> sparseConvGeometry(const Node& n, const Graph& g) {
  Graph mini;
  Tensor x;
  x.name = "x";
  x.type = g.inType(n, 0);
  x.type.dtype = DType::I8;
  x.typed = true;
  Tensor w;
  w.name = "w";
  w.type = TensorType{DType::I8, n.attrInts("w_shape")};
  w.typed = true;
  Node m;
  m.name = n.name;
  m.op_type = "ConvInteger";
  m.attrs = n.attrs;
  m.inputs = {mini.addTensor(x), mini.addTensor(w)};
  return integerConvGeometry(m, mini);
}

// The mask and values fit w_shape: rows x ceil(K/8) bytes, one value per set bit.
Status checkEncoding(const Node& n, const Graph& g, DType value_type) {
  const Shape ws = n.attrInts("w_shape");
  if (ws.size() < 2 || ws[0] <= 0) return invalid("w_shape must give the dense weights' shape");
  const int64_t rows = ws[0], K = shapeNumel(ws) / rows;
  EMLC_TRY(requireConst(g, n, 1, "mask"));
  EMLC_TRY(requireConst(g, n, 2, "values"));
  const Tensor& mask = g.t(n.in(1));
  const Tensor& vals = g.t(n.in(2));
  if (mask.type.dtype != DType::U8 || mask.type.shape != Shape{rows, (K + 7) / 8})
    return invalid(fmt::format("mask {} must be uint8[{},{}]", mask.type.str(), rows, (K + 7) / 8));
  int64_t nnz = 0;
  for (uint8_t b : *mask.data)
    for (uint32_t v = b; v; v &= v - 1u) ++nnz;
  if (vals.type.dtype != value_type || vals.type.shape != Shape{nnz})
    return invalid(fmt::format("values {} must be {}[{}] (one per set mask bit)", vals.type.str(), dtypeName(value_type), nnz));
  return Status::ok();
}

int64_t nnzOf(const Node& n, const Graph& g) { return g.inType(n, 2).numel(); }

// Nonzeros of the densest row (the conv kernels decode one row at a time into
// 2 int32 scratch elements per nonzero).
int32_t maxRowNnz(const Node& n, const Graph& g) {
  const Tensor& mask = g.t(n.in(1));
  if (!mask.isConstant() || mask.type.rank() != 2) return 0;
  const int64_t rows = mask.type.shape[0], bytes = mask.type.shape[1];
  int32_t best = 0;
  for (int64_t r = 0; r < rows; ++r) {
    int32_t c = 0;
    for (int64_t b = 0; b < bytes; ++b)
      for (uint32_t v = (*mask.data)[static_cast<size_t>(r * bytes + b)]; v; v &= v - 1u) ++c;
    best = std::max(best, c);
  }
  return best;
}

size_t convScratch(const Node& n, const Graph& g) {
  return static_cast<size_t>(2 * std::max<int32_t>(maxRowNnz(n, g), 1)) * sizeof(int32_t);
}

struct QArgs {
  rt::QuantConvParams q{};
  std::vector<int32_t> mult, shift;
};

Expected<QArgs> qargs(const Node& n, int64_t channels) {
  const std::vector<int64_t> qp = n.attrInts("qparams");
  QArgs a;
  if (qp.size() != 5 || qp[1] != 0) return invalid("qparams must hold 5 values with weight offset 0");
  a.q = rt::QuantConvParams{static_cast<int32_t>(qp[0]), 0, static_cast<int32_t>(qp[2]), static_cast<int32_t>(qp[3]),
                            static_cast<int32_t>(qp[4])};
  for (int64_t v : n.attrInts("multiplier")) a.mult.push_back(static_cast<int32_t>(v));
  for (int64_t v : n.attrInts("shift")) a.shift.push_back(static_cast<int32_t>(v));
  if (static_cast<int64_t>(a.mult.size()) != channels || a.shift.size() != a.mult.size())
    return invalid(fmt::format("multiplier and shift must have {} entries", channels));
  return a;
}

template <class F>
Status dispatchX8(DType t, F&& f) {
  if (t == DType::I8) return f(int8_t{});
  if (t == DType::U8) return f(uint8_t{});
  return unsupported(fmt::format("element type {} (int8/uint8 only)", dtypeName(t)));
}

Status checkBias(const Graph& g, const Node& n, DType t, int64_t channels) {
  if (n.in(3) == kNoTensor) return Status::ok();
  const TensorType& b = g.inType(n, 3);
  if (b.dtype != t || b.shape != Shape{channels})
    return invalid(fmt::format("bias {} must be {}[{}]", b.str(), dtypeName(t), channels));
  return Status::ok();
}

class QConvSparseOp final : public Op {
 public:
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 3, 4));
    EMLC_TRY(checkEncoding(n, g, DType::I8));
    EMLC_ASSIGN(ConvGeometry geo, sparseConvGeometry(n, g));
    if (geo.params.kernel[0] * geo.params.kernel[1] * geo.params.kernel[2] > rt::kMaxSparseTaps)
      return unsupported(fmt::format("more than {} kernel taps", rt::kMaxSparseTaps));
    EMLC_TRY(checkBias(g, n, DType::I32, geo.out[1]));
    EMLC_TRY(qargs(n, geo.out[1]).status());
    EMLC_ASSIGN(TensorType yt, quantOutType(n, g.inType(n, 0).dtype, geo.out));
    setOut(g, n, 0, yt);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(ConvGeometry geo, sparseConvGeometry(l.node(), l.graph()));
    EMLC_ASSIGN(QArgs a, qargs(l.node(), geo.out[1]));
    return dispatchX8(l.inType(0).dtype, [&](auto zx) -> Status {
      using X = decltype(zx);
      return l.call(kernelName<X>("qconv_sparse"), &rt::qconv_sparse<X>, geo.params, a.q, l.in<X>(0),
                    l.in<uint8_t>(1), l.in<int8_t>(2), l.optIn<int32_t>(3), ConstArray<int32_t>{a.mult},
                    ConstArray<int32_t>{a.shift}, maxRowNnz(l.node(), l.graph()),
                    l.scratch<int32_t>(convScratch(l.node(), l.graph()) / sizeof(int32_t)), l.out<X>(0));
    });
  }
  size_t scratchBytes(const Node& n, const Graph& g) const override { return convScratch(n, g); }
  // MACs done: one per nonzero weight per output position (borders counted
  // as interior).
  int64_t macs(const Node& n, const Graph& g) const override {
    auto geo = sparseConvGeometry(n, g);
    if (!geo) return 0;
    const rt::ConvParams& p = geo->params;
    return int64_t{p.batch} * p.out_dims[0] * p.out_dims[1] * p.out_dims[2] * nnzOf(n, g);
  }
};

// [..., K] x sparse [N, K]: rows M and the output shape.
Expected<std::pair<rt::QuantGemmParams, Shape>> sparseGemmGeometry(const Node& n, const Graph& g) {
  const TensorType& a = g.inType(n, 0);
  const Shape ws = n.attrInts("w_shape");
  if (a.rank() < 1 || ws.size() != 2 || a.shape.back() != ws[1])
    return invalid(fmt::format("A {} does not match the weights' shape {}", a.str(), shapeStr(ws)));
  rt::QuantGemmParams p{};
  p.batch = 1;
  p.N = static_cast<int32_t>(ws[0]);
  p.K = static_cast<int32_t>(ws[1]);
  p.M = static_cast<int32_t>(a.numel() / std::max<int64_t>(ws[1], 1));
  p.b_trans = 1;
  Shape out = a.shape;
  out.back() = ws[0];
  return std::make_pair(p, out);
}

class QGemmSparseOp final : public Op {
 public:
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 4, 4));
    if (n.in(3) == kNoTensor) return invalid("the bias (with input_offset * sum(w) folded in) is required");
    EMLC_TRY(checkEncoding(n, g, DType::I8));
    EMLC_ASSIGN(auto geo, sparseGemmGeometry(n, g));
    EMLC_TRY(checkBias(g, n, DType::I32, geo.first.N));
    EMLC_TRY(qargs(n, geo.first.N).status());
    EMLC_ASSIGN(TensorType yt, quantOutType(n, g.inType(n, 0).dtype, geo.second));
    setOut(g, n, 0, yt);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(auto geo, sparseGemmGeometry(l.node(), l.graph()));
    EMLC_ASSIGN(QArgs a, qargs(l.node(), geo.first.N));
    return dispatchX8(l.inType(0).dtype, [&](auto zx) -> Status {
      using X = decltype(zx);
      return l.call(kernelName<X>("qgemm_sparse"), &rt::qgemm_sparse<X>, geo.first, a.q, l.in<X>(0),
                    l.in<uint8_t>(1), l.in<int8_t>(2), l.in<int32_t>(3), ConstArray<int32_t>{a.mult},
                    ConstArray<int32_t>{a.shift}, l.out<X>(0));
    });
  }
  int64_t macs(const Node& n, const Graph& g) const override {
    auto geo = sparseGemmGeometry(n, g);
    return geo ? int64_t{geo->first.M} * nnzOf(n, g) : 0;
  }
};

class ConvSparseOp final : public Op {
 public:
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 3, 4));
    EMLC_TRY(requireDType(g.inType(n, 0), {DType::F32}, "X"));
    EMLC_TRY(checkEncoding(n, g, DType::F32));
    EMLC_ASSIGN(ConvGeometry geo, sparseConvGeometry(n, g));
    if (geo.params.kernel[0] * geo.params.kernel[1] * geo.params.kernel[2] > rt::kMaxSparseTaps)
      return unsupported(fmt::format("more than {} kernel taps", rt::kMaxSparseTaps));
    EMLC_TRY(checkBias(g, n, DType::F32, geo.out[1]));
    EMLC_TRY(fusedActivation(n).status());
    setOut(g, n, 0, TensorType{DType::F32, geo.out});
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(ConvGeometry geo, sparseConvGeometry(l.node(), l.graph()));
    EMLC_TRY(l.call("emlc::rt::conv_sparse_f32", &rt::conv_sparse_f32, geo.params, l.in<float>(0), l.in<uint8_t>(1),
                    l.in<float>(2), l.optIn<float>(3), maxRowNnz(l.node(), l.graph()),
                    l.scratch<int32_t>(convScratch(l.node(), l.graph()) / sizeof(int32_t)), l.out<float>(0)));
    return lowerFusedActivation(l);
  }
  size_t scratchBytes(const Node& n, const Graph& g) const override { return convScratch(n, g); }
  bool fusesActivation(const Node&, const Graph&) const override { return true; }
  int64_t macs(const Node& n, const Graph& g) const override {
    auto geo = sparseConvGeometry(n, g);
    if (!geo) return 0;
    const rt::ConvParams& p = geo->params;
    return int64_t{p.batch} * p.out_dims[0] * p.out_dims[1] * p.out_dims[2] * nnzOf(n, g);
  }
};

class GemmSparseOp final : public Op {
 public:
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 3, 4));
    EMLC_TRY(requireDType(g.inType(n, 0), {DType::F32}, "A"));
    EMLC_TRY(checkEncoding(n, g, DType::F32));
    EMLC_ASSIGN(auto geo, sparseGemmGeometry(n, g));
    EMLC_TRY(checkBias(g, n, DType::F32, geo.first.N));
    EMLC_TRY(fusedActivation(n).status());
    setOut(g, n, 0, TensorType{DType::F32, geo.second});
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(auto geo, sparseGemmGeometry(l.node(), l.graph()));
    const rt::SparseGemmParams p{geo.first.M, geo.first.N, geo.first.K};
    EMLC_TRY(l.call("emlc::rt::gemm_sparse_f32", &rt::gemm_sparse_f32, p, l.in<float>(0), l.in<uint8_t>(1),
                    l.in<float>(2), l.optIn<float>(3), l.out<float>(0)));
    return lowerFusedActivation(l);
  }
  bool fusesActivation(const Node&, const Graph&) const override { return true; }
  int64_t macs(const Node& n, const Graph& g) const override {
    auto geo = sparseGemmGeometry(n, g);
    return geo ? int64_t{geo->first.M} * nnzOf(n, g) : 0;
  }
};

}  // namespace

const Op& op_emlc_QConvSparse() { static const QConvSparseOp op; return op; }
const Op& op_emlc_QGemmSparse() { static const QGemmSparseOp op; return op; }
const Op& op_emlc_ConvSparse() { static const ConvSparseOp op; return op; }
const Op& op_emlc_GemmSparse() { static const GemmSparseOp op; return op; }

}  // namespace emlc
