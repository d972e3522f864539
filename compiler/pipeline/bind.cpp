#include "pipeline/bind.h"

#include <fmt/format.h>

#include <algorithm>

#include "pipeline/tables.h"

namespace emlc {

namespace {

// A feature axis: its size and what it counts.
struct Axis {
  int64_t size;
  std::string what;
};

Shape squeezed(const Shape& s) {
  Shape r;
  for (int64_t d : s)
    if (d != 1) r.push_back(d);
  return r;
}

// Checks the model's tensor `t` (input or output) for the pipeline and
// returns its quantization range.
Status checkIoType(const Graph& g, TensorId id, const char* role, rt::IoQuant* q) {
  const Tensor& t = g.t(id);
  const DType d = t.type.dtype;
  if (d == DType::F32) return Status::ok();
  if (d != DType::I8 && d != DType::U8)
    return invalid(fmt::format("the pipeline needs the model {} '{}' to be float32, int8 or uint8 (it is {})", role,
                               t.name, t.type.str()));
  if (!t.type.quant.quantized() || t.type.quant.perChannel())
    return invalid(fmt::format("the pipeline needs the model {} '{}' ({}) to be quantized per tensor (scale and zero "
                               "point)",
                               role, t.name, t.type.str()));
  q->scale = t.type.quant.scale[0];
  q->zero_point = t.type.quant.zero_point.empty() ? 0 : t.type.quant.zero_point[0];
  q->qmin = d == DType::I8 ? -128 : 0;
  q->qmax = d == DType::I8 ? 127 : 255;
  if (!(q->scale > 0.0f)) return invalid(fmt::format("model {} '{}': quantization scale must be positive", role, t.name));
  return Status::ok();
}

}  // namespace

const char* pipelineBufferName(PipelineBuffer b) {
  switch (b) {
    case PipelineBuffer::Ring: return "pipeline: sample ring";
    case PipelineBuffer::Work: return "pipeline: FFT work";
    case PipelineBuffer::Mel: return "pipeline: mel energies";
    case PipelineBuffer::History: return "pipeline: score history";
    case PipelineBuffer::Scores: return "pipeline: scores";
    default: return "pipeline";
  }
}

std::vector<ExtraBuffer> PipelineBinding::extraBuffers() const {
  std::vector<ExtraBuffer> v;
  for (int b = 0; b < static_cast<int>(PipelineBuffer::Count); ++b) {
    if (bytes[b] == 0) continue;
    const auto pb = static_cast<PipelineBuffer>(b);
    const bool scratch = pb == PipelineBuffer::Work || pb == PipelineBuffer::Mel;
    v.push_back(ExtraBuffer{pipelineBufferName(pb), bytes[b], scratch ? ExtraPhase::Before : ExtraPhase::Always});
  }
  return v;
}

int PipelineBinding::extraIndex(PipelineBuffer b) const {
  if (bytes[static_cast<int>(b)] == 0) return -1;
  int k = 0;
  for (int i = 0; i < static_cast<int>(b); ++i) k += bytes[i] ? 1 : 0;
  return k;
}

Expected<PipelineBinding> bindPipeline(const PipelineSpec& spec, const Graph& g) {
  PipelineBinding b;
  b.spec = spec;
  const std::string& src = spec.source;
  if (g.inputs.size() != 1)
    return invalid(fmt::format("{}: the pipeline feeds one model input; this model has {}", src, g.inputs.size()));
  if (g.outputs.empty()) return invalid(fmt::format("{}: the model has no output", src));
  const TensorId in = g.inputs[0], out = g.outputs[0];
  if (g.t(out).isConstant() || g.t(out).is_input)
    return invalid(fmt::format("{}: the model's output '{}' is a constant or its input; nothing to decide on", src,
                               g.t(out).name));
  EMLC_TRY(checkIoType(g, in, "input", &b.in_quant));
  EMLC_TRY(checkIoType(g, out, "output", &b.out_quant));
  b.input_type = g.t(in).type.dtype;
  b.output_type = g.t(out).type.dtype;
  b.input_quant = g.t(in).type.quant;
  b.output_quant = g.t(out).type.quant;
  b.input_name = g.t(in).name;
  b.output_name = g.t(out).name;
  b.classes = g.t(out).type.numel();
  if (b.classes < 1 || b.classes > (1 << 16))
    return invalid(fmt::format("{}: the model output '{}' has {} values; expected one score per class", src,
                               b.output_name, b.classes));
  if (!spec.labels.empty() && static_cast<int64_t>(spec.labels.size()) != b.classes)
    return invalid(fmt::format("{}: 'postprocess.labels' names {} classes but the model output '{}' {} has {}", src,
                               spec.labels.size(), b.output_name, g.t(out).type.str(), b.classes));
  b.labels = spec.labels;
  for (int64_t i = static_cast<int64_t>(b.labels.size()); i < b.classes; ++i) b.labels.push_back(std::to_string(i));

  // Feature axes: channel, position, coefficient.
  const int64_t C = static_cast<int64_t>(spec.channels.size());
  std::vector<Axis> axes = {{C, "channels"}, {spec.window, "samples"}, {1, ""}};
  rt::PipelineParams& p = b.params;
  p.kind = rt::kFeatureTime;
  p.frames = 1;
  if (spec.spectral == SpectralKind::Fft) {
    p.kind = rt::kFeatureFft;
    p.bins = static_cast<int32_t>(spec.bins ? spec.bins : spec.fft_size / 2 + 1);
    axes[1] = {p.bins, "bins"};
  } else if (spec.spectral == SpectralKind::Mfcc) {
    p.kind = rt::kFeatureMfcc;
    p.frames = static_cast<int32_t>((spec.window - spec.frame_length) / spec.frame_stride + 1);
    p.bins = static_cast<int32_t>(spec.fft_size / 2 + 1);
    axes[1] = {p.frames, "frames"};
    axes[2] = {spec.coefficients, "coefficients"};
  }
  b.feature_desc = "[" + fmt::format("{} {}", axes[0].size, axes[0].what);
  for (size_t a = 1; a < axes.size(); ++a)
    if (!axes[a].what.empty()) b.feature_desc += fmt::format(" x {} {}", axes[a].size, axes[a].what);
  b.feature_desc += "]";

  // Layout: the first order whose non-1 sizes equal the input's non-1 dims.
  const Shape want = squeezed(g.t(in).type.shape);
  struct Candidate { const char* name; int order[3]; };
  const Candidate candidates[] = {{"channels_first", {0, 1, 2}}, {"channels_last", {1, 2, 0}}};
  const Candidate* chosen = nullptr;
  for (const Candidate& c : candidates) {
    if (spec.layout != "auto" && spec.layout != c.name) continue;
    Shape have;
    for (int a : c.order)
      if (axes[static_cast<size_t>(a)].size != 1) have.push_back(axes[static_cast<size_t>(a)].size);
    if (have == want) {
      chosen = &c;
      break;
    }
  }
  if (!chosen)
    return invalid(fmt::format(
        "{}: the pipeline's features {} do not fit the model input '{}' {} (layout '{}'; dimensions of size 1 are "
        "ignored, channels first or last). Adjust the window length or the pre-processing stages",
        src, b.feature_desc, b.input_name, g.t(in).type.str(), spec.layout));
  b.layout = chosen->name;
  int64_t stride = 1;
  for (int k = 2; k >= 0; --k) {
    const int a = chosen->order[k];
    p.stride[a] = static_cast<int32_t>(stride);
    stride *= axes[static_cast<size_t>(a)].size;
  }

  // Samples: v = raw * gain + bias (scale/offset and normalisation folded).
  p.channels = static_cast<int32_t>(C);
  p.window = static_cast<int32_t>(spec.window);
  p.hop = static_cast<int32_t>(spec.hop);
  p.capacity = static_cast<int32_t>(spec.ring);
  for (int64_t c = 0; c < C; ++c) {
    const double mean = spec.normalize ? spec.mean[spec.mean.size() == 1 ? 0 : static_cast<size_t>(c)] : 0.0;
    const double sd = spec.normalize ? spec.std[spec.std.size() == 1 ? 0 : static_cast<size_t>(c)] : 1.0;
    p.gain[c] = static_cast<float>(spec.scale / sd);
    p.bias[c] = static_cast<float>((spec.offset - mean) / sd);
  }

  // Spectral tables.
  if (spec.spectral != SpectralKind::None) {
    p.fft_size = static_cast<int32_t>(spec.fft_size);
    p.frame_length = static_cast<int32_t>(spec.frame_length);
    p.frame_stride = static_cast<int32_t>(spec.spectral == SpectralKind::Mfcc ? spec.frame_stride : spec.window);
    p.use_window = spec.window_fn == "hann" ? 1 : 0;
    p.power = spec.power ? 1 : 0;
    p.log_output = spec.log ? 1 : 0;
    p.log_floor = static_cast<float>(spec.log_floor);
    if (p.use_window) b.window_table = hannWindow(spec.frame_length);
    b.twiddle = fftTwiddles(spec.fft_size);
    b.bytes[static_cast<int>(PipelineBuffer::Work)] = static_cast<size_t>(2 * spec.fft_size) * sizeof(float);
  }
  if (spec.spectral == SpectralKind::Mfcc) {
    p.mel_bins = static_cast<int32_t>(spec.mel_bins);
    p.coefficients = static_cast<int32_t>(spec.coefficients);
    const double high = spec.high_hz == 0.0 ? spec.rate_hz / 2.0 : spec.high_hz;
    auto fb = melFilterbank(spec.mel_bins, spec.fft_size, spec.rate_hz, spec.low_hz, high);
    if (!fb) return Error(fb.error()).context(src + ": mfcc");
    b.mel_start = fb->start;
    b.mel_len = fb->len;
    b.mel_weight = fb->weight;
    b.dct = dctMatrix(spec.coefficients, spec.mel_bins);
    // The DCT writes its coefficients into the FFT work buffer (2 x fft_size
    // floats); every filter covers a bin, so mel_bins <= fft_size + 2 and this holds.
    if (spec.coefficients > 2 * spec.fft_size)
      return invalid(fmt::format("{}: mfcc: {} coefficients need an fft_size of at least {}", src, spec.coefficients,
                                 (spec.coefficients + 1) / 2));
    b.bytes[static_cast<int>(PipelineBuffer::Mel)] = static_cast<size_t>(spec.mel_bins) * sizeof(float);
  }

  // Post-processing.
  b.post.classes = static_cast<int32_t>(b.classes);
  b.post.softmax = spec.softmax ? 1 : 0;
  b.post.smoothing = static_cast<int32_t>(spec.smoothing);
  b.post.debounce = static_cast<int32_t>(spec.debounce);
  b.post.report_every = spec.report_every ? 1 : 0;
  b.post.threshold = static_cast<float>(spec.threshold);

  b.bytes[static_cast<int>(PipelineBuffer::Ring)] =
      static_cast<size_t>(spec.ring * C) * dtypeSize(spec.sample_type);
  b.bytes[static_cast<int>(PipelineBuffer::History)] = static_cast<size_t>(spec.smoothing * b.classes) * sizeof(float);
  b.bytes[static_cast<int>(PipelineBuffer::Scores)] = static_cast<size_t>(b.classes) * sizeof(float);
  return b;
}

std::string describePipeline(const PipelineBinding& b) {
  const PipelineSpec& s = b.spec;
  const char* kind = s.spectral == SpectralKind::Fft ? "fft" : s.spectral == SpectralKind::Mfcc ? "mfcc" : "samples";
  return fmt::format("{} channels ({}) at {:g} Hz, window {} hop {} (ring {}); {}{} features {} ({}) -> input '{}'; "
                     "{} classes, smoothing {}, threshold {:g}, debounce {}",
                     s.channels.size(), dtypeName(s.sample_type), s.rate_hz, s.window, s.hop, s.ring,
                     s.normalize ? "normalized " : "", kind, b.feature_desc, b.layout, b.input_name, b.classes,
                     s.smoothing, s.threshold, s.debounce);
}

}  // namespace emlc
