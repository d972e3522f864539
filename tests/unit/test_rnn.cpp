// Recurrent ops (RNN, GRU, LSTM): kernels on hand-computed one-unit cases,
// the ops through small graphs, and attribute/shape errors reported as
// errors. The wider numerical coverage (directions, sequence lengths,
// layouts, activations) is in tests/rnn/ against numpy and PyTorch.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "emlc/rnn.h"
#include "eval/evaluator.h"
#include "passes/infer.h"

namespace emlc {
namespace {

rt::RnnParams params(int32_t seq, int32_t batch, int32_t in, int32_t hid, int32_t kind) {
  rt::RnnParams p{};
  p.seq_length = seq;
  p.batch = batch;
  p.input = in;
  p.hidden = hid;
  p.directions = 1;
  const int32_t defaults[3] = {kind == rt::kRnnKindRnn ? rt::kRnnTanh : rt::kRnnSigmoid, rt::kRnnTanh, rt::kRnnTanh};
  for (int i = 0; i < 3; ++i) p.act[i] = defaults[i];
  return p;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST(RnnKernels, SimpleRnnTwoStepsByHand) {
  // H = I = 1: h1 = tanh(0.5*1 + 0.1), h2 = tanh(0.5*2 + 0.1 + 0.25*h1).
  const float x[2] = {1, 2}, w[1] = {0.5f}, r[1] = {0.25f}, b[2] = {0.1f, 0};
  float y[2], yh[1], scratch[8];
  rt::rnn<float>(params(2, 1, 1, 1, rt::kRnnKindRnn), x, w, r, b, nullptr, nullptr, y, yh, scratch);
  const double h1 = std::tanh(0.6), h2 = std::tanh(1.1 + 0.25 * h1);
  EXPECT_NEAR(y[0], h1, 1e-6);
  EXPECT_NEAR(y[1], h2, 1e-6);
  EXPECT_NEAR(yh[0], h2, 1e-6);
}

TEST(RnnKernels, ReverseWithSequenceLengthZeroesThePadding) {
  // Batch 2, lengths 1 and 0, reverse: entry 0 runs step 0 only, entry 1 nothing.
  rt::RnnParams p = params(2, 2, 1, 1, rt::kRnnKindRnn);
  p.reverse = 1;
  const float x[4] = {1, 5, 7, 9};  // [t][b]
  const float w[1] = {1}, r[1] = {1}, h0[2] = {0.5f, 0.25f};
  const int32_t lens[2] = {1, 0};
  float y[4], yh[2], scratch[8];
  rt::rnn<float>(p, x, w, r, static_cast<const float*>(nullptr), lens, h0, y, yh, scratch);
  EXPECT_NEAR(y[0], std::tanh(1.0 + 0.5), 1e-6);  // t=0, b=0
  EXPECT_EQ(y[1], 0.0f);                          // t=0, b=1: empty sequence
  EXPECT_EQ(y[2], 0.0f);                          // t=1 beyond both lengths
  EXPECT_EQ(y[3], 0.0f);
  EXPECT_NEAR(yh[0], std::tanh(1.5), 1e-6);
  EXPECT_EQ(yh[1], 0.0f);  // ONNX Runtime's convention for an empty sequence
}

TEST(RnnKernels, GruOneStepBothResetForms) {
  // H = I = 1, h0 = 0.5, x = 1; W = (z 0.2, r 0.4, h 0.6), R = (0.3, 0.5, 0.7),
  // Wb = (0.1, 0.2, 0.3), Rb = (0.05, 0.15, 0.25).
  const float x[1] = {1}, w[3] = {0.2f, 0.4f, 0.6f}, r[3] = {0.3f, 0.5f, 0.7f};
  const float b[6] = {0.1f, 0.2f, 0.3f, 0.05f, 0.15f, 0.25f}, h0[1] = {0.5f};
  const double z = sigmoid(0.2 + 0.1 + 0.3 * 0.5 + 0.05), rr = sigmoid(0.4 + 0.2 + 0.5 * 0.5 + 0.15);
  for (int lbr = 0; lbr < 2; ++lbr) {
    rt::RnnParams p = params(1, 1, 1, 1, rt::kRnnKindGru);
    p.linear_before_reset = lbr;
    float y[1], yh[1], scratch[16];
    rt::gru<float>(p, x, w, r, b, nullptr, h0, y, yh, scratch);
    const double n = lbr ? std::tanh(0.6 + 0.3 + rr * (0.7 * 0.5 + 0.25)) : std::tanh(0.6 + 0.3 + 0.7 * (rr * 0.5) + 0.25);
    EXPECT_NEAR(yh[0], (1 - z) * n + z * 0.5, 1e-6) << "linear_before_reset=" << lbr;
    EXPECT_EQ(y[0], yh[0]);
  }
}

TEST(RnnKernels, LstmOneStepWithPeepholesAndClip) {
  // H = I = 1, gates i, o, f, c with W = (1, 2, 3, 4), R = 0, no bias,
  // c0 = 0.5, P = (0.1, 0.2, 0.3), clip 1.5 (binds on the f, o and c gates).
  const float x[1] = {1}, w[4] = {1, 2, 3, 4}, r[4] = {0, 0, 0, 0}, c0[1] = {0.5f}, pp[3] = {0.1f, 0.2f, 0.3f};
  rt::RnnParams p = params(1, 1, 1, 1, rt::kRnnKindLstm);
  p.clip = 1.5f;
  float y[1], yh[1], yc[1], scratch[16];
  rt::lstm<float>(p, x, w, r, static_cast<const float*>(nullptr), nullptr, static_cast<const float*>(nullptr), c0, pp, y,
           yh, yc, scratch);
  auto clip = [](double v) { return std::max(-1.5, std::min(1.5, v)); };
  const double i = sigmoid(clip(1 + 0.1 * 0.5)), f = sigmoid(clip(3 + 0.3 * 0.5));
  const double c = f * 0.5 + i * std::tanh(clip(4));
  const double o = sigmoid(clip(2 + 0.2 * c));
  EXPECT_NEAR(yc[0], c, 1e-6);
  EXPECT_NEAR(yh[0], o * std::tanh(clip(c)), 1e-6);
}

// ---- ops through graphs -----------------------------------------------------

struct GraphBuilder {
  Graph g;
  TensorId input(const std::string& name, DType dt, Shape s) {
    Tensor t;
    t.name = name;
    t.type.dtype = dt;
    t.type.shape = std::move(s);
    t.typed = true;
    t.is_input = true;
    TensorId id = g.addTensor(t);
    g.inputs.push_back(id);
    return id;
  }
  TensorId constant(const std::string& name, Shape s, std::vector<float> v, DType dt = DType::F32) {
    Tensor t;
    t.name = name;
    t.type.dtype = dt;
    t.type.shape = std::move(s);
    t.typed = true;
    t.data = std::vector<uint8_t>(v.size() * 4);
    if (dt == DType::I32) {
      std::vector<int32_t> iv(v.begin(), v.end());
      std::memcpy(t.data->data(), iv.data(), iv.size() * 4);
    } else {
      std::memcpy(t.data->data(), v.data(), v.size() * 4);
    }
    return g.addTensor(t);
  }
  TensorId output(const std::string& name) {
    Tensor t;
    t.name = name;
    t.is_output = true;
    TensorId id = g.addTensor(t);
    g.outputs.push_back(id);
    return id;
  }
  Node& node(const std::string& op, std::vector<TensorId> in, std::vector<TensorId> out, int opset) {
    Node n;
    n.op_type = op;
    n.opset = opset;
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    g.addNode(n);
    return g.nodes.back();
  }
};

Attribute intAttr(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::Int;
  a.i = v;
  return a;
}
Attribute floatAttr(float v) {
  Attribute a;
  a.kind = Attribute::Kind::Float;
  a.f = v;
  return a;
}
Attribute strAttr(const std::string& v) {
  Attribute a;
  a.kind = Attribute::Kind::String;
  a.s = v;
  return a;
}
Attribute strsAttr(std::vector<std::string> v) {
  Attribute a;
  a.kind = Attribute::Kind::Strings;
  a.strings = std::move(v);
  return a;
}

ErrorKind kindOf(const Status& s) { return s.isOk() ? ErrorKind::Internal : s.error().kind; }

// A GRU over x [seq 3, batch 1, input 2] with hidden 2 and the given attributes.
Status inferGru(std::map<std::string, Attribute> attrs, Shape w_shape = {1, 6, 2}, int opset = 14,
                std::vector<float> lens = {}) {
  GraphBuilder b;
  TensorId x = b.input("x", DType::F32, {3, 1, 2});
  const int64_t wn = w_shape[0] * w_shape[1] * w_shape[2];
  TensorId w = b.constant("w", w_shape, std::vector<float>(static_cast<size_t>(wn), 0.1f));
  TensorId r = b.constant("r", {1, 6, 2}, std::vector<float>(12, 0.1f));
  std::vector<TensorId> in = {x, w, r};
  if (!lens.empty()) {
    in.push_back(kNoTensor);
    in.push_back(b.constant("lens", {1}, lens, DType::I32));
  }
  TensorId y = b.output("y");
  b.node("GRU", in, {y}, opset).attrs = std::move(attrs);
  return inferAndFold(b.g, InferOptions{});
}

TEST(RnnOps, GruShapesAndLayout) {
  GraphBuilder b;
  TensorId x = b.input("x", DType::F32, {2, 3, 4});  // layout 1: [batch 2, seq 3, input 4]
  TensorId w = b.constant("w", {2, 15, 4}, std::vector<float>(120, 0.01f));
  TensorId r = b.constant("r", {2, 15, 5}, std::vector<float>(150, 0.01f));
  TensorId y = b.output("y"), yh = b.output("yh");
  Node& n = b.node("GRU", {x, w, r}, {y, yh}, 14);
  n.attrs["direction"] = strAttr("bidirectional");
  n.attrs["layout"] = intAttr(1);
  n.attrs["hidden_size"] = intAttr(5);
  ASSERT_TRUE(inferAndFold(b.g, InferOptions{}).isOk());
  EXPECT_EQ(b.g.t(y).type.shape, (Shape{2, 3, 2, 5}));
  EXPECT_EQ(b.g.t(yh).type.shape, (Shape{2, 2, 5}));
}

TEST(RnnOps, LstmThroughGraphMatchesHandComputation) {
  // One unit, one step, weights 1 on every gate, zero state: i = o = f =
  // sigmoid(x), c = i * tanh(x), h = o * tanh(c).
  GraphBuilder b;
  TensorId x = b.input("x", DType::F32, {1, 1, 1});
  TensorId w = b.constant("w", {1, 4, 1}, {1, 1, 1, 1});
  TensorId r = b.constant("r", {1, 4, 1}, {0, 0, 0, 0});
  TensorId y = b.output("y"), yh = b.output("yh"), yc = b.output("yc");
  b.node("LSTM", {x, w, r}, {y, yh, yc}, 14);
  ASSERT_TRUE(inferAndFold(b.g, InferOptions{}).isOk());
  HostTensor in;
  in.type = {DType::F32, {1, 1, 1}};
  const float xv = 0.7f;
  in.data.resize(4);
  std::memcpy(in.data.data(), &xv, 4);
  auto out = runGraph(b.g, {in});
  ASSERT_TRUE(out.isOk());
  const double s = sigmoid(0.7), c = s * std::tanh(0.7);
  EXPECT_NEAR(out.value()[2].as<float>()[0], c, 1e-6);
  EXPECT_NEAR(out.value()[1].as<float>()[0], s * std::tanh(c), 1e-6);
  EXPECT_NEAR(out.value()[0].as<float>()[0], s * std::tanh(c), 1e-6);
}

TEST(RnnOps, BadAttributesAreErrors) {
  EXPECT_TRUE(inferGru({}).isOk());
  EXPECT_EQ(kindOf(inferGru({{"direction", strAttr("sideways")}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferGru({{"hidden_size", intAttr(3)}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferGru({{"hidden_size", intAttr(-1)}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferGru({}, {1, 5, 2})), ErrorKind::Invalid);  // 5 rows: not 3 gates
  EXPECT_EQ(kindOf(inferGru({}, {1, 6, 3})), ErrorKind::Invalid);  // input size differs from X
  EXPECT_EQ(kindOf(inferGru({{"direction", strAttr("bidirectional")}})), ErrorKind::Invalid);  // W has 1 direction
  EXPECT_EQ(kindOf(inferGru({{"layout", intAttr(2)}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferGru({{"clip", floatAttr(0.0f)}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferGru({{"linear_before_reset", intAttr(2)}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferGru({{"activations", strsAttr({"Sigmoid"})}})), ErrorKind::Invalid);
  EXPECT_EQ(kindOf(inferGru({{"activations", strsAttr({"Sigmoid", "Cube"})}})), ErrorKind::Unsupported);
  EXPECT_TRUE(inferGru({{"activations", strsAttr({"hardsigmoid", "SCALEDTANH"})}}).isOk());  // any case
  EXPECT_TRUE(inferGru({}, {1, 6, 2}, 14, {3}).isOk());
  EXPECT_EQ(kindOf(inferGru({}, {1, 6, 2}, 14, {4})), ErrorKind::Invalid);  // length above seq_length
  EXPECT_EQ(kindOf(inferGru({}, {1, 6, 2}, 14, {-1})), ErrorKind::Invalid);
}

TEST(RnnOps, WrongInputTypesAndShapesAreErrors) {
  GraphBuilder b;
  TensorId x = b.input("x", DType::I32, {3, 1, 2});
  TensorId w = b.constant("w", {1, 2, 2}, std::vector<float>(4, 0.1f));
  TensorId r = b.constant("r", {1, 2, 2}, std::vector<float>(4, 0.1f));
  b.node("RNN", {x, w, r}, {b.output("y")}, 14);
  EXPECT_EQ(kindOf(inferAndFold(b.g, InferOptions{})), ErrorKind::Unsupported);

  GraphBuilder c;
  TensorId x2 = c.input("x", DType::F32, {3, 2});  // rank 2
  TensorId w2 = c.constant("w", {1, 2, 2}, std::vector<float>(4, 0.1f));
  TensorId r2 = c.constant("r", {1, 2, 2}, std::vector<float>(4, 0.1f));
  c.node("RNN", {x2, w2, r2}, {c.output("y")}, 14);
  EXPECT_EQ(kindOf(inferAndFold(c.g, InferOptions{})), ErrorKind::Invalid);

  GraphBuilder d;  // initial_h of the wrong shape
  TensorId x3 = d.input("x", DType::F32, {3, 1, 2});
  TensorId w3 = d.constant("w", {1, 2, 2}, std::vector<float>(4, 0.1f));
  TensorId r3 = d.constant("r", {1, 2, 2}, std::vector<float>(4, 0.1f));
  TensorId h3 = d.constant("h", {1, 2, 2}, std::vector<float>(4, 0.1f));
  d.node("RNN", {x3, w3, r3, kNoTensor, kNoTensor, h3}, {d.output("y")}, 14);
  EXPECT_EQ(kindOf(inferAndFold(d.g, InferOptions{})), ErrorKind::Invalid);
}

}  // namespace
}  // namespace emlc
