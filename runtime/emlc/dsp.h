// emlc runtime: signal processing for sensor pipelines (pipeline.h).
//
// A radix-2 complex FFT, spectra, a sparse mel filterbank and a DCT. Every
// table (twiddle factors, analysis window, mel weights, DCT matrix) is
// computed by the compiler in double precision and passed in as const
// arrays, so the device only multiplies and adds. The compiler runs these
// same functions in `emlc simulate`.
//
// Complex buffers are interleaved: re0, im0, re1, im1, ...
#ifndef EMLC_RUNTIME_DSP_H
#define EMLC_RUNTIME_DSP_H

#include "common.h"

namespace emlc {
namespace rt {

// In-place forward FFT of `n` complex values (n a power of two, >= 2):
// X[k] = sum_t x[t] exp(-2 pi i k t / n). `twiddle` holds n/2 pairs
// (cos(2 pi k / n), -sin(2 pi k / n)), k = 0 .. n/2-1.
// Iterative decimation in time: bit-reversal permutation, then log2(n)
// butterfly stages; no recursion, no scratch.
inline void fft_radix2(float* x, int32_t n, const float* twiddle) {
  // Bit-reversal permutation.
  for (int32_t i = 1, j = 0; i < n; ++i) {
    int32_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const float re = x[2 * i], im = x[2 * i + 1];
      x[2 * i] = x[2 * j];
      x[2 * i + 1] = x[2 * j + 1];
      x[2 * j] = re;
      x[2 * j + 1] = im;
    }
  }
  for (int32_t len = 2; len <= n; len <<= 1) {
    const int32_t half = len >> 1;
    const int32_t step = n / len;  // twiddle stride
    for (int32_t base = 0; base < n; base += len) {
      for (int32_t k = 0; k < half; ++k) {
        const float wr = twiddle[2 * k * step], wi = twiddle[2 * k * step + 1];
        float* a = x + 2 * (base + k);
        float* b = x + 2 * (base + k + half);
        const float tr = b[0] * wr - b[1] * wi;
        const float ti = b[0] * wi + b[1] * wr;
        b[0] = a[0] - tr;
        b[1] = a[1] - ti;
        a[0] = a[0] + tr;
        a[1] = a[1] + ti;
      }
    }
  }
}

// Power spectrum |X[k]|^2 of bins 0 .. count-1, written over the complex
// buffer's front (out[k] = x[2k]^2 + x[2k+1]^2; safe in place because bin k
// is read before slot k can be overwritten).
inline void power_spectrum(const float* x, float* out, int32_t count) {
  for (int32_t k = 0; k < count; ++k) {
    const float re = x[2 * k], im = x[2 * k + 1];
    out[k] = re * re + im * im;
  }
}

// Mel filterbank: out[j] = sum_i weight[offset_j + i] * power[start[j] + i]
// for i < len[j], where offset_j is the sum of len[0 .. j-1] (each filter's
// non-zero weights are stored contiguously).
inline void mel_filterbank(const float* power, float* out, int32_t filters, const int32_t* start, const int32_t* len,
                           const float* weight) {
  int32_t w = 0;
  for (int32_t j = 0; j < filters; ++j) {
    float acc = 0.0f;
    const float* p = power + start[j];
    for (int32_t i = 0; i < len[j]; ++i) acc += weight[w + i] * p[i];
    w += len[j];
    out[j] = acc;
  }
}

// out[i] = sum_j matrix[i * cols + j] * in[j] for i < rows (the DCT of MFCC).
inline void matrix_vector(const float* matrix, const float* in, float* out, int32_t rows, int32_t cols) {
  for (int32_t i = 0; i < rows; ++i) {
    const float* m = matrix + i * cols;
    float acc = 0.0f;
    for (int32_t j = 0; j < cols; ++j) acc += m[j] * in[j];
    out[i] = acc;
  }
}

}  // namespace rt
}  // namespace emlc

#endif
