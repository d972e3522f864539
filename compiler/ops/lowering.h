// Lowering: one description of a node's kernel call, used twice.
//
// An op's lower() describes the runtime kernel call for a node once:
//
//   return l.call("emlc::rt::relu<float>", &rt::relu<float>, l.in<float>(0), l.out<float>(0), n);
//
// In eval mode (constant folding, `emlc run`, calibration) the call runs the
// kernel in-process on real buffers. In emit mode it prints the same call into
// the generated C++: tensors become pointer expressions into the arena,
// inputs, outputs or weights, parameter structs become `static const`
// aggregates. So the compiler's evaluation and the device run the same code.
//
// Argument kinds: In<T>/OptIn<T>/Out<T>/OptOut<T> (tensor k of the node;
// OptIn/OptOut may be omitted and become nullptr), integral and floating scalars, and parameter
// structs (aggregates with kName and fields(), see runtime/emlc/common.h).
#pragma once

#include <cstddef>
#include <cstring>
#include <deque>
#include <string>
#include <type_traits>
#include <vector>

#include "ir/graph.h"
#include "support/status.h"

namespace emlc {

template <class T> struct In { size_t k; };
template <class T> struct OptIn { size_t k; };
template <class T> struct Out { size_t k; };
// An optional output: nullptr when the node omits it.
template <class T> struct OptOut { size_t k; };
// Several inputs/outputs passed as one array of pointers (Concat, Split).
template <class T> struct InList { std::vector<size_t> ks; };
template <class T> struct OutList { std::vector<size_t> ks; };
// A constant array of values computed at compile time, passed as `const T*`.
template <class T> struct ConstArray { std::vector<T> values; };
// Kernel scratch of `count` elements, passed as `T*` (never nullptr): a
// zeroed temporary in eval mode, the node's planned arena buffer in emit mode
// (Op::scratchBytes must cover count * sizeof(T)).
template <class T> struct Scratch { size_t count; };

// C type name and DType of an element type, as the generated code spells it.
template <class T>
constexpr const char* ctypeName() {
  if constexpr (std::is_same_v<T, float>) return "float";
  else if constexpr (std::is_same_v<T, double>) return "double";
  else if constexpr (std::is_same_v<T, int8_t>) return "int8_t";
  else if constexpr (std::is_same_v<T, uint8_t>) return "uint8_t";
  else if constexpr (std::is_same_v<T, int16_t>) return "int16_t";
  else if constexpr (std::is_same_v<T, uint16_t>) return "uint16_t";
  else if constexpr (std::is_same_v<T, int32_t>) return "int32_t";
  else if constexpr (std::is_same_v<T, uint32_t>) return "uint32_t";
  else if constexpr (std::is_same_v<T, int64_t>) return "int64_t";
  else if constexpr (std::is_same_v<T, uint64_t>) return "uint64_t";
  else if constexpr (std::is_same_v<T, bool>) return "bool";
  else static_assert(sizeof(T) == 0, "not an element type");
}
template <class T>
constexpr DType dtypeOf() {
  if constexpr (std::is_same_v<T, float>) return DType::F32;
  else if constexpr (std::is_same_v<T, double>) return DType::F64;
  else if constexpr (std::is_same_v<T, int8_t>) return DType::I8;
  else if constexpr (std::is_same_v<T, uint8_t>) return DType::U8;
  else if constexpr (std::is_same_v<T, int16_t>) return DType::I16;
  else if constexpr (std::is_same_v<T, uint16_t>) return DType::U16;
  else if constexpr (std::is_same_v<T, int32_t>) return DType::I32;
  else if constexpr (std::is_same_v<T, uint32_t>) return DType::U32;
  else if constexpr (std::is_same_v<T, int64_t>) return DType::I64;
  else if constexpr (std::is_same_v<T, uint64_t>) return DType::U64;
  else if constexpr (std::is_same_v<T, bool>) return DType::Bool;
  else static_assert(sizeof(T) == 0, "not an element type");
}

// A float as a C++ literal that reads back to the same bits ("1.5f", "-0.0f",
// "__builtin_huge_valf()" for infinity, "__builtin_nanf(\"\")" for NaN).
std::string floatLiteral(float v);
std::string doubleLiteral(double v);
std::string intLiteral(int64_t v, bool is64);

// What the emitter provides to lowering in emit mode.
class EmitSink {
 public:
  virtual ~EmitSink() = default;
  // Pointer expression of a tensor, typed as `const T*` or `T*`.
  virtual std::string tensorExpr(TensorId id, const char* ctype, bool writable) = 0;
  // True if two tensors were given the same storage (a view needs no copy).
  virtual bool sameStorage(TensorId a, TensorId b) = 0;
  // Declares `static const TYPE NAME = INIT;` at file scope and returns NAME.
  virtual std::string declare(const std::string& type, const std::string& init) = 0;
  // Declares `static const CTYPE NAME[] = {...};` at file scope, returns NAME.
  virtual std::string declareArray(const char* ctype, const std::vector<std::string>& values) = 0;
  // Declares `alignas(16) const CTYPE NAME[] = {...};` in the weights file
  // (packed weights a lowering computes) and returns its expression.
  // Default: declareArray.
  virtual std::string declareWeightArray(const char* ctype, size_t elem_bytes, const std::vector<std::string>& values) {
    (void)elem_bytes;
    return declareArray(ctype, values);
  }
  // Declares a local `ELEM const NAME[] = {...};` before the next statement
  // and returns NAME (pointer lists for Concat/Split).
  virtual std::string localArray(const std::string& elem, const std::vector<std::string>& items) = 0;
  virtual void statement(const std::string& s) = 0;
  // Pointer expression (`T*`) of the current node's scratch buffer holding at
  // least `bytes` bytes; empty if none was planned (an internal error).
  virtual std::string scratchExpr(const char* ctype, size_t bytes) {
    (void)ctype; (void)bytes;
    return {};
  }
};

namespace detail {
// Prints the fields of a parameter struct as an aggregate initializer.
class FieldPrinter {
 public:
  std::string out;
  size_t bytes = 0;
  template <class... A>
  void operator()(const A&... a) { (one(a), ...); }

 private:
  void sep() { if (!out.empty()) out += ", "; }
  void one(int32_t v) { sep(); out += std::to_string(v); bytes += sizeof v; }
  void one(uint32_t v) { sep(); out += std::to_string(v) + "u"; bytes += sizeof v; }
  void one(int64_t v) { sep(); out += intLiteral(v, true); bytes += sizeof v; }
  void one(float v) { sep(); out += floatLiteral(v); bytes += sizeof v; }
  void one(double v) { sep(); out += doubleLiteral(v); bytes += sizeof v; }
  template <class E, size_t N>
  void one(const E (&arr)[N]) {
    sep();
    FieldPrinter inner;
    for (size_t i = 0; i < N; ++i) inner.one(arr[i]);
    out += "{" + inner.out + "}";
    bytes += inner.bytes;
  }
};

template <class P, class = void> struct IsParams : std::false_type {};
template <class P> struct IsParams<P, std::void_t<decltype(P::kName)>> : std::true_type {};
}  // namespace detail

class Lowering {
 public:
  // Eval mode: pointers to the node's input and output buffers (nullptr for
  // omitted optional tensors).
  Lowering(const Graph& g, const Node& n, std::vector<const void*> in, std::vector<void*> out)
      : g_(g), n_(n), in_(std::move(in)), out_(std::move(out)) {}
  // Emit mode.
  Lowering(const Graph& g, const Node& n, EmitSink* sink) : g_(g), n_(n), sink_(sink) {}

  const Graph& graph() const { return g_; }
  const Node& node() const { return n_; }
  bool emitting() const { return sink_ != nullptr; }
  const TensorType& inType(size_t k) const { return g_.t(n_.inputs[k]).type; }
  const TensorType& outType(size_t k) const { return g_.t(n_.outputs[k]).type; }
  bool hasIn(size_t k) const { return n_.in(k) != kNoTensor; }
  bool hasOut(size_t k) const { return n_.out(k) != kNoTensor; }

  template <class T> In<T> in(size_t k) const { return In<T>{k}; }
  template <class T> OptIn<T> optIn(size_t k) const { return OptIn<T>{k}; }
  template <class T> InList<T> inList(std::vector<size_t> ks) const { return InList<T>{std::move(ks)}; }
  template <class T> OutList<T> outList(std::vector<size_t> ks) const { return OutList<T>{std::move(ks)}; }
  template <class T> Out<T> out(size_t k) const { return Out<T>{k}; }
  template <class T> Scratch<T> scratch(size_t count) const { return Scratch<T>{count}; }
  template <class T> OptOut<T> optOut(size_t k) const { return OptOut<T>{k}; }

  // Runs (eval) or prints (emit) `name(args...)`; `fn` must be the function
  // that `name` denotes in the generated code.
  template <class R, class... P, class... A>
  Status call(const std::string& name, R (*fn)(P...), const A&... args) {
    static_assert(sizeof...(P) == sizeof...(A), "kernel argument count mismatch");
    Status st;
    if (!emitting()) {
      scratch_.clear();
      scratch_.reserve(sizeof...(A));
      temps_.clear();
      (check(args, st), ...);
      if (!st.isOk()) return st;
      fn(resolve(args)...);
      return st;
    }
    std::string text = name + "(";
    bool first = true;
    ((text += (first ? "" : ", "), text += print(args, st), first = false), ...);
    if (!st.isOk()) return st;
    sink_->statement(text + ");");
    return st;
  }

  // Output `outK` is a view of input `inK`: copies in eval mode, and in emit
  // mode only when the planner could not give both the same storage.
  Status viewCopy(size_t inK = 0, size_t outK = 0);

 private:
  template <class T>
  void checkType(size_t k, bool output, Status& st) const {
    const TensorType& t = output ? outType(k) : inType(k);
    if (t.dtype != dtypeOf<T>())
      st = internal(g_.label(n_) + ": kernel argument type " + ctypeName<T>() + " does not match " +
                    t.str());
  }
  template <class T> void check(const In<T>& a, Status& st) const { checkType<T>(a.k, false, st); }
  template <class T> void check(const OptIn<T>& a, Status& st) const {
    if (hasIn(a.k)) checkType<T>(a.k, false, st);
  }
  template <class T> void check(const Out<T>& a, Status& st) const { checkType<T>(a.k, true, st); }
  template <class T> void check(const OptOut<T>& a, Status& st) const {
    if (hasOut(a.k)) checkType<T>(a.k, true, st);
  }
  template <class T> void check(const InList<T>& a, Status& st) const {
    for (size_t k : a.ks) checkType<T>(k, false, st);
  }
  template <class T> void check(const OutList<T>& a, Status& st) const {
    for (size_t k : a.ks) checkType<T>(k, true, st);
  }
  template <class V> void check(const V&, Status&) const {}

  template <class T> const T* resolve(const In<T>& a) const { return static_cast<const T*>(in_[a.k]); }
  template <class T> const T* resolve(const OptIn<T>& a) const {
    return a.k < in_.size() ? static_cast<const T*>(in_[a.k]) : nullptr;
  }
  template <class T> T* resolve(const Out<T>& a) const { return static_cast<T*>(out_[a.k]); }
  template <class T> T* resolve(const OptOut<T>& a) const {
    return a.k < out_.size() ? static_cast<T*>(out_[a.k]) : nullptr;
  }
  // Lists resolve to arrays that live until the kernel call returns.
  template <class T> const T* const* resolve(const InList<T>& a) {
    auto& v = scratch_.emplace_back();
    for (size_t k : a.ks) v.push_back(const_cast<void*>(in_[k]));
    return reinterpret_cast<const T* const*>(v.data());
  }
  template <class T> T* const* resolve(const OutList<T>& a) {
    auto& v = scratch_.emplace_back();
    for (size_t k : a.ks) v.push_back(out_[k]);
    return reinterpret_cast<T* const*>(v.data());
  }
  template <class T> const T* resolve(const ConstArray<T>& a) const { return a.values.data(); }
  template <class T> T* resolve(const Scratch<T>& a) {
    // max_align_t storage: suitably aligned for every element type.
    auto& v = temps_.emplace_back((a.count * sizeof(T) + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t) + 1);
    return reinterpret_cast<T*>(v.data());
  }
  template <class V> const V& resolve(const V& v) const { return v; }

  template <class T> std::string print(const In<T>& a, Status& st) {
    check(a, st);
    return sink_->tensorExpr(n_.inputs[a.k], ctypeName<T>(), false);
  }
  template <class T> std::string print(const OptIn<T>& a, Status& st) {
    if (!hasIn(a.k)) return "nullptr";
    check(a, st);
    return sink_->tensorExpr(n_.inputs[a.k], ctypeName<T>(), false);
  }
  template <class T> std::string print(const Out<T>& a, Status& st) {
    check(a, st);
    return sink_->tensorExpr(n_.outputs[a.k], ctypeName<T>(), true);
  }
  template <class T> std::string print(const OptOut<T>& a, Status& st) {
    if (!hasOut(a.k)) return "nullptr";
    check(a, st);
    return sink_->tensorExpr(n_.outputs[a.k], ctypeName<T>(), true);
  }
  template <class T> std::string print(const InList<T>& a, Status& st) {
    check(a, st);
    std::vector<std::string> items;
    for (size_t k : a.ks) items.push_back(sink_->tensorExpr(n_.inputs[k], ctypeName<T>(), false));
    return sink_->localArray(std::string("const ") + ctypeName<T>() + "*", items);
  }
  template <class T> std::string print(const OutList<T>& a, Status& st) {
    check(a, st);
    std::vector<std::string> items;
    for (size_t k : a.ks) items.push_back(sink_->tensorExpr(n_.outputs[k], ctypeName<T>(), true));
    return sink_->localArray(std::string(ctypeName<T>()) + "*", items);
  }
  template <class T> std::string print(const Scratch<T>& a, Status& st) {
    std::string e = sink_->scratchExpr(ctypeName<T>(), a.count * sizeof(T));
    if (e.empty()) st = internal(g_.label(n_) + ": kernel scratch was not planned (Op::scratchBytes too small)");
    return e;
  }
  template <class T> std::string print(const ConstArray<T>& a, Status&) {
    std::vector<std::string> items;
    for (const T& v : a.values) items.push_back(scalar(v));
    // Large arrays (weights a lowering packed) go with the weights.
    if (items.size() >= 64) return sink_->declareWeightArray(ctypeName<T>(), sizeof(T), items);
    return sink_->declareArray(ctypeName<T>(), items);
  }
  template <class V> static std::string scalar(const V& v) {
    if constexpr (std::is_same_v<V, bool>) return v ? "true" : "false";
    else if constexpr (std::is_same_v<V, float>) return floatLiteral(v);
    else if constexpr (std::is_same_v<V, double>) return doubleLiteral(v);
    else return intLiteral(static_cast<int64_t>(v), sizeof(V) == 8);
  }
  template <class V> std::string print(const V& v, Status& st) {
    if constexpr (detail::IsParams<V>::value) {
      detail::FieldPrinter fp;
      v.fields(fp);
      if (fp.bytes != sizeof(V) && !(std::is_empty_v<V> && fp.bytes == 0))
        st = internal(std::string(V::kName) + ": fields() does not list every field");
      return sink_->declare(V::kName, "{" + fp.out + "}");
    } else if constexpr (std::is_same_v<V, bool>) {
      return v ? "true" : "false";
    } else if constexpr (std::is_same_v<V, float>) {
      return floatLiteral(v);
    } else if constexpr (std::is_same_v<V, double>) {
      return doubleLiteral(v);
    } else if constexpr (std::is_integral_v<V>) {
      return intLiteral(static_cast<int64_t>(v), sizeof(V) == 8);
    } else {
      static_assert(sizeof(V) == 0, "unsupported kernel argument kind");
      return {};
    }
  }

  const Graph& g_;
  const Node& n_;
  std::vector<const void*> in_;
  std::vector<void*> out_;
  EmitSink* sink_ = nullptr;
  std::vector<std::vector<void*>> scratch_;
  std::deque<std::vector<std::max_align_t>> temps_;  // eval-mode kernel scratch
};

}  // namespace emlc
