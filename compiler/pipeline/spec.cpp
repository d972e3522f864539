#include "pipeline/spec.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace emlc {

namespace {

using Json = nlohmann::json;

constexpr int64_t kMaxWindow = 1 << 20;
constexpr int64_t kMaxRing = 1 << 24;
constexpr int64_t kMaxFft = 8192;
constexpr int64_t kMaxChannels = 16;  // emlc::rt::kMaxPipelineChannels

bool isPow2(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

// Reads typed members of one JSON object and remembers the first error,
// naming the member by its path ("window.hop").
class ObjectReader {
 public:
  ObjectReader(const Json& j, std::string path, std::string source, Status* st)
      : j_(j), path_(std::move(path)), source_(std::move(source)), st_(st) {
    if (!j_.is_object())
      fail(path_.empty() ? std::string("the pipeline description must be a JSON object")
                         : fmt::format("'{}' must be an object", path_));
  }

  bool has(const char* key) const { return j_.is_object() && j_.contains(key); }
  const Json& at(const char* key) const { return j_.at(key); }
  std::string path(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

  void number(const char* key, double* v, bool required = false) {
    if (!present(key, required)) return;
    const Json& x = j_.at(key);
    if (!x.is_number() || !std::isfinite(x.get<double>())) return fail(fmt::format("'{}' must be a finite number", path(key)));
    *v = x.get<double>();
  }
  void integer(const char* key, int64_t* v, int64_t lo, int64_t hi, bool required = false) {
    if (!present(key, required)) return;
    const Json& x = j_.at(key);
    if (!x.is_number_integer() || x.get<int64_t>() < lo || x.get<int64_t>() > hi)
      return fail(fmt::format("'{}' must be an integer from {} to {} (got {})", path(key), lo, hi, x.dump()));
    *v = x.get<int64_t>();
  }
  void boolean(const char* key, bool* v) {
    if (!present(key, false)) return;
    if (!j_.at(key).is_boolean()) return fail(fmt::format("'{}' must be true or false", path(key)));
    *v = j_.at(key).get<bool>();
  }
  void choice(const char* key, std::string* v, std::initializer_list<const char*> allowed) {
    if (!present(key, false)) return;
    const Json& x = j_.at(key);
    std::string list;
    for (const char* a : allowed) list += fmt::format("{}'{}'", list.empty() ? "" : ", ", a);
    if (x.is_string())
      for (const char* a : allowed)
        if (x.get<std::string>() == a) {
          *v = a;
          return;
        }
    fail(fmt::format("'{}' must be one of {} (got {})", path(key), list, x.dump()));
  }
  void strings(const char* key, std::vector<std::string>* v, bool required) {
    if (!present(key, required)) return;
    const Json& x = j_.at(key);
    if (!x.is_array()) return fail(fmt::format("'{}' must be an array of strings", path(key)));
    std::set<std::string> seen;
    v->clear();
    for (const Json& e : x) {
      if (!e.is_string() || e.get<std::string>().empty() || e.get<std::string>().size() > 64)
        return fail(fmt::format("'{}' must hold non-empty strings of at most 64 characters", path(key)));
      if (!seen.insert(e.get<std::string>()).second)
        return fail(fmt::format("'{}' names '{}' twice", path(key), e.get<std::string>()));
      v->push_back(e.get<std::string>());
    }
  }
  void numbers(const char* key, std::vector<double>* v) {
    if (!present(key, false)) return;
    Json x = j_.at(key);
    v->clear();
    if (x.is_number()) x = Json::array({x});
    if (!x.is_array() || x.empty()) return fail(fmt::format("'{}' must be a number or an array of numbers", path(key)));
    for (const Json& e : x) {
      if (!e.is_number() || !std::isfinite(e.get<double>()))
        return fail(fmt::format("'{}' must hold finite numbers", path(key)));
      v->push_back(e.get<double>());
    }
  }
  // Every member must be one of `known`.
  void onlyKeys(std::initializer_list<const char*> known) {
    if (!j_.is_object()) return;
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      bool ok = false;
      for (const char* k : known) ok = ok || it.key() == k;
      if (ok) continue;
      std::string list;
      for (const char* k : known) list += fmt::format("{}{}", list.empty() ? "" : ", ", k);
      return fail(fmt::format("unknown key '{}' in {} (expected {})", path(it.key().c_str()),
                              path_.empty() ? "the top level" : "'" + path_ + "'", list));
    }
  }
  void fail(const std::string& msg) {
    if (st_->isOk()) *st_ = invalid(fmt::format("{}: {}", source_, msg));
  }

 private:
  bool present(const char* key, bool required) {
    if (!st_->isOk() || !j_.is_object()) return false;
    if (j_.contains(key)) return true;
    if (required) fail(fmt::format("'{}' is required", path(key)));
    return false;
  }

  const Json& j_;
  std::string path_, source_;
  Status* st_;
};

void readSensor(const Json& j, PipelineSpec& s, Status* st) {
  ObjectReader r(j, "sensor", s.source, st);
  r.onlyKeys({"channels", "sample_type", "scale", "offset", "rate_hz"});
  r.strings("channels", &s.channels, true);
  if (st->isOk() && (s.channels.empty() || static_cast<int64_t>(s.channels.size()) > kMaxChannels))
    r.fail(fmt::format("'sensor.channels' must name 1 to {} channels", kMaxChannels));
  std::string type = "float32";
  r.choice("sample_type", &type, {"int8", "uint8", "int16", "uint16", "int32", "float32"});
  s.sample_type = sampleTypeFromName(type);
  r.number("scale", &s.scale);
  if (st->isOk() && s.scale == 0.0) r.fail("'sensor.scale' must not be 0");
  r.number("offset", &s.offset);
  r.number("rate_hz", &s.rate_hz, true);
  if (st->isOk() && !(s.rate_hz > 0.0)) r.fail("'sensor.rate_hz' must be positive");
}

void readWindow(const Json& j, PipelineSpec& s, Status* st) {
  ObjectReader r(j, "window", s.source, st);
  r.onlyKeys({"length", "hop", "ring"});
  r.integer("length", &s.window, 1, kMaxWindow, true);
  r.integer("hop", &s.hop, 1, kMaxWindow, true);
  r.integer("ring", &s.ring, 2, kMaxRing);
  if (st->isOk() && s.ring != 0 && s.ring <= s.window)
    r.fail(fmt::format("'window.ring' ({}) must exceed 'window.length' ({}): the producer needs room while a window "
                       "is read",
                       s.ring, s.window));
}

void readStage(const Json& j, size_t index, PipelineSpec& s, Status* st) {
  const std::string path = fmt::format("preprocess[{}]", index);
  ObjectReader r(j, path, s.source, st);
  std::string type;
  if (!r.has("type")) return r.fail(fmt::format("'{}.type' is required ('normalize', 'fft' or 'mfcc')", path));
  r.choice("type", &type, {"normalize", "fft", "mfcc"});
  if (!st->isOk()) return;
  if (type == "normalize") {
    r.onlyKeys({"type", "mean", "std"});
    if (s.normalize) return r.fail("only one 'normalize' stage is allowed");
    if (s.spectral != SpectralKind::None)
      return r.fail(fmt::format("'{}': 'normalize' must come before the spectral stage (it scales the samples)", path));
    s.normalize = true;
    s.mean = {0.0};
    s.std = {1.0};
    r.numbers("mean", &s.mean);
    r.numbers("std", &s.std);
    if (!st->isOk()) return;
    for (double v : s.std)
      if (!(v > 0.0)) return r.fail(fmt::format("'{}.std' values must be positive", path));
    const size_t c = s.channels.size();
    if ((s.mean.size() != 1 && s.mean.size() != c) || (s.std.size() != 1 && s.std.size() != c))
      return r.fail(fmt::format("'{}': 'mean' and 'std' need 1 or {} values (one per channel)", path, c));
    return;
  }
  if (s.spectral != SpectralKind::None) return r.fail(fmt::format("'{}': only one spectral stage is allowed", path));
  r.choice("window", &s.window_fn, {"hann", "none"});
  r.number("log_floor", &s.log_floor);
  if (st->isOk() && !(s.log_floor > 0.0)) return r.fail(fmt::format("'{}.log_floor' must be positive", path));
  r.integer("fft_size", &s.fft_size, 2, kMaxFft);
  if (st->isOk() && s.fft_size != 0 && !isPow2(s.fft_size))
    return r.fail(fmt::format("'{}.fft_size' must be a power of two (got {})", path, s.fft_size));
  if (type == "fft") {
    r.onlyKeys({"type", "window", "fft_size", "bins", "power", "log", "log_floor"});
    s.spectral = SpectralKind::Fft;
    s.frame_length = s.window;
    r.integer("bins", &s.bins, 1, kMaxFft / 2 + 1);
    r.boolean("power", &s.power);
    r.boolean("log", &s.log);
  } else {
    r.onlyKeys({"type", "window", "fft_size", "frame_length", "frame_stride", "mel_bins", "coefficients", "low_hz",
                "high_hz", "log_floor"});
    s.spectral = SpectralKind::Mfcc;
    r.integer("frame_length", &s.frame_length, 2, kMaxFft, true);
    r.integer("frame_stride", &s.frame_stride, 1, kMaxWindow, true);
    r.integer("mel_bins", &s.mel_bins, 1, 256);
    r.integer("coefficients", &s.coefficients, 1, 256);
    r.number("low_hz", &s.low_hz);
    r.number("high_hz", &s.high_hz);
    if (!st->isOk()) return;
    if (s.frame_length > s.window)
      return r.fail(fmt::format("'{}.frame_length' ({}) exceeds the window length ({})", path, s.frame_length, s.window));
    if (s.coefficients > s.mel_bins)
      return r.fail(fmt::format("'{}.coefficients' ({}) exceeds 'mel_bins' ({})", path, s.coefficients, s.mel_bins));
    const double nyquist = s.rate_hz / 2.0;
    const double high = s.high_hz == 0.0 ? nyquist : s.high_hz;
    if (s.low_hz < 0.0 || !(high > s.low_hz) || high > nyquist)
      return r.fail(fmt::format("'{}': need 0 <= low_hz < high_hz <= rate_hz/2 = {} (got {} and {})", path, nyquist,
                                s.low_hz, high));
  }
  if (!st->isOk()) return;
  if (s.fft_size == 0) {
    s.fft_size = 2;
    while (s.fft_size < s.frame_length) s.fft_size *= 2;
  }
  if (s.fft_size < s.frame_length || s.fft_size > kMaxFft)
    return r.fail(fmt::format("'{}': the FFT size {} must be a power of two from the frame length {} up to {}", path,
                              s.fft_size, s.frame_length, kMaxFft));
  if (s.spectral == SpectralKind::Fft && s.bins > s.fft_size / 2 + 1)
    return r.fail(fmt::format("'{}.bins' ({}) exceeds fft_size/2 + 1 = {}", path, s.bins, s.fft_size / 2 + 1));
}

void readPost(const Json& j, PipelineSpec& s, Status* st) {
  ObjectReader r(j, "postprocess", s.source, st);
  r.onlyKeys({"softmax", "smoothing", "threshold", "debounce", "labels", "report"});
  r.boolean("softmax", &s.softmax);
  r.integer("smoothing", &s.smoothing, 1, 256);
  r.number("threshold", &s.threshold);
  r.integer("debounce", &s.debounce, 1, 1 << 16);
  r.strings("labels", &s.labels, false);
  std::string report = "change";
  r.choice("report", &report, {"change", "every_window"});
  s.report_every = report == "every_window";
}

}  // namespace

DType sampleTypeFromName(const std::string& name) {
  if (name == "int8") return DType::I8;
  if (name == "uint8") return DType::U8;
  if (name == "int16") return DType::I16;
  if (name == "uint16") return DType::U16;
  if (name == "int32") return DType::I32;
  if (name == "float32") return DType::F32;
  return DType::Undefined;
}

Expected<PipelineSpec> parsePipelineSpec(const std::string& text, const std::string& source) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::exception& e) {
    // e.what() names the line and column.
    return invalid(fmt::format("{}: not valid JSON: {}", source, e.what()));
  }
  PipelineSpec s;
  s.source = source;
  Status st;
  ObjectReader top(j, "", source, &st);
  top.onlyKeys({"sensor", "window", "preprocess", "layout", "postprocess"});
  if (!st) return st.error();
  if (!top.has("sensor")) return invalid(source + ": 'sensor' is required");
  if (!top.has("window")) return invalid(source + ": 'window' is required");
  readSensor(top.at("sensor"), s, &st);
  if (st) readWindow(top.at("window"), s, &st);
  if (st && top.has("preprocess")) {
    const Json& stages = top.at("preprocess");
    if (!stages.is_array()) return invalid(source + ": 'preprocess' must be an array of stages");
    for (size_t i = 0; i < stages.size() && st; ++i) readStage(stages[i], i, s, &st);
  }
  if (st) top.choice("layout", &s.layout, {"auto", "channels_first", "channels_last"});
  if (st && top.has("postprocess")) readPost(top.at("postprocess"), s, &st);
  if (!st) return st.error();
  if (s.spectral == SpectralKind::Mfcc && s.frame_stride > 0) {
    if ((s.window - s.frame_length) / s.frame_stride + 1 > kMaxWindow)
      return invalid(source + ": too many MFCC frames per window");
  }
  if (s.ring == 0) s.ring = s.window + s.hop;
  return s;
}

Expected<PipelineSpec> readPipelineSpec(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return invalid(fmt::format("cannot read the pipeline file '{}'", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return parsePipelineSpec(ss.str(), path);
}

}  // namespace emlc
