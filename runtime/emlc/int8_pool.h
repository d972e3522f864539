// emlc runtime: int8 average pooling, the reference definition of its
// arithmetic (TFLite's int8 AVERAGE_POOL_2D).
//
// Input and output share one scale and zero point, so the average of the
// codes is the code of the average. For each window:
//   sum   = sum of the codes of the taps inside the input
//           (+ zero_point for each padding tap when count_include_pad)
//   count = taps inside the input (the padded window when count_include_pad)
//   y     = clamp(round_half_away_from_zero(sum / count), act_min, act_max)
// A window with no tap inside the input gives the zero point. The geometry is
// the float pools' (pool.h), so GlobalAveragePool is the window covering the
// whole plane. MaxPool needs no int8 kernel: the float kernel template runs
// on int8 codes as they are.
#ifndef EMLC_RUNTIME_INT8_POOL_H
#define EMLC_RUNTIME_INT8_POOL_H

#include "common.h"
#include "int8_common.h"
#include "pool.h"

namespace emlc {
namespace rt {

struct QuantPoolParams {
  static constexpr const char* kName = "emlc::rt::QuantPoolParams";
  int32_t zero_point;  // of input and output
  int32_t act_min, act_max;
  template <class V> void fields(V& v) const { v(zero_point, act_min, act_max); }
};

// round(sum / count), ties away from zero (count > 0).
inline int32_t rounded_average(int32_t sum, int32_t count) {
  return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

template <class T>
struct QuantAvgAccumulator {
  const PoolParams& p;
  const QuantPoolParams& q;
  T* y;
  int32_t sum;
  void begin() { sum = 0; }
  void add(T v, int32_t) { sum += static_cast<int32_t>(v); }
  void end(int32_t, int32_t o, int32_t inside, int32_t padded) {
    int32_t count = inside;
    if (p.count_include_pad) {
      sum += (padded - inside) * q.zero_point;
      count = padded;
    }
    const int32_t avg = count > 0 ? rounded_average(sum, count) : q.zero_point;
    y[o] = static_cast<T>(clamp_i32(avg, q.act_min, q.act_max));
  }
};

template <class T>
inline void qavgpool(const PoolParams& p, const QuantPoolParams& q, const T* x, T* y) {
  QuantAvgAccumulator<T> acc{p, q, y, 0};
  pool_loop(p, x, acc);
}

}  // namespace rt
}  // namespace emlc

#endif
