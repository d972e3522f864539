// emlc runtime: int8 convolution and fully connected kernels (and the
// primitives of int8_dsp_depthwise.h and int8_dsp_pool_add.h) for Cortex-M
// cores with the DSP extension (Armv7E-M: M4, M7;
// Armv8-M Mainline + DSP: M33), chosen by `emlc compile --target
// cortex-m4|cortex-m7|cortex-m33`.
//
// Contract: every kernel here gives the same bytes as its reference kernel
// (qconv and qgemm in int8_conv.h, qbinary with QuantAdd in
// int8_elementwise.h) for the cases the compiler sends here (int8
// activations and weights, weight zero point 0; adds without broadcasting). The sums are the same integers (int32 addition is exact
// and order-free modulo 2^32, as in the reference), and requant_out is
// multiply_by_quantized_multiplier for non-negative multipliers.
//
// The work is a dot product of an int16 "column" (one output pixel's inputs
// with the input offset added; zero where the tap falls in the padding) with
// each output channel's weights, two 16-bit products per SMLAD. Columns are
// built into a small scratch buffer (two output pixels at a time, 2 * K8
// int16), so there is no full im2col buffer. Weights come packed by the
// compiler (pack order below), so one 32-bit load and two SXTB16 give two
// weight pairs.
//
// Packed weights: M rows of K8 = K rounded up to 8 int8 values, zero padded;
// within each group of four the order is (k, k+2, k+1, k+3): SXTB16 of such
// a word is the pair (k, k+1), SXTB16 of the word rotated by 8 is (k+2, k+3),
// the natural order of the int16 column. Rows go in pairs (m, m+1), word by
// word interleaved (group g of m, group g of m+1, group g+1 of m, ...), so a
// kernel reads both channels from one pointer; an odd last row stays alone.
// Packed weights and the scratch are 4-byte aligned.
//
// Without the DSP extension (host builds: the compiler's own evaluation runs
// these kernels too) the intrinsics are plain C with the same results.
#ifndef EMLC_RUNTIME_INT8_DSP_H
#define EMLC_RUNTIME_INT8_DSP_H

#include "common.h"
#include "conv.h"
#include "int8_common.h"
#include "int8_conv.h"
#include "int8_elementwise.h"

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)
#include <arm_acle.h>
#define EMLC_ACLE_DSP 1
#else
#define EMLC_ACLE_DSP 0
#endif

namespace emlc {
namespace rt {
namespace dsp {

inline int32_t load32(const void* p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

// A 32-bit load from a 4-byte aligned address (packed weights, columns):
// the compiler may pair two into one LDRD.
#if defined(__GNUC__)
inline int32_t load32a(const void* p) { return load32(__builtin_assume_aligned(p, 4)); }
#else
inline int32_t load32a(const void* p) { return load32(p); }
#endif

// The low and high int16 halves of x.
inline int32_t half_lo16(int32_t x) { return static_cast<int16_t>(static_cast<uint32_t>(x) & 0xFFFFu); }
inline int32_t half_hi16(int32_t x) { return static_cast<int16_t>(static_cast<uint32_t>(x) >> 16); }

#if EMLC_ACLE_DSP
// Bytes 0 and 2 of x, sign-extended to the two halves.
inline int32_t sxtb16(int32_t x) { return __sxtb16(x); }
// Bytes 1 and 3 of x (ACLE has no rotated form of SXTB16; one instruction).
inline int32_t sxtb16_hi(int32_t x) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
// acc + lo(a) * lo(b) + hi(a) * hi(b), 16-bit halves.
inline int32_t smlad(int32_t a, int32_t b, int32_t acc) { return __smlad(a, b, acc); }
// a + sxtb16(x), halfword by halfword (a holds a pair of int16).
inline int32_t sxtab16(int32_t a, int32_t x) { return __sxtab16(a, x); }
// a + sxtb16_hi(x).
inline int32_t sxtab16_hi(int32_t a, int32_t x) {
  int32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
  return r;
}
#else
inline int32_t half_lo(int32_t x) { return static_cast<int16_t>(static_cast<uint32_t>(x) & 0xFFFFu); }
inline int32_t half_hi(int32_t x) { return static_cast<int16_t>(static_cast<uint32_t>(x) >> 16); }
inline int32_t byte_at(int32_t x, int b) { return static_cast<int8_t>((static_cast<uint32_t>(x) >> (8 * b)) & 0xFFu); }
inline int32_t pack16(int32_t lo, int32_t hi) {
  return static_cast<int32_t>((static_cast<uint32_t>(lo) & 0xFFFFu) | (static_cast<uint32_t>(hi) << 16));
}
inline int32_t sxtb16(int32_t x) { return pack16(byte_at(x, 0), byte_at(x, 2)); }
inline int32_t sxtb16_hi(int32_t x) { return pack16(byte_at(x, 1), byte_at(x, 3)); }
inline int32_t smlad(int32_t a, int32_t b, int32_t acc) {
  const uint32_t s = static_cast<uint32_t>(acc) + static_cast<uint32_t>(half_lo(a) * half_lo(b)) +
                     static_cast<uint32_t>(half_hi(a) * half_hi(b));
  return static_cast<int32_t>(s);
}
inline int32_t sxtab16(int32_t a, int32_t x) { return pack16(half_lo(a) + byte_at(x, 0), half_hi(a) + byte_at(x, 2)); }
inline int32_t sxtab16_hi(int32_t a, int32_t x) { return pack16(half_lo(a) + byte_at(x, 1), half_hi(a) + byte_at(x, 3)); }
#endif

// Requantisation tables: per output channel four int32, the multiplier,
// the left shift max(shift, 0), the right shift max(-shift, 0) and the
// rounding division's mask 2^right - 1 (the compiler fills them; a right
// shift of 0 has mask 0, which leaves the value as it is). requant_out is
// multiply_by_quantized_multiplier + output offset + clamp, with no
// per-output branching on the shift's sign. The reference's rounding high
// multiply, (a*b + nudge) / 2^31 truncated toward zero with nudge 2^30
// (a*b >= 0) or 1 - 2^30 (a*b < 0), equals floor((a*b + 2^30) / 2^31) in
// both cases, an arithmetic shift; its one saturating case needs
// multiplier == INT32_MIN, which a (non-negative) multiplier never is.
constexpr int32_t kRequantStride = 4;
// One channel's entry, and the output's offset and clamp, as values: the
// kernels copy them into locals before storing outputs, because an int8
// store may alias any memory and would make the compiler reload them.
struct RequantEntry {
  int32_t multiplier, left, right, mask;
};
inline RequantEntry requant_entry(const int32_t* r) { return RequantEntry{r[0], r[1], r[2], r[3]}; }
struct OutputClamp {
  int32_t offset, lo, hi;
};
inline OutputClamp output_clamp(const QuantConvParams& q) { return OutputClamp{q.output_offset, q.act_min, q.act_max}; }
inline int8_t requant_out(int32_t acc, RequantEntry r, OutputClamp o) {
  const int64_t ab = static_cast<int64_t>(shift_left_wrapping(acc, r.left)) * r.multiplier + (int64_t{1} << 30);
  const int32_t h = static_cast<int32_t>(ab >> 31);
  const int32_t threshold = (r.mask >> 1) + static_cast<int32_t>(static_cast<uint32_t>(h) >> 31);
  // remainder > threshold: round away from zero; t < 0 exactly then (no overflow:
  // threshold <= 2^30, remainder < 2^31).
  const int32_t t = threshold - (h & r.mask);
  int32_t v = (h >> r.right) + (t < 0 ? 1 : 0) + o.offset;
  v = v < o.lo ? o.lo : v;
  v = v > o.hi ? o.hi : v;
  return static_cast<int8_t>(v);
}

#if EMLC_ACLE_DSP
// (a * b + 2^31) >> 32: the rounded high word of the product (ACLE has no
// SMMULR; one instruction).
inline int32_t smmulr(int32_t a, int32_t b) {
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
inline int32_t ssat8(int32_t v) { return __ssat(v, 8); }
#else
inline int32_t smmulr(int32_t a, int32_t b) {
  return static_cast<int32_t>((static_cast<int64_t>(a) * b + (int64_t{1} << 31)) >> 32);
}
inline int32_t ssat8(int32_t v) { return v < -128 ? -128 : (v > 127 ? 127 : v); }
#endif

// Requantisation policies, the kernels' template argument; the compiler
// picks one per layer from what it knows at compile time.
//
// RequantFull: any multiplier and shift (requant_out above, ~25
// instructions an output).
struct RequantFull {
  static constexpr const char* kName = "emlc::rt::dsp::RequantFull";
  using Entry = RequantEntry;
  static Entry entry(const int32_t* r) { return requant_entry(r); }
  static int8_t out(int32_t acc, Entry e, OutputClamp o) { return requant_out(acc, e, o); }
};
// RequantShort: the same values in about seven instructions, valid only
// for layers where the compiler proved, per channel, that the shift is a
// right shift r >= 1 (so no left shift), |acc| < 2^30 for every possible
// accumulator (from the weights, bias and input range) and that the sums
// below cannot overflow. Table entry: multiplier, add = 2^(r-1) +
// (output offset << r), r. Why it is the same value:
//   SRDHM(acc, M) = floor((acc*M + 2^30) / 2^31) = floor((2acc*M + 2^31) / 2^32)
//                 = SMMULR(2acc, M)                       (2acc fits: |acc| < 2^30)
//   the rounding division by 2^r (half away from zero) of h:
//                 = floor((h + 2^(r-1) - [h < 0]) / 2^r)  (r >= 1)
//   plus the offset: floor((h + 2^(r-1) + (h >> 31) + (offset << r)) / 2^r).
// kSat8: the clamp is the whole int8 range (act_min -128, act_max 127),
// one SSAT; otherwise a clamp to [act_min, act_max].
template <bool kSat8>
struct RequantShort {
  static constexpr const char* kName =
      kSat8 ? "emlc::rt::dsp::RequantShort<true>" : "emlc::rt::dsp::RequantShort<false>";
  struct Entry {
    int32_t multiplier, add, right;
  };
  static Entry entry(const int32_t* r) { return Entry{r[0], r[1], r[2]}; }
  static int8_t out(int32_t acc, Entry e, OutputClamp o) {
    const int32_t h = smmulr(acc * 2, e.multiplier);
    // h - [h < 0] (one SUB with a shifted operand); a signed >> 31 is
    // implementation-defined before C++20.
    const int32_t v = (h - static_cast<int32_t>(static_cast<uint32_t>(h) >> 31) + e.add) >> e.right;
    if (kSat8) return static_cast<int8_t>(ssat8(v));
    return static_cast<int8_t>(v < o.lo ? o.lo : (v > o.hi ? o.hi : v));
  }
};

// acc += the dot product of one group of four packed weights (word v) with
// four column values (words x01, x23).
inline int32_t mac4(int32_t v, int32_t x01, int32_t x23, int32_t acc) {
  return smlad(sxtb16_hi(v), x23, smlad(sxtb16(v), x01, acc));
}

// One step of dot4_loop: four k of four channels (19 instructions).
#define EMLC_DSP_DOT4_STEP \
  "ldrd %[x0], %[x1], [%[x]], #8\n\t" \
  "ldrd %[v0], %[v1], [%[p0]], #8\n\t" \
  "sxtb16 %[t], %[v0]\n\t" \
  "smlad %[a0], %[t], %[x0], %[a0]\n\t" \
  "sxtb16 %[t], %[v0], ror #8\n\t" \
  "smlad %[a0], %[t], %[x1], %[a0]\n\t" \
  "sxtb16 %[t], %[v1]\n\t" \
  "smlad %[a1], %[t], %[x0], %[a1]\n\t" \
  "sxtb16 %[t], %[v1], ror #8\n\t" \
  "smlad %[a1], %[t], %[x1], %[a1]\n\t" \
  "ldrd %[v0], %[v1], [%[p1]], #8\n\t" \
  "sxtb16 %[t], %[v0]\n\t" \
  "smlad %[a2], %[t], %[x0], %[a2]\n\t" \
  "sxtb16 %[t], %[v0], ror #8\n\t" \
  "smlad %[a2], %[t], %[x1], %[a2]\n\t" \
  "sxtb16 %[t], %[v1]\n\t" \
  "smlad %[a3], %[t], %[x0], %[a3]\n\t" \
  "sxtb16 %[t], %[v1], ror #8\n\t" \
  "smlad %[a3], %[t], %[x1], %[a3]\n\t"

// Four channels (packed pairs at p0 and p1) against one contiguous column
// [x, xend), k8 / 4 (even) steps of four k, two per iteration. With the DSP
// extension in assembly, like dot2_loop (GCC spills here too): 19
// instructions per 16 MACs plus the loop's load, compare and branch.
inline void dot4_loop(const int8_t* p0, const int8_t* p1, const int16_t* x, const int16_t* xend, int32_t& a0,
                      int32_t& a1, int32_t& a2, int32_t& a3) {
#if EMLC_ACLE_DSP
  if (x == xend) return;
  int32_t v0, v1, x0, x1, t;
  __asm__ volatile(
      "1:\n\t"
      EMLC_DSP_DOT4_STEP
      EMLC_DSP_DOT4_STEP
      "ldr %[v0], %[xend]\n\t"
      "cmp %[x], %[v0]\n\t"
      "bne 1b\n\t"
      : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [p0] "+r"(p0), [p1] "+r"(p1), [x] "+r"(x),
        [v0] "=&r"(v0), [v1] "=&r"(v1), [x0] "=&r"(x0), [x1] "=&r"(x1), [t] "=&r"(t)
      : [xend] "m"(xend)
      : "cc", "memory");
#else
  for (; x != xend; x += 4, p0 += 8, p1 += 8) {
    const int32_t x01 = load32a(x), x23 = load32a(x + 2);
    a0 = mac4(load32a(p0), x01, x23, a0);
    a1 = mac4(load32a(p0 + 4), x01, x23, a1);
    a2 = mac4(load32a(p1), x01, x23, a2);
    a3 = mac4(load32a(p1 + 4), x01, x23, a3);
  }
#endif
}

// Output channels [m0, M) against one column whose groups of four values
// are gstep int16 apart (4: contiguous; 8: one of two interleaved columns);
// outputs y[m * ystride]. m0 is even (a pair boundary) or M - 1.
template <class RQ, int32_t gstep, bool kFour = false>
inline void dot1(const int16_t* col, int32_t k8, const int8_t* w, int32_t m0, int32_t M,
                 const int32_t* bias, const int32_t* rq, const QuantConvParams& q, int8_t* y,
                 int32_t ystride) {
  const OutputClamp oc = output_clamp(q);
  const int32_t pairs_end = M / 2 * 2;
  const int16_t* const xend = col + k8 / 4 * gstep;
  int32_t m = m0;
  // kFour (matrix-vector products), a contiguous column: four channels (two
  // packed pairs) per step, each column load shared (more code: conv's
  // one-pixel tails go without).
  for (; kFour && gstep == 4 && m + 4 <= pairs_end; m += 4) {
    const int8_t* p0 = w + m * k8;
    const int8_t* p1 = p0 + 2 * k8;
    int32_t a0 = bias ? bias[m] : 0, a1 = bias ? bias[m + 1] : 0;
    int32_t a2 = bias ? bias[m + 2] : 0, a3 = bias ? bias[m + 3] : 0;
    dot4_loop(p0, p1, col, xend, a0, a1, a2, a3);
    y[m * ystride] = RQ::out(a0, RQ::entry(rq + kRequantStride * m), oc);
    y[(m + 1) * ystride] = RQ::out(a1, RQ::entry(rq + kRequantStride * (m + 1)), oc);
    y[(m + 2) * ystride] = RQ::out(a2, RQ::entry(rq + kRequantStride * (m + 2)), oc);
    y[(m + 3) * ystride] = RQ::out(a3, RQ::entry(rq + kRequantStride * (m + 3)), oc);
  }
  for (; m + 2 <= pairs_end; m += 2) {  // a pair of channels, eight k per step
    const int8_t* p0 = w + m * k8;
    int32_t a0 = bias ? bias[m] : 0, a1 = bias ? bias[m + 1] : 0;
    const int16_t* x = col;
    while (x != xend) {
      const int32_t x01 = load32a(x), x23 = load32a(x + 2);
      const int32_t x45 = load32a(x + gstep), x67 = load32a(x + gstep + 2);
      x += 2 * gstep;
      a0 = mac4(load32a(p0 + 8), x45, x67, mac4(load32a(p0), x01, x23, a0));
      a1 = mac4(load32a(p0 + 12), x45, x67, mac4(load32a(p0 + 4), x01, x23, a1));
      p0 += 16;
    }
    y[m * ystride] = RQ::out(a0, RQ::entry(rq + kRequantStride * (m)), oc);
    y[(m + 1) * ystride] = RQ::out(a1, RQ::entry(rq + kRequantStride * (m + 1)), oc);
  }
  if (m < M) {  // the odd last channel: its own row
    const int8_t* p0 = w + m * k8;
    int32_t a0 = bias ? bias[m] : 0;
    const int16_t* x = col;
    for (int32_t k = 0; k < k8; k += 4, x += gstep) a0 = mac4(load32a(p0 + k), load32a(x), load32a(x + 2), a0);
    y[m * ystride] = RQ::out(a0, RQ::entry(rq + kRequantStride * (m)), oc);
  }
}

// Four k of two channels (packed words wp[0..3], wp[4..7]) against four k
// of two interleaved columns (x[0..3], x[4..7]).
inline void quad(const int8_t* wp, const int16_t* x, int32_t& a00, int32_t& a01, int32_t& a10,
                 int32_t& a11) {
  const int32_t v0 = load32a(wp), v1 = load32a(wp + 4);
  const int32_t w0lo = sxtb16(v0), w0hi = sxtb16_hi(v0);
  const int32_t w1lo = sxtb16(v1), w1hi = sxtb16_hi(v1);
  const int32_t x0lo = load32a(x), x0hi = load32a(x + 2);
  const int32_t x1lo = load32a(x + 4), x1hi = load32a(x + 6);
  a00 = smlad(w0hi, x0hi, smlad(w0lo, x0lo, a00));
  a10 = smlad(w1hi, x0hi, smlad(w1lo, x0lo, a10));
  a01 = smlad(w0hi, x1hi, smlad(w0lo, x1lo, a01));
  a11 = smlad(w1hi, x1hi, smlad(w1lo, x1lo, a11));
}

// One step of dot2_loop: four k of two channels x two columns (15
// instructions).
#define EMLC_DSP_DOT2_STEP \
  "ldrd %[v0], %[v1], [%[wp]], #8\n\t" \
  "ldrd %[x0], %[x1], [%[x]], #8\n\t" \
  "ldrd %[x2], %[x3], [%[x]], #8\n\t" \
  "sxtb16 %[t], %[v0]\n\t" \
  "smlad %[a00], %[t], %[x0], %[a00]\n\t" \
  "smlad %[a01], %[t], %[x2], %[a01]\n\t" \
  "sxtb16 %[t], %[v0], ror #8\n\t" \
  "smlad %[a00], %[t], %[x1], %[a00]\n\t" \
  "smlad %[a01], %[t], %[x3], %[a01]\n\t" \
  "sxtb16 %[t], %[v1]\n\t" \
  "smlad %[a10], %[t], %[x0], %[a10]\n\t" \
  "smlad %[a11], %[t], %[x2], %[a11]\n\t" \
  "sxtb16 %[t], %[v1], ror #8\n\t" \
  "smlad %[a10], %[t], %[x1], %[a10]\n\t" \
  "smlad %[a11], %[t], %[x3], %[a11]\n\t"

// quad over the whole columns [x, xend): k8 / 4 steps of four k, an even
// number, two per iteration. With the DSP extension, in assembly: GCC
// keeps too few of the 13 values live in registers and spills inside the
// loop; here it is 15 instructions per 16 MACs plus the loop's compare and
// branch (xend is read from memory: 13 registers, so it also builds with a
// frame pointer).
inline void dot2_loop(const int8_t* wp, const int16_t* x, const int16_t* xend, int32_t& a00,
                      int32_t& a01, int32_t& a10, int32_t& a11) {
#if EMLC_ACLE_DSP
  if (x == xend) return;
  int32_t v0, v1, x0, x1, x2, x3, t;
  __asm__ volatile(
      "1:\n\t"
      EMLC_DSP_DOT2_STEP
      EMLC_DSP_DOT2_STEP
      "ldr %[v0], %[xend]\n\t"
      "cmp %[x], %[v0]\n\t"
      "bne 1b\n\t"
      : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [wp] "+r"(wp), [x] "+r"(x),
        [v0] "=&r"(v0), [v1] "=&r"(v1), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3),
        [t] "=&r"(t)
      : [xend] "m"(xend)
      : "cc", "memory");
#else
  while (x != xend) {
    quad(wp, x, a00, a01, a10, a11);
    quad(wp + 8, x + 8, a00, a01, a10, a11);
    wp += 16;
    x += 16;
  }
#endif
}

// All M output channels against two interleaved columns (groups of four
// values alternate: column 0's k..k+3, column 1's k..k+3, ...): outputs
// y0[m * ystride] and y1[m * ystride]. Two channels x two columns per inner
// loop, three pointers: the weights' unpacking is shared by both columns,
// each column load by both channels.
template <class RQ>
inline void dot2(const int16_t* cols, int32_t k8, const int8_t* w, int32_t M, const int32_t* bias,
                 const int32_t* rq, const QuantConvParams& q, int8_t* y0, int8_t* y1,
                 int32_t ystride) {
  int32_t m = 0;
  const OutputClamp oc = output_clamp(q);
  const int16_t* const xend = cols + 2 * k8;
  for (; m + 2 <= M; m += 2) {
    const int8_t* wp = w + m * k8;
    const int16_t* x = cols;
    const int32_t b0 = bias ? bias[m] : 0, b1 = bias ? bias[m + 1] : 0;
    int32_t a00 = b0, a01 = b0, a10 = b1, a11 = b1;  // a<channel><column>
    dot2_loop(wp, x, xend, a00, a01, a10, a11);
    const typename RQ::Entry r0 = RQ::entry(rq + kRequantStride * m);
    const typename RQ::Entry r1 = RQ::entry(rq + kRequantStride * (m + 1));
    y0[m * ystride] = RQ::out(a00, r0, oc);
    y1[m * ystride] = RQ::out(a01, r0, oc);
    y0[(m + 1) * ystride] = RQ::out(a10, r1, oc);
    y1[(m + 1) * ystride] = RQ::out(a11, r1, oc);
  }
  if (m < M) {
    dot1<RQ, 8>(cols, k8, w, m, M, bias, rq, q, y0, ystride);
    dot1<RQ, 8>(cols + 4, k8, w, m, M, bias, rq, q, y1, ystride);
  }
}

// Writes values to one column of two interleaved ones (groups of four
// values, eight int16 apart).
struct ColumnWriter {
  int16_t* o;
  int32_t left = 4;
  void put(int32_t v) {
    *o++ = static_cast<int16_t>(v);
    if (--left == 0) {
      o += 4;
      left = 4;
    }
  }
};

// One output pixel's column of a 2-D convolution (group 1): for k = (c, kh,
// kw) in W's order, x + input_offset, or 0 where the tap is padding; zero
// up to k8. Groups of four values go eight int16 apart: one column of two
// interleaved ones (see dot1/dot2).
inline void gather_column(const ConvParams& p, int32_t input_offset, const int8_t* x, int32_t oh, int32_t ow,
                          int32_t k8, int16_t* col) {
  const int32_t IH = p.in_dims[1], IW = p.in_dims[2];
  const int32_t KH = p.kernel[1], KW = p.kernel[2];
  const int32_t plane = IH * IW;
  const int32_t ih0 = oh * p.strides[1] - p.pads[1], iw0 = ow * p.strides[2] - p.pads[2];
  ColumnWriter o{col};
  const int32_t DH = p.dilations[1], DW = p.dilations[2];
  const bool inside = ih0 >= 0 && ih0 + (KH - 1) * DH < IH && iw0 >= 0 && iw0 + (KW - 1) * DW < IW;
  if (inside && KH == 1 && KW == 1) {
    const int8_t* xp = x + ih0 * IW + iw0;
    int32_t c = 0;
    for (; c + 4 <= p.in_channels; c += 4) {  // a whole group per step
      o.o[0] = static_cast<int16_t>(xp[0] + input_offset);
      o.o[1] = static_cast<int16_t>(xp[plane] + input_offset);
      o.o[2] = static_cast<int16_t>(xp[2 * plane] + input_offset);
      o.o[3] = static_cast<int16_t>(xp[3 * plane] + input_offset);
      o.o += 8;
      xp += 4 * plane;
    }
    for (; c < p.in_channels; ++c, xp += plane) o.put(xp[0] + input_offset);
  } else if (inside && KH == 3 && KW == 3 && DH == 1 && DW == 1) {
    const int8_t* xp = x + ih0 * IW + iw0;
    for (int32_t c = 0; c < p.in_channels; ++c, xp += plane) {
      for (int32_t kh = 0; kh < 3; ++kh) {
        const int8_t* xr = xp + kh * IW;
        o.put(xr[0] + input_offset);
        o.put(xr[1] + input_offset);
        o.put(xr[2] + input_offset);
      }
    }
  } else if (inside) {
    for (int32_t c = 0; c < p.in_channels; ++c) {
      const int8_t* xc = x + c * plane + ih0 * IW + iw0;
      for (int32_t kh = 0; kh < KH; ++kh)
        for (int32_t kw = 0; kw < KW; ++kw) o.put(xc[kh * DH * IW + kw * DW] + input_offset);
    }
  } else {
    for (int32_t c = 0; c < p.in_channels; ++c) {
      const int8_t* xc = x + c * plane;
      for (int32_t kh = 0; kh < KH; ++kh) {
        const int32_t ih = ih0 + kh * DH;
        if (ih < 0 || ih >= IH) {
          for (int32_t kw = 0; kw < KW; ++kw) o.put(0);
          continue;
        }
        const int8_t* xr = xc + ih * IW;
        for (int32_t kw = 0; kw < KW; ++kw) {
          const int32_t iw = iw0 + kw * DW;
          o.put((iw >= 0 && iw < IW) ? xr[iw] + input_offset : 0);
        }
      }
    }
  }
  for (int32_t k = p.in_channels * KH * KW; k < k8; ++k) o.put(0);
}

// Where value j of a column goes in two interleaved columns (groups of
// four values alternate between the columns; column 1 is 4 further).
constexpr int32_t interleaved(int32_t j) { return j / 4 * 8 + j % 4; }

// Whether output pixels (oh, ow) and (oh, ow + 1) of a 3x3, stride 1,
// dilation 1 convolution read only inside the input (no padding taps).
inline bool pair3x3_inside(const ConvParams& p, int32_t oh, int32_t ow) {
  const int32_t ih0 = oh - p.pads[1], iw0 = ow - p.pads[2];
  return ow + 1 < p.out_dims[2] && ih0 >= 0 && ih0 + 2 < p.in_dims[1] && iw0 >= 0 && iw0 + 3 < p.in_dims[2];
}
// ... and has the channels for it (fewer than four: the general path is faster).
inline bool pair3x3_kernel(const ConvParams& p) {
  return p.in_channels >= 4 && p.kernel[1] == 3 && p.kernel[2] == 3 && p.strides[1] == 1 && p.strides[2] == 1 && p.dilations[1] == 1 &&
         p.dilations[2] == 1;
}

// The interleaved columns of two horizontally adjacent output pixels of a
// 3x3 stride 1 convolution, both inside the input (pair3x3_inside): per
// channel and kernel row, four input bytes x0..x3 in one load give pixel
// 0's taps (x0, x1, x2) and pixel 1's (x1, x2, x3); two SXTAB16 add the
// input offset to (x0, x2) and (x1, x3). Channels go four at a time (36
// values, nine whole groups: the store offsets are constants); the rest
// take the general path.
inline void gather_pair3x3(const ConvParams& p, int32_t input_offset, const int8_t* x, int32_t oh, int32_t ow,
                           int32_t k8, int16_t* cols) {
  const int32_t IW = p.in_dims[2], plane = p.in_dims[1] * IW, C = p.in_channels;
  const int8_t* xc = x + (oh - p.pads[1]) * IW + (ow - p.pads[2]);
  const int32_t off2 = static_cast<int32_t>((static_cast<uint32_t>(input_offset) & 0xFFFFu) * 0x10001u);
  int16_t* o = cols;
  int32_t c = 0;
  for (; c + 4 <= C; c += 4, xc += 4 * plane, o += 72) {
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 12
#endif
    for (int32_t r = 0; r < 12; ++r) {  // r = channel * 3 + kernel row; values 3r .. 3r + 2
      const int32_t v = load32(xc + (r / 3) * plane + (r % 3) * IW);
      const int32_t e02 = sxtab16(off2, v), e13 = sxtab16_hi(off2, v);
      const int16_t x0 = static_cast<int16_t>(e02), x2 = static_cast<int16_t>(e02 >> 16);
      const int16_t x1 = static_cast<int16_t>(e13), x3 = static_cast<int16_t>(e13 >> 16);
      o[interleaved(3 * r)] = x0;
      o[interleaved(3 * r + 1)] = x1;
      o[interleaved(3 * r + 2)] = x2;
      o[interleaved(3 * r) + 4] = x1;
      o[interleaved(3 * r + 1) + 4] = x2;
      o[interleaved(3 * r + 2) + 4] = x3;
    }
  }
  // The remaining channels and the zero padding up to k8, value by value.
  for (int32_t col = 0; col < 2; ++col) {
    const int32_t j0 = 9 * c;
    ColumnWriter w{cols + interleaved(j0) + 4 * col, 4 - j0 % 4};
    const int8_t* xp = xc + col;
    for (int32_t cc = c; cc < C; ++cc, xp += plane)
      for (int32_t kh = 0; kh < 3; ++kh)
        for (int32_t kw = 0; kw < 3; ++kw) w.put(xp[kh * IW + kw] + input_offset);
    for (int32_t k = 9 * C; k < k8; ++k) w.put(0);
  }
}

}  // namespace dsp

// K8 of a packed weight matrix with K values per output channel.
constexpr int32_t dsp_k8(int32_t k) { return (k + 7) / 8 * 8; }

// The kernels below take the requantisation policy RQ (RequantFull or
// RequantShort, see above; the table's layout is the policy's).

// qconv for group 1, 2-D (in_dims[0] == kernel[0] == 1) convolutions of int8
// tensors; kPair3x3 (only where dsp::pair3x3_kernel(p): code size) gathers
// two-pixel columns with gather_pair3x3 where both pixels are inside: w_packed holds out_channels rows (pack order at the top) of
// K = in_channels * KH * KW; scratch holds 2 * dsp_k8(K) int16.
template <class RQ, bool kPair3x3>
inline void qconv_dsp(const ConvParams& p, const QuantConvParams& q, const int8_t* x, const int8_t* w_packed,
                      const int32_t* bias, const int32_t* requant, int8_t* y,
                      int16_t* scratch) {
  const int32_t k8 = dsp_k8(p.in_channels * p.kernel[1] * p.kernel[2]);
  const int32_t OH = p.out_dims[1], OW = p.out_dims[2];
  const int32_t P = OH * OW;
  // scratch: two interleaved columns
  for (int32_t n = 0; n < p.batch; ++n) {
    const int8_t* xn = x + n * p.in_channels * p.in_dims[1] * p.in_dims[2];
    int8_t* yn = y + n * p.out_channels * P;
    int32_t pix = 0;
    for (; pix + 2 <= P; pix += 2) {
      const int32_t oh = pix / OW, ow = pix % OW;
      if (kPair3x3 && dsp::pair3x3_inside(p, oh, ow)) {
        dsp::gather_pair3x3(p, q.input_offset, xn, oh, ow, k8, scratch);
      } else {
        dsp::gather_column(p, q.input_offset, xn, oh, ow, k8, scratch);
        dsp::gather_column(p, q.input_offset, xn, (pix + 1) / OW, (pix + 1) % OW, k8, scratch + 4);
      }
      dsp::dot2<RQ>(scratch, k8, w_packed, p.out_channels, bias, requant, q, yn + pix, yn + pix + 1, P);
    }
    if (pix < P) {  // the last pixel alone: column 0 of the interleaved pair
      dsp::gather_column(p, q.input_offset, xn, pix / OW, pix % OW, k8, scratch);
      dsp::dot1<RQ, 8>(scratch, k8, w_packed, 0, p.out_channels, bias, requant, q, yn + pix, P);
    }
  }
}

// qgemm of int8 tensors, one product (batch 1): B packed as N rows of K
// (pack order at the top). Rows of A go in pairs (two interleaved columns);
// an odd last row is one column, contiguous with kFour (the compiler's
// choice for a single row, M == 1, and N >= 4: four channels per loop; scratch
// holds dsp_k8(K) int16), else interleaved (scratch: 2 * dsp_k8(K)).
constexpr bool dsp_gemm_four(const QuantGemmParams& p) { return p.M == 1 && p.N >= 4; }
template <class RQ, bool kFour>
inline void qgemm_dsp(const QuantGemmParams& p, const QuantConvParams& q, const int8_t* a, const int8_t* b_packed,
                      const int32_t* bias, const int32_t* requant, int8_t* y,
                      int16_t* scratch) {
  const int32_t k8 = dsp_k8(p.K);
  for (int32_t i = 0; i < p.M; i += 2) {
    const int32_t nr = p.M - i >= 2 ? 2 : 1;
    if (kFour && nr == 1) {
      const int8_t* ar = a + i * p.K;
      for (int32_t k = 0; k < p.K; ++k) scratch[k] = static_cast<int16_t>(ar[k] + q.input_offset);
      for (int32_t k = p.K; k < k8; ++k) scratch[k] = 0;
      dsp::dot1<RQ, 4, true>(scratch, k8, b_packed, 0, p.N, bias, requant, q, y + i * p.N, 1);
      continue;
    }
    for (int32_t r = 0; r < nr; ++r) {
      const int8_t* ar = a + (i + r) * p.K;
      dsp::ColumnWriter o{scratch + 4 * r};
      for (int32_t k = 0; k < p.K; ++k) o.put(ar[k] + q.input_offset);
      for (int32_t k = p.K; k < k8; ++k) o.put(0);
    }
    if (nr == 2)
      dsp::dot2<RQ>(scratch, k8, b_packed, p.N, bias, requant, q, y + i * p.N, y + (i + 1) * p.N, 1);
    else
      dsp::dot1<RQ, 8>(scratch, k8, b_packed, 0, p.N, bias, requant, q, y + i * p.N, 1);
  }
}

}  // namespace rt
}  // namespace emlc

#endif
