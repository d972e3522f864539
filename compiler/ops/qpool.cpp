// emlc's internal int8 pooling and softmax ops:
//
// emlc.QAvgPool  X (int8/uint8, per tensor) -> Y with X's scale and zero
//                point; attributes kernel_shape, strides, pads, auto_pad,
//                ceil_mode, count_include_pad (AveragePool's) and act_min,
//                act_max. TFLite's int8 average pool (runtime int8_pool.h);
//                GlobalAveragePool is the window covering the whole plane.
// emlc.QSoftmax  X (int8, per tensor) -> Y (int8, scale 1/256, zero point
//                -128); attributes axis (>= 0) and coerce_2d (Softmax before
//                opset 13: the axis and every later axis form one row).
//                TFLite's int8 softmax (runtime int8_softmax.h).
#include <cmath>

#include "emlc/int8_dsp_pool_add.h"
#include "emlc/int8_pool.h"
#include "emlc/int8_softmax.h"
#include "ops/op_util.h"
#include "ops/quant_util.h"
#include "passes/target_kernels.h"

namespace emlc {
namespace {

template <class F>
Status dispatch8(DType t, F&& f) {
  switch (t) {
    case DType::I8: return f(int8_t{});
    case DType::U8: return f(uint8_t{});
    default: return unsupported(fmt::format("element type {} is not supported (int8/uint8 only)", dtypeName(t)));
  }
}

constexpr int64_t kLimit = int64_t{1} << 28;

struct AvgGeometry {
  rt::PoolParams params{};
  Shape out;
};

Expected<std::vector<int64_t>> ints(const Node& n, const char* name, size_t len, int64_t def, int64_t lo) {
  if (!n.has(name)) return std::vector<int64_t>(len, def);
  std::vector<int64_t> v = n.attrInts(name);
  if (v.size() != len) return invalid(fmt::format("attribute '{}' has {} values, expected {}", name, v.size(), len));
  for (int64_t x : v)
    if (x < lo || x > kLimit) return invalid(fmt::format("attribute '{}' has value {} out of range", name, x));
  return v;
}

Expected<AvgGeometry> avgGeometry(const Node& n, const Graph& g) {
  const TensorType& x = g.inType(n, 0);
  if (x.rank() < 3 || x.rank() - 2 > rt::kPoolRank)
    return unsupported(fmt::format("X {}: int8 average pooling supports 1 to 3 spatial axes", x.str()));
  EMLC_TRY(checkShape(x.shape, "X"));
  const size_t r = static_cast<size_t>(x.rank() - 2);
  EMLC_ASSIGN(auto kernel, ints(n, "kernel_shape", r, 1, 1));
  EMLC_ASSIGN(auto strides, ints(n, "strides", r, 1, 1));
  EMLC_ASSIGN(auto pads, ints(n, "pads", 2 * r, 0, 0));
  EMLC_ASSIGN(auto dil, ints(n, "dilations", r, 1, 1));
  for (int64_t d : dil)
    if (d != 1) return unsupported("int8 average pooling with dilations");
  const bool ceil_mode = n.attrInt("ceil_mode", 0) != 0;
  const std::string auto_pad = n.attrString("auto_pad", "NOTSET");
  AvgGeometry geo;
  geo.out = {x.shape[0], x.shape[1]};
  rt::PoolParams& p = geo.params;
  p.planes = static_cast<int32_t>(x.shape[0] * x.shape[1]);
  p.count_include_pad = n.attrInt("count_include_pad", 0) != 0;
  p.p = 1.0f;
  for (int a = 0; a < rt::kPoolRank; ++a) {
    p.in_dims[a] = p.out_dims[a] = p.kernel[a] = p.strides[a] = p.dilations[a] = 1;
    p.pad_begin[a] = p.pad_end[a] = 0;
  }
  const size_t lead = static_cast<size_t>(rt::kPoolRank) - r;
  for (size_t i = 0; i < r; ++i) {
    const int64_t d = x.shape[2 + i], k = kernel[i], s = strides[i];
    int64_t pb = pads[i], pe = pads[r + i], out;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      out = (d + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + k - d);
      pb = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe = total - pb;
    } else {
      if (auto_pad == "VALID") pb = pe = 0;
      else if (auto_pad != "NOTSET") return invalid(fmt::format("unknown auto_pad '{}'", auto_pad));
      const int64_t span = d + pb + pe - k;
      if (span < 0) return invalid(fmt::format("kernel {} exceeds the padded input along spatial axis {}", k, i));
      out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    }
    if (d > kLimit || out < 1) return invalid(fmt::format("bad pooling geometry along spatial axis {}", i));
    const size_t a = lead + i;
    p.in_dims[a] = static_cast<int32_t>(d);
    p.out_dims[a] = static_cast<int32_t>(out);
    p.kernel[a] = static_cast<int32_t>(k);
    p.strides[a] = static_cast<int32_t>(s);
    p.pad_begin[a] = static_cast<int32_t>(pb);
    p.pad_end[a] = static_cast<int32_t>(pe);
    geo.out.push_back(out);
  }
  EMLC_TRY(checkShape(geo.out, "output"));
  return geo;
}

class QAvgPoolOp final : public Op {
 public:
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    EMLC_TRY(perTensorQuant(g.inType(n, 0), "input X").status());
    EMLC_ASSIGN(AvgGeometry geo, avgGeometry(n, g));
    TensorType t = g.inType(n, 0);
    t.shape = geo.out;
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(AvgGeometry geo, avgGeometry(l.node(), l.graph()));
    EMLC_ASSIGN(QuantScalar x, perTensorQuant(l.inType(0), "input X"));
    const CodeRange c = nodeClamp(l.node(), l.inType(0).dtype);
    const rt::QuantPoolParams q{x.zero_point, c.lo, c.hi};
    const rt::PoolParams& p = geo.params;
    // The Arm DSP kernel (--target cortex-m*): int8, 2-D, dilation 1.
    if (l.node().attrString(kKernelAttr, "") == kArmDsp && l.inType(0).dtype == DType::I8 && p.in_dims[0] == 1 &&
        p.kernel[0] == 1 && p.dilations[1] == 1 && p.dilations[2] == 1)
      return l.call("emlc::rt::qavgpool_dsp", &rt::qavgpool_dsp, p, q, l.in<int8_t>(0), l.out<int8_t>(0));
    return dispatch8(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("qavgpool"), &rt::qavgpool<T>, p, q, l.in<T>(0), l.out<T>(0));
    });
  }
};

// Softmax row layout: `depth` values `inner` apart, `outer` blocks.
Expected<rt::QuantSoftmaxParams> softmaxLayout(const Node& n, const Graph& g) {
  const TensorType& x = g.inType(n, 0);
  EMLC_ASSIGN(int64_t axis, normAxis(n.attrInt("axis", -1), x.rank()));
  rt::QuantSoftmaxParams p{};
  p.outer = p.depth = p.inner = 1;
  for (int64_t a = 0; a < x.rank(); ++a) {
    const int32_t d = static_cast<int32_t>(x.shape[static_cast<size_t>(a)]);
    if (a < axis) p.outer *= d;
    else if (a == axis || n.attrInt("coerce_2d", 0) != 0) p.depth *= d;
    else p.inner *= d;
  }
  // Q12 accumulation of up to `depth` values of at most 1.
  if (p.depth > 4096) return unsupported(fmt::format("int8 softmax over {} values (at most 4096)", p.depth));
  return p;
}

class QSoftmaxOp final : public Op {
 public:
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(perTensorQuant(x, "input X").status());
    if (x.dtype != DType::I8) return unsupported("int8 softmax takes int8 input");
    EMLC_TRY(checkShape(x.shape, "X"));
    EMLC_TRY(softmaxLayout(n, g).status());
    TensorType t{DType::I8, x.shape};
    t.quant.scale = {1.0f / 256.0f};
    t.quant.zero_point = {-128};
    setOut(g, n, 0, t);
    return Status::ok();
  }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(rt::QuantSoftmaxParams p, softmaxLayout(l.node(), l.graph()));
    EMLC_ASSIGN(QuantScalar x, perTensorQuant(l.inType(0), "input X"));
    // TFLite's PreprocessSoftmaxScaling (beta = 1, 5 integer bits) and
    // CalculateInputRadius.
    const double real = std::min(1.0 * static_cast<double>(x.scale) * static_cast<double>(int64_t{1} << 26),
                                 static_cast<double>((int64_t{1} << 31) - 1));
    const QuantMultiplier m = quantizeMultiplier(real);
    if (m.shift < 0 || m.shift > 30)
      return unsupported(fmt::format("int8 softmax with input scale {} (too small or too large)", x.scale));
    p.input_multiplier = m.multiplier;
    p.input_left_shift = m.shift;
    const double radius = 31.0 * static_cast<double>(int64_t{1} << 26) / static_cast<double>(int64_t{1} << m.shift);
    p.diff_min = -static_cast<int32_t>(std::floor(radius));
    return l.call("emlc::rt::qsoftmax", &rt::qsoftmax, p, l.in<int8_t>(0), l.out<int8_t>(0));
  }
};

}  // namespace

const Op& op_emlc_QAvgPool() { static const QAvgPoolOp op; return op; }
const Op& op_emlc_QSoftmax() { static const QSoftmaxOp op; return op; }

}  // namespace emlc
