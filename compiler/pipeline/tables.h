// Compile-time tables of the spectral pipeline stages, computed in double
// precision and rounded once to float (the device only reads them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/status.h"

namespace emlc {

// Periodic Hann window: w[i] = 0.5 - 0.5 cos(2 pi i / n), i < n.
std::vector<float> hannWindow(int64_t n);

// FFT twiddle factors for emlc::rt::fft_radix2: n/2 pairs
// (cos(2 pi k / n), -sin(2 pi k / n)).
std::vector<float> fftTwiddles(int64_t n);

// HTK mel scale: mel(f) = 2595 log10(1 + f / 700).
double hzToMel(double hz);
double melToHz(double mel);

// Triangular mel filters over the power bins 0 .. fft_size/2 (bin k is at
// k * rate / fft_size Hz). Filter j rises from edge j to edge j+1 and falls
// to edge j+2, where the filters+2 edges are equally spaced in mel from
// low_hz to high_hz; peak weight 1 (not area-normalised). Only each filter's
// non-zero weights are kept: start bin, count and the weights, filter after
// filter. A filter that covers no bin is an error (too many filters for the
// FFT's resolution).
struct MelFilterbank {
  std::vector<int32_t> start, len;
  std::vector<float> weight;
};
Expected<MelFilterbank> melFilterbank(int64_t filters, int64_t fft_size, double rate_hz, double low_hz, double high_hz);

// Orthonormal DCT-II, `rows` x `cols` row-major:
// D[i][j] = s_i cos(pi i (2j + 1) / (2 cols)), s_0 = sqrt(1/cols), s_i = sqrt(2/cols).
std::vector<float> dctMatrix(int64_t rows, int64_t cols);

}  // namespace emlc
