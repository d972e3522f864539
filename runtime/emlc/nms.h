// emlc runtime: NonMaxSuppression with a static bound.
//
// ONNX's output has one row (batch, class, box) per selected box, a number
// known only at run time. emlc gives the output its static bound,
// batches * classes * min(max_output_boxes_per_class, boxes) rows: the
// selected rows come first, in ONNX's order (batch, then class, then
// selection order), and every row after them is (-1, -1, -1).
//
// Selection per batch and class, as ONNX Runtime does it: candidates are the
// boxes scoring above score_threshold (all boxes without one), taken in
// order of falling score (ties: lower index first); a candidate is selected
// unless its IoU with an already selected box exceeds iou_threshold; at most
// max_output_boxes_per_class are selected. Boxes are [y1, x1, y2, x2] (any
// two opposite corners) or, with center_point_box = 1, [x, y, w, h].
// Scratch: `boxes` bytes of flags plus min(max, boxes) int32 indices.
#ifndef EMLC_RUNTIME_NMS_H
#define EMLC_RUNTIME_NMS_H

#include "common.h"

namespace emlc {
namespace rt {

struct NmsParams {
  static constexpr const char* kName = "emlc::rt::NmsParams";
  int32_t batches, classes, boxes;
  int32_t max_per_class;  // already clamped to [0, boxes]
  int32_t center_point_box;
  int32_t has_score_threshold;
  float iou_threshold, score_threshold;
  int32_t rows;  // the static bound: batches * classes * max_per_class
  template <class V> void fields(V& v) const {
    v(batches, classes, boxes, max_per_class, center_point_box, has_score_threshold, iou_threshold, score_threshold,
      rows);
  }
};

namespace nms_detail {

struct Rect {
  float y0, x0, y1, x1;  // y0 <= y1, x0 <= x1
};

inline Rect rect(const float* b, int32_t center) {
  if (center) return Rect{b[1] - b[3] / 2, b[0] - b[2] / 2, b[1] + b[3] / 2, b[0] + b[2] / 2};
  return Rect{min_of(b[0], b[2]), min_of(b[1], b[3]), max_of(b[0], b[2]), max_of(b[1], b[3])};
}

inline bool suppresses(const Rect& a, const Rect& b, float threshold) {
  const float ix0 = max_of(a.x0, b.x0), ix1 = min_of(a.x1, b.x1);
  const float iy0 = max_of(a.y0, b.y0), iy1 = min_of(a.y1, b.y1);
  if (ix1 <= ix0 || iy1 <= iy0) return false;
  const float inter = (ix1 - ix0) * (iy1 - iy0);
  const float area_a = (a.x1 - a.x0) * (a.y1 - a.y0), area_b = (b.x1 - b.x0) * (b.y1 - b.y0);
  const float uni = area_a + area_b - inter;
  if (area_a <= 0.0f || area_b <= 0.0f || uni <= 0.0f) return false;
  return inter / uni > threshold;
}

}  // namespace nms_detail

inline void non_max_suppression(const NmsParams& p, const float* boxes, const float* scores, int64_t* out,
                                int32_t* scratch) {
  uint8_t* alive = reinterpret_cast<uint8_t*>(scratch + p.max_per_class);
  int32_t* selected = scratch;
  int32_t row = 0;
  for (int32_t b = 0; b < p.batches; ++b) {
    const float* bb = boxes + b * p.boxes * 4;
    for (int32_t c = 0; c < p.classes; ++c) {
      const float* sc = scores + (b * p.classes + c) * p.boxes;
      for (int32_t i = 0; i < p.boxes; ++i) alive[i] = !p.has_score_threshold || sc[i] > p.score_threshold;
      int32_t count = 0;
      while (count < p.max_per_class) {
        int32_t best = -1;
        for (int32_t i = 0; i < p.boxes; ++i)
          if (alive[i] && (best < 0 || sc[i] > sc[best])) best = i;
        if (best < 0) break;
        alive[best] = 0;
        const nms_detail::Rect r = nms_detail::rect(bb + best * 4, p.center_point_box);
        bool keep = true;
        for (int32_t k = 0; k < count && keep; ++k)
          keep = !nms_detail::suppresses(nms_detail::rect(bb + selected[k] * 4, p.center_point_box), r,
                                         p.iou_threshold);
        if (!keep) continue;
        selected[count++] = best;
        out[row * 3] = b;
        out[row * 3 + 1] = c;
        out[row * 3 + 2] = best;
        ++row;
      }
    }
  }
  for (; row < p.rows; ++row) out[row * 3] = out[row * 3 + 1] = out[row * 3 + 2] = -1;
}

}  // namespace rt
}  // namespace emlc

#endif
