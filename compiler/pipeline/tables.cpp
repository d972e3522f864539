#include "pipeline/tables.h"

#include <fmt/format.h>

#include <cmath>

namespace emlc {

namespace {
constexpr double kPi = 3.14159265358979323846;
}

std::vector<float> hannWindow(int64_t n) {
  std::vector<float> w(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    w[static_cast<size_t>(i)] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * kPi * static_cast<double>(i) / static_cast<double>(n)));
  return w;
}

std::vector<float> fftTwiddles(int64_t n) {
  std::vector<float> t(static_cast<size_t>(n));
  for (int64_t k = 0; k < n / 2; ++k) {
    const double a = 2.0 * kPi * static_cast<double>(k) / static_cast<double>(n);
    t[static_cast<size_t>(2 * k)] = static_cast<float>(std::cos(a));
    t[static_cast<size_t>(2 * k + 1)] = static_cast<float>(-std::sin(a));
  }
  return t;
}

double hzToMel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double melToHz(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

Expected<MelFilterbank> melFilterbank(int64_t filters, int64_t fft_size, double rate_hz, double low_hz, double high_hz) {
  MelFilterbank fb;
  const double lo = hzToMel(low_hz), hi = hzToMel(high_hz);
  std::vector<double> edge(static_cast<size_t>(filters + 2));
  for (int64_t i = 0; i < filters + 2; ++i)
    edge[static_cast<size_t>(i)] = melToHz(lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(filters + 1));
  const int64_t bins = fft_size / 2 + 1;
  for (int64_t j = 0; j < filters; ++j) {
    const double a = edge[static_cast<size_t>(j)], c = edge[static_cast<size_t>(j + 1)], b = edge[static_cast<size_t>(j + 2)];
    int32_t first = -1;
    std::vector<float> w;
    for (int64_t k = 0; k < bins; ++k) {
      const double f = static_cast<double>(k) * rate_hz / static_cast<double>(fft_size);
      double v = 0.0;
      if (f > a && f <= c) v = (f - a) / (c - a);
      else if (f > c && f < b) v = (b - f) / (b - c);
      if (v <= 0.0) {
        if (first >= 0) break;  // past the triangle
        continue;
      }
      if (first < 0) first = static_cast<int32_t>(k);
      w.push_back(static_cast<float>(v));
    }
    if (first < 0)
      return invalid(fmt::format("mel filter {} ({:.1f}-{:.1f} Hz) covers no FFT bin (bins are {:.1f} Hz apart): use "
                                 "fewer mel_bins, a larger fft_size or a wider low_hz..high_hz",
                                 j, a, b, rate_hz / static_cast<double>(fft_size)));
    fb.start.push_back(first);
    fb.len.push_back(static_cast<int32_t>(w.size()));
    fb.weight.insert(fb.weight.end(), w.begin(), w.end());
  }
  return fb;
}

std::vector<float> dctMatrix(int64_t rows, int64_t cols) {
  std::vector<float> d(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows; ++i) {
    const double s = i == 0 ? std::sqrt(1.0 / static_cast<double>(cols)) : std::sqrt(2.0 / static_cast<double>(cols));
    for (int64_t j = 0; j < cols; ++j)
      d[static_cast<size_t>(i * cols + j)] = static_cast<float>(
          s * std::cos(kPi * static_cast<double>(i) * (2.0 * static_cast<double>(j) + 1.0) / (2.0 * static_cast<double>(cols))));
  }
  return d;
}

}  // namespace emlc
