// emlc runtime: shared definitions.
//
// The runtime is header-only C++17 with no heap, no exceptions, no RTTI and no
// static constructors. Kernels never fail at run time: the compiler checks
// every shape and parameter before it emits a call. The same headers are
// compiled into the emlc compiler, which calls these kernels to evaluate
// graphs, so what the compiler computes is what the device computes.
//
// Parameter structs are aggregates of int32_t/float fields and fixed arrays.
// Each names itself (kName) and lists its fields in declaration order
// (fields()); the compiler uses both to print the struct as a C++ aggregate
// initializer. Neither costs anything on the device.
#ifndef EMLC_RUNTIME_COMMON_H
#define EMLC_RUNTIME_COMMON_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <type_traits>

namespace emlc {
namespace rt {

constexpr int kMaxRank = 8;

// Element count of a row-major N-d iteration space.
inline int32_t numel(const int32_t* dims, int32_t rank) {
  int32_t n = 1;
  for (int32_t i = 0; i < rank; ++i) n *= dims[i];
  return n;
}

// Byte copy that tolerates identical source and destination (views whose
// producer already wrote in place).
inline void copy_bytes(void* dst, const void* src, int32_t bytes) {
  if (dst != src && bytes > 0) memmove(dst, src, static_cast<size_t>(bytes));
}

template <class T>
inline void fill(T* y, int32_t n, T v) {
  for (int32_t i = 0; i < n; ++i) y[i] = v;
}

// Advances an N-d index `idx` over `dims` (last axis fastest). Returns false
// when it wraps around to all zeros.
inline bool next_index(int32_t* idx, const int32_t* dims, int32_t rank) {
  for (int32_t a = rank - 1; a >= 0; --a) {
    if (++idx[a] < dims[a]) return true;
    idx[a] = 0;
  }
  return false;
}

// Sign and NaN tests that compile warning-free for unsigned and integer types.
template <class T>
inline bool is_negative(T x) {
  if constexpr (std::is_signed<T>::value) return x < T(0);
  else return false;
}
template <class T>
inline bool is_nan(T x) {
  if constexpr (std::is_floating_point<T>::value) return x != x;
  else return false;
}

template <class T>
inline T min_of(T a, T b) { return b < a ? b : a; }
template <class T>
inline T max_of(T a, T b) { return a < b ? b : a; }

// Round half to even, as ONNX's Round and the quantizers require.
inline float round_half_even(float x) {
  float r = nearbyintf(x);  // default rounding mode is to-nearest-even
  return r;
}

}  // namespace rt
}  // namespace emlc

#endif
