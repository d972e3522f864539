// Matrix products: Gemm (all opsets) and MatMul (numpy semantics, batched
// with broadcasting), both on the runtime's matmul_block core; and
// MatMulInteger (int8/uint8 with per-tensor zero points, int32 out).
#include "emlc/float_fpu.h"
#include "emlc/gemm_packed.h"
#include "emlc/matmul.h"

#include <cmath>
#include <type_traits>

#include "ops/fused_activation.h"
#include "ops/op_util.h"
#include "ops/tiles.h"
#include "passes/target_kernels.h"

namespace emlc {
namespace {

// Element types of Gemm/MatMul emlc compiles (ONNX also allows float16 and
// bfloat16, which emlc does not support).
Status checkMatmulType(const TensorType& t, const char* what) {
  return requireDType(t, {DType::F32, DType::F64, DType::I32, DType::I64, DType::U32, DType::U64}, what);
}

template <class F>
Status dispatchMatmul(DType t, F&& f) {
  switch (t) {
    case DType::F32: return f(float{});
    case DType::F64: return f(double{});
    case DType::I32: return f(int32_t{});
    case DType::I64: return f(int64_t{});
    case DType::U32: return f(uint32_t{});
    case DType::U64: return f(uint64_t{});
    default: return unsupported(fmt::format("element type {} is not supported", dtypeName(t)));
  }
}

template <class F>
Status dispatchInt8(DType t, F&& f) {
  switch (t) {
    case DType::I8: return f(int8_t{});
    case DType::U8: return f(uint8_t{});
    default: return unsupported(fmt::format("element type {} is not supported (int8/uint8 only)", dtypeName(t)));
  }
}

// A fused activation (ops/fused_activation.h) needs a float output.
Status checkActivation(const Node& n, const Graph& g) {
  if (!hasFusedActivation(n)) return Status::ok();
  if (!dtypeIsFloat(g.inType(n, 0).dtype)) return invalid("a fused activation needs float inputs");
  return fusedActivation(n).status();
}

// ---- Gemm -------------------------------------------------------------------

struct GemmPlan {
  rt::GemmParams params{};
  Shape out;
};

Expected<GemmPlan> planGemm(const Node& n, const Graph& g) {
  EMLC_TRY(requireInputs(n, 2, 3));
  const bool has_c = n.in(2) != kNoTensor;
  if (!has_c && n.opset < 11) return invalid("input C is required before opset 11");
  const TensorType& a = g.inType(n, 0);
  const TensorType& b = g.inType(n, 1);
  EMLC_TRY(checkMatmulType(a, "input A"));
  if (b.dtype != a.dtype || (has_c && g.inType(n, 2).dtype != a.dtype))
    return invalid(fmt::format("inputs must have the same element type ({})", dtypeName(a.dtype)));
  if (a.rank() != 2 || b.rank() != 2)
    return invalid(fmt::format("A {} and B {} must be matrices", a.str(), b.str()));
  EMLC_TRY(checkShape(a.shape, "A"));
  EMLC_TRY(checkShape(b.shape, "B"));
  const bool ta = n.attrInt("transA", 0) != 0, tb = n.attrInt("transB", 0) != 0;
  const int64_t M = ta ? a.shape[1] : a.shape[0], K = ta ? a.shape[0] : a.shape[1];
  const int64_t KB = tb ? b.shape[1] : b.shape[0], N = tb ? b.shape[0] : b.shape[1];
  if (K != KB)
    return invalid(fmt::format("inner dimensions differ: op(A) is [{},{}], op(B) is [{},{}]", M, K, KB, N));
  const float alpha = n.attrFloat("alpha", 1.0f), beta = n.attrFloat("beta", 1.0f);
  auto whole = [](float v) { return v == std::floor(v) && std::fabs(v) <= 2147483647.0f; };
  if (dtypeIsInteger(a.dtype) && (!whole(alpha) || !whole(beta)))
    return unsupported(
        fmt::format("alpha={} and beta={}: integer Gemm supports whole-number alpha and beta only", alpha, beta));

  GemmPlan plan;
  plan.out = {M, N};
  EMLC_TRY(checkShape(plan.out, "output"));
  rt::GemmParams& p = plan.params;
  p.M = static_cast<int32_t>(M);
  p.N = static_cast<int32_t>(N);
  p.K = static_cast<int32_t>(K);
  p.trans_a = ta;
  p.trans_b = tb;
  p.alpha = alpha;
  p.beta = beta;
  if (has_c) {
    const Shape& cs = g.inType(n, 2).shape;
    // Before opset 7, C must be (M, N) unless broadcast=1; later C
    // broadcasts unidirectionally to (M, N).
    const bool legacy_exact = n.opset < 7 && n.attrInt("broadcast", 0) == 0;
    bool ok = cs.size() <= 2;
    for (size_t i = 0; ok && i < cs.size(); ++i) {
      const int64_t want = plan.out[2 - cs.size() + i];
      ok = cs[i] == want || (cs[i] == 1 && !legacy_exact);
    }
    if (legacy_exact && cs.size() != 2) ok = false;
    if (!ok)
      return invalid(fmt::format("C {} does not {} [{},{}]", shapeStr(cs),
                                 legacy_exact ? "match (broadcast=0)" : "broadcast to", M, N));
    std::vector<int32_t> st = broadcastStrides(cs, plan.out);
    p.c_row_stride = st[0];
    p.c_col_stride = st[1];
  }
  return plan;
}

// Float Gemm with constant B (transA = 0) and C absent or one constant row
// runs gemm_packed: alpha * op(B) is packed into column panels at lowering,
// beta * C becomes the bias (runtime/emlc/gemm_packed.h).
bool packedGemm(const Node& n, const Graph& g) {
  if (g.inType(n, 0).dtype != DType::F32 || n.attrInt("transA", 0) != 0) return false;
  if (!g.t(n.inputs[1]).isConstant()) return false;
  if (n.in(2) == kNoTensor) return true;
  const TensorType& c = g.inType(n, 2);
  return g.t(n.inputs[2]).isConstant() && (c.rank() < 2 || c.shape[0] == 1);
}

Status lowerPackedGemm(Lowering& l, const rt::GemmParams& gp) {
  const Node& n = l.node();
  const Graph& g = l.graph();
  EMLC_ASSIGN(rt::Activation act, fusedActivation(n));
  const int64_t M = gp.M, N = gp.N, K = gp.K;
  const float* b = g.t(n.inputs[1]).as<float>();
  const bool tb = gp.trans_b != 0;
  const float alpha = gp.alpha;
  rt::GemmPackedParams p{gp.M, gp.N, gp.K};
  const bool fpu = n.attrString(kKernelAttr, "") == kArmFpu;
  auto run = [&](auto mr, auto nr) -> Status {
    constexpr int MR = decltype(mr)::value, NR = decltype(nr)::value;
    const int64_t blocks = (N + NR - 1) / NR;
    ConstArray<float> packed{std::vector<float>(static_cast<size_t>(blocks * K * NR), 0.0f)};
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < N; ++j) {
        const float v = tb ? b[j * K + k] : b[k * N + j];
        packed.values[static_cast<size_t>(((j / NR) * K + k) * NR + j % NR)] = alpha == 1.0f ? v : alpha * v;
      }
    ConstArray<float> bias{std::vector<float>(static_cast<size_t>(blocks * NR), 0.0f)};
    if (n.in(2) != kNoTensor && gp.beta != 0.0f) {
      const Tensor& c = g.t(n.inputs[2]);
      const float* cv = c.as<float>();
      const bool one = c.type.numel() == 1;
      for (int64_t j = 0; j < N; ++j) {
        const float v = cv[one ? 0 : j];
        bias.values[static_cast<size_t>(j)] = gp.beta == 1.0f ? v : gp.beta * v;
      }
    }
    if (fpu)  // --target cortex-m*: register tiles for the single-precision FPU (float_fpu.h)
      return l.call(fmt::format("emlc::rt::fpu_gemm<{}, {}>", MR, NR), &rt::fpu_gemm<MR, NR>, p, act, l.in<float>(0),
                    packed, bias, l.out<float>(0));
    return l.call(fmt::format("emlc::rt::gemm_packed<float, {}, {}>", MR, NR), &rt::gemm_packed<float, MR, NR>, p,
                  act, l.in<float>(0), packed, bias, l.out<float>(0));
  };
  if (fpu) return withFpuTile(fpuTile(M, N), run);
  return withTile(gemmTile(M, N), run);
}

class GemmOp final : public Op {
 public:
  OpDoc doc() const override {
    return {"float, int32, int64, uint32, uint64", "integer Gemm: whole-number alpha and beta"};
  }
  Status infer(Node& n, Graph& g) const override {
    EMLC_ASSIGN(GemmPlan plan, planGemm(n, g));
    EMLC_TRY(checkActivation(n, g));
    TensorType t;
    t.dtype = g.inType(n, 0).dtype;
    t.shape = plan.out;
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(GemmPlan plan, planGemm(l.node(), l.graph()));
    if (packedGemm(l.node(), l.graph())) return lowerPackedGemm(l, plan.params);
    EMLC_TRY(dispatchMatmul(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("gemm"), &rt::gemm<T>, plan.params, l.in<T>(0), l.in<T>(1), l.optIn<T>(2),
                    l.out<T>(0));
    }));
    return lowerFusedActivation(l);
  }
  bool fusesActivation(const Node& n, const Graph& g) const override {
    return dtypeIsFloat(g.inType(n, 0).dtype);
  }
  int64_t macs(const Node& n, const Graph& g) const override {
    Expected<GemmPlan> plan = planGemm(n, g);
    if (!plan.isOk()) return 0;
    return int64_t{plan->params.M} * plan->params.N * plan->params.K;
  }
};

// ---- MatMul -----------------------------------------------------------------

struct MatMulPlan {
  rt::MatMulParams params{};
  Shape out;
  int64_t macs = 0;
};

// MatMul, or MatMulInteger if `integer` (int8/uint8 in, int32 out, optional
// single-value zero points as inputs 2 and 3).
Expected<MatMulPlan> planMatMul(const Node& n, const Graph& g, bool integer) {
  EMLC_TRY(requireInputs(n, 2, integer ? 4 : 2));
  const TensorType& a = g.inType(n, 0);
  const TensorType& b = g.inType(n, 1);
  if (!integer) {
    EMLC_TRY(checkMatmulType(a, "input A"));
    if (b.dtype != a.dtype)
      return invalid(fmt::format("A and B element types differ: {} and {}", dtypeName(a.dtype), dtypeName(b.dtype)));
  } else {
    EMLC_TRY(requireDType(a, {DType::U8, DType::I8}, "input A"));
    EMLC_TRY(requireDType(b, {DType::U8, DType::I8}, "input B"));
    for (size_t k = 2; k < 4; ++k) {
      if (n.in(k) == kNoTensor) continue;
      const TensorType& z = g.inType(n, k);
      if (z.dtype != g.inType(n, k - 2).dtype)
        return invalid(fmt::format("zero point {} has type {}; must match its input", z.str(), dtypeName(z.dtype)));
      if (z.numel() != 1)
        return unsupported(fmt::format("zero point {} has several values; only a single (per-tensor) zero point is "
                                       "supported",
                                       z.str()));
    }
  }
  if (a.rank() < 1 || b.rank() < 1)
    return invalid(fmt::format("A {} and B {} must have rank 1 or more", a.str(), b.str()));
  EMLC_TRY(checkShape(a.shape, "A"));
  EMLC_TRY(checkShape(b.shape, "B"));
  // numpy: a 1-D A is a row vector [1, K], a 1-D B a column vector [K, 1];
  // the added dimension is removed from the result.
  Shape as = a.shape, bs = b.shape;
  if (a.rank() == 1) as.insert(as.begin(), 1);
  if (b.rank() == 1) bs.push_back(1);
  const int64_t M = as[as.size() - 2], K = as.back(), KB = bs[bs.size() - 2], N = bs.back();
  if (K != KB)
    return invalid(fmt::format("inner dimensions differ: A {} and B {}", shapeStr(a.shape), shapeStr(b.shape)));
  const Shape ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  EMLC_ASSIGN(Shape batch, broadcastShapes(ab, bb));

  MatMulPlan plan;
  plan.out = batch;
  if (a.rank() > 1) plan.out.push_back(M);
  if (b.rank() > 1) plan.out.push_back(N);
  EMLC_TRY(checkShape(plan.out, "output"));
  plan.macs = shapeNumel(batch) * M * N * K;

  rt::MatMulParams& p = plan.params;
  p.N = static_cast<int32_t>(N);
  p.K = static_cast<int32_t>(K);
  if (bb.empty() || shapeNumel(bb) == 1) {
    // B is one matrix: A's batches are consecutive rows of one bigger matrix.
    p.batch_rank = 0;
    p.M = static_cast<int32_t>(shapeNumel(batch) * M);
    return plan;
  }
  p.M = static_cast<int32_t>(M);
  p.batch_rank = static_cast<int32_t>(batch.size());
  fillArray(p.batch_dims, batch);
  std::vector<int32_t> sa = broadcastStrides(ab, batch), sb = broadcastStrides(bb, batch);
  for (size_t i = 0; i < batch.size(); ++i) {
    sa[i] *= static_cast<int32_t>(M * K);
    sb[i] *= static_cast<int32_t>(K * N);
  }
  fillArray(p.a_strides, sa);
  fillArray(p.b_strides, sb);
  return plan;
}

template <bool Integer>
class MatMulOp final : public Op {
 public:
  OpDoc doc() const override {
    if (Integer) return {"int8, uint8 (int32 out)", "a single (per-tensor) zero point per input"};
    return {"float, int32, int64, uint32, uint64", "batched, with broadcasting"};
  }
  Status infer(Node& n, Graph& g) const override {
    EMLC_ASSIGN(MatMulPlan plan, planMatMul(n, g, Integer));
    if (Integer && hasFusedActivation(n)) return invalid("MatMulInteger has no fused activation");
    if (!Integer) EMLC_TRY(checkActivation(n, g));
    TensorType t;
    t.dtype = Integer ? DType::I32 : g.inType(n, 0).dtype;
    t.shape = plan.out;
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(MatMulPlan plan, planMatMul(l.node(), l.graph(), Integer));
    if constexpr (Integer) {
      return dispatchInt8(l.inType(0).dtype, [&](auto za) -> Status {
        return dispatchInt8(l.inType(1).dtype, [&](auto zb) -> Status {
          using TA = decltype(za);
          using TB = decltype(zb);
          return l.call(kernelName<TA, TB>("matmul_integer"), &rt::matmul_integer<TA, TB>, plan.params,
                        l.in<TA>(0), l.in<TB>(1), l.optIn<TA>(2), l.optIn<TB>(3), l.out<int32_t>(0));
        });
      });
    } else {
      EMLC_TRY(dispatchMatmul(l.inType(0).dtype, [&](auto z) -> Status {
        using T = decltype(z);
        return l.call(kernelName<T>("matmul"), &rt::matmul<T>, plan.params, l.in<T>(0), l.in<T>(1), l.out<T>(0));
      }));
      return lowerFusedActivation(l);
    }
  }
  bool fusesActivation(const Node& n, const Graph& g) const override {
    return !Integer && dtypeIsFloat(g.inType(n, 0).dtype);
  }
  int64_t macs(const Node& n, const Graph& g) const override {
    Expected<MatMulPlan> plan = planMatMul(n, g, Integer);
    return plan.isOk() ? plan->macs : 0;
  }
};

}  // namespace

const Op& op_Gemm() { static const GemmOp op; return op; }
const Op& op_MatMul() { static const MatMulOp<false> op; return op; }
const Op& op_MatMulInteger() { static const MatMulOp<true> op; return op; }

}  // namespace emlc
