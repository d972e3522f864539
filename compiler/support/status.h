// Errors as values. Every fallible function in the compiler returns Status or
// Expected<T>; only the CLI turns an error into text and an exit code.
//
// Contract: an Error carries a kind (which decides the exit code and whether a
// conformance test counts as "unsupported") and a complete, user-facing message
// that already names the node/tensor/op involved. Callers add context with
// Error::context() rather than wrapping messages by hand.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace emlc {

enum class ErrorKind {
  Invalid,      // the input (model, flag, data file) is malformed: exit 1
  Unsupported,  // valid input that emlc cannot compile (yet): exit 1
  Io,           // a file could not be read or written: exit 1
  Internal,     // a bug in emlc: exit 2
};

struct Error {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;

  // Prefixes the message with "what: ", e.g. the node the error happened in.
  Error& context(const std::string& what) {
    message = what + ": " + message;
    return *this;
  }
  int exitCode() const { return kind == ErrorKind::Internal ? 2 : 1; }
};

inline Error invalid(std::string msg) { return Error{ErrorKind::Invalid, std::move(msg)}; }
inline Error unsupported(std::string msg) { return Error{ErrorKind::Unsupported, std::move(msg)}; }
inline Error ioError(std::string msg) { return Error{ErrorKind::Io, std::move(msg)}; }
inline Error internal(std::string msg) { return Error{ErrorKind::Internal, std::move(msg)}; }

// Status: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : err_(std::move(e)) {}  // NOLINT: implicit by design
  static Status ok() { return Status(); }
  bool isOk() const { return !err_.has_value(); }
  explicit operator bool() const { return isOk(); }
  const Error& error() const { return *err_; }
  Error& error() { return *err_; }

 private:
  std::optional<Error> err_;
};

// Expected<T>: a value or an Error.
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T v) : v_(std::move(v)) {}        // NOLINT: implicit by design
  Expected(Error e) : v_(std::move(e)) {}    // NOLINT
  Expected(Status s) : v_(std::move(s.error())) {}  // only from a failed Status
  bool isOk() const { return v_.index() == 0; }
  explicit operator bool() const { return isOk(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }
  Error& error() { return std::get<1>(v_); }
  Status status() const { return isOk() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace emlc

// Propagate an error from a Status/Expected expression.
#define EMLC_TRY(expr)                                   \
  do {                                                   \
    auto emlc_try_s_ = (expr);                           \
    if (!emlc_try_s_.isOk()) return emlc_try_s_.error(); \
  } while (0)

#define EMLC_CONCAT_INNER_(a, b) a##b
#define EMLC_CONCAT_(a, b) EMLC_CONCAT_INNER_(a, b)
// EMLC_ASSIGN(auto x, expr): declares x from an Expected or returns its error.
#define EMLC_ASSIGN(decl, expr) EMLC_ASSIGN_IMPL_(EMLC_CONCAT_(emlc_tmp_, __LINE__), decl, expr)
#define EMLC_ASSIGN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                       \
  if (!tmp.isOk()) return tmp.error();     \
  decl = std::move(tmp).value()
