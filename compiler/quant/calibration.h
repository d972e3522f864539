// Calibration data and activation statistics for static quantization.
//
// SampleReader streams the samples of one model input from .npy files: a file
// holds N samples stacked on the first axis (N x the input's shape without
// its batch axis of 1, or N x the whole shape), or exactly one sample; a
// folder means every .npy file in it, in name order. Only one sample is in
// memory at a time, so large sets need little RAM.
//
// RangeObserver collects one tensor's value statistics over the samples
// (min/max in a first pass, a histogram in a second one when the method needs
// it) and chooses the range [lo, hi] to quantize:
//   minmax         the observed minimum and maximum;
//   percentile:P   the P-th and (100-P)-th percentiles (e.g. percentile:99.99);
//   mse            the range whose int8 rounding plus clipping error over the
//                  histogram is smallest.
// (TensorRT-style entropy calibration was tried and dropped: on the spiky
// post-Relu histograms of MobileNet it clipped so much that VWW fell from 81%
// to 60% top-1.)
// The range always contains 0, as asymmetric int8 needs.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/host_tensor.h"
#include "support/status.h"

namespace emlc {

class SampleReader {
 public:
  // `shape`/`dtype`: the model input's; files may be float32 or float64
  // (converted to the input's float32), or the input's own type.
  static Expected<SampleReader> open(const std::string& path, const TensorType& input);

  size_t size() const { return total_; }
  // The next sample (in file order); Io/Invalid errors carry the file name.
  Expected<HostTensor> next();
  void rewind();

 private:
  struct File {
    std::string path;
    size_t offset = 0;  // of the data
    size_t samples = 0;
    DType dtype = DType::F32;
  };
  TensorType input_;
  std::vector<File> files_;
  size_t total_ = 0;
  size_t file_ = 0, index_ = 0;
  std::shared_ptr<std::ifstream> in_;
};

// Reads a whole .npy of integer labels (any integer type) as int64 values.
Expected<std::vector<int64_t>> readLabels(const std::string& path);

// Calibration method, parsed from the --calibration-method spelling.
struct CalibrationMethod {
  enum class Kind { MinMax, Percentile, Mse } kind = Kind::MinMax;
  double percentile = 99.99;
  bool needsHistogram() const { return kind != Kind::MinMax; }
  std::string str() const;
};
Expected<CalibrationMethod> parseCalibrationMethod(const std::string& s);

class RangeObserver {
 public:
  static constexpr int kBins = 2048;
  // Pass 1.
  void observeRange(const float* v, size_t n);
  // Pass 2 (histogram over the pass 1 range).
  void startHistogram();
  void observeHistogram(const float* v, size_t n);
  bool seen() const { return seen_; }
  float min() const { return min_; }
  float max() const { return max_; }
  // The range to quantize with the method (containing 0).
  std::pair<float, float> choose(const CalibrationMethod& m) const;

 private:
  bool seen_ = false;
  float min_ = 0, max_ = 0;
  std::vector<double> hist_;
  double binWidth() const { return (static_cast<double>(max_) - min_) / kBins; }
  double histMse(double lo, double hi) const;
};

// Asymmetric int8 parameters for a range containing 0 (TFLite's nudging:
// scale = (hi - lo) / 255, zero point = round(-128 - lo / scale) clamped).
QuantParams asymmetricInt8(float lo, float hi);

}  // namespace emlc
