// emlc runtime: sensor pipelines, from samples to decisions.
//
// A pipeline (emlc --pipeline pipeline.json) turns a stream of sensor sample
// frames (one value per channel) into decisions:
//
//   push(frame)  -> ring of sample frames (single producer, e.g. an ISR)
//   poll()       -> when a window is complete: features written straight into
//                   the model's input, inference, post-processing
//                   (softmax, moving average over K windows, threshold,
//                   debounce) -> a decision (label or none, and a score).
//
// The generated NAME_pipeline.cpp holds the parameters and tables as const
// aggregates and calls pipeline_push / pipeline_poll; `emlc simulate` calls
// the very same functions on the host, so both make the same decisions.
// Every buffer (ring, feature scratch, smoothing history, scores) is a slice
// of the model's arena placed by the memory planner; the small counters live
// in a PipelineState. No heap, no exceptions, no recursion.
//
// Concurrency contract: one producer calls pipeline_push (it may interrupt
// the consumer), one consumer calls pipeline_poll. The producer publishes
// each frame with a release store of `written`; the consumer reads the window
// after an acquire load and checks afterwards that the producer did not lap
// it (a window overwritten while it was read is dropped and counted). Poll
// at least once per (capacity - window) frames to drop nothing.
#ifndef EMLC_RUNTIME_PIPELINE_H
#define EMLC_RUNTIME_PIPELINE_H

#include <atomic>

#include "common.h"
#include "dsp.h"

namespace emlc {
namespace rt {

constexpr int32_t kMaxPipelineChannels = 16;

// What the pre-processing computes from a window.
enum : int32_t {
  kFeatureTime = 0,  // the (normalised) samples themselves: [channel][position]
  kFeatureFft = 1,   // spectrum of the whole window per channel: [channel][bin]
  kFeatureMfcc = 2,  // MFCC per frame per channel: [channel][frame][coefficient]
};

// poll() results.
enum : int32_t {
  kPollIdle = 0,        // no complete window yet
  kPollDecided = 1,     // a window was processed; see the Decision
  kPollModelError = -1, // the model's run function failed
  kPollDropped = -2,    // the producer overwrote the window while it was read
};

struct PipelineParams {
  static constexpr const char* kName = "emlc::rt::PipelineParams";
  int32_t channels;   // values per sample frame (<= kMaxPipelineChannels)
  int32_t window;     // frames per window
  int32_t hop;        // frames from one window's start to the next
  int32_t capacity;   // ring capacity in frames (> window)
  // Sample to feature value: v = raw * gain[c] + bias[c], which is the
  // sensor scale/offset and the per-channel normalisation folded together by
  // the compiler: gain = scale / std, bias = (offset - mean) / std.
  float gain[kMaxPipelineChannels];
  float bias[kMaxPipelineChannels];
  int32_t kind;       // kFeature*
  // Element strides of the model input for the feature's logical axes
  // (channel, position, coefficient); position is the sample (time), the
  // bin (fft) or the frame (mfcc); coefficient is used by mfcc only.
  int32_t stride[3];
  // Spectral features.
  int32_t fft_size;      // n, a power of two
  int32_t frame_length;  // samples per FFT frame (<= fft_size; zero padded)
  int32_t frame_stride;  // mfcc: samples from one frame's start to the next
  int32_t frames;        // frames per window (fft: 1)
  int32_t bins;          // fft: output bins (<= n/2+1)
  int32_t mel_bins;      // mfcc: mel filters
  int32_t coefficients;  // mfcc: cepstral coefficients kept (<= mel_bins)
  int32_t use_window;    // multiply each frame by the window table
  int32_t power;         // fft: 1 power |X|^2, 0 magnitude |X|
  int32_t log_output;    // fft: log(max(v, log_floor)); mfcc always takes the log of mel energies
  float log_floor;
  template <class V> void fields(V& v) const {
    v(channels, window, hop, capacity, gain, bias, kind, stride, fft_size, frame_length, frame_stride, frames, bins,
      mel_bins, coefficients, use_window, power, log_output, log_floor);
  }
};

// Quantization of the model's input or output (int8/uint8 models); unused
// for float32. q = clamp(round_half_even(v / scale) + zero_point, qmin, qmax),
// v = (q - zero_point) * scale.
struct IoQuant {
  static constexpr const char* kName = "emlc::rt::IoQuant";
  float scale;
  int32_t zero_point;
  int32_t qmin;
  int32_t qmax;
  template <class V> void fields(V& v) const { v(scale, zero_point, qmin, qmax); }
};

struct PostParams {
  static constexpr const char* kName = "emlc::rt::PostParams";
  int32_t classes;       // elements of the model's output 0
  int32_t softmax;       // apply softmax to the (dequantized) output
  int32_t smoothing;     // K: average the class scores of the last K windows (1 = off)
  int32_t debounce;      // a new label must win this many windows in a row
  int32_t report_every;  // report every window (1) or only changes (0)
  float threshold;       // the best averaged score must reach this, else no decision
  template <class V> void fields(V& v) const { v(classes, softmax, smoothing, debounce, report_every, threshold); }
};

// Compile-time tables of spectral features (nullptr where unused).
struct SpectralTables {
  const float* window;     // frame_length values
  const float* twiddle;    // fft_size/2 pairs, see fft_radix2
  const int32_t* mel_start;  // per filter: first power bin
  const int32_t* mel_len;    // per filter: number of non-zero weights
  const float* mel_weight;   // the non-zero weights, filter after filter
  const float* dct;          // coefficients x mel_bins, row-major
};

// The arena slices a pipeline works on.
template <class S, class In, class Out>
struct PipelineBuffers {
  S* ring;            // capacity x channels samples
  In* input;          // the model's input 0
  const Out* output;  // the model's output 0
  float* work;        // spectral: 2 * fft_size floats (else unused)
  float* mel;         // mfcc: mel_bins floats (else unused)
  float* history;     // smoothing x classes scores
  float* scores;      // classes averaged scores of the last window
};

// Single-producer ring counters. Zero-initialised static storage is the
// empty state (no constructor runs).
struct RingState {
  std::atomic<uint32_t> written;  // frames pushed so far (mod 2^32)
  uint32_t slot;                  // producer: ring slot of the next frame
  uint32_t start;                 // consumer: first frame of the next window
  uint32_t start_slot;            // consumer: ring slot of `start`
};

// Post-processing state. Labels are stored plus one, so that zero
// (the initial value) means "no decision".
struct PostState {
  int32_t filled;          // windows in the history (<= smoothing)
  int32_t pos;             // history slot of the next window
  int32_t pending_plus1;   // candidate label + 1 (0: none)
  int32_t run;             // windows the candidate has won in a row
  int32_t decided_plus1;   // current decision + 1 (0: none)
};

struct PipelineState {
  RingState ring;
  PostState post;
  uint32_t windows;     // windows processed
  uint32_t dropped;     // windows lost to overruns
  uint32_t window_end;  // frame index of the last frame of the last processed window
};

struct Decision {
  int32_t label;    // class index, or -1: no decision (below threshold)
  float score;      // averaged score of `label` (of the best class when none)
  uint32_t sample;  // frame index of the window's last frame
  int32_t report;   // 1 if this window changed the decision (or every window is reported)
};

// ---- producer ----

// Appends one frame (`channels` values). Safe to call from an interrupt
// handler while the consumer polls.
template <class S>
inline void pipeline_push(const PipelineParams& p, RingState& r, S* ring, const S* frame) {
  S* dst = ring + static_cast<int32_t>(r.slot) * p.channels;
  for (int32_t c = 0; c < p.channels; ++c) dst[c] = frame[c];
  const uint32_t next = r.slot + 1u;
  r.slot = next == static_cast<uint32_t>(p.capacity) ? 0u : next;
  r.written.store(r.written.load(std::memory_order_relaxed) + 1u, std::memory_order_release);
}

// Empties the ring and forgets all decisions. Call with the producer stopped.
inline void pipeline_reset(PipelineState& st) {
  st.ring.written.store(0u, std::memory_order_relaxed);
  st.ring.slot = st.ring.start = st.ring.start_slot = 0u;
  st.post = PostState{0, 0, 0, 0, 0};
  st.windows = st.dropped = st.window_end = 0u;
}

// ---- features ----

// Writes a feature value into the model input: float as is; int8/uint8
// quantized with the input's scale and zero point.
template <class In>
inline void store_feature(float v, In* dst, const IoQuant& q) {
  if constexpr (std::is_same<In, float>::value) {
    (void)q;
    *dst = v;
  } else {
    float r = round_half_even(v / q.scale) + static_cast<float>(q.zero_point);
    const float lo = static_cast<float>(q.qmin), hi = static_cast<float>(q.qmax);
    if (!(r >= lo)) r = lo;  // also NaN
    if (r > hi) r = hi;
    *dst = static_cast<In>(static_cast<int32_t>(r));
  }
}

template <class Out>
inline float load_output(const Out* src, int32_t i, const IoQuant& q) {
  if constexpr (std::is_same<Out, float>::value) {
    (void)q;
    return src[i];
  } else {
    return static_cast<float>(static_cast<int32_t>(src[i]) - q.zero_point) * q.scale;
  }
}

inline uint32_t ring_advance(uint32_t slot, uint32_t frames, uint32_t capacity) {
  return (slot + frames % capacity) % capacity;
}

// Frame `f` (0 = the window's first) of channel `c`, as a feature value.
template <class S>
inline float window_value(const PipelineParams& p, const S* ring, uint32_t slot, int32_t c) {
  return static_cast<float>(ring[static_cast<int32_t>(slot) * p.channels + c]) * p.gain[c] + p.bias[c];
}

// Fills `work` with one zero-padded, windowed frame of channel c starting at
// ring slot `slot`, and transforms it.
template <class S>
inline void spectral_frame(const PipelineParams& p, const SpectralTables& t, const S* ring, uint32_t slot, int32_t c,
                           float* work) {
  const uint32_t cap = static_cast<uint32_t>(p.capacity);
  for (int32_t i = 0; i < p.frame_length; ++i) {
    float v = window_value(p, ring, slot, c);
    if (p.use_window) v *= t.window[i];
    work[2 * i] = v;
    work[2 * i + 1] = 0.0f;
    slot = slot + 1u == cap ? 0u : slot + 1u;
  }
  for (int32_t i = 2 * p.frame_length; i < 2 * p.fft_size; ++i) work[i] = 0.0f;
  fft_radix2(work, p.fft_size, t.twiddle);
}

// Pre-processing: the window starting at ring slot `slot` -> the model input.
template <class S, class In>
inline void compute_features(const PipelineParams& p, const SpectralTables& t, const IoQuant& q, const S* ring,
                             uint32_t slot, In* input, float* work, float* mel) {
  const uint32_t cap = static_cast<uint32_t>(p.capacity);
  const int32_t sc = p.stride[0], sp = p.stride[1], sk = p.stride[2];
  if (p.kind == kFeatureTime) {
    for (int32_t i = 0; i < p.window; ++i) {
      for (int32_t c = 0; c < p.channels; ++c) store_feature(window_value(p, ring, slot, c), input + c * sc + i * sp, q);
      slot = slot + 1u == cap ? 0u : slot + 1u;
    }
    return;
  }
  if (p.kind == kFeatureFft) {
    for (int32_t c = 0; c < p.channels; ++c) {
      spectral_frame(p, t, ring, slot, c, work);
      for (int32_t k = 0; k < p.bins; ++k) {
        const float re = work[2 * k], im = work[2 * k + 1];
        float v = re * re + im * im;
        if (!p.power) v = sqrtf(v);
        if (p.log_output) v = logf(max_of(v, p.log_floor));
        store_feature(v, input + c * sc + k * sp, q);
      }
    }
    return;
  }
  // MFCC.
  const int32_t nbins = p.fft_size / 2 + 1;
  for (int32_t c = 0; c < p.channels; ++c) {
    for (int32_t f = 0; f < p.frames; ++f) {
      spectral_frame(p, t, ring, ring_advance(slot, static_cast<uint32_t>(f * p.frame_stride), cap), c, work);
      power_spectrum(work, work, nbins);
      mel_filterbank(work, mel, p.mel_bins, t.mel_start, t.mel_len, t.mel_weight);
      for (int32_t j = 0; j < p.mel_bins; ++j) mel[j] = logf(max_of(mel[j], p.log_floor));
      matrix_vector(t.dct, mel, work, p.coefficients, p.mel_bins);
      for (int32_t k = 0; k < p.coefficients; ++k) store_feature(work[k], input + c * sc + f * sp + k * sk, q);
    }
  }
}

// ---- post-processing ----

// One window's model output -> averaged scores and the decision. Returns
// true when the window is to be reported (a change, or report_every).
template <class Out>
inline bool post_process(const PostParams& p, const IoQuant& q, const Out* output, float* history, float* scores,
                         PostState& s, Decision* d) {
  const int32_t n = p.classes;
  float* slotv = history + s.pos * n;
  for (int32_t i = 0; i < n; ++i) slotv[i] = load_output(output, i, q);
  if (p.softmax) {
    float mx = slotv[0];
    for (int32_t i = 1; i < n; ++i) mx = max_of(mx, slotv[i]);
    float sum = 0.0f;
    for (int32_t i = 0; i < n; ++i) {
      slotv[i] = expf(slotv[i] - mx);
      sum += slotv[i];
    }
    for (int32_t i = 0; i < n; ++i) slotv[i] /= sum;
  }
  s.pos = s.pos + 1 == p.smoothing ? 0 : s.pos + 1;
  if (s.filled < p.smoothing) ++s.filled;
  // Average over the filled history slots, in slot order (deterministic).
  const float count = static_cast<float>(s.filled);
  int32_t top = 0;
  for (int32_t i = 0; i < n; ++i) {
    float acc = 0.0f;
    for (int32_t j = 0; j < s.filled; ++j) acc += history[j * n + i];
    scores[i] = acc / count;
    if (scores[i] > scores[top]) top = i;
  }
  const int32_t cand = scores[top] >= p.threshold ? top + 1 : 0;
  if (cand == s.pending_plus1) {
    if (s.run < p.debounce) ++s.run;
  } else {
    s.pending_plus1 = cand;
    s.run = 1;
  }
  bool changed = false;
  if (s.run >= p.debounce && cand != s.decided_plus1) {
    s.decided_plus1 = cand;
    changed = true;
  }
  d->label = s.decided_plus1 - 1;
  d->score = s.decided_plus1 ? scores[s.decided_plus1 - 1] : scores[top];
  d->report = changed || p.report_every ? 1 : 0;
  return d->report != 0;
}

// ---- consumer ----

// Processes the next window if one is complete: features into the model
// input, `invoke()` (runs the model on its arena-resident input; 0 = ok),
// post-processing. Returns a kPoll* code; `d` is set for kPollDecided.
template <class S, class In, class Out, class Invoke>
inline int32_t pipeline_poll(const PipelineParams& p, const SpectralTables& t, const IoQuant& inq,
                             const PostParams& pp, const IoQuant& outq, PipelineState& st,
                             const PipelineBuffers<S, In, Out>& b, Invoke invoke, Decision* d) {
  RingState& r = st.ring;
  const uint32_t cap = static_cast<uint32_t>(p.capacity), hop = static_cast<uint32_t>(p.hop);
  uint32_t avail = r.written.load(std::memory_order_acquire) - r.start;
  if (avail >= cap) {
    // The producer lapped the consumer: skip whole hops to the oldest window
    // that is still intact.
    const uint32_t skip = (avail - cap + 1u + hop - 1u) / hop;
    r.start += skip * hop;
    r.start_slot = ring_advance(r.start_slot, skip * hop, cap);
    st.dropped += skip;
    avail -= skip * hop;
  }
  if (avail < static_cast<uint32_t>(p.window)) return kPollIdle;
  compute_features(p, t, inq, b.ring, r.start_slot, b.input, b.work, b.mel);
  const bool intact = r.written.load(std::memory_order_acquire) - r.start < cap;
  const uint32_t end = r.start + static_cast<uint32_t>(p.window) - 1u;
  r.start += hop;
  r.start_slot = ring_advance(r.start_slot, hop, cap);
  if (!intact) {
    ++st.dropped;
    return kPollDropped;
  }
  ++st.windows;
  st.window_end = end;
  if (invoke() != 0) return kPollModelError;
  post_process(pp, outq, b.output, b.history, b.scores, st.post, d);
  d->sample = end;
  return kPollDecided;
}

}  // namespace rt
}  // namespace emlc

#endif
