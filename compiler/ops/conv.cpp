// Convolutions: Conv and ConvTranspose (1-D to 3-D, float32/float64) and
// ConvInteger (int8/uint8 with zero points, int32 out).
//
// All three share one geometry function (planConv) that checks every attribute
// and computes the output shape and the runtime's ConvParams; infer(),
// lower() and macs() all go through it, so they cannot disagree.
#include "emlc/conv.h"
#include "emlc/conv_nhwc.h"
#include "emlc/float_fpu.h"
#include "emlc/gemm_packed.h"

#include <algorithm>
#include <type_traits>
#include <string>

#include "ops/conv_geometry.h"
#include "ops/fused_activation.h"
#include "ops/nhwc.h"
#include "ops/op_util.h"
#include "ops/tiles.h"
#include "passes/target_kernels.h"

namespace emlc {
namespace {

// Upper bound for every per-axis quantity (padded extent, effective kernel,
// stride, pad): keeps all index arithmetic in the kernels inside int32.
constexpr int64_t kAxisLimit = int64_t{1} << 29;

// Floor division (b > 0), as ONNX's reference uses for ConvTranspose pads.
int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

template <class F>
Status dispatchInt8(DType t, F&& f) {
  switch (t) {
    case DType::I8: return f(int8_t{});
    case DType::U8: return f(uint8_t{});
    default: return unsupported(fmt::format("element type {} is not supported (int8/uint8 only)", dtypeName(t)));
  }
}

struct ConvPlan {
  rt::ConvParams params{};
  Shape out;
  int64_t macs = 0;
};

// Reads a per-axis INTS attribute: `len` values, default `def`, each in
// [lo, kAxisLimit).
Expected<std::vector<int64_t>> axisAttr(const Node& n, const char* name, size_t len, int64_t def, int64_t lo) {
  if (!n.has(name)) return std::vector<int64_t>(len, def);
  std::vector<int64_t> v = n.attrInts(name);
  if (v.size() != len)
    return invalid(fmt::format("attribute '{}' has {} values; expected {}", name, v.size(), len));
  for (int64_t x : v) {
    if (x < lo) return invalid(fmt::format("attribute '{}' has value {}; must be at least {}", name, x, lo));
    if (x >= kAxisLimit)
      return unsupported(fmt::format("attribute '{}' has value {}; emlc supports values below 2^29", name, x));
  }
  return v;
}

enum class Kind { Conv, Transpose, Integer };

// Checks types and ranks shared by Conv, ConvTranspose and ConvInteger.
Status checkInputs(const Node& n, const Graph& g, Kind kind) {
  EMLC_TRY(requireInputs(n, 2, kind == Kind::Integer ? 4 : 3));
  const TensorType& x = g.inType(n, 0);
  const TensorType& w = g.inType(n, 1);
  if (kind == Kind::Integer) {
    // ConvInteger: int8/uint8 X and W, optional zero points as inputs 2 (one
    // value) and 3 (one value or one per output channel).
    EMLC_TRY(requireDType(x, {DType::U8, DType::I8}, "input X"));
    EMLC_TRY(requireDType(w, {DType::U8, DType::I8}, "input W"));
    for (size_t k = 2; k < 4; ++k) {
      if (n.in(k) == kNoTensor) continue;
      const TensorType& z = g.inType(n, k);
      if (z.dtype != g.inType(n, k - 2).dtype)
        return invalid(fmt::format("zero point {} must have the type of {}", z.str(), k == 2 ? "X" : "W"));
      if (z.numel() != 1 && (k == 2 || z.rank() != 1 || w.rank() < 1 || z.shape[0] != w.shape[0]))
        return invalid(fmt::format("zero point {} must be a single value{}", z.str(),
                                   k == 2 ? "" : " or have one value per output channel"));
    }
  } else {
    EMLC_TRY(requireDType(x, {DType::F32, DType::F64}, "input X"));
    if (w.dtype != x.dtype)
      return invalid(fmt::format("W has element type {} but X has {}", dtypeName(w.dtype), dtypeName(x.dtype)));
    if (n.in(2) != kNoTensor && g.inType(n, 2).dtype != x.dtype)
      return invalid(fmt::format("B has element type {} but X has {}", dtypeName(g.inType(n, 2).dtype),
                                 dtypeName(x.dtype)));
  }
  if (x.rank() < 3) return invalid(fmt::format("X must have rank 3 or more (N, C, spatial...), has {}", x.str()));
  if (x.rank() > 5)
    return unsupported(fmt::format("X {} has {} spatial dimensions; emlc supports 1 to 3", x.str(), x.rank() - 2));
  if (w.rank() != x.rank())
    return invalid(fmt::format("W {} must have the same rank as X {}", w.str(), x.str()));
  EMLC_TRY(checkShape(x.shape, "X"));
  EMLC_TRY(checkShape(w.shape, "W"));
  return Status::ok();
}

Expected<ConvPlan> planConv(const Node& n, const Graph& g, Kind kind) {
  EMLC_TRY(checkInputs(n, g, kind));
  const bool transpose = kind == Kind::Transpose;
  const Shape xs = logicalShape(g.inType(n, 0));  // (N, C, spatial...) in any layout
  const Shape& ws = g.inType(n, 1).shape;
  const size_t r = xs.size() - 2;
  const int64_t N = xs[0], C = xs[1];

  const int64_t group = n.attrInt("group", 1);
  if (group < 1) return invalid(fmt::format("group must be at least 1, is {}", group));
  if (group >= kAxisLimit) return unsupported(fmt::format("group {} is too large", group));
  if (C % group != 0) return invalid(fmt::format("X has {} channels, not divisible by group {}", C, group));
  int64_t M;
  if (!transpose) {
    // W is (M, C/group, k...).
    M = ws[0];
    if (ws[1] * group != C)
      return invalid(fmt::format("W {} has {} input channels per group; X has {} channels and group={}",
                                 shapeStr(ws), ws[1], C, group));
    if (M % group != 0) return invalid(fmt::format("W has {} output channels, not divisible by group {}", M, group));
  } else {
    // W is (C, M/group, k...).
    if (ws[0] != C)
      return invalid(fmt::format("W {} must have X's {} channels in its first dimension", shapeStr(ws), C));
    M = ws[1] * group;
  }

  // Kernel size: from W; kernel_shape, when given, must agree.
  std::vector<int64_t> kernel(ws.begin() + 2, ws.end());
  for (int64_t k : kernel)
    if (k < 1) return invalid(fmt::format("W {} has an empty kernel dimension", shapeStr(ws)));
  if (n.has("kernel_shape") && n.attrInts("kernel_shape") != kernel)
    return invalid(fmt::format("kernel_shape attribute does not match W {}", shapeStr(ws)));
  EMLC_ASSIGN(auto strides, axisAttr(n, "strides", r, 1, 1));
  EMLC_ASSIGN(auto dilations, axisAttr(n, "dilations", r, 1, 1));
  EMLC_ASSIGN(auto pads, axisAttr(n, "pads", 2 * r, 0, 0));
  std::vector<int64_t> out_padding(r, 0);
  if (transpose) {
    EMLC_ASSIGN(out_padding, axisAttr(n, "output_padding", r, 0, 0));
  } else if (n.has("output_padding")) {
    return invalid("Conv has no attribute 'output_padding'");
  }

  const std::string auto_pad = n.attrString("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" && auto_pad != "VALID")
    return invalid(fmt::format("auto_pad '{}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", auto_pad));
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";

  // Optional explicit output shape (ConvTranspose): spatial dims, or the
  // whole shape (N, M, spatial...) as some exporters write it.
  std::vector<int64_t> out_shape_attr;
  if (transpose && n.has("output_shape")) {
    out_shape_attr = n.attrInts("output_shape");
    if (out_shape_attr.size() == r + 2) out_shape_attr.erase(out_shape_attr.begin(), out_shape_attr.begin() + 2);
    if (out_shape_attr.size() != r)
      return invalid(fmt::format("attribute 'output_shape' has {} values; expected {}", n.attrInts("output_shape").size(), r));
  }

  std::vector<int64_t> out(r), pad_begin(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t in = xs[2 + i], s = strides[i];
    const int64_t ek = (kernel[i] - 1) * dilations[i] + 1;  // effective kernel extent
    if (ek >= kAxisLimit) return unsupported(fmt::format("dilated kernel extent {} is too large", ek));
    int64_t pb = pads[i], pe = pads[r + i];
    if (!transpose) {
      if (same) {
        const int64_t o = (in + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (o - 1) * s + ek - in);
        pb = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
        pe = total - pb;
      } else if (auto_pad == "VALID") {
        pb = pe = 0;
      }
      const int64_t padded = in + pb + pe;
      if (padded >= kAxisLimit) return unsupported(fmt::format("padded spatial extent {} is too large", padded));
      if (padded < ek)
        return invalid(fmt::format("spatial axis {}: padded input size {} is smaller than the kernel extent {}", i,
                                   padded, ek));
      out[i] = (padded - ek) / s + 1;
    } else {
      if (in < 1) return invalid(fmt::format("X {} has an empty spatial dimension", shapeStr(xs)));
      const int64_t full = s * (in - 1) + out_padding[i] + ek;  // output size without padding
      if (full >= kAxisLimit) return unsupported(fmt::format("output extent {} is too large", full));
      if (!out_shape_attr.empty() || same) {
        const int64_t o = !out_shape_attr.empty() ? out_shape_attr[i] : in * s;
        if (o < 1 || o >= kAxisLimit)
          return invalid(fmt::format("output size {} on spatial axis {} is out of range", o, i));
        const int64_t total = full - o;
        if (auto_pad == "SAME_UPPER") {
          pb = floorDiv(total, 2);
          pe = total - pb;
        } else {
          pe = floorDiv(total, 2);
          pb = total - pe;
        }
      } else if (auto_pad == "VALID") {
        pb = pe = 0;
      }
      out[i] = full - pb - pe;
      if (out[i] < 1)
        return invalid(fmt::format("spatial axis {}: pads {} and {} leave no output", i, pb, pe));
    }
    pad_begin[i] = pb;
  }

  if (kind != Kind::Integer && n.in(2) != kNoTensor && g.inType(n, 2).shape != Shape{M})
    return invalid(fmt::format("B {} must have shape [{}]", g.inType(n, 2).str(), M));

  ConvPlan plan;
  plan.out = {N, M};
  plan.out.insert(plan.out.end(), out.begin(), out.end());
  EMLC_TRY(checkShape(plan.out, "output"));

  rt::ConvParams& p = plan.params;
  p.batch = static_cast<int32_t>(N);
  p.in_channels = static_cast<int32_t>(C);
  p.out_channels = static_cast<int32_t>(M);
  p.group = static_cast<int32_t>(group);
  // Spatial axes right-aligned into the runtime's 3 slots; missing leading
  // axes are size 1 with a 1-tap kernel.
  for (int i = 0; i < 3; ++i) {
    const int k = i - (3 - static_cast<int>(r));
    const bool real = k >= 0;
    const size_t a = static_cast<size_t>(real ? k : 0);
    p.in_dims[i] = real ? static_cast<int32_t>(xs[2 + a]) : 1;
    p.out_dims[i] = real ? static_cast<int32_t>(out[a]) : 1;
    p.kernel[i] = real ? static_cast<int32_t>(kernel[a]) : 1;
    p.strides[i] = real ? static_cast<int32_t>(strides[a]) : 1;
    p.dilations[i] = real ? static_cast<int32_t>(dilations[a]) : 1;
    p.pads[i] = real ? static_cast<int32_t>(pad_begin[a]) : 0;
  }

  int64_t ksize = 1;
  for (int64_t k : kernel) ksize *= k;
  if (!transpose) {
    plan.macs = N * M * shapeNumel(out) * (C / group) * ksize;
  } else {
    Shape in_sp(xs.begin() + 2, xs.end());
    plan.macs = N * C * shapeNumel(in_sp) * (M / group) * ksize;
  }
  return plan;
}

// ---- channels-last (NHWC) Conv ------------------------------------------------
//
// Float Conv with 1 or 2 spatial axes and constant weights, either dense
// (group 1) or depthwise (group = C = M), runs channels-last when the
// layout-nhwc pass chooses it. The weights are packed here, at lowering:
// dense into panels of NR output channels (conv_nhwc), depthwise channels
// last (depthwise_nhwc); see runtime/emlc/conv_nhwc.h.

enum class NhwcKind { None, Dense, Depthwise };

NhwcKind nhwcKind(const Node& n, const Graph& g) {
  if (n.in(1) == kNoTensor || !g.t(n.inputs[1]).isConstant()) return NhwcKind::None;
  if (n.in(2) != kNoTensor && !g.t(n.inputs[2]).isConstant()) return NhwcKind::None;
  const TensorType& x = g.inType(n, 0);
  if (x.dtype != DType::F32 || x.rank() < 3 || x.rank() > 4) return NhwcKind::None;
  const Shape& ws = g.inType(n, 1).shape;
  const int64_t group = n.attrInt("group", 1);
  if (group == 1) return NhwcKind::Dense;
  const int64_t C = logicalShape(x)[1];
  if (group == C && ws[0] == C && ws[1] == 1) return NhwcKind::Depthwise;
  return NhwcKind::None;
}

// Few input channels and several blocks of output channels (a first
// layer): the im2col-per-tile kernel, whose scratch holds MR patches of
// kh * kw * C values, gathered once for all blocks.
bool denseGather(const rt::ConvNhwcParams& p) { return p.in_c <= 4 && p.out_c > tileCols(p.out_c); }

// 1x1, stride 1, no padding: a matrix product over all pixels (gemm_packed).
bool pointwise(const rt::ConvNhwcParams& p) {
  return p.k_h == 1 && p.k_w == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_t == 0 && p.pad_l == 0 &&
         p.in_h == p.out_h && p.in_w == p.out_w;
}

// Register tile of a dense NHWC Conv (ops/tiles.h): pointwise runs as a
// matrix product over all pixels, the gather kernel tiles all pixels too,
// conv_nhwc tiles one output row.
Tile denseTile(const rt::ConvNhwcParams& p) {
  if (pointwise(p)) return gemmTile(int64_t{p.batch} * p.out_h * p.out_w, p.out_c);
  if (denseGather(p)) return Tile{8, tileCols(p.out_c)};
  return convTile(p.out_w, p.out_c);
}

// --target cortex-m*: the single-precision FPU kernels (float_fpu.h).
bool fpuMarked(const Node& n) { return n.attrString(kKernelAttr, "") == kArmFpu; }

// Few input channels, undilated along W: the FPU kernel that reduces over
// whole kernel rows (fpu_conv_rows).
bool fpuRows(const rt::ConvNhwcParams& p) { return p.in_c <= 4 && p.dil_w == 1; }

// Register tile of the FPU kernels: rows are output pixels (all of them, in
// row-major order), columns output channels.
Tile fpuConvTile(const rt::ConvNhwcParams& p) { return fpuTile(int64_t{p.out_h} * p.out_w, p.out_c); }

// Kernel scratch (values) of an NHWC Conv: the zero row, plus the patches.
int64_t nhwcScratch(const rt::ConvNhwcParams& p, NhwcKind kind, bool fpu) {
  if (kind == NhwcKind::Dense && pointwise(p)) return 0;
  if (fpu && kind == NhwcKind::Dense && fpuRows(p)) return (1 + int64_t{fpuConvTile(p).mr} * p.k_h) * p.k_w * p.in_c;
  int64_t s = p.in_c;
  if (!fpu && kind == NhwcKind::Dense && denseGather(p)) s += int64_t{denseTile(p).mr} * p.k_h * p.k_w * p.in_c;
  return s;
}

rt::ConvNhwcParams nhwcParams(const rt::ConvParams& c) {
  // ConvParams keeps spatial axes right-aligned in 3 slots: H is slot 1, W slot 2.
  rt::ConvNhwcParams p{};
  p.batch = c.batch;
  p.in_h = c.in_dims[1];
  p.in_w = c.in_dims[2];
  p.in_c = c.in_channels;
  p.out_h = c.out_dims[1];
  p.out_w = c.out_dims[2];
  p.out_c = c.out_channels;
  p.k_h = c.kernel[1];
  p.k_w = c.kernel[2];
  p.stride_h = c.strides[1];
  p.stride_w = c.strides[2];
  p.dil_h = c.dilations[1];
  p.dil_w = c.dilations[2];
  p.pad_t = c.pads[1];
  p.pad_l = c.pads[2];
  return p;
}

// Packs dense W (M, C, kh, kw) into panels (M/NR, kh, kw, C, NR), output
// channels beyond M zero: the order conv_nhwc, gemm_packed and the FPU
// kernels read. The bias is zero-padded to the panels.
void packDense(const float* w, const float* bias, int64_t M, int64_t C, int64_t taps, int64_t NR,
               std::vector<float>& packed, std::vector<float>& b) {
  const int64_t blocks = (M + NR - 1) / NR;
  packed.assign(static_cast<size_t>(blocks * taps * C * NR), 0.0f);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t t = 0; t < taps; ++t)
        packed[static_cast<size_t>((((m / NR) * taps + t) * C + c) * NR + m % NR)] = w[(m * C + c) * taps + t];
  b.assign(static_cast<size_t>(blocks * NR), 0.0f);
  if (bias) std::copy(bias, bias + M, b.begin());
}

// --target cortex-m*: the single-precision FPU kernels (float_fpu.h).
Status lowerNhwcFpu(Lowering& l, const rt::ConvNhwcParams& p, NhwcKind kind, const rt::Activation& act) {
  const Node& n = l.node();
  const Graph& g = l.graph();
  const float* w = g.t(n.inputs[1]).as<float>();
  const float* bias = n.in(2) != kNoTensor ? g.t(n.inputs[2]).as<float>() : nullptr;
  const int64_t M = p.out_c, C = p.in_c, taps = int64_t{p.k_h} * p.k_w;
  const Tile tile = fpuConvTile(p);
  if (kind == NhwcKind::Depthwise) {
    // W (C, 1, kh, kw) -> groups of kFpuDwGroup channels, each (kh, kw,
    // group), then the remaining channels one by one, each (kh, kw).
    constexpr int64_t G = rt::kFpuDwGroup;
    const int64_t grouped = C / G * G;
    ConstArray<float> packed{std::vector<float>(static_cast<size_t>(taps * C))};
    for (int64_t c = 0; c < C; ++c)
      for (int64_t t = 0; t < taps; ++t) {
        const int64_t at = c < grouped ? (c / G * taps + t) * G + c % G : c * taps + t;
        packed.values[static_cast<size_t>(at)] = w[c * taps + t];
      }
    ConstArray<float> b{std::vector<float>(static_cast<size_t>(C), 0.0f)};
    if (bias) std::copy(bias, bias + C, b.values.begin());
    const Scratch<float> scratch = l.scratch<float>(static_cast<size_t>(nhwcScratch(p, kind, true)));
    return withFpuTile(tile, [&](auto mr, auto) -> Status {
      constexpr int MR = decltype(mr)::value;
      return l.call(fmt::format("emlc::rt::fpu_depthwise<{}>", MR), &rt::fpu_depthwise<MR>, p, act, l.in<float>(0),
                    packed, b, scratch, l.out<float>(0));
    });
  }
  if (pointwise(p)) {
    const int64_t pixels = int64_t{p.batch} * p.out_h * p.out_w;
    return withFpuTile(fpuTile(pixels, M), [&](auto mr, auto nr) -> Status {
      constexpr int MR = decltype(mr)::value, NR = decltype(nr)::value;
      ConstArray<float> packed, b;
      packDense(w, bias, M, C, taps, NR, packed.values, b.values);
      const rt::GemmPackedParams gp{static_cast<int32_t>(pixels), p.out_c, p.in_c};
      return l.call(fmt::format("emlc::rt::fpu_gemm<{}, {}>", MR, NR), &rt::fpu_gemm<MR, NR>, gp, act,
                    l.in<float>(0), packed, b, l.out<float>(0));
    });
  }
  const Scratch<float> scratch = l.scratch<float>(static_cast<size_t>(nhwcScratch(p, kind, true)));
  return withFpuTile(tile, [&](auto mr, auto nr) -> Status {
    constexpr int MR = decltype(mr)::value, NR = decltype(nr)::value;
    ConstArray<float> packed, b;
    packDense(w, bias, M, C, taps, NR, packed.values, b.values);
    if (fpuRows(p))
      return l.call(fmt::format("emlc::rt::fpu_conv_rows<{}, {}>", MR, NR), &rt::fpu_conv_rows<MR, NR>, p, act,
                    l.in<float>(0), packed, b, scratch, l.out<float>(0));
    return l.call(fmt::format("emlc::rt::fpu_conv<{}, {}>", MR, NR), &rt::fpu_conv<MR, NR>, p, act, l.in<float>(0),
                  packed, b, scratch, l.out<float>(0));
  });
}

Status lowerNhwc(Lowering& l, const ConvPlan& plan) {
  const Node& n = l.node();
  const Graph& g = l.graph();
  const NhwcKind kind = nhwcKind(n, g);
  if (kind == NhwcKind::None) return internal("an NHWC Conv must be float, 1-D/2-D, dense or depthwise, with constant weights");
  EMLC_ASSIGN(rt::Activation act, fusedActivation(n));
  const rt::ConvNhwcParams p = nhwcParams(plan.params);
  const Tensor& wt = g.t(n.inputs[1]);
  const float* w = wt.as<float>();
  const float* bias = n.in(2) != kNoTensor ? g.t(n.inputs[2]).as<float>() : nullptr;
  const int64_t M = p.out_c, C = p.in_c, taps = int64_t{p.k_h} * p.k_w;
  if (fpuMarked(n)) return lowerNhwcFpu(l, p, kind, act);
  if (kind == NhwcKind::Depthwise) {
    // W (C, 1, kh, kw) -> (kh, kw, C).
    ConstArray<float> packed{std::vector<float>(static_cast<size_t>(taps * C))};
    for (int64_t c = 0; c < C; ++c)
      for (int64_t t = 0; t < taps; ++t) packed.values[static_cast<size_t>(t * C + c)] = w[c * taps + t];
    constexpr int MR = 8;
    const std::string name = fmt::format("emlc::rt::depthwise_nhwc<float, {}>", MR);
    ConstArray<float> b{std::vector<float>(static_cast<size_t>(C), 0.0f)};
    if (bias) std::copy(bias, bias + C, b.values.begin());
    return l.call(name, &rt::depthwise_nhwc<float, MR>, p, act, l.in<float>(0), packed, b,
                  l.scratch<float>(static_cast<size_t>(nhwcScratch(p, kind, false))), l.out<float>(0));
  }
  // Dense: W (M, C, kh, kw) -> panels (M/NR, kh, kw, C, NR), zero-padded.
  auto dense = [&](auto mr, auto nr) -> Status {
    constexpr int MR = decltype(mr)::value, NR = decltype(nr)::value;
    const int64_t blocks = (M + NR - 1) / NR;
    ConstArray<float> packed{std::vector<float>(static_cast<size_t>(blocks * taps * C * NR), 0.0f)};
    for (int64_t m = 0; m < M; ++m)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t t = 0; t < taps; ++t)
          packed.values[static_cast<size_t>((((m / NR) * taps + t) * C + c) * NR + m % NR)] = w[(m * C + c) * taps + t];
    ConstArray<float> b{std::vector<float>(static_cast<size_t>(blocks * NR), 0.0f)};
    if (bias) std::copy(bias, bias + M, b.values.begin());
    if (pointwise(p)) {
      const rt::GemmPackedParams gp{p.batch * p.out_h * p.out_w, p.out_c, p.in_c};
      return l.call(fmt::format("emlc::rt::gemm_packed<float, {}, {}>", MR, NR), &rt::gemm_packed<float, MR, NR>, gp,
                    act, l.in<float>(0), packed, b, l.out<float>(0));
    }
    const Scratch<float> scratch = l.scratch<float>(static_cast<size_t>(nhwcScratch(p, kind, false)));
    if (denseGather(p))
      return l.call(fmt::format("emlc::rt::conv_nhwc_gather<float, {}, {}>", MR, NR),
                    &rt::conv_nhwc_gather<float, MR, NR>, p, act, l.in<float>(0), packed, b, scratch, l.out<float>(0));
    return l.call(fmt::format("emlc::rt::conv_nhwc<float, {}, {}>", MR, NR), &rt::conv_nhwc<float, MR, NR>, p, act,
                  l.in<float>(0), packed, b, scratch, l.out<float>(0));
  };
  return withTile(denseTile(p), dense);
}

template <Kind K>
class ConvOp final : public Op {
 public:
  OpDoc doc() const override {
    if (K == Kind::Integer) return {"int8, uint8 (int32 out)", "1-D to 3-D; a single (per-tensor) zero point"};
    return {doc::kFloat, K == Kind::Transpose ? "1-D to 3-D" : "1-D to 3-D (groups, depthwise, dilations, all auto_pad modes)"};
  }
  Status infer(Node& n, Graph& g) const override {
    EMLC_ASSIGN(ConvPlan plan, planConv(n, g, K));
    if (K != Kind::Integer) EMLC_TRY(fusedActivation(n).status());
    TensorType t;
    t.dtype = K == Kind::Integer ? DType::I32 : g.inType(n, 0).dtype;
    t.shape = plan.out;
    if (K == Kind::Conv && isNhwc(n)) {
      if (g.inType(n, 0).layout != Layout::NHWC || nhwcKind(n, g) == NhwcKind::None)
        return invalid("emlc_layout NHWC needs an NHWC input and a dense or depthwise float Conv");
      t = nhwcType(t);
    }
    setOut(g, n, 0, t);
    return Status::ok();
  }

  bool supportsLayout(const Node& n, const Graph& g, Layout l, std::vector<bool>* layout_inputs) const override {
    if (l == Layout::Onnx) return true;
    if (K != Kind::Conv || l != Layout::NHWC || nhwcKind(n, g) == NhwcKind::None || hasOut(n, 1)) return false;
    if (layout_inputs) {
      layout_inputs->assign(n.inputs.size(), false);
      (*layout_inputs)[0] = true;
    }
    return true;
  }

  size_t scratchBytes(const Node& n, const Graph& g) const override {
    // The NHWC kernels read padding from a row of C zeros (and gather
    // patches for few input channels).
    if (K != Kind::Conv || !isNhwc(n)) return 0;
    Expected<ConvPlan> plan = planConv(n, g, K);
    if (!plan.isOk()) return 0;
    return static_cast<size_t>(nhwcScratch(nhwcParams(plan->params), nhwcKind(n, g), fpuMarked(n))) *
           dtypeSize(g.inType(n, 0).dtype);
  }

  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(ConvPlan plan, planConv(l.node(), l.graph(), K));
    if (K == Kind::Conv && isNhwc(l.node())) return lowerNhwc(l, plan);
    if constexpr (K == Kind::Integer) {
      const int32_t per_channel = l.hasIn(3) && l.inType(3).numel() != 1;
      return dispatchInt8(l.inType(0).dtype, [&](auto zx) -> Status {
        return dispatchInt8(l.inType(1).dtype, [&](auto zw) -> Status {
          using X = decltype(zx);
          using W = decltype(zw);
          return l.call(kernelName<X, W>("conv_integer"), &rt::conv_integer<X, W>, plan.params, l.in<X>(0),
                        l.in<W>(1), l.optIn<X>(2), l.optIn<W>(3), per_channel, l.out<int32_t>(0));
        });
      });
    } else {
      EMLC_TRY(dispatchFloat(l.inType(0).dtype, [&](auto z) -> Status {
        using T = decltype(z);
        if constexpr (K == Kind::Transpose)
          return l.call(kernelName<T>("conv_transpose"), &rt::conv_transpose<T>, plan.params, l.in<T>(0),
                        l.in<T>(1), l.optIn<T>(2), l.out<T>(0));
        else
          return l.call(kernelName<T>("conv"), &rt::conv<T>, plan.params, l.in<T>(0), l.in<T>(1), l.optIn<T>(2),
                        l.out<T>(0));
      }));
      return lowerFusedActivation(l);
    }
  }

  bool fusesActivation(const Node&, const Graph&) const override { return K != Kind::Integer; }

  int64_t macs(const Node& n, const Graph& g) const override {
    Expected<ConvPlan> plan = planConv(n, g, K);
    return plan.isOk() ? plan->macs : 0;
  }
};

}  // namespace

const Op& op_Conv() { static const ConvOp<Kind::Conv> op; return op; }
const Op& op_ConvTranspose() { static const ConvOp<Kind::Transpose> op; return op; }
const Op& op_ConvInteger() { static const ConvOp<Kind::Integer> op; return op; }

Expected<ConvGeometry> integerConvGeometry(const Node& n, const Graph& g) {
  Node xw = n;
  xw.inputs.resize(2);  // X and W: the geometry depends on nothing else
  EMLC_ASSIGN(ConvPlan plan, planConv(xw, g, Kind::Integer));
  ConvGeometry geo;
  geo.params = plan.params;
  geo.out = plan.out;
  geo.macs = plan.macs;
  return geo;
}

}  // namespace emlc
