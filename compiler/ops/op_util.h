// Helpers shared by op implementations: input/attribute checks, shape
// arithmetic, constant reading, element-type dispatch.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ops/lowering.h"
#include "ops/op.h"
#include "support/status.h"

#include "emlc/common.h"

namespace emlc {

// Number of present inputs must be within [lo, hi].
Status requireInputs(const Node& n, size_t lo, size_t hi);
// Sets output k's type and marks it typed.
void setOut(Graph& g, const Node& n, size_t k, TensorType t);
// Output k present (not omitted)?
inline bool hasOut(const Node& n, size_t k) { return n.out(k) != kNoTensor; }

// Element type must be one of `allowed`.
Status requireDType(const TensorType& t, std::initializer_list<DType> allowed, const char* what);
// Input k must be a compile-time constant.
Status requireConst(const Graph& g, const Node& n, size_t k, const char* what);
// Reads a constant int32/int64 tensor as int64 values.
Expected<std::vector<int64_t>> constInts(const Graph& g, TensorId id);
// Reads a constant float/double/int tensor as doubles.
Expected<std::vector<double>> constDoubles(const Graph& g, TensorId id);

// Normalises a possibly negative axis; Invalid if out of [-rank, rank).
Expected<int64_t> normAxis(int64_t axis, int64_t rank, const char* what = "axis");
// numpy broadcasting of two shapes; Invalid if incompatible.
Expected<Shape> broadcastShapes(const Shape& a, const Shape& b);
// Strides of `in` broadcast into `out` (0 on broadcast axes), row-major.
std::vector<int32_t> broadcastStrides(const Shape& in, const Shape& out);
// Row-major element strides of a shape.
std::vector<int64_t> rowMajorStrides(const Shape& s);

// Checks that a shape fits the runtime's limits (rank <= kMaxRank, element
// count < 2^31) and has no negative dims.
Status checkShape(const Shape& s, const char* what);

// Copies up to kMaxRank values into a fixed runtime array, zero-filling.
template <class T, class V>
void fillArray(T (&dst)[rt::kMaxRank], const std::vector<V>& src) {
  for (int i = 0; i < rt::kMaxRank; ++i)
    dst[i] = i < static_cast<int>(src.size()) ? static_cast<T>(src[static_cast<size_t>(i)]) : T(0);
}

// Calls f(T{}) with the C++ type of `t`. Unsupported types give an error.
template <class F>
Status dispatchAll(DType t, F&& f) {
  switch (t) {
    case DType::F32: return f(float{});
    case DType::F64: return f(double{});
    case DType::I8: return f(int8_t{});
    case DType::U8: return f(uint8_t{});
    case DType::I16: return f(int16_t{});
    case DType::U16: return f(uint16_t{});
    case DType::I32: return f(int32_t{});
    case DType::U32: return f(uint32_t{});
    case DType::I64: return f(int64_t{});
    case DType::U64: return f(uint64_t{});
    case DType::Bool: return f(bool{});
    default: return unsupported(fmt::format("element type {} is not supported", dtypeName(t)));
  }
}
// Numeric types only (no bool).
template <class F>
Status dispatchNumeric(DType t, F&& f) {
  if (t == DType::Bool) return unsupported("element type bool is not supported by this op");
  return dispatchAll(t, [&](auto z) -> Status {
    if constexpr (std::is_same_v<decltype(z), bool>) return Status::ok();
    else return f(z);
  });
}
// Floating types only.
template <class F>
Status dispatchFloat(DType t, F&& f) {
  switch (t) {
    case DType::F32: return f(float{});
    case DType::F64: return f(double{});
    default: return unsupported(fmt::format("element type {} is not supported (float32/float64 only)", dtypeName(t)));
  }
}

// Element-type sets for OpDoc::types (names of kOpTypeLegend).
namespace doc {
inline constexpr const char* kFloat = "float";
inline constexpr const char* kSigned = "float, int";
inline constexpr const char* kNumeric = "float, int, uint";
inline constexpr const char* kAll = "float, int, uint, bool";
inline constexpr const char* kInteger = "int, uint";
}  // namespace doc

// fmt helper: "emlc::rt::NAME<float, int64_t>".
template <class... T>
std::string kernelName(const char* name) {
  std::string s = std::string("emlc::rt::") + name + "<";
  bool first = true;
  ((s += (first ? "" : ", "), s += ctypeName<T>(), first = false), ...);
  return s + ">";
}

}  // namespace emlc
