#include "prune/sparse.h"

#include <fmt/format.h>

#include <cstring>

#include "emlc/sparse.h"
#include "ops/fused_activation.h"
#include "ops/qconv.h"
#include "passes/rewrite.h"
#include "quant/graph_edit.h"

namespace emlc {

namespace {

// Row-major dense weights as rows x K values of type T.
template <class T>
struct Rows {
  int64_t rows = 0, K = 0;
  std::vector<T> v;
};

template <class T>
Rows<T> rowsOf(const Tensor& w, bool transpose) {
  Rows<T> r;
  const T* src = w.as<T>();
  const int64_t a = w.type.shape[0], b = w.type.numel() / a;
  r.rows = transpose ? b : a;
  r.K = transpose ? a : b;
  r.v.resize(static_cast<size_t>(a * b));
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j)
      r.v[static_cast<size_t>(transpose ? j * a + i : i * b + j)] = src[i * b + j];
  return r;
}

template <class T>
int64_t nonzeros(const Rows<T>& r) {
  int64_t n = 0;
  for (T x : r.v) n += x != T(0);
  return n;
}

// Bitmask + values of the rows (runtime/emlc/sparse.h's encoding).
template <class T>
void encode(const Rows<T>& r, std::vector<uint8_t>* mask, std::vector<T>* values) {
  const int64_t kb = (r.K + 7) / 8;
  mask->assign(static_cast<size_t>(r.rows * kb), 0);
  values->clear();
  for (int64_t i = 0; i < r.rows; ++i)
    for (int64_t k = 0; k < r.K; ++k) {
      const T x = r.v[static_cast<size_t>(i * r.K + k)];
      if (x == T(0)) continue;
      (*mask)[static_cast<size_t>(i * kb + k / 8)] |= static_cast<uint8_t>(1u << (k % 8));
      values->push_back(x);
    }
}

enum class Kind { QConv, QGemm, Conv, Gemm };

bool zeroPointZero(const TensorType& t) {
  for (int32_t z : t.quant.zero_point)
    if (z != 0) return false;
  return true;
}

int64_t convTaps(const Graph& g, const Node& n) {
  const Shape& w = g.inType(n, 1).shape;
  int64_t k = 1;
  for (size_t i = 2; i < w.size(); ++i) k *= w[i];
  return k;
}

// Which sparse rewrite the node allows, if any.
std::optional<Kind> candidate(const Graph& g, const Node& n, bool int8_layers, bool float_layers) {
  if (n.dead || n.in(1) == kNoTensor || !g.t(n.in(1)).isConstant()) return std::nullopt;
  const TensorType& x = g.inType(n, 0);
  const TensorType& w = g.inType(n, 1);
  if (n.domain == "emlc" && (n.op_type == "QConv" || n.op_type == "QGemm")) {
    if (!int8_layers) return std::nullopt;
    if ((x.dtype != DType::I8 && x.dtype != DType::U8) || w.dtype != DType::I8 || !zeroPointZero(w)) return std::nullopt;
    if (n.op_type == "QConv")
      return convTaps(g, n) <= rt::kMaxSparseTaps ? std::optional<Kind>(Kind::QConv) : std::nullopt;
    return w.rank() == 2 && (n.in(2) == kNoTensor || g.t(n.in(2)).isConstant()) ? std::optional<Kind>(Kind::QGemm)
                                                                                : std::nullopt;
  }
  if (!float_layers || !n.domain.empty() || x.dtype != DType::F32 || w.dtype != DType::F32) return std::nullopt;
  if (n.in(2) != kNoTensor && !g.t(n.in(2)).isConstant()) return std::nullopt;
  if (n.op_type == "Conv" && x.layout == Layout::Onnx && w.rank() >= 3 && convTaps(g, n) <= rt::kMaxSparseTaps &&
      n.outputs.size() == 1)
    return Kind::Conv;
  if (n.op_type == "Gemm" && x.rank() == 2 && w.rank() == 2 && n.attrInt("transA", 0) == 0 &&
      n.attrFloat("alpha", 1.0f) == 1.0f && n.attrFloat("beta", 1.0f) == 1.0f) {
    const int64_t N = n.attrInt("transB", 0) ? w.shape[0] : w.shape[1];
    if (n.in(2) == kNoTensor || g.inType(n, 2).shape == Shape{N}) return Kind::Gemm;
  }
  return std::nullopt;
}

template <class T>
Status rewrite(Graph& g, NodeId id, Kind kind, const Rows<T>& rows) {
  Node n = g.n(id);
  std::vector<uint8_t> mask;
  std::vector<T> values;
  encode(rows, &mask, &values);
  const std::string wname = g.t(n.in(1)).name;  // copies: adding tensors moves them
  const Shape wshape = g.t(n.in(1)).type.shape;
  Node s;
  s.name = n.name;
  s.domain = "emlc";
  s.opset = n.opset;
  s.attrs = n.attrs;
  s.outputs = n.outputs;
  Attribute shape;
  shape.kind = Attribute::Kind::Ints;
  shape.ints = (kind == Kind::QGemm || kind == Kind::Gemm) ? std::vector<int64_t>{rows.rows, rows.K} : wshape;
  s.attrs["w_shape"] = shape;
  const TensorId m = addConstantOf<uint8_t>(g, wname + "_mask", TensorType{DType::U8, {rows.rows, (rows.K + 7) / 8}},
                                            mask);
  const TensorId v = addConstantOf<T>(g, wname + "_nz",
                                      TensorType{kind == Kind::QConv || kind == Kind::QGemm ? DType::I8 : DType::F32,
                                                 {static_cast<int64_t>(values.size())}},
                                      values);
  TensorId bias = n.in(2);
  if (kind == Kind::QConv || kind == Kind::QGemm) {
    EMLC_ASSIGN(QKernelArgs a, qkernelArgs(n, g));
    auto ints = [](const std::vector<int32_t>& x) {
      Attribute at;
      at.kind = Attribute::Kind::Ints;
      at.ints.assign(x.begin(), x.end());
      return at;
    };
    s.attrs["multiplier"] = ints(a.multiplier);
    s.attrs["shift"] = ints(a.shift);
    s.attrs["qparams"] = ints({a.q.input_offset, a.q.weight_offset, a.q.output_offset, a.q.act_min, a.q.act_max});
    if (kind == Kind::QGemm) {
      // bias + input_offset * sum(row): the kernel then multiplies x * w only.
      std::vector<int32_t> b(static_cast<size_t>(rows.rows), 0);
      if (bias != kNoTensor) std::memcpy(b.data(), g.t(bias).data->data(), b.size() * sizeof(int32_t));
      for (int64_t i = 0; i < rows.rows; ++i) {
        int64_t sum = 0;
        for (int64_t k = 0; k < rows.K; ++k) sum += rows.v[static_cast<size_t>(i * rows.K + k)];
        b[static_cast<size_t>(i)] += static_cast<int32_t>(sum * a.q.input_offset);
      }
      bias = addConstantOf<int32_t>(g, wname + "_bias_folded", TensorType{DType::I32, {rows.rows}}, b);
    }
  }
  s.op_type = kind == Kind::QConv ? "QConvSparse" : kind == Kind::QGemm ? "QGemmSparse" : kind == Kind::Conv ? "ConvSparse" : "GemmSparse";
  s.inputs = {n.in(0), m, v, bias};
  if (bias == kNoTensor) s.inputs.resize(3);
  g.n(id) = s;
  return inferNode(g, id);
}

struct Choice {
  SparseLayer rec;
};

template <class T>
SparseLayer evaluate(const Graph& g, const Node& n, Kind kind, const Rows<T>& rows) {
  SparseLayer r;
  r.node = n.name.empty() ? g.label(n) : n.name;
  r.op_type = n.op_type;
  const int64_t nnz = nonzeros(rows), total = rows.rows * rows.K, kb = (rows.K + 7) / 8;
  r.density = total ? static_cast<double>(nnz) / static_cast<double>(total) : 1.0;
  r.dense_bytes = total * static_cast<int64_t>(sizeof(T));
  r.sparse_bytes = rows.rows * kb + nnz * static_cast<int64_t>(sizeof(T));
  if (kind == Kind::QGemm && n.in(2) == kNoTensor) r.sparse_bytes += rows.rows * 4;  // the folded bias
  const SparseCost& c = kind == Kind::QConv  ? kSparseCostQConv
                        : kind == Kind::Conv ? kSparseCostConv
                        : kind == Kind::QGemm ? kSparseCostQGemm
                                              : kSparseCostGemm;
  const double rowsD = static_cast<double>(rows.rows);
  r.dense_cost = c.dense * static_cast<double>(total);
  r.sparse_cost = c.nonzero * static_cast<double>(nnz) + c.row * rowsD + c.mask_byte * rowsD * static_cast<double>(kb);
  const bool smaller = r.sparse_bytes < r.dense_bytes, faster = r.sparse_cost < r.dense_cost;
  r.chosen = smaller && faster;
  r.reason = r.chosen ? "" : !smaller && !faster ? "larger and slower" : !smaller ? "larger" : "slower";
  return r;
}

template <class T>
Expected<bool> consider(Graph& g, NodeId id, Kind kind, std::vector<SparseLayer>* report) {
  const Node& n = g.n(id);
  const bool transpose = kind == Kind::QGemm ? n.attrInt("trans_b", 1) == 0
                                             : kind == Kind::Gemm && n.attrInt("transB", 0) == 0;
  const Rows<T> rows = rowsOf<T>(g.t(n.in(1)), transpose);
  if (nonzeros(rows) == rows.rows * rows.K) return false;
  SparseLayer rec = evaluate(g, n, kind, rows);
  if (report) report->push_back(rec);
  if (!rec.chosen) return false;
  EMLC_TRY(rewrite(g, id, kind, rows));
  return true;
}

}  // namespace

Expected<bool> sparsifyWeights(Graph& g, bool int8_layers, bool float_layers, std::vector<SparseLayer>* report) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const NodeId id = static_cast<NodeId>(i);
    const std::optional<Kind> kind = candidate(g, g.n(id), int8_layers, float_layers);
    if (!kind) continue;
    Expected<bool> r = *kind == Kind::QConv || *kind == Kind::QGemm ? consider<int8_t>(g, id, *kind, report)
                                                                    : consider<float>(g, id, *kind, report);
    if (!r) return r.error().context(g.label(id));
    changed |= r.value();
  }
  if (changed) EMLC_TRY(finishPass(g));
  return changed;
}

}  // namespace emlc
