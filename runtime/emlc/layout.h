// emlc runtime: data movement kernels (copies, strided N-d copies for
// Transpose/Slice/Expand/DepthToSpace/SpaceToDepth, Concat, Split, Pad, Tile)
// and fills.
//
// The compiler computes every index map at compile time: a strided copy gets
// the output dims and, per output axis, the input element stride (negative for
// reversed slices, 0 for broadcast axes) and the start offset. Adjacent axes
// that are contiguous in both tensors are merged by the compiler, so the inner
// loop usually runs over long rows.
#ifndef EMLC_RUNTIME_LAYOUT_H
#define EMLC_RUNTIME_LAYOUT_H

#include "common.h"

namespace emlc {
namespace rt {

// y[i] = x[i] for n elements (x and y must not overlap unless equal).
template <class T>
inline void copy(const T* x, T* y, int32_t n) {
  if (x == y) return;
  for (int32_t i = 0; i < n; ++i) y[i] = x[i];
}

// y[i] = v[0] for n elements (ConstantOfShape, Dropout's mask).
template <class T>
inline void fill_from(const T* v, T* y, int32_t n) {
  const T value = v[0];
  for (int32_t i = 0; i < n; ++i) y[i] = value;
}

// Output element (i_0..i_{rank-1}) of a strided copy reads
// x[offset + sum_a i_a * strides[a]]. rank 0 copies one element.
struct StridedParams {
  static constexpr const char* kName = "emlc::rt::StridedParams";
  int32_t rank;
  int32_t offset;
  int32_t dims[kMaxRank];
  int32_t strides[kMaxRank];
  template <class V> void fields(V& v) const { v(rank, offset, dims, strides); }
};

// y (contiguous, row-major over dims) gathered from x with arbitrary strides.
template <class T>
inline void strided_copy(const StridedParams& p, const T* x, T* y) {
  const int32_t r = p.rank;
  if (r == 0) {
    y[0] = x[p.offset];
    return;
  }
  if (numel(p.dims, r) == 0) return;
  const int32_t inner = p.dims[r - 1];
  const int32_t s = p.strides[r - 1];
  int32_t idx[kMaxRank] = {0};
  int32_t base = p.offset;
  for (;;) {
    const T* src = x + base;
    if (s == 1) {
      for (int32_t i = 0; i < inner; ++i) y[i] = src[i];
    } else {
      for (int32_t i = 0; i < inner; ++i) y[i] = src[i * s];
    }
    y += inner;
    int32_t a = r - 2;
    for (; a >= 0; --a) {
      base += p.strides[a];
      if (++idx[a] < p.dims[a]) break;
      base -= p.strides[a] * p.dims[a];
      idx[a] = 0;
    }
    if (a < 0) return;
  }
}

// Concat along an axis: the output is `outer` repetitions of the inputs'
// chunks (chunk k = input k's extent along the axis times the inner size)
// laid end to end.
template <class T>
inline void concat(int32_t n, int32_t outer, const int32_t* chunks, const T* const* xs, T* y) {
  for (int32_t o = 0; o < outer; ++o) {
    for (int32_t k = 0; k < n; ++k) {
      const int32_t c = chunks[k];
      const T* src = xs[k] + o * c;
      for (int32_t i = 0; i < c; ++i) y[i] = src[i];
      y += c;
    }
  }
}

// Split along an axis: the inverse of concat.
template <class T>
inline void split(int32_t n, int32_t outer, const int32_t* chunks, const T* x, T* const* ys) {
  for (int32_t o = 0; o < outer; ++o) {
    for (int32_t k = 0; k < n; ++k) {
      const int32_t c = chunks[k];
      T* dst = ys[k] + o * c;
      for (int32_t i = 0; i < c; ++i) dst[i] = x[i];
      x += c;
    }
  }
}

// Pad modes.
constexpr int32_t kPadConstant = 0;
constexpr int32_t kPadReflect = 1;
constexpr int32_t kPadEdge = 2;

// Output index i along axis a reads input index i - begin[a] (begin may be
// negative: cropping). Outside the input: `value` (constant mode), the
// mirrored index without repeating the border (reflect; the compiler checks
// pads < dim), or the nearest border element (edge; dim > 0).
struct PadParams {
  static constexpr const char* kName = "emlc::rt::PadParams";
  int32_t rank;
  int32_t mode;
  int32_t in_dims[kMaxRank];
  int32_t out_dims[kMaxRank];
  int32_t begin[kMaxRank];
  template <class V> void fields(V& v) const { v(rank, mode, in_dims, out_dims, begin); }
};

// Maps an index of an axis of extent n (n > 0 outside constant mode).
inline int32_t pad_source(int32_t j, int32_t n, int32_t mode) {
  if (j >= 0 && j < n) return j;
  if (mode == kPadEdge) return j < 0 ? 0 : n - 1;
  // reflect
  return j < 0 ? -j : 2 * (n - 1) - j;
}

// `value` points to the constant-mode fill value (nullptr: zero).
template <class T>
inline void pad(const PadParams& p, const T* x, const T* value, T* y) {
  const int32_t r = p.rank;
  const T fillv = value ? value[0] : T(0);
  if (r == 0) {
    y[0] = x[0];
    return;
  }
  if (numel(p.out_dims, r) == 0) return;
  int32_t in_strides[kMaxRank];
  in_strides[r - 1] = 1;
  for (int32_t a = r - 1; a > 0; --a) in_strides[a - 1] = in_strides[a] * p.in_dims[a];
  const int32_t w = p.in_dims[r - 1], ow = p.out_dims[r - 1], pb = p.begin[r - 1];
  // Output positions [lo, hi) read the input row directly.
  const int32_t lo = min_of(max_of(pb, int32_t(0)), ow);
  const int32_t hi = max_of(min_of(pb + w, ow), lo);
  int32_t idx[kMaxRank] = {0};
  for (;;) {
    bool inside = true;
    int32_t off = 0;
    for (int32_t a = 0; a < r - 1; ++a) {
      const int32_t j = idx[a] - p.begin[a];
      if (j < 0 || j >= p.in_dims[a]) {
        if (p.mode == kPadConstant) {
          inside = false;
          break;
        }
      }
      off += pad_source(j, p.in_dims[a], p.mode) * in_strides[a];
    }
    if (!inside) {
      for (int32_t i = 0; i < ow; ++i) y[i] = fillv;
    } else {
      const T* row = x + off;
      for (int32_t i = 0; i < lo; ++i)
        y[i] = p.mode == kPadConstant ? fillv : row[pad_source(i - pb, w, p.mode)];
      for (int32_t i = lo; i < hi; ++i) y[i] = row[i - pb];
      for (int32_t i = hi; i < ow; ++i)
        y[i] = p.mode == kPadConstant ? fillv : row[pad_source(i - pb, w, p.mode)];
    }
    y += ow;
    if (r == 1 || !next_index(idx, p.out_dims, r - 1)) return;
  }
}

// Tile: output index i along axis a reads input index i % in_dims[a].
struct TileParams {
  static constexpr const char* kName = "emlc::rt::TileParams";
  int32_t rank;
  int32_t in_dims[kMaxRank];
  int32_t out_dims[kMaxRank];
  template <class V> void fields(V& v) const { v(rank, in_dims, out_dims); }
};

template <class T>
inline void tile(const TileParams& p, const T* x, T* y) {
  const int32_t r = p.rank;
  if (r == 0) {
    y[0] = x[0];
    return;
  }
  if (numel(p.out_dims, r) == 0) return;
  int32_t in_strides[kMaxRank];
  in_strides[r - 1] = 1;
  for (int32_t a = r - 1; a > 0; --a) in_strides[a - 1] = in_strides[a] * p.in_dims[a];
  const int32_t w = p.in_dims[r - 1], ow = p.out_dims[r - 1];
  int32_t idx[kMaxRank] = {0};
  for (;;) {
    int32_t off = 0;
    for (int32_t a = 0; a < r - 1; ++a) off += (idx[a] % p.in_dims[a]) * in_strides[a];
    const T* row = x + off;
    for (int32_t i = 0; i < ow; i += w)
      for (int32_t j = 0; j < w; ++j) y[i + j] = row[j];
    y += ow;
    if (r == 1 || !next_index(idx, p.out_dims, r - 1)) return;
  }
}

}  // namespace rt
}  // namespace emlc

#endif
