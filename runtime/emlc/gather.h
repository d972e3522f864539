// emlc runtime: indexed data movement (Gather, GatherElements, GatherND,
// ScatterElements, ScatterND, OneHot, ReverseSequence), masks and scans
// (Trilu, CumSum) and generators (Range, EyeLike).
//
// Indices may come from run-time tensors. Negative indices count from the
// end; an index still out of range after that is clamped to the nearest
// valid one, so a kernel never reads or writes out of bounds (ONNX leaves
// such models undefined).
#ifndef EMLC_RUNTIME_GATHER_H
#define EMLC_RUNTIME_GATHER_H

#include "common.h"

namespace emlc {
namespace rt {

// Normalises index i of an axis of extent n > 0 into [0, n).
template <class I>
inline int32_t clamp_index(I i, int32_t n) {
  int64_t v = static_cast<int64_t>(i);
  if (v < 0) v += n;
  if (v < 0) return 0;
  if (v >= n) return n - 1;
  return static_cast<int32_t>(v);
}

// How scatter kernels combine an update with the existing element.
constexpr int32_t kReduceNone = 0;
constexpr int32_t kReduceAdd = 1;
constexpr int32_t kReduceMul = 2;
constexpr int32_t kReduceMax = 3;
constexpr int32_t kReduceMin = 4;

template <class T>
inline void scatter_reduce(T& d, T u, int32_t reduction) {
  switch (reduction) {
    case kReduceAdd:
      if constexpr (std::is_same<T, bool>::value) d = d || u;
      else d = static_cast<T>(d + u);
      break;
    case kReduceMul:
      if constexpr (std::is_same<T, bool>::value) d = d && u;
      else d = static_cast<T>(d * u);
      break;
    case kReduceMax: d = d < u ? u : d; break;
    case kReduceMin: d = u < d ? u : d; break;
    default: d = u; break;
  }
}

// ---- Gather -----------------------------------------------------------------

// x viewed as [outer, axis_dim, inner]; y as [outer, count, inner].
struct GatherParams {
  static constexpr const char* kName = "emlc::rt::GatherParams";
  int32_t outer;
  int32_t axis_dim;
  int32_t inner;
  int32_t count;
  template <class V> void fields(V& v) const { v(outer, axis_dim, inner, count); }
};

template <class T, class I>
inline void gather(const GatherParams& p, const T* x, const I* idx, T* y) {
  for (int32_t o = 0; o < p.outer; ++o) {
    const T* xo = x + o * p.axis_dim * p.inner;
    for (int32_t k = 0; k < p.count; ++k) {
      const T* src = xo + clamp_index(idx[k], p.axis_dim) * p.inner;
      for (int32_t i = 0; i < p.inner; ++i) y[i] = src[i];
      y += p.inner;
    }
  }
}

// ---- GatherElements / ScatterElements --------------------------------------

// Indices (and updates / gathered output) have shape dims[0..rank); data has
// element strides x_strides and extent axis_dim along `axis`.
struct ElementsParams {
  static constexpr const char* kName = "emlc::rt::ElementsParams";
  int32_t rank;
  int32_t axis;
  int32_t axis_dim;
  int32_t dims[kMaxRank];
  int32_t x_strides[kMaxRank];
  template <class V> void fields(V& v) const { v(rank, axis, axis_dim, dims, x_strides); }
};

// Calls f(data_offset, index_position) for every index position, in order.
template <class I, class F>
inline void for_each_element_index(const ElementsParams& p, const I* idx, F&& f) {
  const int32_t r = p.rank;
  if (numel(p.dims, r) == 0) return;
  const int32_t inner = p.dims[r - 1];
  const int32_t sl = p.x_strides[r - 1], sa = p.x_strides[p.axis];
  const bool last = p.axis == r - 1;
  int32_t pos[kMaxRank] = {0};
  int32_t k = 0;
  for (;;) {
    int32_t base = 0;
    for (int32_t a = 0; a < r - 1; ++a)
      if (a != p.axis) base += pos[a] * p.x_strides[a];
    for (int32_t i = 0; i < inner; ++i, ++k) {
      const int32_t j = clamp_index(idx[k], p.axis_dim);
      f(last ? base + j * sa : base + i * sl + j * sa, k);
    }
    if (r == 1 || !next_index(pos, p.dims, r - 1)) return;
  }
}

template <class T, class I>
inline void gather_elements(const ElementsParams& p, const T* x, const I* idx, T* y) {
  for_each_element_index(p, idx, [&](int32_t off, int32_t k) { y[k] = x[off]; });
}

// y = data (n elements), then y[data position of update k] (op)= updates[k].
template <class T, class I>
inline void scatter_elements(const ElementsParams& p, int32_t reduction, const T* data, const I* idx,
                             const T* updates, T* y, int32_t n) {
  if (y != data)
    for (int32_t i = 0; i < n; ++i) y[i] = data[i];
  for_each_element_index(p, idx, [&](int32_t off, int32_t k) { scatter_reduce(y[off], updates[k], reduction); });
}

// ---- GatherND / ScatterND ---------------------------------------------------

// Data viewed as [batch, ...]; each batch has `count` index tuples of `k`
// components indexing data dims dims[0..k) (element strides strides[0..k))
// and selecting a contiguous slice of `slice` elements. batch_stride is the
// number of data elements per batch.
struct GatherNDParams {
  static constexpr const char* kName = "emlc::rt::GatherNDParams";
  int32_t batch;
  int32_t count;
  int32_t k;
  int32_t slice;
  int32_t batch_stride;
  int32_t dims[kMaxRank];
  int32_t strides[kMaxRank];
  template <class V> void fields(V& v) const { v(batch, count, k, slice, batch_stride, dims, strides); }
};

template <class I>
inline int32_t nd_offset(const GatherNDParams& p, const I* tuple) {
  int32_t off = 0;
  for (int32_t j = 0; j < p.k; ++j) off += clamp_index(tuple[j], p.dims[j]) * p.strides[j];
  return off;
}

template <class T, class I>
inline void gather_nd(const GatherNDParams& p, const T* x, const I* idx, T* y) {
  for (int32_t b = 0; b < p.batch; ++b) {
    const T* xb = x + b * p.batch_stride;
    for (int32_t c = 0; c < p.count; ++c, idx += p.k) {
      const T* src = xb + nd_offset(p, idx);
      for (int32_t i = 0; i < p.slice; ++i) y[i] = src[i];
      y += p.slice;
    }
  }
}

// y = data (n elements), then each indexed slice (op)= its updates.
template <class T, class I>
inline void scatter_nd(const GatherNDParams& p, int32_t reduction, const T* data, const I* idx, const T* updates,
                       T* y, int32_t n) {
  if (y != data)
    for (int32_t i = 0; i < n; ++i) y[i] = data[i];
  for (int32_t b = 0; b < p.batch; ++b) {
    T* yb = y + b * p.batch_stride;
    for (int32_t c = 0; c < p.count; ++c, idx += p.k) {
      T* dst = yb + nd_offset(p, idx);
      for (int32_t i = 0; i < p.slice; ++i) scatter_reduce(dst[i], updates[i], reduction);
      updates += p.slice;
    }
  }
}

// ---- OneHot -----------------------------------------------------------------

// indices [outer, inner] -> y [outer, depth, inner]; values = {off, on}.
// Indices in [-depth, depth) select a position (negative from the end);
// others give an all-off row.
// Position selected by index v (any numeric type), or -1 for none.
template <class I>
inline int32_t one_hot_position(I v, int32_t depth) {
  if constexpr (std::is_floating_point<I>::value) {
    if (!(v >= I(-depth) && v < I(depth))) return -1;  // also NaN
  }
  int64_t i = static_cast<int64_t>(v);
  if (i < 0) i += depth;
  return i >= 0 && i < depth ? static_cast<int32_t>(i) : -1;
}

template <class I, class T>
inline void one_hot(int32_t outer, int32_t depth, int32_t inner, const I* idx, const T* values, T* y) {
  const T off = values[0], on = values[1];
  for (int32_t o = 0; o < outer; ++o) {
    const I* io = idx + o * inner;
    for (int32_t d = 0; d < depth; ++d) {
      for (int32_t i = 0; i < inner; ++i) {
        y[i] = one_hot_position(io[i], depth) == d ? on : off;
      }
      y += inner;
    }
  }
}

// ---- ReverseSequence ----------------------------------------------------------

// x is [seq, batch, inner] (time_axis 0) or [batch, seq, inner] (time_axis 1).
// For batch b the first lens[b] steps (clamped to [0, seq]) are reversed.
template <class T, class I>
inline void reverse_sequence(int32_t seq, int32_t batch, int32_t inner, int32_t time_axis, const I* lens,
                             const T* x, T* y) {
  for (int32_t b = 0; b < batch; ++b) {
    int64_t len = static_cast<int64_t>(lens[b]);
    if (len < 0) len = 0;
    if (len > seq) len = seq;
    for (int32_t t = 0; t < seq; ++t) {
      const int32_t s = t < len ? static_cast<int32_t>(len) - 1 - t : t;
      const int32_t dst = time_axis == 0 ? (t * batch + b) * inner : (b * seq + t) * inner;
      const int32_t src = time_axis == 0 ? (s * batch + b) * inner : (b * seq + s) * inner;
      for (int32_t i = 0; i < inner; ++i) y[dst + i] = x[src + i];
    }
  }
}

// ---- Trilu ------------------------------------------------------------------

// x is [batch, rows, cols]. upper: keeps elements with col - row >= k;
// lower: keeps col - row <= k; others become 0.
template <class T>
inline void trilu(int32_t batch, int32_t rows, int32_t cols, int32_t k, int32_t upper, const T* x, T* y) {
  for (int32_t b = 0; b < batch; ++b) {
    for (int32_t i = 0; i < rows; ++i) {
      for (int32_t j = 0; j < cols; ++j) {
        const bool keep = upper ? j - i >= k : j - i <= k;
        y[j] = keep ? x[j] : T(0);
      }
      x += cols;
      y += cols;
    }
  }
}

// ---- CumSum -----------------------------------------------------------------

// x viewed as [outer, n, inner]; cumulative sum along n. exclusive: element
// i sums the elements before it; reverse: sums run from the end.
template <class T>
inline void cumsum(int32_t outer, int32_t n, int32_t inner, int32_t exclusive, int32_t reverse, const T* x, T* y) {
  if (n == 0) return;
  for (int32_t o = 0; o < outer; ++o) {
    const T* xo = x + o * n * inner;
    T* yo = y + o * n * inner;
    const int32_t first = reverse ? n - 1 : 0;
    const int32_t step = reverse ? -1 : 1;
    T* prev = yo + first * inner;
    for (int32_t i = 0; i < inner; ++i) prev[i] = exclusive ? T(0) : xo[first * inner + i];
    for (int32_t s = 1; s < n; ++s) {
      const int32_t cur = first + s * step;
      T* row = yo + cur * inner;
      const T* add = xo + (exclusive ? cur - step : cur) * inner;
      for (int32_t i = 0; i < inner; ++i) row[i] = static_cast<T>(prev[i] + add[i]);
      prev = row;
    }
  }
}

// ---- generators -------------------------------------------------------------

// y[i] = start + i * delta, with start_delta = {start, delta}.
template <class T>
inline void range(const T* start_delta, T* y, int32_t n) {
  const T start = start_delta[0], delta = start_delta[1];
  for (int32_t i = 0; i < n; ++i) y[i] = static_cast<T>(start + static_cast<T>(i) * delta);
}

// y [rows, cols]: 1 where col - row == k, else 0.
template <class T>
inline void eye(int32_t rows, int32_t cols, int32_t k, T* y) {
  for (int32_t i = 0; i < rows; ++i)
    for (int32_t j = 0; j < cols; ++j) y[i * cols + j] = j - i == k ? T(1) : T(0);
}

}  // namespace rt
}  // namespace emlc

#endif
