#include "pipeline/simulate.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "emlc/pipeline.h"
#include "eval/evaluator.h"

namespace emlc {

namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(a, e - a + 1);
}

std::vector<std::string> splitCsv(const std::string& line) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t c = line.find(',', pos);
    out.push_back(trim(line.substr(pos, c == std::string::npos ? std::string::npos : c - pos)));
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  return out;
}

bool parseNumber(const std::string& s, double* v) {
  if (s.empty()) return false;
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return *end == '\0' && std::isfinite(*v);
}

// Range of a sample type's values (float32: finite floats).
void sampleRange(DType t, double* lo, double* hi, bool* integral) {
  *integral = t != DType::F32;
  switch (t) {
    case DType::I8: *lo = -128; *hi = 127; break;
    case DType::U8: *lo = 0; *hi = 255; break;
    case DType::I16: *lo = -32768; *hi = 32767; break;
    case DType::U16: *lo = 0; *hi = 65535; break;
    case DType::I32: *lo = -2147483648.0; *hi = 2147483647.0; break;
    default: *lo = -std::numeric_limits<float>::max(); *hi = std::numeric_limits<float>::max(); break;
  }
}

template <class S, class In, class Out>
Expected<SimResult> run(const PipelineBinding& b, const Graph& g, const SampleStream& s) {
  const PipelineSpec& spec = b.spec;
  const size_t C = spec.channels.size();
  const TensorId inId = g.inputs[0], outId = g.outputs[0];
  // The buffers the arena would hold.
  std::vector<S> ring(static_cast<size_t>(spec.ring) * C);
  HostTensor input{g.t(inId).type, std::vector<uint8_t>(g.t(inId).type.bytes())};
  std::vector<Out> output(static_cast<size_t>(g.t(outId).type.numel()));
  std::vector<float> work(b.bytes[static_cast<int>(PipelineBuffer::Work)] / sizeof(float) + 1);
  std::vector<float> mel(b.bytes[static_cast<int>(PipelineBuffer::Mel)] / sizeof(float) + 1);
  std::vector<float> history(static_cast<size_t>(spec.smoothing * b.classes));
  std::vector<float> scores(static_cast<size_t>(b.classes));
  const rt::SpectralTables tables = {
      b.window_table.empty() ? nullptr : b.window_table.data(), b.twiddle.empty() ? nullptr : b.twiddle.data(),
      b.mel_start.empty() ? nullptr : b.mel_start.data(),       b.mel_len.empty() ? nullptr : b.mel_len.data(),
      b.mel_weight.empty() ? nullptr : b.mel_weight.data(),     b.dct.empty() ? nullptr : b.dct.data()};
  const rt::PipelineBuffers<S, In, Out> buf = {ring.data(), input.as<In>(), output.data(), work.data(),
                                               mel.data(),  history.data(),  scores.data()};
  rt::PipelineState st{};
  rt::pipeline_reset(st);
  Status modelStatus;
  auto invoke = [&]() -> int {
    auto r = runGraph(g, {input});
    if (!r) {
      modelStatus = r.error();
      return -1;
    }
    std::memcpy(output.data(), (*r)[0].data.data(), output.size() * sizeof(Out));
    return 0;
  };

  SimResult res;
  res.samples = s.frames;
  std::vector<S> frame(C);
  for (size_t f = 0; f < s.frames; ++f) {
    for (size_t c = 0; c < C; ++c) frame[c] = static_cast<S>(s.values[f * C + c]);
    rt::pipeline_push(b.params, st.ring, ring.data(), frame.data());
    rt::Decision d{-1, 0.0f, 0u, 0};
    const int32_t r = rt::pipeline_poll(b.params, tables, b.in_quant, b.post, b.out_quant, st, buf, invoke, &d);
    if (r == rt::kPollModelError) return Error(modelStatus.error()).context(fmt::format("window ending at sample {}", f));
    if (r != rt::kPollDecided) continue;
    const uint32_t w = st.windows - 1;
    res.window_label.push_back(d.label);
    res.window_scores.push_back(scores);
    if (d.report) res.reports.push_back(SimDecision{d.sample, w, d.label, d.score});
    if (!s.truth.empty()) {
      // Majority of the window's known frame labels (ties: the smaller index).
      std::vector<int64_t> count(static_cast<size_t>(b.classes), 0);
      for (uint32_t k = d.sample + 1 - static_cast<uint32_t>(spec.window); k <= d.sample; ++k)
        if (s.truth[k] >= 0) ++count[static_cast<size_t>(s.truth[k])];
      int32_t best = -1;
      for (size_t c = 0; c < count.size(); ++c)
        if (count[c] > 0 && (best < 0 || count[c] > count[static_cast<size_t>(best)])) best = static_cast<int32_t>(c);
      res.window_truth.push_back(best);
      if (best >= 0) {
        ++res.judged;
        res.agree += d.label == best ? 1 : 0;
      }
    }
  }
  res.windows = st.windows;
  res.dropped = st.dropped;
  return res;
}

template <class S, class In>
Expected<SimResult> byOutput(const PipelineBinding& b, const Graph& g, const SampleStream& s) {
  switch (b.output_type) {
    case DType::F32: return run<S, In, float>(b, g, s);
    case DType::I8: return run<S, In, int8_t>(b, g, s);
    case DType::U8: return run<S, In, uint8_t>(b, g, s);
    default: return internal("simulate: unexpected output type");
  }
}

template <class S>
Expected<SimResult> byInput(const PipelineBinding& b, const Graph& g, const SampleStream& s) {
  switch (b.input_type) {
    case DType::F32: return byOutput<S, float>(b, g, s);
    case DType::I8: return byOutput<S, int8_t>(b, g, s);
    case DType::U8: return byOutput<S, uint8_t>(b, g, s);
    default: return internal("simulate: unexpected input type");
  }
}

}  // namespace

Expected<SampleStream> parseSampleCsv(const std::string& text, const std::string& source, const PipelineBinding& b,
                                      const std::string& label_column) {
  const PipelineSpec& spec = b.spec;
  const size_t C = spec.channels.size();
  double lo = 0, hi = 0;
  bool integral = false;
  sampleRange(spec.sample_type, &lo, &hi, &integral);
  SampleStream s;
  std::vector<size_t> col(C);
  for (size_t c = 0; c < C; ++c) col[c] = c;
  int labelCol = -1;
  bool first = true;
  std::istringstream in(text);
  std::string line;
  size_t lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    std::vector<std::string> f = splitCsv(t);
    if (first) {
      first = false;
      bool header = false;
      double v;
      for (const std::string& x : f) header = header || !parseNumber(x, &v);
      if (header) {
        for (size_t c = 0; c < C; ++c) {
          size_t k = 0;
          while (k < f.size() && f[k] != spec.channels[c]) ++k;
          if (k == f.size())
            return invalid(fmt::format("{}:{}: the header has no column '{}' (sensor channel {}); columns: {}", source,
                                       lineNo, spec.channels[c], c, t));
          col[c] = k;
        }
        for (size_t k = 0; k < f.size(); ++k)
          if (f[k] == label_column) labelCol = static_cast<int>(k);
        continue;
      }
    }
    if (f.size() < C || (labelCol >= 0 && f.size() <= static_cast<size_t>(labelCol)))
      return invalid(fmt::format("{}:{}: expected at least {} columns, got {}", source, lineNo,
                                 labelCol >= 0 ? std::max<size_t>(C, static_cast<size_t>(labelCol) + 1) : C, f.size()));
    for (size_t c = 0; c < C; ++c) {
      double v;
      const std::string& x = f[col[c]];
      if (!parseNumber(x, &v) || v < lo || v > hi || (integral && v != std::floor(v)))
        return invalid(fmt::format("{}:{}: '{}' (channel '{}') is not a {} sample value", source, lineNo, x,
                                   spec.channels[c], dtypeName(spec.sample_type)));
      s.values.push_back(v);
    }
    if (labelCol >= 0) {
      const std::string& x = f[static_cast<size_t>(labelCol)];
      int32_t label = -1;
      if (!x.empty()) {
        for (size_t k = 0; k < b.labels.size(); ++k)
          if (b.labels[k] == x) label = static_cast<int32_t>(k);
        double v;
        if (label < 0 && parseNumber(x, &v) && v == std::floor(v) && v >= 0 && v < static_cast<double>(b.classes))
          label = static_cast<int32_t>(v);
        if (label < 0)
          return invalid(fmt::format("{}:{}: label '{}' in column '{}' is neither a label name nor a class index", source,
                                     lineNo, x, label_column));
      }
      s.truth.push_back(label);
    }
    ++s.frames;
  }
  if (s.frames == 0) return invalid(fmt::format("{}: no sample rows", source));
  if (s.frames > (size_t{1} << 31)) return invalid(fmt::format("{}: too many rows", source));
  return s;
}

Expected<SampleStream> readSampleCsv(const std::string& path, const PipelineBinding& b, const std::string& label_column) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return invalid(fmt::format("cannot read the sample stream '{}'", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return parseSampleCsv(ss.str(), path, b, label_column);
}

Expected<SimResult> simulatePipeline(const PipelineBinding& b, const Graph& g, const SampleStream& s) {
  if (g.inputs.size() != 1 || g.outputs.empty()) return internal("simulate: the binding does not fit the graph");
  switch (b.spec.sample_type) {
    case DType::I8: return byInput<int8_t>(b, g, s);
    case DType::U8: return byInput<uint8_t>(b, g, s);
    case DType::I16: return byInput<int16_t>(b, g, s);
    case DType::U16: return byInput<uint16_t>(b, g, s);
    case DType::I32: return byInput<int32_t>(b, g, s);
    case DType::F32: return byInput<float>(b, g, s);
    default: return internal("simulate: unexpected sample type");
  }
}

namespace {
// lround(score * 10000) / 10000 with four decimals, in float as the examples compute it.
std::string scoreText(float score) {
  const long v = std::lround(score * 10000.0f);
  const long a = v < 0 ? -v : v;
  return fmt::format("{}{}.{:04d}", v < 0 ? "-" : "", a / 10000, a % 10000);
}
}  // namespace

std::string formatDecision(const PipelineBinding& b, const SimDecision& d) {
  const std::string label = d.label < 0 ? "none" : b.labels[static_cast<size_t>(d.label)];
  return fmt::format("decision sample={} window={} label={} score={}", d.sample, d.window, label, scoreText(d.score));
}

std::string formatScores(uint32_t window, const std::vector<float>& scores) {
  std::string s = fmt::format("scores window={}", window);
  for (float v : scores) s += " " + scoreText(v);
  return s;
}

std::string formatSummary(const SimResult& r) {
  return fmt::format("summary: samples={} windows={} dropped={} decisions={}", r.samples, r.windows, r.dropped,
                     r.reports.size());
}

std::string formatAgreement(const SimResult& r) {
  if (r.judged == 0) return "agreement: no ground truth";
  const int64_t p = r.agree * 10000 / r.judged;
  return fmt::format("agreement: {}.{:02d}% ({} of {} windows)", p / 100, p % 100, r.agree, r.judged);
}

}  // namespace emlc
