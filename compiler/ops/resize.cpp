// Resize (opsets 10, 11, 13, 18, 19) and Upsample (opsets 7, 9).
//
// Everything except the gathering and weighting happens here, at compile
// time: output size, coordinate transformation, nearest rounding, linear or
// cubic coefficients, edge clamping and exclude_outside become per-axis tables
// of input offsets and weights (see runtime/emlc/resize.h). The semantics
// follow ONNX's reference implementation: along each axis, an output
// coordinate x maps to x_ori; the n input positions nearest to x_ori (on the
// input padded by ceil(n/2) edge copies, ties to the smaller index) get the
// mode's coefficients. Resize-10 and Upsample use the older rules (asymmetric
// coordinates; nearest rounds down when upsampling and up when downsampling,
// as onnxruntime does).
#include <algorithm>
#include <cmath>
#include <limits>

#include "emlc/resize.h"
#include "ops/op_util.h"

namespace emlc {
namespace {

enum class Mode { Nearest, Linear, Cubic };

struct ResizeConfig {
  Mode mode = Mode::Nearest;
  bool legacy = false;  // Resize-10 / Upsample rules
  std::string coord = "half_pixel";
  std::string nearest = "round_prefer_floor";
  double cubic_a = -0.75;
  bool exclude_outside = false;
  float extrapolation = 0.0f;
  Shape out;                   // output shape
  std::vector<double> scales;  // per axis, used by the coordinate transformation
  std::vector<double> roi;     // per axis start, end (tf_crop_and_resize); [0, 1] by default
};

Expected<Mode> parseMode(const std::string& m) {
  if (m == "nearest") return Mode::Nearest;
  if (m == "linear") return Mode::Linear;
  if (m == "cubic") return Mode::Cubic;
  return invalid(fmt::format("mode '{}' is not one of nearest, linear, cubic", m));
}

// Output shape and scales from scales (floor(in * scale)) or sizes.
Status setScales(ResizeConfig& c, const Shape& in, const std::vector<int64_t>& axes,
                 const std::vector<double>& scales) {
  if (scales.size() != axes.size())
    return invalid(fmt::format("scales has {} values, expected {}", scales.size(), axes.size()));
  for (size_t i = 0; i < axes.size(); ++i) {
    const double s = scales[i];
    if (!(s > 0) || !std::isfinite(s)) return invalid(fmt::format("scale {} must be positive and finite", s));
    const size_t a = static_cast<size_t>(axes[i]);
    const double o = std::floor(s * static_cast<double>(in[a]));
    if (o > static_cast<double>(std::numeric_limits<int32_t>::max()))
      return unsupported(fmt::format("output dimension {} is too large", o));
    c.out[a] = static_cast<int64_t>(o);
    c.scales[a] = s;
  }
  return Status::ok();
}

Status setSizes(ResizeConfig& c, const Node& n, const Shape& in, const std::vector<int64_t>& axes,
                const std::vector<int64_t>& sizes) {
  if (sizes.size() != axes.size())
    return invalid(fmt::format("sizes has {} values, expected {}", sizes.size(), axes.size()));
  for (int64_t s : sizes)
    if (s <= 0 || s > std::numeric_limits<int32_t>::max()) return invalid(fmt::format("size {} is out of range", s));
  for (int64_t a : axes)
    if (in[static_cast<size_t>(a)] == 0) return invalid("cannot resize an axis of size 0 to a nonzero size");
  const std::string policy = n.attrString("keep_aspect_ratio_policy", "stretch");
  if (policy == "stretch") {
    for (size_t i = 0; i < axes.size(); ++i) {
      const size_t a = static_cast<size_t>(axes[i]);
      c.out[a] = sizes[i];
      c.scales[a] = static_cast<double>(sizes[i]) / static_cast<double>(in[a]);
    }
    return Status::ok();
  }
  if (policy != "not_larger" && policy != "not_smaller")
    return invalid(fmt::format("keep_aspect_ratio_policy '{}' is not stretch, not_larger or not_smaller", policy));
  double s = policy == "not_larger" ? HUGE_VAL : 0.0;
  for (size_t i = 0; i < axes.size(); ++i) {
    const double r = static_cast<double>(sizes[i]) / static_cast<double>(in[static_cast<size_t>(axes[i])]);
    s = policy == "not_larger" ? std::min(s, r) : std::max(s, r);
  }
  for (int64_t a : axes) {
    c.out[static_cast<size_t>(a)] = static_cast<int64_t>(s * static_cast<double>(in[static_cast<size_t>(a)]) + 0.5);
    c.scales[static_cast<size_t>(a)] = s;
  }
  return Status::ok();
}

// Reads a constant float input (scales, roi) of any floating type.
Expected<std::vector<double>> constFloats(const Graph& g, const Node& n, size_t k, const char* what) {
  EMLC_TRY(requireConst(g, n, k, what));
  const TensorType& t = g.inType(n, k);
  if (!dtypeIsFloat(t.dtype) || !dtypeSupported(t.dtype))
    return unsupported(fmt::format("{} has element type {}; supported: float32, float64", what, dtypeName(t.dtype)));
  if (t.rank() != 1) return invalid(fmt::format("{} must be a 1-D tensor", what));
  return constDoubles(g, n.inputs[k]);
}

// An optional input counts as given if it is present and not empty.
bool present(const Graph& g, const Node& n, size_t k) {
  return n.in(k) != kNoTensor && g.inType(n, k).numel() != 0;
}

Expected<ResizeConfig> parseResize(const Node& n, const Graph& g) {
  const bool upsample = n.op_type == "Upsample";
  if (upsample && n.opset < 7) return unsupported("Upsample before opset 7 (height_scale/width_scale attributes)");
  const bool legacy = upsample || n.opset < 11;
  if (legacy) {
    EMLC_TRY(requireInputs(n, upsample && n.opset < 9 ? 1 : 2, upsample && n.opset < 9 ? 1 : 2));
  } else {
    EMLC_TRY(requireInputs(n, 1, 4));
  }
  const TensorType& x = g.inType(n, 0);
  const int64_t rank = x.rank();
  EMLC_TRY(checkShape(x.shape, "input"));
  ResizeConfig c;
  c.legacy = legacy;
  EMLC_ASSIGN(c.mode, parseMode(n.attrString("mode", "nearest")));
  if (c.mode == Mode::Cubic && legacy) return invalid("cubic mode needs Resize opset 11 or later");
  c.out = x.shape;
  c.scales.assign(static_cast<size_t>(rank), 1.0);
  c.roi.clear();
  for (int64_t a = 0; a < rank; ++a) c.roi.push_back(0.0), c.roi.push_back(1.0);

  std::vector<int64_t> all_axes;
  for (int64_t a = 0; a < rank; ++a) all_axes.push_back(a);

  if (legacy) {
    c.coord = "asymmetric";
    std::vector<double> scales;
    if (upsample && n.opset < 9) {
      if (!n.has("scales")) return invalid("attribute 'scales' is missing");
      for (float f : n.attrFloats("scales")) scales.push_back(f);
    } else {
      EMLC_ASSIGN(scales, constFloats(g, n, 1, "scales"));
    }
    EMLC_TRY(setScales(c, x.shape, all_axes, scales));
    if (upsample)
      for (double s : scales)
        if (s < 1) return invalid("Upsample scales must be >= 1");
    return c;
  }

  c.coord = n.attrString("coordinate_transformation_mode", "half_pixel");
  static const char* kCoords[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
                                  "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"};
  if (std::find_if(std::begin(kCoords), std::end(kCoords), [&](const char* s) { return c.coord == s; }) ==
      std::end(kCoords))
    return invalid(fmt::format("coordinate_transformation_mode '{}' is unknown", c.coord));
  c.nearest = n.attrString("nearest_mode", "round_prefer_floor");
  if (c.nearest != "round_prefer_floor" && c.nearest != "round_prefer_ceil" && c.nearest != "floor" &&
      c.nearest != "ceil")
    return invalid(fmt::format("nearest_mode '{}' is unknown", c.nearest));
  c.cubic_a = n.attrFloat("cubic_coeff_a", -0.75f);
  const int64_t excl = n.attrInt("exclude_outside", 0);
  if (excl != 0 && excl != 1) return invalid("exclude_outside must be 0 or 1");
  c.exclude_outside = excl != 0;
  c.extrapolation = n.attrFloat("extrapolation_value", 0.0f);
  if (n.attrInt("antialias", 0) != 0) return unsupported("antialias=1 is not supported");

  std::vector<int64_t> axes = all_axes;
  if (n.has("axes")) {
    axes.clear();
    std::vector<bool> seen(static_cast<size_t>(rank), false);
    for (int64_t a : n.attrInts("axes")) {
      EMLC_ASSIGN(int64_t k, normAxis(a, rank, "axes value"));
      if (seen[static_cast<size_t>(k)]) return invalid("an axis is listed twice in axes");
      seen[static_cast<size_t>(k)] = true;
      axes.push_back(k);
    }
  }

  const bool has_scales = present(g, n, 2), has_sizes = present(g, n, 3);
  if (has_scales == has_sizes) return invalid("exactly one of scales and sizes must be given");
  if (has_scales) {
    EMLC_ASSIGN(std::vector<double> scales, constFloats(g, n, 2, "scales"));
    EMLC_TRY(setScales(c, x.shape, axes, scales));
  } else {
    EMLC_TRY(requireConst(g, n, 3, "sizes"));
    EMLC_ASSIGN(std::vector<int64_t> sizes, constInts(g, n.inputs[3]));
    EMLC_TRY(setSizes(c, n, x.shape, axes, sizes));
  }
  if (c.coord == "tf_crop_and_resize") {
    if (!present(g, n, 1)) return invalid("tf_crop_and_resize needs the roi input");
    EMLC_ASSIGN(std::vector<double> roi, constFloats(g, n, 1, "roi"));
    if (roi.size() != 2 * axes.size())
      return invalid(fmt::format("roi has {} values, expected {}", roi.size(), 2 * axes.size()));
    for (double v : roi)
      if (!std::isfinite(v)) return invalid("roi values must be finite");
    for (size_t i = 0; i < axes.size(); ++i) {
      c.roi[2 * static_cast<size_t>(axes[i])] = roi[i];
      c.roi[2 * static_cast<size_t>(axes[i]) + 1] = roi[axes.size() + i];
    }
  }
  return c;
}

Status checkConfig(const ResizeConfig& c, const TensorType& x) {
  EMLC_TRY(checkShape(c.out, "output"));
  for (size_t a = 0; a < c.out.size(); ++a)
    if (x.shape[a] == 0 && c.out[a] != 0) return invalid("cannot resize an axis of size 0 to a nonzero size");
  if (c.mode != Mode::Nearest && !dtypeIsFloat(x.dtype))
    return unsupported(fmt::format("linear/cubic resize of element type {} is not supported (float32/float64 only)",
                                   dtypeName(x.dtype)));
  if (!dtypeSupported(x.dtype) || x.dtype == DType::Bool)
    return unsupported(fmt::format("element type {} is not supported by this op", dtypeName(x.dtype)));
  if (c.coord == "tf_crop_and_resize" && dtypeIsInteger(x.dtype)) {
    const double e = c.extrapolation;
    if (!std::isfinite(e) || e != std::trunc(e) || e < -2147483648.0 || e > 2147483647.0)
      return unsupported("extrapolation_value must be an integer for integer inputs");
  }
  return Status::ok();
}

// One axis: taps per output coordinate, input indices (-1 in the first tap
// = outside the crop region) and weights.
struct AxisTable {
  int taps = 1;
  std::vector<int64_t> idx;
  std::vector<double> w;
};

// The n positions nearest to x on the input padded with p = ceil(n/2) edge
// copies (ties to the smaller index), in ascending order, as unpadded indices.
std::vector<int64_t> neighbours(double x, int n, int64_t in) {
  const int64_t p = (n + 1) / 2;
  const double xp = x + static_cast<double>(p);
  const int64_t len = in + 2 * p;
  const int64_t f = static_cast<int64_t>(std::floor(std::max(-1e15, std::min(1e15, xp))));
  std::vector<int64_t> cand;
  for (int64_t i = f - n - 1; i <= f + n + 1; ++i)
    if (i >= 0 && i < len) cand.push_back(i);
  if (cand.size() < static_cast<size_t>(n)) {  // x far outside: the nearest end of the array
    cand.clear();
    const int64_t lo = xp < 0 ? 0 : std::max<int64_t>(0, len - n);
    for (int64_t i = lo; i < std::min(len, lo + n); ++i) cand.push_back(i);
  }
  std::stable_sort(cand.begin(), cand.end(), [&](int64_t a, int64_t b) {
    double da = std::fabs(xp - static_cast<double>(a)), db = std::fabs(xp - static_cast<double>(b));
    return da < db || (da == db && a < b);
  });
  cand.resize(std::min(cand.size(), static_cast<size_t>(n)));
  std::sort(cand.begin(), cand.end());
  for (int64_t& i : cand) i -= p;
  return cand;
}

// ONNX reference coordinate transformation; false if outside the crop region.
bool transform(const ResizeConfig& c, size_t a, int64_t in, int64_t out_int, int64_t xi, double& x_ori) {
  const double x = static_cast<double>(xi), s = c.scales[a], w_in = static_cast<double>(in);
  const double w_out = s * w_in;
  const std::string& m = c.coord;
  if (m == "align_corners") {
    x_ori = w_out == 1 ? 0.0 : x * (w_in - 1) / (w_out - 1);
  } else if (m == "asymmetric") {
    x_ori = x / s;
  } else if (m == "tf_crop_and_resize") {
    const double r0 = c.roi[2 * a], r1 = c.roi[2 * a + 1];
    x_ori = w_out == 1 ? (r1 - r0) * (w_in - 1) / 2 : x * (r1 - r0) * (w_in - 1) / (w_out - 1);
    x_ori += r0 * (w_in - 1);
    if (x_ori < 0 || x_ori > w_in - 1) return false;
  } else if (m == "pytorch_half_pixel") {
    x_ori = w_out == 1 ? -0.5 : (x + 0.5) / s - 0.5;
  } else if (m == "tf_half_pixel_for_nn") {
    x_ori = (x + 0.5) / s;
  } else if (m == "half_pixel_symmetric") {
    const double adjustment = static_cast<double>(out_int) / w_out;
    const double center = w_in / 2;
    const double offset = center * (1 - adjustment);
    x_ori = offset + (x + 0.5) / s - 0.5;
  } else {  // half_pixel
    x_ori = (x + 0.5) / s - 0.5;
  }
  return true;
}

AxisTable axisTable(const ResizeConfig& c, size_t a, int64_t in, int64_t out) {
  AxisTable t;
  const int n = c.mode == Mode::Cubic ? 4 : 2;
  t.taps = c.mode == Mode::Nearest ? 1 : n;
  const auto clampIdx = [&](int64_t i) { return std::max<int64_t>(0, std::min(in - 1, i)); };
  for (int64_t xi = 0; xi < out; ++xi) {
    double x_ori = 0;
    if (!transform(c, a, in, out, xi, x_ori)) {
      for (int k = 0; k < t.taps; ++k) t.idx.push_back(-1), t.w.push_back(0.0);
      continue;
    }
    if (c.legacy && c.mode == Mode::Nearest) {
      // onnxruntime's "simple" rounding for Resize-10/Upsample.
      const double r = c.scales[a] < 1 ? std::ceil(x_ori) : std::floor(x_ori);
      t.idx.push_back(clampIdx(static_cast<int64_t>(std::max(-1e15, std::min(1e15, r)))));
      t.w.push_back(1.0);
      continue;
    }
    const bool integral = x_ori == std::floor(x_ori);
    const double ratio = integral ? 1.0 : x_ori - std::floor(x_ori);
    std::vector<double> coef;
    if (c.mode == Mode::Nearest) {
      bool second;
      if (integral) second = true;
      else if (c.nearest == "round_prefer_floor") second = ratio > 0.5;
      else if (c.nearest == "round_prefer_ceil") second = ratio >= 0.5;
      else second = c.nearest == "ceil";
      coef = {second ? 0.0 : 1.0, second ? 1.0 : 0.0};
    } else if (c.mode == Mode::Linear) {
      coef = {1 - ratio, ratio};
    } else {
      const double A = c.cubic_a, r = ratio, q = 1 - ratio;
      coef = {((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
              ((A + 2) * r - (A + 3)) * r * r + 1,
              ((A + 2) * q - (A + 3)) * q * q + 1,
              ((A * (q + 1) - 5 * A) * (q + 1) + 8 * A) * (q + 1) - 4 * A};
    }
    std::vector<int64_t> nb = neighbours(x_ori, n, in);
    if (c.exclude_outside && c.mode != Mode::Nearest) {
      double sum = 0;
      for (size_t k = 0; k < nb.size(); ++k) {
        if (nb[k] < 0 || nb[k] >= in) coef[k] = 0;
        sum += coef[k];
      }
      if (sum != 0)
        for (double& v : coef) v /= sum;
    }
    if (c.mode == Mode::Nearest) {
      t.idx.push_back(clampIdx(nb[coef[0] != 0 ? 0 : 1]));
      t.w.push_back(1.0);
    } else {
      for (int k = 0; k < n; ++k) t.idx.push_back(clampIdx(nb[static_cast<size_t>(k)])), t.w.push_back(coef[static_cast<size_t>(k)]);
    }
  }
  // An axis whose every coordinate reads one input with weight 1 (e.g. an
  // unchanged axis) needs one tap.
  if (t.taps > 1) {
    bool single = true;
    std::vector<int64_t> idx;
    std::vector<double> w;
    for (int64_t xi = 0; xi < out && single; ++xi) {
      const size_t b = static_cast<size_t>(xi * t.taps);
      if (t.idx[b] < 0) { idx.push_back(-1), w.push_back(0.0); continue; }
      int nonzero = 0;
      for (int k = 0; k < t.taps; ++k) {
        const double v = t.w[b + static_cast<size_t>(k)];
        if (v == 0) continue;
        ++nonzero;
        if (v != 1) single = false;
        idx.push_back(t.idx[b + static_cast<size_t>(k)]);
        w.push_back(1.0);
      }
      if (nonzero != 1) single = false;
    }
    if (single) {
      t.taps = 1;
      t.idx = std::move(idx);
      t.w = std::move(w);
    }
  }
  return t;
}

class ResizeOp final : public Op {
 public:
  OpDoc doc() const override {
    return {doc::kNumeric,
            "scales/sizes (and roi) must be compile-time constants; linear and cubic on float only; no antialias"};
  }
  Status infer(Node& n, Graph& g) const override {
    EMLC_ASSIGN(ResizeConfig c, parseResize(n, g));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(checkConfig(c, x));
    TensorType t = x;
    t.shape = c.out;
    setOut(g, n, 0, t);
    return Status::ok();
  }

  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(ResizeConfig c, parseResize(l.node(), l.graph()));
    const Shape& in = l.inType(0).shape;
    const TensorType& yt = l.outType(0);
    if (yt.numel() == 0) return Status::ok();  // nothing to compute
    const std::vector<int64_t> strides = rowMajorStrides(in);
    rt::ResizeParams p{};
    p.rank = static_cast<int32_t>(in.size());
    p.extrapolation = c.extrapolation;
    std::vector<int32_t> offsets;
    std::vector<double> weights;
    bool gather = true;
    for (size_t a = 0; a < in.size(); ++a) {
      AxisTable t = axisTable(c, a, in[a], c.out[a]);
      p.out_dims[a] = static_cast<int32_t>(c.out[a]);
      p.taps[a] = t.taps;
      p.start[a] = static_cast<int32_t>(offsets.size());
      gather = gather && t.taps == 1;
      for (size_t k = 0; k < t.idx.size(); ++k) {
        offsets.push_back(t.idx[k] < 0 ? -1 : static_cast<int32_t>(t.idx[k] * strides[a]));
        weights.push_back(t.w[k]);
      }
    }
    if (offsets.empty()) offsets.push_back(0), weights.push_back(0.0);  // rank 0: no empty arrays
    return dispatchNumeric(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      if (gather)
        return l.call(kernelName<T>("resize_gather"), &rt::resize_gather<T>, p, ConstArray<int32_t>{offsets},
                      l.in<T>(0), l.out<T>(0));
      if constexpr (std::is_floating_point_v<T>) {
        ConstArray<T> w;
        for (double v : weights) w.values.push_back(static_cast<T>(v));
        return l.call(kernelName<T>("resize_interp"), &rt::resize_interp<T>, p, ConstArray<int32_t>{offsets}, w,
                      l.in<T>(0), l.out<T>(0));
      } else {
        return internal("interpolating resize on an integer type");
      }
    });
  }

  bool needsConstInput(const Node& n, size_t k) const override {
    if (n.op_type == "Upsample" || n.opset < 11) return k == 1;
    return k >= 1 && k <= 3;
  }
};

}  // namespace

const Op& op_Resize() { static const ResizeOp op; return op; }
const Op& op_Upsample() { static const ResizeOp op; return op; }

}  // namespace emlc
