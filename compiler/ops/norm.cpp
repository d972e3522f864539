// Normalisation ops: BatchNormalization (inference form), InstanceNormalization,
// LayerNormalization, LRN, MeanVarianceNormalization, LpNormalization.
//
// BatchNormalization's scale/bias/mean/var may be runtime tensors; the kernel
// derives the per-channel multiplier and offset itself (when they are
// constants a later pass can fold them into a cheaper form).
#include <algorithm>

#include "emlc/norm.h"
#include "ops/op_util.h"

namespace emlc {
namespace {

TensorType typeOf(DType d, const Shape& s) {
  TensorType t;
  t.dtype = d;
  t.shape = s;
  return t;
}

int64_t prod(const Shape& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < s.size(); ++i) p *= s[i];
  return p;
}

// X is [N, C, ...]: the per-channel parameters of `names` (inputs 1..) must
// hold C values.
Status checkChannelInputs(const Graph& g, const Node& n, std::initializer_list<const char*> names) {
  const TensorType& x = g.inType(n, 0);
  size_t k = 1;
  for (const char* name : names) {
    const TensorType& t = g.inType(n, k);
    if (t.numel() != x.shape[1] || t.rank() != 1)
      return invalid(fmt::format("input {} '{}' must have shape [{}] (one value per channel of X {}), is {}", k,
                                 name, x.shape[1], x.str(), t.str()));
    ++k;
  }
  return Status::ok();
}

rt::ChannelNormParams channelParams(const Shape& s, float epsilon) {
  rt::ChannelNormParams p{};
  p.batch = static_cast<int32_t>(s[0]);
  p.channels = static_cast<int32_t>(s[1]);
  p.inner = static_cast<int32_t>(prod(s, 2, s.size()));
  p.epsilon = epsilon;
  return p;
}

Status checkEpsilon(const Node& n) {
  const float eps = n.attrFloat("epsilon", 1e-5f);
  if (!(eps >= 0.0f)) return invalid(fmt::format("epsilon must be >= 0, is {}", eps));
  return Status::ok();
}

// ---- BatchNormalization -----------------------------------------------------

class BatchNormOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kFloat, "inference mode only (training_mode=0, output Y only)"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 5, 5));
    // Training mode: statistics from the batch and updated running
    // statistics as extra outputs (opset < 14: selected by the extra
    // outputs; opset >= 14: training_mode=1).
    if (n.attrInt("training_mode", 0) != 0)
      return unsupported("training_mode=1 (batch statistics) is not supported; export the model in inference "
                         "mode (training_mode=0)");
    for (size_t k = 1; k < n.outputs.size(); ++k)
      if (hasOut(n, k))
        return unsupported(fmt::format("training-mode output {} (running or saved mean/variance) is not supported; "
                                       "export the model in inference mode with output Y only",
                                       k));
    if (n.opset < 9 && n.attrInt("spatial", 1) != 1)
      return unsupported("spatial=0 (per-activation statistics) is not supported");
    EMLC_TRY(checkEpsilon(n));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireDType(x, {DType::F32, DType::F64}, "input X"));
    if (x.rank() < 2) return invalid(fmt::format("input X {} must have rank >= 2 (N, C, ...)", x.str()));
    EMLC_TRY(checkShape(x.shape, "input X"));
    EMLC_TRY(checkChannelInputs(g, n, {"scale", "B", "input_mean", "input_var"}));
    const DType ts = g.inType(n, 1).dtype, tm = g.inType(n, 3).dtype;
    if (g.inType(n, 2).dtype != ts) return invalid("scale and B must have the same element type");
    if (g.inType(n, 4).dtype != tm) return invalid("input_mean and input_var must have the same element type");
    if (n.opset < 15 && (ts != x.dtype || tm != x.dtype))
      return invalid("scale, B, input_mean and input_var must have X's element type before opset 15");
    EMLC_TRY(requireDType(g.inType(n, 1), {DType::F32, DType::F64}, "input scale"));
    EMLC_TRY(requireDType(g.inType(n, 3), {DType::F32, DType::F64}, "input input_mean"));
    setOut(g, n, 0, typeOf(x.dtype, x.shape));
    return Status::ok();
  }
  // batch_norm(): y[i] from x[i] (x may alias y).
  bool inPlace(const Node&, const Graph&, size_t k) const override { return k == 0; }

  Status lower(Lowering& l) const override {
    const rt::ChannelNormParams p = channelParams(l.inType(0).shape, l.node().attrFloat("epsilon", 1e-5f));
    return dispatchFloat(l.inType(0).dtype, [&](auto zt) -> Status {
      return dispatchFloat(l.inType(1).dtype, [&](auto zs) -> Status {
        return dispatchFloat(l.inType(3).dtype, [&](auto zm) -> Status {
          using T = decltype(zt);
          using S = decltype(zs);
          using M = decltype(zm);
          return l.call(kernelName<T, S, M>("batch_norm"), &rt::batch_norm<T, S, M>, p, l.in<T>(0), l.in<S>(1),
                        l.in<S>(2), l.in<M>(3), l.in<M>(4), l.out<T>(0));
        });
      });
    });
  }
};

// ---- InstanceNormalization --------------------------------------------------

class InstanceNormOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kFloat, ""}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 3, 3));
    EMLC_TRY(checkEpsilon(n));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireDType(x, {DType::F32, DType::F64}, "input X"));
    if (x.rank() < 2) return invalid(fmt::format("input X {} must have rank >= 2 (N, C, ...)", x.str()));
    EMLC_TRY(checkShape(x.shape, "input X"));
    EMLC_TRY(checkChannelInputs(g, n, {"scale", "B"}));
    for (size_t k = 1; k < 3; ++k)
      if (g.inType(n, k).dtype != x.dtype) return invalid("scale and B must have X's element type");
    setOut(g, n, 0, typeOf(x.dtype, x.shape));
    return Status::ok();
  }
  // instance_norm(): each plane's statistics are read before the plane is written.
  bool inPlace(const Node&, const Graph&, size_t k) const override { return k == 0; }

  Status lower(Lowering& l) const override {
    const rt::ChannelNormParams p = channelParams(l.inType(0).shape, l.node().attrFloat("epsilon", 1e-5f));
    return dispatchFloat(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("instance_norm"), &rt::instance_norm<T>, p, l.in<T>(0), l.in<T>(1), l.in<T>(2),
                    l.out<T>(0));
    });
  }
};

// ---- LayerNormalization -----------------------------------------------------

// How often a Scale/B tensor repeats within a normalised row: it must equal
// (after dropping leading 1s) a suffix of the normalised shape X[axis:].
Expected<int32_t> repeatSize(const Shape& x, size_t axis, const TensorType& t, const char* what) {
  size_t lead = 0;
  while (lead < t.shape.size() && t.shape[lead] == 1) ++lead;
  const Shape core(t.shape.begin() + static_cast<std::ptrdiff_t>(lead), t.shape.end());
  const size_t norm_rank = x.size() - axis;
  bool suffix = core.size() <= norm_rank;
  for (size_t i = 0; suffix && i < core.size(); ++i)
    suffix = core[core.size() - 1 - i] == x[x.size() - 1 - i];
  if (!suffix) {
    if (!broadcastShapes(t.shape, x).isOk() || t.rank() > static_cast<int64_t>(x.size()))
      return invalid(fmt::format("{} {} does not broadcast to X [{}]", what, t.str(), shapeStr(x)));
    return unsupported(fmt::format("{} {} must match the trailing normalised axes of X {} (other broadcasting "
                                   "is not supported)",
                                   what, t.str(), shapeStr(x)));
  }
  return static_cast<int32_t>(shapeNumel(core));
}

class LayerNormOp final : public Op {
 public:
  OpDoc doc() const override {
    return {doc::kFloat, "Scale/B broadcast over the trailing normalised axes only; also fused from the opset < 17 pattern"};
  }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 3));
    EMLC_TRY(checkEpsilon(n));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireDType(x, {DType::F32, DType::F64}, "input X"));
    EMLC_TRY(checkShape(x.shape, "input X"));
    if (x.rank() < 1) return invalid("input X must have rank >= 1");
    EMLC_ASSIGN(int64_t axis, normAxis(n.attrInt("axis", -1), x.rank()));
    for (size_t k = 1; k < 3; ++k) {
      if (n.in(k) == kNoTensor) continue;
      if (g.inType(n, k).dtype != x.dtype) return invalid("Scale and B must have X's element type");
      EMLC_TRY(repeatSize(x.shape, static_cast<size_t>(axis), g.inType(n, k), k == 1 ? "Scale" : "B").status());
    }
    const DType stash = dtypeFromOnnx(static_cast<int32_t>(n.attrInt("stash_type", 1)));
    if (stash != DType::F32 && stash != DType::F64)
      return unsupported(fmt::format("stash_type {} is not supported (float32/float64 only)",
                                     n.attrInt("stash_type", 1)));
    if (n.outputs.size() > 3) return invalid("too many outputs");
    setOut(g, n, 0, typeOf(x.dtype, x.shape));
    Shape stat = x.shape;
    for (size_t i = static_cast<size_t>(axis); i < stat.size(); ++i) stat[i] = 1;
    setOut(g, n, 1, typeOf(stash, stat));
    setOut(g, n, 2, typeOf(stash, stat));
    return Status::ok();
  }
  // layer_norm(): each row's statistics are read before the row is written.
  bool inPlace(const Node&, const Graph&, size_t k) const override { return k == 0; }

  Status lower(Lowering& l) const override {
    const Node& n = l.node();
    const Shape& s = l.inType(0).shape;
    EMLC_ASSIGN(int64_t axis, normAxis(n.attrInt("axis", -1), static_cast<int64_t>(s.size())));
    rt::LayerNormParams p{};
    p.outer = static_cast<int32_t>(prod(s, 0, static_cast<size_t>(axis)));
    p.inner = static_cast<int32_t>(prod(s, static_cast<size_t>(axis), s.size()));
    EMLC_ASSIGN(p.scale_size, repeatSize(s, static_cast<size_t>(axis), l.inType(1), "Scale"));
    p.bias_size = 1;
    if (l.hasIn(2)) {
      EMLC_ASSIGN(p.bias_size, repeatSize(s, static_cast<size_t>(axis), l.inType(2), "B"));
    }
    p.epsilon = n.attrFloat("epsilon", 1e-5f);
    const DType stash = dtypeFromOnnx(static_cast<int32_t>(n.attrInt("stash_type", 1)));
    return dispatchFloat(l.inType(0).dtype, [&](auto zt) -> Status {
      return dispatchFloat(stash, [&](auto zu) -> Status {
        using T = decltype(zt);
        using U = decltype(zu);
        return l.call(kernelName<T, U>("layer_norm"), &rt::layer_norm<T, U>, p, l.in<T>(0), l.in<T>(1),
                      l.optIn<T>(2), l.out<T>(0), l.optOut<U>(1), l.optOut<U>(2));
      });
    });
  }
};

// ---- LRN --------------------------------------------------------------------

class LrnOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kFloat, "size up to 65535"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireDType(x, {DType::F32, DType::F64}, "input X"));
    if (x.rank() < 2) return invalid(fmt::format("input X {} must have rank >= 2 (N, C, ...)", x.str()));
    EMLC_TRY(checkShape(x.shape, "input X"));
    if (!n.has("size")) return invalid("attribute 'size' is required");
    const int64_t size = n.attrInt("size", 0);
    if (size < 1) return invalid(fmt::format("size must be positive, is {}", size));
    if (size > 65535) return unsupported(fmt::format("size {} is too large (at most 65535)", size));
    setOut(g, n, 0, typeOf(x.dtype, x.shape));
    return Status::ok();
  }

  Status lower(Lowering& l) const override {
    const Node& n = l.node();
    const Shape& s = l.inType(0).shape;
    rt::LrnParams p{};
    p.batch = static_cast<int32_t>(s[0]);
    p.channels = static_cast<int32_t>(s[1]);
    p.inner = static_cast<int32_t>(prod(s, 2, s.size()));
    p.size = static_cast<int32_t>(n.attrInt("size", 1));
    p.alpha = n.attrFloat("alpha", 1e-4f);
    p.beta = n.attrFloat("beta", 0.75f);
    p.bias = n.attrFloat("bias", 1.0f);
    return dispatchFloat(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("lrn"), &rt::lrn<T>, p, l.in<T>(0), l.out<T>(0));
    });
  }
};

// ---- MeanVarianceNormalization ----------------------------------------------

Expected<std::vector<bool>> mvnAxes(const Node& n, int64_t rank) {
  std::vector<bool> red(static_cast<size_t>(rank), false);
  for (int64_t a : n.attrInts("axes", {0, 2, 3})) {
    EMLC_ASSIGN(int64_t k, normAxis(a, rank, "axes value"));
    if (red[static_cast<size_t>(k)]) return invalid(fmt::format("axes lists axis {} twice", k));
    red[static_cast<size_t>(k)] = true;
  }
  return red;
}

class MvnOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kFloat, ""}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireDType(x, {DType::F32, DType::F64}, "input X"));
    EMLC_TRY(checkShape(x.shape, "input X"));
    EMLC_TRY(mvnAxes(n, x.rank()).status());
    setOut(g, n, 0, typeOf(x.dtype, x.shape));
    return Status::ok();
  }
  // mvn(): each reduced sub-space's statistics are read before it is written.
  bool inPlace(const Node&, const Graph&, size_t k) const override { return k == 0; }

  Status lower(Lowering& l) const override {
    const Shape& s = l.inType(0).shape;
    EMLC_ASSIGN(std::vector<bool> red, mvnAxes(l.node(), static_cast<int64_t>(s.size())));
    const std::vector<int64_t> strides = rowMajorStrides(s);
    // Drop size-1 axes and merge neighbours of the same kind (row-major
    // strides make a merged axis one strided axis).
    std::vector<int64_t> kd, ks, rd, rs;
    int last = -1;  // kind of the previous kept axis: 0 kept, 1 reduced
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == 1) continue;
      std::vector<int64_t>& dims = red[i] ? rd : kd;
      std::vector<int64_t>& st = red[i] ? rs : ks;
      if (last == static_cast<int>(red[i])) {
        dims.back() *= s[i];
        st.back() = strides[i];
      } else {
        dims.push_back(s[i]);
        st.push_back(strides[i]);
      }
      last = static_cast<int>(red[i]);
    }
    if (rd.empty()) {
      rd.push_back(1);
      rs.push_back(1);
    }
    rt::MvnParams p{};
    p.kept_rank = static_cast<int32_t>(kd.size());
    fillArray(p.kept_dims, kd);
    fillArray(p.kept_strides, ks);
    p.red_rank = static_cast<int32_t>(rd.size());
    fillArray(p.red_dims, rd);
    fillArray(p.red_strides, rs);
    return dispatchFloat(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("mvn"), &rt::mvn<T>, p, l.in<T>(0), l.out<T>(0));
    });
  }
};

// ---- LpNormalization --------------------------------------------------------

class LpNormOp final : public Op {
 public:
  OpDoc doc() const override { return {doc::kFloat, "p = 1 or 2; a zero norm gives 0"}; }
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 1, 1));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(requireDType(x, {DType::F32, DType::F64}, "input"));
    EMLC_TRY(checkShape(x.shape, "input"));
    if (x.rank() < 1) return invalid("input must have rank >= 1");
    EMLC_TRY(normAxis(n.attrInt("axis", -1), x.rank()).status());
    const int64_t pn = n.attrInt("p", 2);
    if (pn != 1 && pn != 2) return invalid(fmt::format("p must be 1 or 2, is {}", pn));
    setOut(g, n, 0, typeOf(x.dtype, x.shape));
    return Status::ok();
  }
  // lp_norm(): each line's norm is read before the line is written.
  bool inPlace(const Node&, const Graph&, size_t k) const override { return k == 0; }

  Status lower(Lowering& l) const override {
    const Shape& s = l.inType(0).shape;
    EMLC_ASSIGN(int64_t axis, normAxis(l.node().attrInt("axis", -1), static_cast<int64_t>(s.size())));
    rt::LpNormParams p{};
    p.outer = static_cast<int32_t>(prod(s, 0, static_cast<size_t>(axis)));
    p.len = static_cast<int32_t>(s[static_cast<size_t>(axis)]);
    p.inner = static_cast<int32_t>(prod(s, static_cast<size_t>(axis) + 1, s.size()));
    p.p = static_cast<int32_t>(l.node().attrInt("p", 2));
    return dispatchFloat(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("lp_norm"), &rt::lp_norm<T>, p, l.in<T>(0), l.out<T>(0));
    });
  }
};

}  // namespace

const Op& op_LpNormalization() { static const LpNormOp op; return op; }
const Op& op_BatchNormalization() { static const BatchNormOp op; return op; }
const Op& op_InstanceNormalization() { static const InstanceNormOp op; return op; }
const Op& op_LayerNormalization() { static const LayerNormOp op; return op; }
const Op& op_LRN() { static const LrnOp op; return op; }
const Op& op_MeanVarianceNormalization() { static const MvnOp op; return op; }

}  // namespace emlc
