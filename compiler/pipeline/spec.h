// Sensor pipeline description: the JSON file given to `emlc compile
// --pipeline` and `emlc simulate`, parsed and checked on its own (without a
// model). bind.h then fits it to a model.
//
// {
//   "sensor":  {"channels": ["ax", "ay", "az"], "sample_type": "int16",
//               "scale": 0.000244140625, "offset": 0, "rate_hz": 50},
//   "window":  {"length": 128, "hop": 64, "ring": 192},
//   "preprocess": [
//     {"type": "normalize", "mean": [0, 0, 1], "std": [0.3, 0.3, 0.4]},
//     {"type": "fft", "window": "hann", "bins": 33, "power": false, "log": true, "log_floor": 1e-6},
//     {"type": "mfcc", "frame_length": 640, "frame_stride": 320, "fft_size": 1024, "mel_bins": 40,
//      "coefficients": 10, "low_hz": 20, "high_hz": 4000, "window": "hann", "log_floor": 1e-6}
//   ],
//   "layout": "auto",
//   "postprocess": {"softmax": true, "smoothing": 3, "threshold": 0.6, "debounce": 2,
//                   "labels": ["idle", "walking"], "report": "change"}
// }
//
// Pre-processing is at most one "normalize" followed by at most one spectral
// stage ("fft" or "mfcc"); see README.md for every key and its default.
// Unknown keys are errors (they are usually typos).
#pragma once

#include <string>
#include <vector>

#include "ir/dtype.h"
#include "support/status.h"

namespace emlc {

enum class SpectralKind { None, Fft, Mfcc };

struct PipelineSpec {
  std::string source;  // file name, for messages

  // Sensor.
  std::vector<std::string> channels;  // names (CSV column names in `emlc simulate`)
  DType sample_type = DType::F32;     // int8, uint8, int16, uint16, int32 or float32
  double scale = 1.0, offset = 0.0;   // physical value = raw * scale + offset
  double rate_hz = 0.0;

  // Window, in sample frames.
  int64_t window = 0, hop = 0;
  int64_t ring = 0;  // ring capacity; 0: window + hop

  // Pre-processing.
  bool normalize = false;
  std::vector<double> mean, std;  // one value, or one per channel
  SpectralKind spectral = SpectralKind::None;
  std::string window_fn = "hann";  // "hann" or "none" (fft, mfcc)
  double log_floor = 1e-6;
  // fft
  int64_t bins = 0;  // 0: fft_size/2 + 1
  bool power = false;
  bool log = false;
  // mfcc (fft_size also for fft: 0 = next power of two >= frame length)
  int64_t frame_length = 0, frame_stride = 0, fft_size = 0, mel_bins = 40, coefficients = 13;
  double low_hz = 20.0, high_hz = 0.0;  // 0: rate_hz / 2

  // Layout of the features in the model input: "auto", "channels_first" or
  // "channels_last" (see bind.h).
  std::string layout = "auto";

  // Post-processing.
  bool softmax = true;
  int64_t smoothing = 1;
  double threshold = 0.0;
  int64_t debounce = 1;
  std::vector<std::string> labels;  // empty: "0", "1", ...
  bool report_every = false;        // "report": "every_window" (else "change")
};

// Parses and checks a pipeline description. `source` names it in messages.
Expected<PipelineSpec> parsePipelineSpec(const std::string& json, const std::string& source);
Expected<PipelineSpec> readPipelineSpec(const std::string& path);

// "int16" etc.; Undefined if not a supported sample type.
DType sampleTypeFromName(const std::string& name);

}  // namespace emlc
