#include "ops/op_util.h"

#include <cinttypes>
#include <cmath>
#include <cstring>
#include <limits>

namespace emlc {



std::string floatLiteral(float v) {
  if (std::isnan(v)) return "__builtin_nanf(\"\")";
  if (std::isinf(v)) return v > 0 ? "__builtin_huge_valf()" : "(-__builtin_huge_valf())";
  // 9 significant digits read back to the same float.
  std::string s = fmt::format("{:.9g}", v);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s + "f";
}

std::string doubleLiteral(double v) {
  if (std::isnan(v)) return "__builtin_nan(\"\")";
  if (std::isinf(v)) return v > 0 ? "__builtin_huge_val()" : "(-__builtin_huge_val())";
  std::string s = fmt::format("{:.17g}", v);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string intLiteral(int64_t v, bool is64) {
  if (v == std::numeric_limits<int64_t>::min()) return "(-9223372036854775807LL - 1)";
  if (!is64 && v == std::numeric_limits<int32_t>::min()) return "(-2147483647 - 1)";
  return std::to_string(v) + (is64 ? "LL" : "");
}

Status requireInputs(const Node& n, size_t lo, size_t hi) {
  size_t present = 0;
  for (size_t i = 0; i < n.inputs.size(); ++i)
    if (n.inputs[i] != kNoTensor) present = i + 1;
  if (present < lo || n.inputs.size() > hi) {
    return invalid(lo == hi ? fmt::format("expects {} inputs, has {}", lo, n.inputs.size())
                            : fmt::format("expects {} to {} inputs, has {}", lo, hi, n.inputs.size()));
  }
  for (size_t i = 0; i < lo; ++i)
    if (n.inputs[i] == kNoTensor) return invalid(fmt::format("required input {} is missing", i));
  return Status::ok();
}

void setOut(Graph& g, const Node& n, size_t k, TensorType t) {
  if (k >= n.outputs.size() || n.outputs[k] == kNoTensor) return;
  Tensor& x = g.t(n.outputs[k]);
  x.type = std::move(t);
  x.typed = true;
}

Status requireDType(const TensorType& t, std::initializer_list<DType> allowed, const char* what) {
  for (DType d : allowed)
    if (t.dtype == d) return Status::ok();
  std::string list;
  for (DType d : allowed) list += (list.empty() ? "" : ", ") + std::string(dtypeName(d));
  return unsupported(fmt::format("{} has element type {}; supported: {}", what, dtypeName(t.dtype), list));
}

Status requireConst(const Graph& g, const Node& n, size_t k, const char* what) {
  if (n.in(k) == kNoTensor) return invalid(fmt::format("input '{}' is missing", what));
  if (!g.t(n.inputs[k]).isConstant())
    return unsupported(fmt::format(
        "input {} ('{}', tensor '{}') must be a compile-time constant; emlc compiles static graphs "
        "(freeze it as an initializer)",
        k, what, g.t(n.inputs[k]).name));
  return Status::ok();
}

Expected<std::vector<int64_t>> constInts(const Graph& g, TensorId id) {
  const Tensor& x = g.t(id);
  if (!x.isConstant()) return internal("constInts on a non-constant tensor");
  std::vector<int64_t> v(static_cast<size_t>(x.type.numel()));
  switch (x.type.dtype) {
    case DType::I64:
      if (!v.empty()) std::memcpy(v.data(), x.data->data(), v.size() * 8);  // data() may be null when empty
      break;
    case DType::I32:
      for (size_t i = 0; i < v.size(); ++i) v[i] = x.as<int32_t>()[i];
      break;
    default:
      return invalid(fmt::format("tensor '{}' must be int64 or int32, is {}", x.name, dtypeName(x.type.dtype)));
  }
  return v;
}

Expected<std::vector<double>> constDoubles(const Graph& g, TensorId id) {
  const Tensor& x = g.t(id);
  if (!x.isConstant()) return internal("constDoubles on a non-constant tensor");
  std::vector<double> v(static_cast<size_t>(x.type.numel()));
  Status st = dispatchAll(x.type.dtype, [&](auto z) -> Status {
    using T = decltype(z);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(x.as<T>()[i]);
    return Status::ok();
  });
  if (!st.isOk()) return st.error();
  return v;
}

Expected<int64_t> normAxis(int64_t axis, int64_t rank, const char* what) {
  if (axis < -rank || axis >= rank || (rank == 0 && axis != 0))
    return invalid(fmt::format("{} {} is out of range for rank {}", what, axis, rank));
  return axis < 0 ? axis + rank : axis;
}

Expected<Shape> broadcastShapes(const Shape& a, const Shape& b) {
  size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      return invalid(fmt::format("shapes {} and {} cannot be broadcast", shapeStr(a), shapeStr(b)));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> rowMajorStrides(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}

std::vector<int32_t> broadcastStrides(const Shape& in, const Shape& out) {
  std::vector<int32_t> st(out.size(), 0);
  std::vector<int64_t> rs = rowMajorStrides(in);
  size_t off = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    st[i + off] = in[i] == 1 ? 0 : static_cast<int32_t>(rs[i]);
  return st;
}

Status checkShape(const Shape& s, const char* what) {
  if (s.size() > static_cast<size_t>(rt::kMaxRank))
    return unsupported(fmt::format("{} has rank {}; the runtime supports up to {}", what, s.size(), rt::kMaxRank));
  // The product of the non-zero dims bounds every stride, so it must fit even
  // when a zero dim makes the element count 0.
  const int64_t limit = int64_t{1} << 31;
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0) return invalid(fmt::format("{} has a negative dimension: {}", what, shapeStr(s)));
    if (d == 0) continue;
    if (d >= limit || n > (limit - 1) / d)
      return unsupported(fmt::format("{} {} has more than 2^31 elements", what, shapeStr(s)));
    n *= d;
  }
  return Status::ok();
}

}  // namespace emlc
