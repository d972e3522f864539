// Pooling ops: MaxPool, AveragePool, LpPool (1-D to 3-D, explicit pads or
// auto_pad, strides, dilations, ceil_mode, MaxPool's Indices output) and
// GlobalAveragePool, GlobalMaxPool, GlobalLpPool (any spatial rank).
//
// All window geometry (output sizes, SAME padding) is resolved here at
// compile time; the runtime kernels (runtime/emlc/pool.h) only iterate.
#include <cmath>

#include "emlc/pool.h"
#include "emlc/int8_dsp_pool_add.h"
#include "emlc/pool_nhwc.h"
#include "ops/nhwc.h"
#include "passes/target_kernels.h"
#include "ops/op_util.h"

namespace emlc {
namespace {

TensorType typeOf(DType d, const Shape& s) {
  TensorType t;
  t.dtype = d;
  t.shape = s;
  return t;
}

enum class PoolKind { Max, Avg, Lp };

// Attribute values beyond this are rejected so that the kernel's int32_t
// position arithmetic cannot overflow.
constexpr int64_t kPoolLimit = int64_t{1} << 28;

// Resolved geometry of one pooling node.
struct PoolGeom {
  Shape out_shape;
  rt::PoolParams params{};
};

Status checkPoolInput(const Graph& g, const Node& n, PoolKind kind, size_t* spatial) {
  const TensorType& x = g.inType(n, 0);
  if (kind == PoolKind::Max) {
    if (x.dtype == DType::I8 || x.dtype == DType::U8) {
      if (n.opset < 12) return invalid("int8/uint8 MaxPool needs opset 12");
    } else {
      EMLC_TRY(requireDType(x, {DType::F32, DType::F64, DType::I8, DType::U8}, "input X"));
    }
  } else {
    EMLC_TRY(requireDType(x, {DType::F32, DType::F64}, "input X"));
  }
  if (x.rank() < 3)
    return invalid(fmt::format("input X {} must have rank >= 3 (N, C, spatial...)", x.str()));
  *spatial = static_cast<size_t>(x.rank() - 2);
  if (*spatial > static_cast<size_t>(rt::kPoolRank))
    return unsupported(fmt::format("{}-D pooling is not supported (1-D to {}-D only)", *spatial, rt::kPoolRank));
  return checkShape(x.shape, "input X");
}

// An optional ints attribute of length `len` with every value in [lo, kPoolLimit].
Expected<std::vector<int64_t>> poolInts(const Node& n, const char* name, size_t len, int64_t def, int64_t lo) {
  if (!n.has(name)) return std::vector<int64_t>(len, def);
  const Attribute& a = n.attrs.at(name);
  if (a.kind != Attribute::Kind::Ints) return invalid(fmt::format("attribute '{}' must be a list of ints", name));
  if (a.ints.size() != len)
    return invalid(fmt::format("attribute '{}' has {} values, expected {}", name, a.ints.size(), len));
  for (int64_t v : a.ints)
    if (v < lo || v > kPoolLimit)
      return invalid(fmt::format("attribute '{}' has value {} out of range [{}, {}]", name, v, lo, kPoolLimit));
  return a.ints;
}

// LpPool's exponent: a float attribute before opset 2, an int since.
Expected<float> lpExponent(const Node& n) {
  double pv = 2.0;
  if (n.has("p")) {
    const Attribute& a = n.attrs.at("p");
    pv = a.kind == Attribute::Kind::Float ? static_cast<double>(a.f) : static_cast<double>(a.i);
  }
  if (!(pv > 0.0) || pv > 1e6) return invalid(fmt::format("attribute p must be in (0, 1e6], is {}", pv));
  return static_cast<float>(pv);
}

Expected<PoolGeom> poolGeometry(const Graph& g, const Node& n, PoolKind kind) {
  size_t r = 0;
  EMLC_TRY(checkPoolInput(g, n, kind, &r));
  const Shape in = logicalShape(g.inType(n, 0));  // (N, C, spatial...) in any layout

  if (!n.has("kernel_shape")) return invalid("attribute 'kernel_shape' is required");
  EMLC_ASSIGN(std::vector<int64_t> kernel, poolInts(n, "kernel_shape", r, 1, 1));
  EMLC_ASSIGN(std::vector<int64_t> strides, poolInts(n, "strides", r, 1, 1));
  EMLC_ASSIGN(std::vector<int64_t> dilations, poolInts(n, "dilations", r, 1, 1));
  EMLC_ASSIGN(std::vector<int64_t> pads, poolInts(n, "pads", 2 * r, 0, 0));
  const int64_t ceil_mode = n.attrInt("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1) return invalid(fmt::format("ceil_mode must be 0 or 1, is {}", ceil_mode));
  const std::string auto_pad = n.attrString("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
    return invalid(fmt::format("unknown auto_pad '{}'", auto_pad));
  if (auto_pad != "NOTSET" && n.has("pads")) {
    for (int64_t v : pads)
      if (v != 0) return invalid(fmt::format("explicit pads cannot be combined with auto_pad={}", auto_pad));
  }

  PoolGeom geo;
  geo.out_shape = {in[0], in[1]};
  rt::PoolParams& p = geo.params;
  p.planes = static_cast<int32_t>(in[0] * in[1]);
  p.count_include_pad = 0;
  p.storage_order = 0;
  p.p = 2.0f;
  const size_t lead = static_cast<size_t>(rt::kPoolRank) - r;  // leading size-1 axes
  for (size_t a = 0; a < static_cast<size_t>(rt::kPoolRank); ++a) {
    p.in_dims[a] = p.out_dims[a] = p.kernel[a] = p.strides[a] = p.dilations[a] = 1;
    p.pad_begin[a] = p.pad_end[a] = 0;
  }
  for (size_t i = 0; i < r; ++i) {
    const int64_t d = in[2 + i], k = kernel[i], s = strides[i], dl = dilations[i];
    if (d > kPoolLimit) return unsupported(fmt::format("spatial dimension {} is too large", d));
    const int64_t eff = (k - 1) * dl + 1;  // <= 2^56, no overflow
    if (eff > kPoolLimit)
      return unsupported(fmt::format("dilated kernel extent {} along spatial axis {} is too large", eff, i));
    int64_t pb = pads[i], pe = pads[i + r], out = 0;
    if (auto_pad == "NOTSET" || auto_pad == "VALID") {
      const int64_t span = d + pb + pe - eff;
      if (span < 0)
        return invalid(fmt::format("kernel extent {} exceeds the padded input size {} along spatial axis {}", eff,
                                   d + pb + pe, i));
      // ceil_mode as ONNX 1.12's spec and shape inference define it: the
      // last window is kept even if it starts in the end padding (PyTorch,
      // and later ONNX releases, drop such a window).
      out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    } else {
      out = (d + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + eff - d);
      if (auto_pad == "SAME_UPPER") {
        pb = total / 2;
        pe = total - pb;
      } else {
        pe = total / 2;
        pb = total - pe;
      }
    }
    if (out < 1) return invalid(fmt::format("output size along spatial axis {} would be {}", i, out));
    const size_t a = lead + i;
    p.in_dims[a] = static_cast<int32_t>(d);
    p.out_dims[a] = static_cast<int32_t>(out);
    p.kernel[a] = static_cast<int32_t>(k);
    p.strides[a] = static_cast<int32_t>(s);
    p.dilations[a] = static_cast<int32_t>(dl);
    p.pad_begin[a] = static_cast<int32_t>(pb);
    p.pad_end[a] = static_cast<int32_t>(pe);
    geo.out_shape.push_back(out);
  }
  EMLC_TRY(checkShape(geo.out_shape, "output Y"));

  if (kind == PoolKind::Avg) {
    const int64_t cip = n.attrInt("count_include_pad", 0);
    if (cip != 0 && cip != 1) return invalid(fmt::format("count_include_pad must be 0 or 1, is {}", cip));
    p.count_include_pad = static_cast<int32_t>(cip);
  }
  if (kind == PoolKind::Max) {
    const int64_t so = n.attrInt("storage_order", 0);
    if (so != 0 && so != 1) return invalid(fmt::format("storage_order must be 0 or 1, is {}", so));
    p.storage_order = static_cast<int32_t>(so);
  }
  if (kind == PoolKind::Lp) {
    EMLC_ASSIGN(p.p, lpExponent(n));
  }
  return geo;
}

// Channels-last pools (ops/nhwc.h): float MaxPool/AveragePool with 1 or 2
// spatial axes and no Indices output, and the global pools.
bool nhwcPool(const Node& n, const Graph& g, bool global) {
  const TensorType& x = g.inType(n, 0);
  if (x.dtype != DType::F32 || x.rank() < 3 || x.rank() > 4) return false;
  return global || !hasOut(n, 1);
}

bool poolLayout(const Node& n, const Graph& g, Layout l, std::vector<bool>* layout_inputs, bool supported) {
  if (l == Layout::Onnx) return true;
  if (l != Layout::NHWC || !supported) return false;
  if (layout_inputs) layout_inputs->assign(n.inputs.size(), true);
  return true;
}

// The 3-slot PoolParams (spatial axes right-aligned) as NHWC parameters.
rt::PoolNhwcParams nhwcPoolParams(const rt::PoolParams& q, const Shape& logical) {
  rt::PoolNhwcParams p{};
  p.batch = static_cast<int32_t>(logical[0]);
  p.channels = static_cast<int32_t>(logical[1]);
  p.in_h = q.in_dims[1];
  p.in_w = q.in_dims[2];
  p.out_h = q.out_dims[1];
  p.out_w = q.out_dims[2];
  p.k_h = q.kernel[1];
  p.k_w = q.kernel[2];
  p.stride_h = q.strides[1];
  p.stride_w = q.strides[2];
  p.dil_h = q.dilations[1];
  p.dil_w = q.dilations[2];
  p.pad_t = q.pad_begin[1];
  p.pad_l = q.pad_begin[2];
  p.pad_b = q.pad_end[1];
  p.pad_r = q.pad_end[2];
  p.count_include_pad = q.count_include_pad;
  return p;
}

Status checkNhwc(const Node& n, const Graph& g, bool global) {
  if (!isNhwc(n)) return Status::ok();
  if (g.inType(n, 0).layout != Layout::NHWC || !nhwcPool(n, g, global))
    return invalid("emlc_layout NHWC needs an NHWC float input of rank 3 or 4");
  return Status::ok();
}

template <PoolKind K>
class PoolOp final : public Op {
 public:
  bool supportsLayout(const Node& n, const Graph& g, Layout l, std::vector<bool>* layout_inputs) const override {
    return poolLayout(n, g, l, layout_inputs, K != PoolKind::Lp && nhwcPool(n, g, false));
  }
  OpDoc doc() const override {
    return {K == PoolKind::Max ? "float, int8, uint8" : doc::kFloat, "1-D to 3-D"};
  }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    EMLC_ASSIGN(PoolGeom geo, poolGeometry(g, n, K));
    const TensorType& x = g.inType(n, 0);
    if (n.outputs.size() > (K == PoolKind::Max ? 2u : 1u)) return invalid("too many outputs");
    if (isNhwc(n)) {
      if (K == PoolKind::Lp) return invalid("LpPool has no NHWC kernel");
      EMLC_TRY(checkNhwc(n, g, false));
      setOut(g, n, 0, nhwcType(typeOf(x.dtype, geo.out_shape)));
      return Status::ok();
    }
    setOut(g, n, 0, typeOf(x.dtype, geo.out_shape));
    if (K == PoolKind::Max && hasOut(n, 1)) {
      if (n.opset < 8) return invalid("MaxPool has an Indices output only since opset 8");
      setOut(g, n, 1, typeOf(DType::I64, geo.out_shape));
    }
    return Status::ok();
  }

  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(PoolGeom geo, poolGeometry(l.graph(), l.node(), K));
    const rt::PoolParams& p = geo.params;
    if (isNhwc(l.node())) {
      const rt::PoolNhwcParams q = nhwcPoolParams(p, logicalShape(l.inType(0)));
      if constexpr (K == PoolKind::Max)
        return l.call("emlc::rt::max_pool_nhwc<float>", &rt::max_pool_nhwc<float>, q, l.in<float>(0), l.out<float>(0));
      else if constexpr (K == PoolKind::Avg)
        return l.call("emlc::rt::avg_pool_nhwc<float>", &rt::avg_pool_nhwc<float>, q, l.in<float>(0), l.out<float>(0));
      else
        return internal("LpPool has no NHWC kernel");
    }
    return dispatchNumeric(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      if constexpr (K == PoolKind::Max) {
        if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int8_t> ||
                      std::is_same_v<T, uint8_t>) {
          if (l.hasOut(1))
            return l.call(kernelName<T>("max_pool_indices"), &rt::max_pool_indices<T>, p, l.in<T>(0), l.out<T>(0),
                          l.out<int64_t>(1));
          // The Arm DSP target's int8 kernel (2-D, dilation 1).
          if constexpr (std::is_same_v<T, int8_t>)
            if (l.node().attrString(kKernelAttr, "") == kArmDsp && p.in_dims[0] == 1 && p.kernel[0] == 1 &&
                p.dilations[1] == 1 && p.dilations[2] == 1)
              return l.call("emlc::rt::qmaxpool_dsp", &rt::qmaxpool_dsp, p, l.in<int8_t>(0), l.out<int8_t>(0));
          return l.call(kernelName<T>("max_pool"), &rt::max_pool<T>, p, l.in<T>(0), l.out<T>(0));
        }
      } else if constexpr (std::is_floating_point_v<T>) {
        if constexpr (K == PoolKind::Avg)
          return l.call(kernelName<T>("avg_pool"), &rt::avg_pool<T>, p, l.in<T>(0), l.out<T>(0));
        else
          return l.call(kernelName<T>("lp_pool"), &rt::lp_pool<T>, p, l.in<T>(0), l.out<T>(0));
      }
      return internal("pool on an unexpected element type");
    });
  }
};

// Global pools: one value per (n, c) plane over all spatial axes.
template <PoolKind K>
class GlobalPoolOp final : public Op {
 public:
  bool supportsLayout(const Node& n, const Graph& g, Layout l, std::vector<bool>* layout_inputs) const override {
    return poolLayout(n, g, l, layout_inputs, K != PoolKind::Lp && nhwcPool(n, g, true));
  }
  OpDoc doc() const override { return {doc::kFloat, ""}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireDType(x, {DType::F32, DType::F64}, "input X"));
    if (x.rank() < 2) return invalid(fmt::format("input X {} must have rank >= 2 (N, C, spatial...)", x.str()));
    EMLC_TRY(checkShape(x.shape, "input X"));
    if (K == PoolKind::Lp) EMLC_TRY(lpExponent(n).status());
    EMLC_TRY(checkNhwc(n, g, true));
    if (isNhwc(n) && K == PoolKind::Lp) return invalid("GlobalLpPool has no NHWC kernel");
    Shape out = logicalShape(x);
    for (size_t i = 2; i < out.size(); ++i) out[i] = 1;
    setOut(g, n, 0, isNhwc(n) ? nhwcType(typeOf(x.dtype, out)) : typeOf(x.dtype, out));
    return Status::ok();
  }

  Status lower(Lowering& l) const override {
    const Shape s = logicalShape(l.inType(0));
    const int32_t planes = static_cast<int32_t>(s[0] * s[1]);
    int64_t size = 1;
    for (size_t i = 2; i < s.size(); ++i) size *= s[i];
    const int32_t sz = static_cast<int32_t>(size);
    if (isNhwc(l.node())) {
      const int32_t batch = static_cast<int32_t>(s[0]), channels = static_cast<int32_t>(s[1]);
      if constexpr (K == PoolKind::Avg)
        return l.call("emlc::rt::global_avg_pool_nhwc<float>", &rt::global_avg_pool_nhwc<float>, l.in<float>(0),
                      l.out<float>(0), batch, sz, channels);
      else if constexpr (K == PoolKind::Max)
        return l.call("emlc::rt::global_max_pool_nhwc<float>", &rt::global_max_pool_nhwc<float>, l.in<float>(0),
                      l.out<float>(0), batch, sz, channels);
      else
        return internal("GlobalLpPool has no NHWC kernel");
    }
    return dispatchFloat(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      if constexpr (K == PoolKind::Avg)
        return l.call(kernelName<T>("global_avg_pool"), &rt::global_avg_pool<T>, l.in<T>(0), l.out<T>(0), planes, sz);
      else if constexpr (K == PoolKind::Max)
        return l.call(kernelName<T>("global_max_pool"), &rt::global_max_pool<T>, l.in<T>(0), l.out<T>(0), planes, sz);
      else {
        EMLC_ASSIGN(float p, lpExponent(l.node()));
        return l.call(kernelName<T>("global_lp_pool"), &rt::global_lp_pool<T>, l.in<T>(0), l.out<T>(0), planes, sz,
                      p);
      }
    });
  }
};

}  // namespace

const Op& op_MaxPool() { static const PoolOp<PoolKind::Max> op; return op; }
const Op& op_AveragePool() { static const PoolOp<PoolKind::Avg> op; return op; }
const Op& op_LpPool() { static const PoolOp<PoolKind::Lp> op; return op; }
const Op& op_GlobalMaxPool() { static const GlobalPoolOp<PoolKind::Max> op; return op; }
const Op& op_GlobalAveragePool() { static const GlobalPoolOp<PoolKind::Avg> op; return op; }
const Op& op_GlobalLpPool() { static const GlobalPoolOp<PoolKind::Lp> op; return op; }

}  // namespace emlc
