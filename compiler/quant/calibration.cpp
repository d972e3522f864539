#include "quant/calibration.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "support/npy.h"

namespace emlc {

namespace fs = std::filesystem;

// ---- samples ---------------------------------------------------------------------

Expected<SampleReader> SampleReader::open(const std::string& path, const TensorType& input) {
  SampleReader r;
  r.input_ = input;
  std::vector<std::string> paths;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec))
      if (e.is_regular_file() && e.path().extension() == ".npy") paths.push_back(e.path().string());
    std::sort(paths.begin(), paths.end());
    if (paths.empty()) return invalid(fmt::format("'{}' holds no .npy files", path));
  } else {
    paths.push_back(path);
  }
  const int64_t per = input.numel();
  // The sample shape without a leading batch axis of 1.
  Shape sample = input.shape;
  if (!sample.empty() && sample[0] == 1) sample.erase(sample.begin());
  for (const std::string& p : paths) {
    EMLC_ASSIGN(NpyHeader h, readNpyHeader(p));
    File f;
    f.path = p;
    f.offset = h.data_offset;
    f.dtype = h.type.dtype;
    if (f.dtype != DType::F32 && f.dtype != DType::F64 && f.dtype != input.dtype)
      return unsupported(fmt::format("'{}' holds {} values; calibration and test data must be float32, float64 or "
                                     "the input's type {}",
                                     p, dtypeName(f.dtype), dtypeName(input.dtype)));
    const Shape& s = h.type.shape;
    const int64_t n = shapeNumel(s);
    if (s == input.shape || s == sample) {
      f.samples = 1;
    } else if (!s.empty() && per > 0 && shapeNumel(Shape(s.begin() + 1, s.end())) == per &&
               (Shape(s.begin() + 1, s.end()) == sample || Shape(s.begin() + 1, s.end()) == input.shape)) {
      f.samples = static_cast<size_t>(s[0]);
    } else {
      return invalid(fmt::format("'{}' has shape {}; expected N samples of the input's shape {} (N x {})", p,
                                 shapeStr(s), shapeStr(input.shape), shapeStr(sample)));
    }
    (void)n;
    r.total_ += f.samples;
    r.files_.push_back(f);
  }
  return r;
}

void SampleReader::rewind() {
  file_ = 0;
  index_ = 0;
  in_.reset();
}

Expected<HostTensor> SampleReader::next() {
  while (file_ < files_.size() && index_ >= files_[file_].samples) {
    ++file_;
    index_ = 0;
    in_.reset();
  }
  if (file_ >= files_.size()) return internal("read past the last sample");
  const File& f = files_[file_];
  if (!in_) {
    in_ = std::make_shared<std::ifstream>(f.path, std::ios::binary);
    if (!*in_) return ioError(fmt::format("cannot open '{}'", f.path));
    in_->seekg(static_cast<std::streamoff>(f.offset));
  }
  const size_t n = static_cast<size_t>(input_.numel());
  const size_t esize = dtypeSize(f.dtype);
  std::vector<uint8_t> raw(n * esize);
  if (!in_->read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size())))
    return ioError(fmt::format("'{}': cannot read sample {}", f.path, index_));
  ++index_;
  HostTensor h;
  h.type = input_;
  h.type.quant = QuantParams{};
  if (f.dtype == input_.dtype) {
    h.data = std::move(raw);
    return h;
  }
  // float64 data, or float data for an int8 input (quantized later).
  h.type.dtype = DType::F32;
  h.data.resize(n * 4);
  float* dst = h.as<float>();
  for (size_t i = 0; i < n; ++i) {
    if (f.dtype == DType::F64) {
      double v;
      std::memcpy(&v, raw.data() + 8 * i, 8);
      dst[i] = static_cast<float>(v);
    } else {
      std::memcpy(&dst[i], raw.data() + 4 * i, 4);
    }
  }
  return h;
}

Expected<std::vector<int64_t>> readLabels(const std::string& path) {
  EMLC_ASSIGN(HostTensor t, readNpy(path));
  const size_t n = static_cast<size_t>(t.type.numel());
  std::vector<int64_t> v(n);
  for (size_t i = 0; i < n; ++i) {
    switch (t.type.dtype) {
      case DType::I64: v[i] = t.as<int64_t>()[i]; break;
      case DType::I32: v[i] = t.as<int32_t>()[i]; break;
      case DType::I16: v[i] = t.as<int16_t>()[i]; break;
      case DType::I8: v[i] = t.as<int8_t>()[i]; break;
      case DType::U8: v[i] = t.as<uint8_t>()[i]; break;
      case DType::Bool: v[i] = t.as<uint8_t>()[i] != 0; break;
      default:
        return unsupported(fmt::format("'{}' holds {} values; labels must be integers", path, dtypeName(t.type.dtype)));
    }
  }
  return v;
}

// ---- methods -----------------------------------------------------------------------

std::string CalibrationMethod::str() const {
  switch (kind) {
    case Kind::MinMax: return "minmax";
    case Kind::Percentile: return fmt::format("percentile:{}", percentile);
    case Kind::Mse: return "mse";
  }
  return "?";
}

Expected<CalibrationMethod> parseCalibrationMethod(const std::string& s) {
  CalibrationMethod m;
  if (s == "minmax") return m;
  if (s == "mse") {
    m.kind = CalibrationMethod::Kind::Mse;
    return m;
  }
  if (s.rfind("percentile:", 0) == 0) {
    const std::string v = s.substr(11);
    char* end = nullptr;
    const double p = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !(p > 50.0) || p > 100.0)
      return invalid(fmt::format("--calibration-method {}: the percentile must be in (50, 100], e.g. percentile:99.99", s));
    m.kind = CalibrationMethod::Kind::Percentile;
    m.percentile = p;
    return m;
  }
  return invalid(fmt::format("--calibration-method '{}': expected minmax, percentile:P or mse", s));
}

// ---- ranges ------------------------------------------------------------------------

void RangeObserver::observeRange(const float* v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float x = v[i];
    if (!std::isfinite(x)) continue;
    if (!seen_) {
      min_ = max_ = x;
      seen_ = true;
    }
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
  }
}

void RangeObserver::startHistogram() { hist_.assign(kBins, 0.0); }

void RangeObserver::observeHistogram(const float* v, size_t n) {
  if (hist_.empty() || !seen_) return;
  const double w = binWidth();
  for (size_t i = 0; i < n; ++i) {
    const float x = v[i];
    if (!std::isfinite(x)) continue;
    int b = w > 0 ? static_cast<int>((static_cast<double>(x) - min_) / w) : 0;
    b = std::max(0, std::min(kBins - 1, b));
    hist_[static_cast<size_t>(b)] += 1.0;
  }
}

// Expected squared error of quantizing the histogram with 256 levels on
// [lo, hi]: uniform rounding error inside, clipping error outside.
double RangeObserver::histMse(double lo, double hi) const {
  const double step = (hi - lo) / 255.0;
  const double w = binWidth();
  double err = 0;
  for (int b = 0; b < kBins; ++b) {
    const double c = hist_[static_cast<size_t>(b)];
    if (c == 0) continue;
    const double x = min_ + (b + 0.5) * w;
    if (x < lo) err += c * (lo - x) * (lo - x);
    else if (x > hi) err += c * (x - hi) * (x - hi);
    else err += c * step * step / 12.0;
  }
  return err;
}

std::pair<float, float> RangeObserver::choose(const CalibrationMethod& m) const {
  double lo = seen_ ? min_ : 0.0, hi = seen_ ? max_ : 0.0;
  if (seen_ && m.needsHistogram() && !hist_.empty() && max_ > min_) {
    const double w = binWidth();
    double total = 0;
    for (double c : hist_) total += c;
    if (m.kind == CalibrationMethod::Kind::Percentile) {
      // Value below which `frac` of the samples lie (linear within a bin).
      auto quantile = [&](double frac) {
        const double target = frac * total;
        double acc = 0;
        for (int b = 0; b < kBins; ++b) {
          const double c = hist_[static_cast<size_t>(b)];
          if (acc + c >= target && c > 0) return min_ + (b + (target - acc) / c) * w;
          acc += c;
        }
        return static_cast<double>(max_);
      };
      lo = quantile((100.0 - m.percentile) / 100.0);
      hi = quantile(m.percentile / 100.0);
    } else {
      // Candidate ranges: each end pulled toward 0 in 1/64 steps of its
      // distance; the one with the least squared error.
      double best = std::numeric_limits<double>::infinity();
      const double l0 = std::min(0.0, static_cast<double>(min_)), h0 = std::max(0.0, static_cast<double>(max_));
      for (int i = 0; i < 64; ++i) {
        for (int j = 0; j < 64; ++j) {
          const double l = l0 * (1.0 - i / 64.0), h = h0 * (1.0 - j / 64.0);
          if (h - l <= 0) continue;
          const double e = histMse(l, h);
          if (e < best) {
            best = e;
            lo = l;
            hi = h;
          }
        }
      }
    }
  }
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  return {static_cast<float>(lo), static_cast<float>(hi)};
}

QuantParams asymmetricInt8(float lo, float hi) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  QuantParams p;
  float scale = (hi - lo) / 255.0f;
  if (!(scale > 0.0f) || !std::isfinite(scale)) scale = 1.0f;  // an all-zero tensor
  const float zp = -128.0f - lo / scale;
  const int32_t z = static_cast<int32_t>(std::max(-128.0f, std::min(127.0f, std::round(zp))));
  p.scale = {scale};
  p.zero_point = {z};
  return p;
}

}  // namespace emlc
