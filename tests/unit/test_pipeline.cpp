// Sensor pipelines: the runtime stages (emlc/dsp.h, emlc/pipeline.h) against
// hand-computed values and independent double-precision references written
// here from the documented formulas; the JSON description; binding to a
// model; the memory plan's buffers outside the graph; the simulator.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <random>

#include "emlc/pipeline.h"
#include "ir/graph.h"
#include "passes/infer.h"
#include "pipeline/bind.h"
#include "pipeline/simulate.h"
#include "pipeline/spec.h"
#include "pipeline/tables.h"
#include "plan/memory_plan.h"
#include "plan/report.h"

using namespace emlc;

namespace {

constexpr double kPi = 3.14159265358979323846;

// ---- independent references ----

std::vector<std::complex<double>> naiveDft(const std::vector<std::complex<double>>& x) {
  const size_t n = x.size();
  std::vector<std::complex<double>> y(n);
  for (size_t k = 0; k < n; ++k)
    for (size_t t = 0; t < n; ++t) y[k] += x[t] * std::polar(1.0, -2.0 * kPi * static_cast<double>(k * t) / static_cast<double>(n));
  return y;
}

double melHtk(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double hzHtk(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

// MFCC of one frame, straight from the formulas in README/tables.h.
std::vector<double> naiveMfcc(const std::vector<double>& frame, int n, double rate, int mels, int coeffs, double lo,
                              double hi, double floorV) {
  const int fl = static_cast<int>(frame.size());
  std::vector<std::complex<double>> x(static_cast<size_t>(n));
  for (int i = 0; i < fl; ++i)
    x[static_cast<size_t>(i)] = frame[static_cast<size_t>(i)] * (0.5 - 0.5 * std::cos(2.0 * kPi * i / fl));
  auto X = naiveDft(x);
  std::vector<double> edges(static_cast<size_t>(mels + 2));
  for (int i = 0; i < mels + 2; ++i)
    edges[static_cast<size_t>(i)] = hzHtk(melHtk(lo) + (melHtk(hi) - melHtk(lo)) * i / (mels + 1));
  std::vector<double> logMel(static_cast<size_t>(mels));
  for (int j = 0; j < mels; ++j) {
    double e = 0;
    for (int k = 0; k <= n / 2; ++k) {
      const double f = k * rate / n, a = edges[static_cast<size_t>(j)], c = edges[static_cast<size_t>(j + 1)],
                   b = edges[static_cast<size_t>(j + 2)];
      double w = 0;
      if (f > a && f <= c) w = (f - a) / (c - a);
      else if (f > c && f < b) w = (b - f) / (b - c);
      e += w * std::norm(X[static_cast<size_t>(k)]);
    }
    logMel[static_cast<size_t>(j)] = std::log(std::max(e, floorV));
  }
  std::vector<double> out(static_cast<size_t>(coeffs));
  for (int i = 0; i < coeffs; ++i) {
    double acc = 0;
    for (int j = 0; j < mels; ++j) acc += logMel[static_cast<size_t>(j)] * std::cos(kPi * i * (2 * j + 1) / (2.0 * mels));
    out[static_cast<size_t>(i)] = acc * (i == 0 ? std::sqrt(1.0 / mels) : std::sqrt(2.0 / mels));
  }
  return out;
}

// ---- hand-built models ----

Tensor tensor(const std::string& name, DType t, Shape s) {
  Tensor x;
  x.name = name;
  x.type = TensorType{t, std::move(s)};
  x.typed = true;
  return x;
}

// x [shape] -> op -> y; inferred.
Graph oneNode(const std::string& op, DType t, Shape shape, std::map<std::string, Attribute> attrs = {}) {
  Graph g;
  Tensor x = tensor("x", t, std::move(shape));
  x.is_input = true;
  const TensorId xi = g.addTensor(x);
  Tensor y;
  y.name = "y";
  y.is_output = true;
  const TensorId yi = g.addTensor(y);
  Node n;
  n.name = "n";
  n.op_type = op;
  n.opset = 13;
  n.inputs = {xi};
  n.outputs = {yi};
  n.attrs = std::move(attrs);
  g.addNode(n);
  g.inputs = {xi};
  g.outputs = {yi};
  Status st = inferAndFold(g, InferOptions{});
  EXPECT_TRUE(st.isOk()) << st.error().message;
  return g;
}

PipelineSpec spec(const std::string& json) {
  auto s = parsePipelineSpec(json, "p.json");
  EXPECT_TRUE(s.isOk()) << (s ? "" : s.error().message);
  return s ? s.value() : PipelineSpec{};
}

std::string specError(const std::string& json) {
  auto s = parsePipelineSpec(json, "p.json");
  return s ? std::string("(no error)") : s.error().message;
}

const char* kSix = R"({"sensor": {"channels": ["a","b","c","d","e","f"], "rate_hz": 10},
                       "window": {"length": 1, "hop": 1},
                       "postprocess": {"softmax": false, "labels": ["a","b","c","d","e","f"]}})";

}  // namespace

// ---- DSP ----

TEST(PipelineDsp, FftMatchesNaiveDft) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int n : {2, 8, 64, 1024}) {
    std::vector<float> x(static_cast<size_t>(2 * n));
    std::vector<std::complex<double>> ref(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      x[static_cast<size_t>(2 * i)] = u(rng);
      x[static_cast<size_t>(2 * i + 1)] = u(rng);
      ref[static_cast<size_t>(i)] = {x[static_cast<size_t>(2 * i)], x[static_cast<size_t>(2 * i + 1)]};
    }
    const std::vector<float> tw = fftTwiddles(n);
    rt::fft_radix2(x.data(), n, tw.data());
    const auto want = naiveDft(ref);
    double err = 0;
    for (int k = 0; k < n; ++k)
      err = std::max(err, std::abs(std::complex<double>(x[static_cast<size_t>(2 * k)], x[static_cast<size_t>(2 * k + 1)]) -
                                   want[static_cast<size_t>(k)]));
    EXPECT_LT(err, 2e-6 * n) << "n=" << n;
  }
}

TEST(PipelineDsp, FftOfACosineHasTwoBins) {
  // cos(2 pi 3 t / 16): X[3] = X[13] = 8, every other bin 0.
  const int n = 16;
  std::vector<float> x(2 * n);
  for (int t = 0; t < n; ++t) x[static_cast<size_t>(2 * t)] = static_cast<float>(std::cos(2 * kPi * 3 * t / n));
  const std::vector<float> tw = fftTwiddles(n);
  rt::fft_radix2(x.data(), n, tw.data());
  std::vector<float> p(n);
  rt::power_spectrum(x.data(), p.data(), n);
  for (int k = 0; k < n; ++k) EXPECT_NEAR(p[static_cast<size_t>(k)], k == 3 || k == 13 ? 64.0f : 0.0f, 1e-4f) << k;
}

TEST(PipelineDsp, MelFilterbankAndMatrixVector) {
  // Two filters: bins 1-2 weights {0.5, 1}, bin 3-5 weights {1, 0.5, 0.25}.
  const float power[6] = {100, 1, 2, 3, 4, 5};
  const int32_t start[2] = {1, 3}, len[2] = {2, 3};
  const float w[5] = {0.5f, 1.0f, 1.0f, 0.5f, 0.25f};
  float out[2];
  rt::mel_filterbank(power, out, 2, start, len, w);
  EXPECT_FLOAT_EQ(out[0], 0.5f * 1 + 1.0f * 2);
  EXPECT_FLOAT_EQ(out[1], 1.0f * 3 + 0.5f * 4 + 0.25f * 5);
  const float m[6] = {1, 2, 3, -1, 0, 1};
  const float v[3] = {1, 10, 100};
  float r[2];
  rt::matrix_vector(m, v, r, 2, 3);
  EXPECT_FLOAT_EQ(r[0], 321.0f);
  EXPECT_FLOAT_EQ(r[1], 99.0f);
}

TEST(PipelineTables, WindowTwiddlesDct) {
  const std::vector<float> h = hannWindow(4);  // periodic: 0, 0.5, 1, 0.5
  EXPECT_FLOAT_EQ(h[0], 0.0f);
  EXPECT_FLOAT_EQ(h[1], 0.5f);
  EXPECT_FLOAT_EQ(h[2], 1.0f);
  EXPECT_FLOAT_EQ(h[3], 0.5f);
  const std::vector<float> t = fftTwiddles(4);  // (1, -0), (0, -1)
  EXPECT_FLOAT_EQ(t[0], 1.0f);
  EXPECT_NEAR(t[2], 0.0f, 1e-7f);
  EXPECT_FLOAT_EQ(t[3], -1.0f);
  // Orthonormal: D D^T = I.
  const int m = 6;
  const std::vector<float> d = dctMatrix(m, m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      double s = 0;
      for (int k = 0; k < m; ++k) s += static_cast<double>(d[static_cast<size_t>(i * m + k)]) * d[static_cast<size_t>(j * m + k)];
      EXPECT_NEAR(s, i == j ? 1.0 : 0.0, 1e-6) << i << "," << j;
    }
  EXPECT_NEAR(hzToMel(700.0), 2595.0 * std::log10(2.0), 1e-9);
  EXPECT_NEAR(melToHz(hzToMel(1234.5)), 1234.5, 1e-9);
}

TEST(PipelineTables, MelFilterbankShape) {
  auto fb = melFilterbank(10, 256, 8000.0, 0.0, 4000.0);
  ASSERT_TRUE(fb.isOk());
  ASSERT_EQ(fb->start.size(), 10u);
  size_t w = 0;
  for (size_t j = 0; j < 10; ++j) {
    float peak = 0;
    for (int32_t i = 0; i < fb->len[j]; ++i) {
      const float v = fb->weight[w + static_cast<size_t>(i)];
      EXPECT_GT(v, 0.0f);
      EXPECT_LE(v, 1.0f);
      peak = std::max(peak, v);
    }
    EXPECT_GT(peak, 0.5f) << "filter " << j;
    if (j) {
      EXPECT_GE(fb->start[j], fb->start[j - 1]);
    }
    w += static_cast<size_t>(fb->len[j]);
  }
  // 64 filters below 4 kHz cannot all get a bin of a 32-point FFT (250 Hz apart).
  auto bad = melFilterbank(64, 32, 8000.0, 0.0, 4000.0);
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.error().message.find("covers no FFT bin"), std::string::npos);
}

// ---- features ----

TEST(PipelineFeatures, StoreQuantizesWithRoundingAndClamping) {
  const rt::IoQuant q{0.5f, 3, -128, 127};
  int8_t v;
  rt::store_feature(1.0f, &v, q);  // 2 + 3
  EXPECT_EQ(v, 5);
  rt::store_feature(1.25f, &v, q);  // 2.5 -> 2 (half to even) + 3
  EXPECT_EQ(v, 5);
  rt::store_feature(1.75f, &v, q);  // 3.5 -> 4 + 3
  EXPECT_EQ(v, 7);
  rt::store_feature(-1000.0f, &v, q);
  EXPECT_EQ(v, -128);
  rt::store_feature(1000.0f, &v, q);
  EXPECT_EQ(v, 127);
  rt::store_feature(NAN, &v, q);
  EXPECT_EQ(v, -128);
  const rt::IoQuant qu{0.25f, 128, 0, 255};
  uint8_t u;
  rt::store_feature(-0.5f, &u, qu);  // -2 + 128
  EXPECT_EQ(u, 126);
  const int8_t raw[2] = {-10, 20};
  EXPECT_FLOAT_EQ(rt::load_output(raw, 0, rt::IoQuant{0.5f, -12, -128, 127}), 1.0f);
  EXPECT_FLOAT_EQ(rt::load_output(raw, 1, rt::IoQuant{0.5f, -12, -128, 127}), 16.0f);
}

TEST(PipelineFeatures, TimeLayoutsAndScaling) {
  // 2 channels, window 3, ring of 4 frames starting at slot 3 (wraps).
  rt::PipelineParams p{};
  p.channels = 2;
  p.window = 3;
  p.hop = 1;
  p.capacity = 4;
  p.gain[0] = 0.5f;
  p.bias[0] = 1.0f;
  p.gain[1] = 2.0f;
  p.bias[1] = 0.0f;
  p.kind = rt::kFeatureTime;
  const int16_t ring[8] = {20, 21, 30, 31, 40, 41, 10, 11};  // slot 3 holds frame (10, 11)
  const rt::SpectralTables t{};
  const rt::IoQuant q{1.0f, 0, 0, 0};
  float out[6];
  // channels first: [c][t]
  p.stride[0] = 3;
  p.stride[1] = 1;
  p.stride[2] = 1;
  rt::compute_features(p, t, q, ring, 3u, out, nullptr, nullptr);
  const float first[6] = {6, 11, 16, 22, 42, 62};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(out[i], first[i]) << i;
  // channels last: [t][c]
  p.stride[0] = 1;
  p.stride[1] = 2;
  rt::compute_features(p, t, q, ring, 3u, out, nullptr, nullptr);
  const float last[6] = {6, 22, 11, 42, 16, 62};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(out[i], last[i]) << i;
}

TEST(PipelineFeatures, MfccMatchesReference) {
  // window 96 at 8 kHz, frames of 48 every 16 (4 frames), FFT 64, 8 mels, 5 coefficients.
  Graph g = oneNode("Identity", DType::F32, {1, 4, 5});
  PipelineSpec s = spec(R"({"sensor": {"channels": ["m"], "rate_hz": 8000, "scale": 0.001},
      "window": {"length": 96, "hop": 96},
      "preprocess": [{"type": "mfcc", "frame_length": 48, "frame_stride": 16, "fft_size": 64, "mel_bins": 8,
                      "coefficients": 5, "low_hz": 100, "high_hz": 3500, "log_floor": 1e-9}],
      "postprocess": {"softmax": false}})");
  auto b = bindPipeline(s, g);
  ASSERT_TRUE(b.isOk()) << b.error().message;
  std::vector<float> ring(static_cast<size_t>(s.ring));
  std::vector<double> phys(96);
  for (int i = 0; i < 96; ++i) {
    ring[static_cast<size_t>(i)] = std::round(1000.0f * static_cast<float>(std::sin(0.3 * i) + 0.5 * std::cos(1.7 * i)));
    phys[static_cast<size_t>(i)] = static_cast<double>(ring[static_cast<size_t>(i)]) * 0.001;
  }
  std::vector<float> work(128), mel(8), out(20);
  const rt::SpectralTables t{nullptr, b->twiddle.data(), b->mel_start.data(), b->mel_len.data(), b->mel_weight.data(),
                             b->dct.data()};
  rt::SpectralTables tw = t;
  tw.window = b->window_table.data();
  rt::compute_features(b->params, tw, b->in_quant, ring.data(), 0u, out.data(), work.data(), mel.data());
  for (int f = 0; f < 4; ++f) {
    std::vector<double> frame(phys.begin() + f * 16, phys.begin() + f * 16 + 48);
    const std::vector<double> want = naiveMfcc(frame, 64, 8000.0, 8, 5, 100.0, 3500.0, 1e-9);
    for (int k = 0; k < 5; ++k)
      EXPECT_NEAR(out[static_cast<size_t>(f * 5 + k)], want[static_cast<size_t>(k)], 1e-3 * (1.0 + std::fabs(want[static_cast<size_t>(k)])))
          << "frame " << f << " coefficient " << k;
  }
}

TEST(PipelineFeatures, FftMagnitudeMatchesReference) {
  // One channel, window 20 zero-padded to 32, no window function, log off.
  Graph g = oneNode("Identity", DType::F32, {1, 17});
  PipelineSpec s = spec(R"({"sensor": {"channels": ["m"], "rate_hz": 100},
      "window": {"length": 20, "hop": 5},
      "preprocess": [{"type": "normalize", "mean": 1.0, "std": 2.0}, {"type": "fft", "window": "none"}],
      "postprocess": {"softmax": false}})");
  auto b = bindPipeline(s, g);
  ASSERT_TRUE(b.isOk()) << b.error().message;
  EXPECT_EQ(b->params.fft_size, 32);
  EXPECT_EQ(b->params.bins, 17);
  std::vector<float> ring(static_cast<size_t>(s.ring));
  std::vector<std::complex<double>> x(32);
  for (int i = 0; i < 20; ++i) {
    ring[static_cast<size_t>(i)] = static_cast<float>(i % 7) - 2.0f;
    x[static_cast<size_t>(i)] = (static_cast<double>(ring[static_cast<size_t>(i)]) - 1.0) / 2.0;
  }
  const auto X = naiveDft(x);
  std::vector<float> work(64), out(17);
  const rt::SpectralTables t{nullptr, b->twiddle.data(), nullptr, nullptr, nullptr, nullptr};
  rt::compute_features(b->params, t, b->in_quant, ring.data(), 0u, out.data(), work.data(), nullptr);
  for (int k = 0; k < 17; ++k) EXPECT_NEAR(out[static_cast<size_t>(k)], std::abs(X[static_cast<size_t>(k)]), 1e-4) << k;
}

// ---- post-processing and the ring ----

TEST(PipelinePost, SoftmaxSmoothingThresholdDebounce) {
  const rt::PostParams p{3, 1, 2, 2, 0, 0.5f};  // softmax, K=2, debounce 2, threshold 0.5
  const rt::IoQuant q{1.0f, 0, 0, 0};
  std::vector<float> history(6), scores(3);
  rt::PostState s{0, 0, 0, 0, 0};
  rt::Decision d{};
  // Window 0: logits (0, ln 3, 0) -> softmax (0.2, 0.6, 0.2); average of one window.
  const float w0[3] = {0.0f, std::log(3.0f), 0.0f};
  rt::post_process(p, q, w0, history.data(), scores.data(), s, &d);
  EXPECT_NEAR(scores[1], 0.6f, 1e-6f);
  EXPECT_EQ(d.label, -1);  // class 1 won once; debounce needs two
  EXPECT_EQ(d.report, 0);
  // Window 1: same -> class 1 twice in a row: decided, reported.
  rt::post_process(p, q, w0, history.data(), scores.data(), s, &d);
  EXPECT_EQ(d.label, 1);
  EXPECT_NEAR(d.score, 0.6f, 1e-6f);
  EXPECT_EQ(d.report, 1);
  // Window 2: (ln 3, 0, 0) -> (0.6, 0.2, 0.2); average with window 1 = (0.4, 0.4, 0.2):
  // class 0 ties class 1 (the lower index wins) but 0.4 < 0.5: candidate none, not yet decided.
  const float w2[3] = {std::log(3.0f), 0.0f, 0.0f};
  rt::post_process(p, q, w2, history.data(), scores.data(), s, &d);
  EXPECT_NEAR(scores[0], 0.4f, 1e-6f);
  EXPECT_NEAR(scores[1], 0.4f, 1e-6f);
  EXPECT_EQ(d.label, 1);
  EXPECT_EQ(d.report, 0);
  // Window 3: same again -> average (0.6, 0.2, 0.2): class 0 wins once (needs two).
  rt::post_process(p, q, w2, history.data(), scores.data(), s, &d);
  EXPECT_EQ(d.label, 1);
  // Window 4: class 0 twice in a row.
  rt::post_process(p, q, w2, history.data(), scores.data(), s, &d);
  EXPECT_EQ(d.label, 0);
  EXPECT_EQ(d.report, 1);
}

TEST(PipelineRing, WindowsHopsAndOverruns) {
  rt::PipelineParams p{};
  p.channels = 1;
  p.window = 4;
  p.hop = 2;
  p.capacity = 6;
  p.gain[0] = 1.0f;
  p.kind = rt::kFeatureTime;
  p.stride[0] = 4;
  p.stride[1] = 1;
  p.stride[2] = 1;
  const rt::PostParams post{1, 0, 1, 1, 1, -1e9f};
  const rt::IoQuant q{1.0f, 0, 0, 0};
  int16_t ring[6];
  float input[4], output[1], history[1], scores[1];
  rt::PipelineState st{};
  rt::pipeline_reset(st);
  const rt::PipelineBuffers<int16_t, float, float> b{ring, input, output, nullptr, nullptr, history, scores};
  int runs = 0;
  auto invoke = [&]() {
    output[0] = input[0];  // the "model" reports the window's first sample
    ++runs;
    return 0;
  };
  rt::Decision d{};
  const rt::SpectralTables t{};
  int16_t v = 0;
  auto push = [&](int n) {
    for (int i = 0; i < n; ++i, ++v) rt::pipeline_push(p, st.ring, ring, &v);
  };
  push(3);
  EXPECT_EQ(rt::pipeline_poll(p, t, q, post, q, st, b, invoke, &d), rt::kPollIdle);
  push(1);  // frames 0..3
  ASSERT_EQ(rt::pipeline_poll(p, t, q, post, q, st, b, invoke, &d), rt::kPollDecided);
  EXPECT_EQ(d.sample, 3u);
  EXPECT_FLOAT_EQ(scores[0], 0.0f);
  EXPECT_EQ(rt::pipeline_poll(p, t, q, post, q, st, b, invoke, &d), rt::kPollIdle);
  push(2);  // frames 4, 5: the window 2..5
  ASSERT_EQ(rt::pipeline_poll(p, t, q, post, q, st, b, invoke, &d), rt::kPollDecided);
  EXPECT_EQ(d.sample, 5u);
  EXPECT_FLOAT_EQ(scores[0], 2.0f);
  EXPECT_FLOAT_EQ(input[3], 5.0f);
  // Fall behind: 10 more frames (6..15) without polling. The ring keeps 6
  // frames and the producer may be overwriting the oldest (10) at any moment:
  // the windows starting at 4, 6, 8 and 10 are lost, the next starts at 12.
  push(10);
  ASSERT_EQ(rt::pipeline_poll(p, t, q, post, q, st, b, invoke, &d), rt::kPollDecided);
  EXPECT_EQ(d.sample, 15u);
  EXPECT_FLOAT_EQ(scores[0], 12.0f);
  EXPECT_EQ(st.dropped, 4u);  // windows starting at 4, 6, 8, 10
  EXPECT_EQ(st.windows, 3u);
  EXPECT_EQ(runs, 3);
}

// ---- the JSON description ----

TEST(PipelineSpec, ParsesAndFillsDefaults) {
  PipelineSpec s = spec(R"({"sensor": {"channels": ["ax", "ay"], "sample_type": "int16", "scale": 0.5, "rate_hz": 100},
      "window": {"length": 100, "hop": 25},
      "preprocess": [{"type": "normalize", "mean": [1, 2], "std": 4},
                     {"type": "fft", "bins": 10, "log": true}],
      "layout": "channels_last",
      "postprocess": {"softmax": false, "smoothing": 4, "threshold": 0.7, "debounce": 3, "labels": ["x", "y"],
                      "report": "every_window"}})");
  EXPECT_EQ(s.sample_type, DType::I16);
  EXPECT_EQ(s.ring, 125);
  EXPECT_EQ(s.fft_size, 128);
  EXPECT_EQ(s.spectral, SpectralKind::Fft);
  EXPECT_TRUE(s.log);
  EXPECT_EQ(s.std.size(), 1u);
  EXPECT_EQ(s.layout, "channels_last");
  EXPECT_TRUE(s.report_every);
  EXPECT_EQ(s.smoothing, 4);
}

TEST(PipelineSpec, ErrorsNameTheKey) {
  const std::string base = R"("sensor": {"channels": ["a"], "rate_hz": 10}, "window": {"length": 8, "hop": 4})";
  EXPECT_NE(specError("{" + base + R"(, "windw": 1})").find("unknown key 'windw'"), std::string::npos);
  EXPECT_NE(specError(R"({"window": {"length": 8, "hop": 4}})").find("'sensor' is required"), std::string::npos);
  EXPECT_NE(specError(R"({"sensor": {"channels": ["a"], "rate_hz": 10}, "window": {"length": 8, "hop": 0}})")
                .find("'window.hop' must be an integer from 1"),
            std::string::npos);
  EXPECT_NE(specError(R"({"sensor": {"channels": ["a"], "rate_hz": 10}, "window": {"length": 8, "hop": 4, "ring": 8}})")
                .find("must exceed 'window.length'"),
            std::string::npos);
  EXPECT_NE(specError(R"({"sensor": {"channels": ["a"], "sample_type": "int64", "rate_hz": 10}, "window": {"length": 8, "hop": 4}})")
                .find("'sensor.sample_type' must be one of"),
            std::string::npos);
  EXPECT_NE(specError(R"({"sensor": {"channels": ["a", "a"], "rate_hz": 10}, "window": {"length": 8, "hop": 4}})")
                .find("names 'a' twice"),
            std::string::npos);
  EXPECT_NE(specError("{" + base + R"(, "preprocess": [{"type": "fft"}, {"type": "normalize"}]})")
                .find("'normalize' must come before"),
            std::string::npos);
  EXPECT_NE(specError("{" + base + R"(, "preprocess": [{"type": "fft"}, {"type": "fft"}]})").find("only one spectral"),
            std::string::npos);
  EXPECT_NE(specError("{" + base + R"(, "preprocess": [{"type": "fft", "fft_size": 12}]})").find("power of two"),
            std::string::npos);
  EXPECT_NE(specError("{" + base + R"(, "preprocess": [{"type": "fft", "fft_size": 4}]})").find("from the frame length"),
            std::string::npos);
  EXPECT_NE(specError("{" + base + R"(, "preprocess": [{"type": "normalize", "mean": [1, 2]}]})").find("1 or 1 values"),
            std::string::npos);
  EXPECT_NE(specError("{" + base + R"(, "preprocess": [{"type": "normalize", "std": 0}]})").find("must be positive"),
            std::string::npos);
  EXPECT_NE(specError("{" + base +
                      R"(, "preprocess": [{"type": "mfcc", "frame_length": 4, "frame_stride": 2, "mel_bins": 4, "coefficients": 5}]})")
                .find("exceeds 'mel_bins'"),
            std::string::npos);
  EXPECT_NE(specError("{" + base + R"(, "preprocess": [{"type": "mfcc", "frame_length": 4, "frame_stride": 2, "high_hz": 6}]})")
                .find("rate_hz/2"),
            std::string::npos);
  EXPECT_NE(specError("{" + base + R"(, "postprocess": {"report": "always"}})").find("'postprocess.report'"),
            std::string::npos);
  EXPECT_NE(specError("{" + base + R"(, "postprocess": {"softmax": 1}})").find("true or false"), std::string::npos);
  EXPECT_NE(specError("{" + base + ",}").find("not valid JSON"), std::string::npos);
  EXPECT_NE(specError("[1, 2]").find("must be a JSON object"), std::string::npos);
}

// ---- binding ----

TEST(PipelineBind, LayoutStridesAndFoldedScaling) {
  // x [1,4,3] -> Flatten -> [1,12]: channels_first needs 4 channels x 3 samples,
  // channels_last 3 channels x 4 samples.
  Attribute axis;
  axis.kind = Attribute::Kind::Int;
  axis.i = 1;
  Graph g = oneNode("Flatten", DType::F32, {1, 4, 3}, {{"axis", axis}});
  auto first = bindPipeline(spec(R"({"sensor": {"channels": ["a","b","c","d"], "rate_hz": 1, "scale": 0.5, "offset": 1},
                                     "window": {"length": 3, "hop": 1},
                                     "preprocess": [{"type": "normalize", "mean": [2, 0, 0, 0], "std": [4, 1, 1, 1]}]})"),
                            g);
  ASSERT_TRUE(first.isOk()) << first.error().message;
  EXPECT_EQ(first->layout, "channels_first");
  EXPECT_EQ(first->params.stride[0], 3);
  EXPECT_EQ(first->params.stride[1], 1);
  EXPECT_FLOAT_EQ(first->params.gain[0], 0.125f);  // scale / std
  EXPECT_FLOAT_EQ(first->params.bias[0], -0.25f);  // (offset - mean) / std
  EXPECT_FLOAT_EQ(first->params.gain[1], 0.5f);
  EXPECT_FLOAT_EQ(first->params.bias[1], 1.0f);
  EXPECT_EQ(first->classes, 12);
  EXPECT_EQ(first->labels[11], "11");
  auto last = bindPipeline(spec(R"({"sensor": {"channels": ["a","b","c"], "rate_hz": 1}, "window": {"length": 4, "hop": 1}})"), g);
  ASSERT_TRUE(last.isOk()) << last.error().message;
  EXPECT_EQ(last->layout, "channels_last");
  EXPECT_EQ(last->params.stride[0], 1);
  EXPECT_EQ(last->params.stride[1], 3);
  auto bad = bindPipeline(
      spec(R"({"sensor": {"channels": ["a","b","c"], "rate_hz": 1}, "window": {"length": 4, "hop": 1}, "layout": "channels_first"})"),
      g);
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.error().message.find("do not fit the model input 'x' float32[1,4,3]"), std::string::npos);
  auto labels = bindPipeline(spec(R"({"sensor": {"channels": ["a","b","c"], "rate_hz": 1}, "window": {"length": 4, "hop": 1},
                                      "postprocess": {"labels": ["x", "y"]}})"),
                             g);
  ASSERT_FALSE(labels.isOk());
  EXPECT_NE(labels.error().message.find("names 2 classes"), std::string::npos);
}

TEST(PipelineBind, BufferSizesAndModelChecks) {
  Graph g = oneNode("Identity", DType::F32, {1, 1, 4, 3});
  auto b = bindPipeline(spec(R"({"sensor": {"channels": ["m"], "sample_type": "int16", "rate_hz": 8000},
      "window": {"length": 64, "hop": 32},
      "preprocess": [{"type": "mfcc", "frame_length": 16, "frame_stride": 16, "fft_size": 32, "mel_bins": 6,
                      "coefficients": 3}],
      "postprocess": {"smoothing": 5}})"),
                        g);
  ASSERT_TRUE(b.isOk()) << b.error().message;
  EXPECT_EQ(b->params.frames, 4);
  EXPECT_EQ(b->bytes[static_cast<int>(PipelineBuffer::Ring)], 96u * 2u);  // (64 + 32) frames x int16
  EXPECT_EQ(b->bytes[static_cast<int>(PipelineBuffer::Work)], 64u * 4u);  // 2 x fft_size floats
  EXPECT_EQ(b->bytes[static_cast<int>(PipelineBuffer::Mel)], 6u * 4u);
  EXPECT_EQ(b->bytes[static_cast<int>(PipelineBuffer::History)], 5u * 12u * 4u);
  EXPECT_EQ(b->extraBuffers().size(), 5u);
  EXPECT_EQ(b->extraIndex(PipelineBuffer::Scores), 4);

  Graph i32 = oneNode("Identity", DType::I32, {1, 6});
  auto e1 = bindPipeline(spec(kSix), i32);
  ASSERT_FALSE(e1.isOk());
  EXPECT_NE(e1.error().message.find("float32, int8 or uint8"), std::string::npos);
  Graph i8 = oneNode("Identity", DType::I8, {1, 6});
  auto e2 = bindPipeline(spec(kSix), i8);
  ASSERT_FALSE(e2.isOk());
  EXPECT_NE(e2.error().message.find("quantized per tensor"), std::string::npos);
  Graph u8 = oneNode("Identity", DType::U8, {1, 6});
  for (TensorId t : {u8.inputs[0], u8.outputs[0]}) {
    u8.t(t).type.quant.scale = {0.25f};
    u8.t(t).type.quant.zero_point = {100};
  }
  auto ok = bindPipeline(spec(kSix), u8);
  ASSERT_TRUE(ok.isOk()) << ok.error().message;
  EXPECT_FLOAT_EQ(ok->in_quant.scale, 0.25f);
  EXPECT_EQ(ok->in_quant.zero_point, 100);
  EXPECT_EQ(ok->in_quant.qmin, 0);
  EXPECT_EQ(ok->in_quant.qmax, 255);
  EXPECT_EQ(ok->out_quant.zero_point, 100);
}

// ---- the memory plan ----

TEST(PipelinePlan, ExtraBuffersLiveAtPseudoSteps) {
  // x [1,64] -> Relu -> Relu -> y: with the pipeline, x and y live in the arena.
  Graph g;
  Tensor x = tensor("x", DType::F32, {1, 64});
  x.is_input = true;
  const TensorId xi = g.addTensor(x);
  const TensorId mi = g.addTensor(tensor("m", DType::F32, {1, 64}));
  Tensor y;
  y.name = "y";
  y.is_output = true;
  const TensorId yi = g.addTensor(y);
  for (auto [in, out] : {std::pair<TensorId, TensorId>{xi, mi}, {mi, yi}}) {
    Node n;
    n.op_type = "Relu";
    n.opset = 13;
    n.inputs = {in};
    n.outputs = {out};
    g.addNode(n);
  }
  g.inputs = {xi};
  g.outputs = {yi};
  ASSERT_TRUE(inferAndFold(g, InferOptions{}).isOk());
  PlanOptions po;
  po.io_in_arena = true;
  po.extra = {ExtraBuffer{"ring", 1000, ExtraPhase::Always}, ExtraBuffer{"fft work", 4096, ExtraPhase::Before},
              ExtraBuffer{"post scratch", 4096, ExtraPhase::After}};
  auto p = planMemory(g, po);
  ASSERT_TRUE(p.isOk()) << p.error().message;
  ASSERT_EQ(p->extra_buffer.size(), 3u);
  const PlannedBuffer& ring = p->buffers[static_cast<size_t>(p->extra_buffer[0])];
  const PlannedBuffer& work = p->buffers[static_cast<size_t>(p->extra_buffer[1])];
  const PlannedBuffer& post = p->buffers[static_cast<size_t>(p->extra_buffer[2])];
  EXPECT_EQ(ring.first, -1);
  EXPECT_EQ(ring.last, 2);
  EXPECT_EQ(work.first, -1);
  EXPECT_EQ(work.last, -1);
  EXPECT_EQ(post.first, 2);
  EXPECT_EQ(ring.label, "ring");
  EXPECT_EQ(p->storage[static_cast<size_t>(xi)].home, Home::Arena);
  EXPECT_EQ(p->storage[static_cast<size_t>(yi)].home, Home::Arena);
  const PlannedBuffer& in = p->buffers[static_cast<size_t>(p->storage[static_cast<size_t>(xi)].buffer)];
  const PlannedBuffer& out = p->buffers[static_cast<size_t>(p->storage[static_cast<size_t>(yi)].buffer)];
  EXPECT_EQ(in.first, -1);
  EXPECT_EQ(out.last, 2);
  // The two 4 KiB scratch buffers never live at the same step: they share bytes.
  // Bound: ring (1008) + work (4096) + input (256) at the pre step.
  EXPECT_EQ(p->arena_size, 1008u + 4096u + 256u);
  EXPECT_TRUE(verifyPlan(g, p.value()).isOk());
  // Without the pipeline the graph's input and output are the caller's.
  auto plain = planMemory(g);
  ASSERT_TRUE(plain.isOk());
  EXPECT_EQ(plain->storage[static_cast<size_t>(xi)].home, Home::Input);
  // Reports name the buffers and the pseudo steps.
  const std::string table = formatPlan(g, p.value());
  EXPECT_NE(table.find("pre-post  ring"), std::string::npos) << table;
  EXPECT_NE(table.find("pre-pre   fft work"), std::string::npos) << table;
  EXPECT_NE(planJsonMembers(g, p.value()).find("\"pipeline\": \"fft work\""), std::string::npos);
  EXPECT_NE(planSvg(g, p.value(), "t").find(">post<"), std::string::npos);
}

// ---- the simulator ----

TEST(PipelineSimulate, CsvParsing) {
  Graph g = oneNode("Identity", DType::F32, {1, 2});
  auto b = bindPipeline(spec(R"({"sensor": {"channels": ["x", "y"], "sample_type": "int8", "rate_hz": 1},
                                 "window": {"length": 1, "hop": 1}, "postprocess": {"labels": ["p", "q"]}})"),
                        g);
  ASSERT_TRUE(b.isOk());
  auto s = parseSampleCsv("# comment\nt,y,x,label\n0,1,2,p\n\n1,-3,4,1\n2,5,6,\n", "s.csv", b.value());
  ASSERT_TRUE(s.isOk()) << s.error().message;
  EXPECT_EQ(s->frames, 3u);
  EXPECT_EQ(s->values, (std::vector<double>{2, 1, 4, -3, 6, 5}));  // channel order x, y
  EXPECT_EQ(s->truth, (std::vector<int32_t>{0, 1, -1}));
  auto noHeader = parseSampleCsv("1,2\n3,4\n", "s.csv", b.value());
  ASSERT_TRUE(noHeader.isOk());
  EXPECT_TRUE(noHeader->truth.empty());
  auto missing = parseSampleCsv("x,z\n1,2\n", "s.csv", b.value());
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.error().message.find("s.csv:1: the header has no column 'y'"), std::string::npos);
  auto range = parseSampleCsv("x,y\n1,200\n", "s.csv", b.value());
  ASSERT_FALSE(range.isOk());
  EXPECT_NE(range.error().message.find("s.csv:2: '200' (channel 'y') is not a int8 sample value"), std::string::npos);
  auto frac = parseSampleCsv("x,y\n1,2.5\n", "s.csv", b.value());
  EXPECT_FALSE(frac.isOk());
  auto label = parseSampleCsv("x,y,label\n1,2,r\n", "s.csv", b.value());
  ASSERT_FALSE(label.isOk());
  EXPECT_NE(label.error().message.find("label 'r'"), std::string::npos);
}

TEST(PipelineSimulate, DecisionsAndAgreement) {
  // The model passes the window's (only) frame through: the decision is the
  // channel with the largest value, its score that value (softmax off).
  Graph g = oneNode("Identity", DType::F32, {1, 3});
  auto b = bindPipeline(spec(R"({"sensor": {"channels": ["a", "b", "c"], "rate_hz": 1},
                                 "window": {"length": 1, "hop": 1},
                                 "postprocess": {"softmax": false, "threshold": 0.5, "debounce": 2,
                                                 "labels": ["a", "b", "c"]}})"),
                        g);
  ASSERT_TRUE(b.isOk()) << b.error().message;
  auto s = parseSampleCsv("a,b,c,label\n0.9,0,0,a\n0.8,0,0,a\n0,0.7,0,b\n0,0.6,0,b\n0,0,0.2,c\n0,0,0.1,c\n", "s.csv",
                          b.value());
  ASSERT_TRUE(s.isOk()) << s.error().message;
  auto r = simulatePipeline(b.value(), g, s.value());
  ASSERT_TRUE(r.isOk()) << r.error().message;
  // Windows: a (won once: none), a (decided a), b (once: a), b (decided b),
  // none (0.2 < 0.5, once: b), none (decided none).
  EXPECT_EQ(r->window_label, (std::vector<int32_t>{-1, 0, 0, 1, 1, -1}));
  ASSERT_EQ(r->reports.size(), 3u);
  EXPECT_EQ(formatDecision(b.value(), r->reports[0]), "decision sample=1 window=1 label=a score=0.8000");
  EXPECT_EQ(formatDecision(b.value(), r->reports[1]), "decision sample=3 window=3 label=b score=0.6000");
  EXPECT_EQ(formatDecision(b.value(), r->reports[2]), "decision sample=5 window=5 label=none score=0.1000");
  EXPECT_EQ(r->judged, 6);
  EXPECT_EQ(r->agree, 2);  // windows 1 and 3
  EXPECT_EQ(formatAgreement(r.value()), "agreement: 33.33% (2 of 6 windows)");
  EXPECT_EQ(formatSummary(r.value()), "summary: samples=6 windows=6 dropped=0 decisions=3");
}
