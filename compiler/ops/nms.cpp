// NonMaxSuppression with a static bound (runtime/emlc/nms.h): the output
// gets batches * classes * min(max_output_boxes_per_class, boxes) rows,
// selected rows first and (-1, -1, -1) after them. max_output_boxes_per_class,
// iou_threshold and score_threshold must be compile-time constants (they fix
// the bound). Because the padded output is not ONNX's dynamically sized
// tensor, it may only be a graph output: the application reads rows up to
// the first -1.
#include <algorithm>

#include "emlc/nms.h"
#include "ops/op_util.h"

namespace emlc {
namespace {

Expected<rt::NmsParams> planNms(const Node& n, const Graph& g) {
  EMLC_TRY(requireInputs(n, 2, 5));
  const TensorType& boxes = g.inType(n, 0);
  const TensorType& scores = g.inType(n, 1);
  EMLC_TRY(requireDType(boxes, {DType::F32}, "boxes"));
  EMLC_TRY(requireDType(scores, {DType::F32}, "scores"));
  if (boxes.rank() != 3 || boxes.shape[2] != 4)
    return invalid(fmt::format("boxes {} must have shape [batches, boxes, 4]", boxes.str()));
  if (scores.rank() != 3 || scores.shape[0] != boxes.shape[0] || scores.shape[2] != boxes.shape[1])
    return invalid(fmt::format("scores {} must have shape [{}, classes, {}]", scores.str(), boxes.shape[0],
                               boxes.shape[1]));
  EMLC_TRY(checkShape(boxes.shape, "boxes"));
  EMLC_TRY(checkShape(scores.shape, "scores"));
  rt::NmsParams p{};
  p.batches = static_cast<int32_t>(boxes.shape[0]);
  p.boxes = static_cast<int32_t>(boxes.shape[1]);
  p.classes = static_cast<int32_t>(scores.shape[1]);
  const int64_t center = n.attrInt("center_point_box", 0);
  if (center != 0 && center != 1) return invalid(fmt::format("center_point_box must be 0 or 1, is {}", center));
  p.center_point_box = static_cast<int32_t>(center);
  int64_t maxPerClass = 0;
  if (n.in(2) != kNoTensor) {
    EMLC_TRY(requireConst(g, n, 2, "max_output_boxes_per_class"));
    EMLC_ASSIGN(std::vector<int64_t> v, constInts(g, n.in(2)));
    if (v.size() != 1) return invalid("max_output_boxes_per_class must hold one value");
    maxPerClass = std::max<int64_t>(v[0], 0);
  }
  p.max_per_class = static_cast<int32_t>(std::min<int64_t>(maxPerClass, p.boxes));
  if (n.in(3) != kNoTensor) {
    EMLC_TRY(requireConst(g, n, 3, "iou_threshold"));
    EMLC_ASSIGN(std::vector<double> v, constDoubles(g, n.in(3)));
    if (v.size() != 1 || !(v[0] >= 0.0 && v[0] <= 1.0))
      return invalid("iou_threshold must be one value in [0, 1]");
    p.iou_threshold = static_cast<float>(v[0]);
  }
  if (n.in(4) != kNoTensor) {
    EMLC_TRY(requireConst(g, n, 4, "score_threshold"));
    EMLC_ASSIGN(std::vector<double> v, constDoubles(g, n.in(4)));
    if (v.size() != 1) return invalid("score_threshold must hold one value");
    p.has_score_threshold = 1;
    p.score_threshold = static_cast<float>(v[0]);
  }
  const int64_t rows = int64_t{p.batches} * p.classes * p.max_per_class;
  EMLC_TRY(checkShape({rows, 3}, "selected_indices (static bound)"));
  p.rows = static_cast<int32_t>(rows);
  return p;
}

class NmsOp final : public Op {
 public:
  OpDoc doc() const override {
    return {"float32", "max_output_boxes_per_class and the thresholds must be compile-time constants; the output "
                       "has its static bound of rows, unused rows are -1, and must be a graph output"};
  }
  bool needsConstInput(const Node&, size_t k) const override { return k >= 2; }

  Status infer(Node& n, Graph& g) const override {
    EMLC_ASSIGN(rt::NmsParams p, planNms(n, g));
    const TensorId out = n.out(0);
    for (const Node& other : g.nodes)
      if (!other.dead && std::find(other.inputs.begin(), other.inputs.end(), out) != other.inputs.end())
        return unsupported("the output is padded to its static bound with (-1, -1, -1) rows, so it can only be a "
                           "graph output (the application reads rows up to the first -1), not another node's input");
    TensorType t;
    t.dtype = DType::I64;
    t.shape = {p.rows, 3};
    setOut(g, n, 0, t);
    return Status::ok();
  }

  size_t scratchBytes(const Node& n, const Graph& g) const override {
    auto p = planNms(n, g);
    return p ? scratchCount(p.value()) * 4 : 0;
  }

  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(rt::NmsParams p, planNms(l.node(), l.graph()));
    return l.call("emlc::rt::non_max_suppression", &rt::non_max_suppression, p, l.in<float>(0), l.in<float>(1),
                  l.out<int64_t>(0), l.scratch<int32_t>(scratchCount(p)));
  }

 private:
  // Selected indices (int32) then one flag byte per box.
  static size_t scratchCount(const rt::NmsParams& p) {
    return static_cast<size_t>(p.max_per_class) + (static_cast<size_t>(p.boxes) + 3) / 4;
  }
};

}  // namespace

const Op& op_NonMaxSuppression() { static const NmsOp op; return op; }

}  // namespace emlc
