// Test helpers for graph passes: a tiny graph builder and a checker that
// runs a pass and compares the rewritten graph with the original on random
// inputs (through the runtime kernels).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "eval/evaluator.h"
#include "passes/infer.h"
#include "passes/pass.h"

namespace emlc {
namespace testing_util {

inline Attribute ints(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::Ints;
  a.ints = std::move(v);
  return a;
}
inline Attribute i1(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::Int;
  a.i = v;
  return a;
}
inline Attribute f1(float v) {
  Attribute a;
  a.kind = Attribute::Kind::Float;
  a.f = v;
  return a;
}

struct Builder {
  Graph g;
  std::mt19937 rng{1234};
  int counter = 0;

  TensorId input(const std::string& name, Shape s, DType dt = DType::F32) {
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
  TensorId constant(const std::string& name, Shape s, const std::vector<float>& v) {
    Tensor t;
    t.name = name;
    t.type.dtype = DType::F32;
    t.type.shape = std::move(s);
    t.typed = true;
    std::vector<uint8_t> bytes(v.size() * 4);
    if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
    t.data = std::move(bytes);
    EXPECT_EQ(static_cast<int64_t>(v.size()), t.type.numel()) << name;
    return g.addTensor(t);
  }
  TensorId ints64(const std::string& name, const std::vector<int64_t>& v) {
    Tensor t;
    t.name = name;
    t.type.dtype = DType::I64;
    t.type.shape = {static_cast<int64_t>(v.size())};
    t.typed = true;
    std::vector<uint8_t> bytes(v.size() * 8);
    if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
    t.data = std::move(bytes);
    return g.addTensor(t);
  }
  // Random constant in [lo, hi).
  TensorId random(const std::string& name, Shape s, float lo = -1.0f, float hi = 1.0f) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(static_cast<size_t>(shapeNumel(s)));
    for (float& x : v) x = d(rng);
    return constant(name, std::move(s), v);
  }
  // Adds a node; returns its first output (named `out`, or generated).
  TensorId node(const std::string& op, std::vector<TensorId> ins, std::map<std::string, Attribute> attrs = {},
                const std::string& out = "", int opset = 13, size_t outputs = 1) {
    Node n;
    n.op_type = op;
    n.opset = opset;
    n.name = op + "_" + std::to_string(counter++);
    n.inputs = std::move(ins);
    n.attrs = std::move(attrs);
    TensorId first = kNoTensor;
    for (size_t k = 0; k < outputs; ++k) {
      Tensor t;
      t.name = k == 0 && !out.empty() ? out : n.name + "_out" + std::to_string(k);
      TensorId id = g.addTensor(t);
      n.outputs.push_back(id);
      if (k == 0) first = id;
    }
    g.addNode(n);
    return first;
  }
  void output(TensorId t) {
    g.t(t).is_output = true;
    g.outputs.push_back(t);
  }
  // Types the graph without folding, so each pass sees the graph as built.
  void infer() {
    InferOptions o;
    o.fold = false;
    Status st = inferAndFold(g, o);
    ASSERT_TRUE(st.isOk()) << st.error().message;
  }
};

inline std::map<std::string, int> histogram(const Graph& g) {
  std::map<std::string, int> h;
  for (const Node& n : g.nodes)
    if (!n.dead) h[n.op_type]++;
  return h;
}

inline std::vector<HostTensor> randomInputs(const Graph& g, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<HostTensor> v;
  for (TensorId id : g.inputs) {
    HostTensor h;
    h.type = g.t(id).type;
    h.data.resize(h.type.bytes());
    for (int64_t i = 0; i < h.type.numel(); ++i) h.as<float>()[i] = d(rng);
    v.push_back(h);
  }
  return v;
}

// Runs `pass` on a copy of b.g, checks the copy against the original on
// three random inputs (max abs error <= tol * max(1, |reference|)), and
// returns the rewritten graph and the pass record.
struct Result {
  Graph g;
  PassRecord rec;
};
inline Result runChecked(const Graph& before, const std::string& pass, double tol = 1e-5) {
  Result r;
  r.g = before;
  auto rec = runPass(r.g, pass);
  EXPECT_TRUE(rec.isOk()) << (rec.isOk() ? "" : rec.error().message);
  if (!rec.isOk()) return r;
  r.rec = rec.value();
  EXPECT_TRUE(verifyGraph(r.g).isOk());
  EXPECT_EQ(r.g.inputs.size(), before.inputs.size());
  EXPECT_EQ(r.g.outputs.size(), before.outputs.size());
  for (size_t k = 0; k < before.outputs.size() && k < r.g.outputs.size(); ++k)
    EXPECT_EQ(r.g.t(r.g.outputs[k]).name, before.t(before.outputs[k]).name) << "graph output renamed";
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    auto in = randomInputs(before, seed);
    auto want = runGraph(before, in);
    auto got = runGraph(r.g, in);
    EXPECT_TRUE(want.isOk()) << (want.isOk() ? "" : want.error().message);
    EXPECT_TRUE(got.isOk()) << (got.isOk() ? "" : got.error().message);
    if (!want.isOk() || !got.isOk()) return r;
    for (size_t k = 0; k < want->size(); ++k) {
      const HostTensor& a = (*want)[k];
      const HostTensor& b = (*got)[k];
      EXPECT_EQ(a.type.shape, b.type.shape);
      EXPECT_EQ(a.type.dtype, b.type.dtype);
      if (a.type.shape != b.type.shape || a.type.dtype != b.type.dtype) return r;
      double maxerr = 0;
      for (int64_t i = 0; i < a.type.numel(); ++i) {
        const double x = a.as<float>()[i], y = b.as<float>()[i];
        const double e = std::fabs(x - y) / std::max(1.0, std::fabs(x));
        maxerr = std::max(maxerr, std::isnan(e) ? INFINITY : e);
      }
      EXPECT_LE(maxerr, tol) << pass << " output " << k << " seed " << seed;
    }
  }
  return r;
}

inline const Node* findNode(const Graph& g, const std::string& op) {
  for (const Node& n : g.nodes)
    if (!n.dead && n.op_type == op) return &n;
  return nullptr;
}

}  // namespace testing_util
}  // namespace emlc
