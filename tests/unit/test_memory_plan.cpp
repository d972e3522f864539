// Memory planner on graphs: in place, views, Concat slices, schedule search,
// scratch, regions, budgets, reports. The strongest check runs a graph with
// every tensor at its planned address (one poisoned byte array per region,
// the caller's buffers for float32 inputs/outputs) through the runtime
// kernels and compares with a run on separate buffers: any overlap, bad
// in-place decision or wrong slice changes the result.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <unistd.h>

#include "codegen/emitter.h"
#include "eval/evaluator.h"
#include "ops/op.h"
#include "plan/memory_plan.h"
#include "plan/report.h"
#include "support/output_dir.h"

namespace emlc {
namespace {

namespace fs = std::filesystem;

// ---- graph building (types set by hand: Concat has no Op on every branch) ----

struct Builder {
  Graph g;
  TensorId tensor(const std::string& name, DType dt, Shape s) {
    Tensor t;
    t.name = name;
    t.type.dtype = dt;
    t.type.shape = std::move(s);
    t.typed = true;
    return g.addTensor(t);
  }
  TensorId input(const std::string& name, DType dt, Shape s) {
    TensorId id = tensor(name, dt, std::move(s));
    g.t(id).is_input = true;
    g.inputs.push_back(id);
    return id;
  }
  void output(TensorId id) {
    g.t(id).is_output = true;
    g.outputs.push_back(id);
  }
  // Node with one output of type `out`.
  TensorId node(const std::string& op, std::vector<TensorId> in, const std::string& outName, DType dt, Shape out,
                int64_t axis = 1) {
    TensorId y = tensor(outName, dt, std::move(out));
    Node n;
    n.op_type = op;
    n.name = outName + "_node";
    n.opset = 13;
    n.inputs = std::move(in);
    n.outputs = {y};
    if (op == "Concat") {
      Attribute a;
      a.kind = Attribute::Kind::Int;
      a.i = axis;
      n.attrs["axis"] = a;
    }
    g.addNode(n);
    return y;
  }
  TensorId unary(const std::string& op, TensorId x, const std::string& name) {
    return node(op, {x}, name, g.t(x).type.dtype, g.t(x).type.shape);
  }
  TensorId binary(const std::string& op, TensorId a, TensorId b, const std::string& name) {
    return node(op, {a, b}, name, g.t(a).type.dtype, g.t(a).type.shape);
  }
};

// ---- execution: reference (separate buffers) and planned addresses ----------

// Concat along an outer axis (the only kind the random graphs build): the
// inputs' bytes one after the other.
void concatBytes(const Graph& g, const Node& n, const std::vector<const void*>& in, void* out) {
  size_t at = 0;
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    const size_t b = g.t(n.inputs[k]).type.bytes();
    std::memmove(static_cast<uint8_t*>(out) + at, in[k], b);
    at += b;
  }
}

using Bytes = std::vector<uint8_t>;

std::vector<Bytes> runReference(const Graph& g, const std::vector<Bytes>& inputs) {
  std::vector<Bytes> buf(g.tensors.size());
  for (size_t k = 0; k < g.inputs.size(); ++k) buf[static_cast<size_t>(g.inputs[k])] = inputs[k];
  for (const Node& n : g.nodes) {
    std::vector<const void*> in;
    for (TensorId x : n.inputs) in.push_back(g.t(x).isConstant() ? g.t(x).data->data() : buf[static_cast<size_t>(x)].data());
    std::vector<void*> out;
    for (TensorId y : n.outputs) {
      buf[static_cast<size_t>(y)].assign(std::max<size_t>(g.t(y).type.bytes(), 1), 0);
      out.push_back(buf[static_cast<size_t>(y)].data());
    }
    if (n.op_type == "Concat") concatBytes(g, n, in, out[0]);
    else EXPECT_TRUE(evalNode(g, n, in, out).isOk()) << g.label(n);
  }
  std::vector<Bytes> res;
  for (TensorId o : g.outputs) {
    Bytes b = buf[static_cast<size_t>(o)];
    b.resize(g.t(o).type.bytes());
    res.push_back(b);
  }
  return res;
}

std::vector<Bytes> runPlanned(const Graph& g, const MemoryPlan& p, const std::vector<Bytes>& inputs) {
  std::vector<Bytes> region;
  for (const RegionPlan& r : p.regions) region.emplace_back(r.size + 1, 0xCD);  // poisoned
  std::vector<Bytes> in = inputs;  // the caller's input buffers: must stay unchanged
  std::vector<Bytes> out;
  for (TensorId o : g.outputs) out.emplace_back(g.t(o).type.bytes() + 1, 0xAB);
  auto addr = [&](TensorId id) -> uint8_t* {
    const Tensor& t = g.t(id);
    if (t.isConstant()) return const_cast<uint8_t*>(t.data->data());
    const TensorStorage& s = p.storage[static_cast<size_t>(id)];
    switch (s.home) {
      case Home::Arena: return region[static_cast<size_t>(s.region)].data() + s.offset;
      case Home::Input: return in[static_cast<size_t>(s.index)].data() + s.offset;
      case Home::Output: return out[static_cast<size_t>(s.index)].data() + s.offset;
      default: ADD_FAILURE() << "unplanned tensor " << t.name; return nullptr;
    }
  };
  for (size_t k = 0; k < g.inputs.size(); ++k)
    if (p.input_in_arena[k]) std::memcpy(addr(g.inputs[k]), inputs[k].data(), inputs[k].size());
  for (NodeId id : p.schedule) {
    const Node& n = g.n(id);
    if (p.elided[static_cast<size_t>(id)]) continue;
    std::vector<const void*> ins;
    for (TensorId x : n.inputs) ins.push_back(addr(x));
    std::vector<void*> outs;
    for (TensorId y : n.outputs) outs.push_back(addr(y));
    if (n.op_type == "Concat") concatBytes(g, n, ins, outs[0]);
    else EXPECT_TRUE(evalNode(g, n, ins, outs).isOk()) << g.label(n);
  }
  std::vector<Bytes> res;
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const TensorId o = g.outputs[k];
    const TensorStorage& s = p.storage[static_cast<size_t>(o)];
    const uint8_t* src = s.home == Home::Output && s.index == static_cast<int>(k) ? out[k].data() : addr(o);
    res.emplace_back(src, src + g.t(o).type.bytes());
  }
  for (size_t k = 0; k < inputs.size(); ++k) EXPECT_EQ(in[k], inputs[k]) << "graph input " << k << " was written";
  return res;
}

Bytes randomBytes(std::mt19937& rng, const TensorType& t) {
  Bytes b(t.bytes());
  if (t.dtype == DType::F32) {
    std::uniform_real_distribution<float> d(-2.0f, 2.0f);
    for (size_t i = 0; i < b.size() / 4; ++i) {
      float v = d(rng);
      std::memcpy(b.data() + 4 * i, &v, 4);
    }
  } else {
    for (size_t i = 0; i < b.size() / 4; ++i) {
      int32_t v = static_cast<int32_t>(rng() % 41u) - 20;
      std::memcpy(b.data() + 4 * i, &v, 4);
    }
  }
  return b;
}

void expectPlanRunsCorrectly(const Graph& g, const MemoryPlan& p, std::mt19937& rng) {
  ASSERT_TRUE(verifyPlan(g, p).isOk());
  std::vector<Bytes> inputs;
  for (TensorId x : g.inputs) inputs.push_back(randomBytes(rng, g.t(x).type));
  std::vector<Bytes> want = runReference(g, inputs);
  std::vector<Bytes> got = runPlanned(g, p, inputs);
  ASSERT_EQ(want.size(), got.size());
  for (size_t k = 0; k < want.size(); ++k) EXPECT_EQ(want[k], got[k]) << "output " << k;
}

// ---- random graphs ------------------------------------------------------------

Graph randomGraph(std::mt19937& rng, DType dt) {
  Builder b;
  std::vector<TensorId> pool;
  const int nin = 1 + static_cast<int>(rng() % 2u);
  for (int i = 0; i < nin; ++i) pool.push_back(b.input("in" + std::to_string(i), dt, {1, 8}));
  const std::vector<std::string> unaryF = {"Relu", "Sigmoid", "Neg", "Abs", "Tanh", "Softmax"};
  const std::vector<std::string> unaryI = {"Relu", "Neg", "Abs"};
  const std::vector<std::string> binaryOps = {"Add", "Sub", "Mul", "Max", "Sum"};
  const auto& unaryOps = dt == DType::F32 ? unaryF : unaryI;
  const int nn = 4 + static_cast<int>(rng() % 24u);
  std::vector<TensorId> produced;
  auto pick = [&]() { return pool[rng() % pool.size()]; };
  auto sameShape = [&](TensorId x) {
    std::vector<TensorId> c;
    for (TensorId t : pool)
      if (b.g.t(t).type.shape == b.g.t(x).type.shape) c.push_back(t);
    return c[rng() % c.size()];
  };
  for (int i = 0; i < nn; ++i) {
    const std::string name = "t" + std::to_string(i);
    const unsigned kind = rng() % 10u;
    TensorId y;
    if (kind < 4) {
      y = b.unary(unaryOps[rng() % unaryOps.size()], pick(), name);
    } else if (kind < 8) {
      TensorId x = pick();
      std::string op = binaryOps[rng() % binaryOps.size()];
      if (op == "Sum") y = b.node("Sum", {x, sameShape(x), sameShape(x)}, name, dt, b.g.t(x).type.shape);
      else y = b.binary(op, x, sameShape(x), name);
    } else {
      TensorId x = pick();
      const Shape s = b.g.t(x).type.shape;
      const int parts = 2 + static_cast<int>(rng() % 2u);
      std::vector<TensorId> ins = {x};
      for (int k = 1; k < parts; ++k) ins.push_back(sameShape(x));
      Shape out = s;
      int64_t axis = 1;
      if (s[0] == 1 && s[1] * parts <= 64) {
        out[1] = s[1] * parts;
      } else if (s[0] * parts <= 8) {
        axis = 0;
        out[0] = s[0] * parts;
      } else {
        y = b.unary(unaryOps[rng() % unaryOps.size()], x, name);
        pool.push_back(y);
        produced.push_back(y);
        continue;
      }
      y = b.node("Concat", ins, name, dt, out, rng() % 2u ? axis : axis - 2);
    }
    pool.push_back(y);
    produced.push_back(y);
  }
  const int nout = 1 + static_cast<int>(rng() % 3u);
  std::vector<TensorId> outs;
  for (int i = 0; i < nout; ++i) {
    TensorId o = produced[rng() % produced.size()];
    if (std::find(outs.begin(), outs.end(), o) == outs.end()) outs.push_back(o);
  }
  std::sort(outs.begin(), outs.end());
  for (TensorId o : outs) b.output(o);
  return b.g;
}

TEST(MemoryPlan, RandomGraphsRunCorrectlyAtTheirPlannedAddresses) {
  std::mt19937 rng(20240601);
  int inPlace = 0, elided = 0, reordered = 0, belowBound = 0;
  for (int iter = 0; iter < 300; ++iter) {
    const DType dt = iter % 4 == 3 ? DType::I32 : DType::F32;
    Graph g = randomGraph(rng, dt);
    ASSERT_TRUE(verifyGraph(g).isOk()) << verifyGraph(g).error().message;
    PlanOptions opt;
    if (iter % 5 == 4) opt.regions = {{"fast", 64}, {"slow", 1 << 20}};
    auto p = planMemory(g, opt);
    ASSERT_TRUE(p.isOk()) << p.error().message;
    const MemoryPlan& plan = p.value();
    // arena >= bound of the planned buffers; below the lifetime bound only
    // with reported savings.
    EXPECT_GE(plan.arena_size, plan.buffer_bound);
    if (plan.arena_size < plan.lower_bound) {
      EXPECT_GT(plan.savings.views + plan.savings.in_place + plan.savings.concat, 0u);
      ++belowBound;
    }
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      inPlace += plan.in_place_input[i] >= 0;
      elided += plan.elided[i] != 0;
    }
    reordered += plan.schedule_changed;
    for (const RegionPlan& r : plan.regions) {
      if (r.capacity) {
        EXPECT_LE(r.size, r.capacity);
      }
    }
    expectPlanRunsCorrectly(g, plan, rng);
    if (HasFailure()) {
      ADD_FAILURE() << "iteration " << iter << "\n" << printGraph(g) << formatPlan(g, plan);
      return;
    }
  }
  // The generator exercises every mechanism.
  EXPECT_GT(inPlace, 100);
  EXPECT_GT(elided, 10);
  EXPECT_GT(belowBound, 10);
  EXPECT_GT(reordered, 0);
}

TEST(MemoryPlan, SameGraphSamePlan) {
  std::mt19937 rng(5);
  for (int iter = 0; iter < 20; ++iter) {
    Graph g = randomGraph(rng, DType::F32);
    auto a = planMemory(g), b = planMemory(g);
    ASSERT_TRUE(a.isOk() && b.isOk());
    EXPECT_EQ(a->schedule, b->schedule);
    EXPECT_EQ(a->arena_size, b->arena_size);
    for (size_t t = 0; t < g.tensors.size(); ++t) {
      EXPECT_EQ(a->storage[t].offset, b->storage[t].offset);
      EXPECT_EQ(a->storage[t].home, b->storage[t].home);
    }
    EXPECT_EQ(planJsonMembers(g, *a), planJsonMembers(g, *b));
    EXPECT_EQ(planSvg(g, *a, "m"), planSvg(g, *b, "m"));
  }
}

// ---- in place ---------------------------------------------------------------

TEST(MemoryPlan, InPlaceChainGoesBelowTheLifetimeBound) {
  // x -> Relu -> Sigmoid -> Tanh -> GlobalAveragePool: the three activations
  // share one buffer; the lifetime bound counts two of them at once.
  Builder b;
  TensorId x = b.input("x", DType::F32, {1, 4, 4, 4});
  TensorId r = b.unary("Relu", x, "r");
  TensorId s = b.unary("Sigmoid", r, "s");
  TensorId t = b.unary("Tanh", s, "t");
  b.output(b.node("GlobalAveragePool", {t}, "y", DType::F32, {1, 4, 1, 1}));
  auto p = planMemory(b.g);
  ASSERT_TRUE(p.isOk()) << p.error().message;
  EXPECT_EQ(p->lower_bound, 512u);
  EXPECT_EQ(p->arena_size, 256u);
  EXPECT_EQ(p->savings.in_place, 256u);
  EXPECT_EQ(p->savings.in_place_nodes, 2);
  EXPECT_EQ(p->in_place_input[0], -1);  // Relu reads the caller's input: never overwritten
  EXPECT_EQ(p->in_place_input[1], 0);
  EXPECT_EQ(p->in_place_input[2], 0);
  EXPECT_EQ(p->storage[static_cast<size_t>(r)].offset, p->storage[static_cast<size_t>(t)].offset);
  EXPECT_NE(planSummary(*p).find("below the bound by 256 B"), std::string::npos) << planSummary(*p);
  std::mt19937 rng(1);
  expectPlanRunsCorrectly(b.g, *p, rng);
}

TEST(MemoryPlan, InPlaceOnlyWhenTheInputDies) {
  Builder b;
  TensorId x = b.input("x", DType::F32, {1, 16});
  TensorId a = b.unary("Relu", x, "a");
  TensorId s = b.unary("Sigmoid", a, "s");   // a is read again below: not in place
  TensorId c = b.binary("Add", a, s, "c");    // both die here: over input 0
  TensorId d = b.binary("Mul", c, c, "d");    // the same buffer twice: not in place
  b.output(b.unary("Softmax", d, "e"));
  auto p = planMemory(b.g);
  ASSERT_TRUE(p.isOk()) << p.error().message;
  EXPECT_EQ(p->in_place_input[1], -1);
  EXPECT_EQ(p->in_place_input[2], 0);
  EXPECT_EQ(p->in_place_input[3], -1);
  EXPECT_EQ(p->in_place_input[4], 0);  // Softmax over d, straight into the caller's output
  std::mt19937 rng(2);
  expectPlanRunsCorrectly(b.g, *p, rng);
}

TEST(MemoryPlan, ArenaCopiedInputMayBeOverwrittenCallerInputNever) {
  Builder b;
  TensorId x = b.input("x", DType::I32, {1, 8});   // int32: copied into the arena by NAME_run
  TensorId z = b.input("z", DType::F32, {1, 8});   // float32: the caller's buffer
  TensorId y = b.unary("Relu", x, "y");
  TensorId w = b.unary("Relu", z, "w");
  b.output(b.unary("Neg", y, "yo"));
  b.output(b.unary("Neg", w, "wo"));
  auto p = planMemory(b.g);
  ASSERT_TRUE(p.isOk()) << p.error().message;
  EXPECT_TRUE(p->input_in_arena[0]);
  EXPECT_FALSE(p->input_in_arena[1]);
  EXPECT_EQ(p->in_place_input[0], 0);
  EXPECT_EQ(p->in_place_input[1], -1);
  EXPECT_EQ(p->storage[static_cast<size_t>(x)].offset, p->storage[static_cast<size_t>(y)].offset);
  EXPECT_EQ(p->storage[static_cast<size_t>(z)].home, Home::Input);
  std::mt19937 rng(3);
  expectPlanRunsCorrectly(b.g, *p, rng);
}

// ---- views (hand-made hints: the view ops live on another branch) -------------

TEST(MemoryPlan, ViewsShareBytes) {
  Builder b;
  TensorId x = b.input("x", DType::F32, {1, 2, 4, 4});
  TensorId a = b.unary("Relu", x, "a");
  TensorId r = b.node("Flatten", {a}, "r", DType::F32, {1, 32});
  TensorId s = b.node("Identity", {r}, "s", DType::F32, {1, 32});
  b.output(b.node("Max", {s, a}, "y", DType::F32, {1, 32}));  // shapes differ: the last node only plans
  std::vector<NodeHints> h(b.g.nodes.size());
  for (size_t i = 0; i < h.size(); ++i) h[i].in_place.assign(b.g.nodes[i].inputs.size(), 0);
  h[1].view = h[2].view = true;
  auto p = planMemoryWithHints(b.g, h);
  ASSERT_TRUE(p.isOk()) << p.error().message;
  EXPECT_EQ(p->storage[static_cast<size_t>(a)].buffer, p->storage[static_cast<size_t>(r)].buffer);
  EXPECT_EQ(p->storage[static_cast<size_t>(a)].buffer, p->storage[static_cast<size_t>(s)].buffer);
  EXPECT_EQ(p->savings.view_nodes, 2);
  EXPECT_EQ(p->arena_size, 128u);
  EXPECT_EQ(p->lower_bound, 384u);  // each view a copy: a, r and s live at the Identity
  EXPECT_EQ(p->savings.views, 256u);
}

// ---- Concat slices ------------------------------------------------------------

TEST(MemoryPlan, ConcatInputsAreWrittenIntoTheirSlices) {
  Builder b;
  TensorId x = b.input("x", DType::F32, {1, 4});
  TensorId a = b.unary("Relu", x, "a");
  TensorId s = b.unary("Sigmoid", x, "s");
  TensorId c = b.node("Concat", {a, s}, "c", DType::F32, {1, 8});
  TensorId d = b.binary("Add", c, c, "d");
  b.output(d);
  b.output(b.unary("Neg", a, "n"));  // reads a slice after the Concat
  auto p = planMemory(b.g);
  ASSERT_TRUE(p.isOk()) << p.error().message;
  EXPECT_TRUE(p->elided[2]);
  const TensorStorage& sc = p->storage[static_cast<size_t>(c)];
  EXPECT_EQ(sc.home, Home::Arena);
  EXPECT_EQ(p->storage[static_cast<size_t>(a)].offset, sc.offset);
  EXPECT_EQ(p->storage[static_cast<size_t>(s)].offset, sc.offset + 16);
  EXPECT_EQ(p->arena_size, 32u);
  EXPECT_EQ(p->savings.concat_nodes, 1);
  std::mt19937 rng(4);
  expectPlanRunsCorrectly(b.g, *p, rng);
}

TEST(MemoryPlan, ConcatIntoTheCallersOutput) {
  // Concat -> Tanh (in place) -> graph output: everything lands in out[0].
  Builder b;
  TensorId x = b.input("x", DType::F32, {1, 4});
  TensorId a = b.unary("Relu", x, "a");
  TensorId s = b.unary("Sigmoid", x, "s");
  TensorId c = b.node("Concat", {a, s}, "c", DType::F32, {1, 8});
  b.output(b.unary("Tanh", c, "y"));
  auto p = planMemory(b.g);
  ASSERT_TRUE(p.isOk()) << p.error().message;
  EXPECT_EQ(p->arena_size, 0u);
  EXPECT_EQ(p->storage[static_cast<size_t>(a)].home, Home::Output);
  EXPECT_EQ(p->storage[static_cast<size_t>(s)].home, Home::Output);
  EXPECT_EQ(p->storage[static_cast<size_t>(s)].offset, 16u);
  std::mt19937 rng(5);
  expectPlanRunsCorrectly(b.g, *p, rng);
}

TEST(MemoryPlan, ConcatIsCopiedWhenAnInputCannotMove) {
  Builder b;
  TensorId x = b.input("x", DType::F32, {1, 4});
  TensorId a = b.unary("Relu", x, "a");
  TensorId c1 = b.node("Concat", {x, a}, "c1", DType::F32, {1, 8});  // a graph input
  TensorId c2 = b.node("Concat", {a, a}, "c2", DType::F32, {1, 8});  // the same tensor twice
  TensorId c3 = b.node("Concat", {a, a}, "c3", DType::F32, {2, 4}, 0);
  b.output(b.binary("Add", c1, c2, "y"));
  b.output(b.unary("Neg", c3, "z"));
  auto p = planMemory(b.g);
  ASSERT_TRUE(p.isOk()) << p.error().message;
  EXPECT_FALSE(p->elided[1]);
  EXPECT_FALSE(p->elided[2]);
  EXPECT_FALSE(p->elided[3]);
  std::mt19937 rng(6);
  expectPlanRunsCorrectly(b.g, *p, rng);
}

// ---- schedule -------------------------------------------------------------------

TEST(MemoryPlan, ScheduleSearchRunsBranchesOneAfterTheOther) {
  // Two branches, each a 1 KiB activation reduced to 16 bytes, joined by
  // Add. The model's order keeps both activations live.
  Builder b;
  TensorId x = b.input("x", DType::F32, {1, 4, 8, 8});
  TensorId a1 = b.unary("Relu", x, "a1");
  TensorId b1 = b.unary("Sigmoid", x, "b1");
  TensorId a2 = b.node("GlobalAveragePool", {a1}, "a2", DType::F32, {1, 4, 1, 1});
  TensorId b2 = b.node("GlobalMaxPool", {b1}, "b2", DType::F32, {1, 4, 1, 1});
  b.output(b.binary("Add", a2, b2, "y"));
  auto p = planMemory(b.g);
  ASSERT_TRUE(p.isOk()) << p.error().message;
  EXPECT_EQ(p->model_order_bound, 2048u + 16u);
  EXPECT_TRUE(p->schedule_changed);
  EXPECT_EQ(p->lower_bound, 1024u + 16u + 16u);  // at b2: b1, a2, b2
  EXPECT_EQ(p->arena_size, 1024u + 16u);        // a2 lives in the output (Add overwrites it in place)
  std::mt19937 rng(7);
  expectPlanRunsCorrectly(b.g, *p, rng);
  PlanOptions off;
  off.schedule_search = false;
  auto q = planMemory(b.g, off);
  ASSERT_TRUE(q.isOk());
  EXPECT_FALSE(q->schedule_changed);
  EXPECT_EQ(q->arena_size, 2048u);
}

TEST(MemoryPlan, VwwLikeGraphReachesTheBound) {
  // MobileNetV1-0.25 on 96x96x3 int8 (MLPerf Tiny VWW): the activation
  // sizes of its conv chain. TFLM's greedy planner needs 73728 bytes against
  // a bound of 55296 (equal-sized buffers, unlucky tie-breaking). Conv
  // outputs cannot overwrite their inputs, so the bound is the lifetime bound.
  std::vector<int64_t> bytes = {18432, 18432, 36864, 9216, 18432, 18432, 18432, 4608, 9216, 9216, 9216, 2304, 4608};
  for (int i = 0; i < 10; ++i) bytes.push_back(4608);
  for (int64_t b : {1152, 2304, 2304, 2304, 256, 2}) bytes.push_back(b);
  Builder b;
  TensorId x = b.input("image", DType::I8, {1, 96, 96, 3});
  for (size_t i = 0; i < bytes.size(); ++i)
    x = b.node("Conv", {x}, "act" + std::to_string(i), DType::I8, {1, bytes[i]});
  b.output(x);
  auto p = planMemory(b.g);
  ASSERT_TRUE(p.isOk()) << p.error().message;
  EXPECT_EQ(p->lower_bound, 55296u);
  EXPECT_EQ(p->arena_size, 55296u);
  EXPECT_TRUE(p->regions[0].optimal);
}

// ---- scratch (a test-only op, not registered) -------------------------------------

void doubleViaScratch(const float* x, float* tmp, float* y, int32_t n) {
  for (int32_t i = 0; i < n; ++i) tmp[i] = 2.0f * x[i];
  for (int32_t i = 0; i < n; ++i) y[i] = tmp[i];
}

class ScratchOp final : public Op {
 public:
  Status infer(Node&, Graph&) const override { return Status::ok(); }
  size_t scratchBytes(const Node& n, const Graph& g) const override { return g.t(n.outputs[0]).type.bytes(); }
  Status lower(Lowering& l) const override {
    const int32_t n = static_cast<int32_t>(l.outType(0).numel());
    return l.call("doubleViaScratch", &doubleViaScratch, l.in<float>(0), l.scratch<float>(static_cast<size_t>(n)),
                  l.out<float>(0), n);
  }
};

class RecordingSink final : public EmitSink {
 public:
  std::string scratch;  // what scratchExpr returns
  std::vector<std::string> statements;
  std::string tensorExpr(TensorId id, const char*, bool) override { return "t" + std::to_string(id); }
  bool sameStorage(TensorId, TensorId) override { return false; }
  std::string declare(const std::string&, const std::string&) override { return "p"; }
  std::string declareArray(const char*, const std::vector<std::string>&) override { return "a"; }
  std::string localArray(const std::string&, const std::vector<std::string>&) override { return "l"; }
  void statement(const std::string& s) override { statements.push_back(s); }
  std::string scratchExpr(const char*, size_t) override { return scratch; }
};

TEST(MemoryPlan, ScratchIsPlannedAndPassedToKernels) {
  Builder b;
  TensorId x = b.input("x", DType::F32, {1, 4});
  TensorId r = b.unary("Relu", x, "r");
  TensorId s = b.node("TestScratch", {r}, "s", DType::F32, {1, 4});
  b.output(b.unary("Relu", s, "y"));
  const ScratchOp op;
  // Eval mode: a temporary buffer.
  const float xin[4] = {1, -2, 3, -4};
  float yout[4] = {0, 0, 0, 0};
  Lowering ev(b.g, b.g.nodes[1], {xin}, {yout});
  ASSERT_TRUE(op.lower(ev).isOk());
  EXPECT_EQ(yout[1], -4.0f);
  EXPECT_EQ(yout[2], 6.0f);
  // Emit mode: the planned buffer's expression, or an error when none.
  RecordingSink sink;
  sink.scratch = "SCRATCH";
  Lowering em(b.g, b.g.nodes[1], &sink);
  ASSERT_TRUE(op.lower(em).isOk());
  EXPECT_EQ(sink.statements.back(), "doubleViaScratch(t1, SCRATCH, t2, 4);");
  sink.scratch.clear();
  Lowering em2(b.g, b.g.nodes[1], &sink);
  EXPECT_FALSE(op.lower(em2).isOk());
  // Planner: a buffer live at the node's step only, counted in the arena.
  std::vector<NodeHints> h = nodeHints(b.g);
  h[1].scratch = op.scratchBytes(b.g.nodes[1], b.g);
  auto p = planMemoryWithHints(b.g, h);
  ASSERT_TRUE(p.isOk()) << p.error().message;
  const int sb = p->scratch_buffer[1];
  ASSERT_GE(sb, 0);
  const PlannedBuffer& pb = p->buffers[static_cast<size_t>(sb)];
  EXPECT_EQ(pb.scratch_of, 1);
  EXPECT_EQ(pb.first, p->step_of[1]);
  EXPECT_EQ(pb.last, p->step_of[1]);
  EXPECT_EQ(p->arena_size, 16u * 2);  // r and the scratch (s goes straight into the caller's output)
  EXPECT_TRUE(verifyPlan(b.g, *p).isOk());
}

// ---- regions and budgets ---------------------------------------------------------

TEST(MemoryPlan, ParsesSizesAndRegions) {
  EXPECT_EQ(parseByteSize("65536").value(), 65536u);
  EXPECT_EQ(parseByteSize("64K").value(), 65536u);
  EXPECT_EQ(parseByteSize("2M").value(), 2u * 1024 * 1024);
  EXPECT_FALSE(parseByteSize("").isOk());
  EXPECT_FALSE(parseByteSize("12Q").isOk());
  EXPECT_FALSE(parseByteSize("0").isOk());
  EXPECT_FALSE(parseByteSize("-5").isOk());
  auto r = parseMemoryRegions("dtcm=64K,sram=320K");
  ASSERT_TRUE(r.isOk());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].name, "dtcm");
  EXPECT_EQ((*r)[1].capacity, 320u * 1024);
  EXPECT_FALSE(parseMemoryRegions("dtcm").isOk());
  EXPECT_FALSE(parseMemoryRegions("a=1K,a=2K").isOk());
  EXPECT_FALSE(parseMemoryRegions("1x=1K").isOk());
  EXPECT_FALSE(parseMemoryRegions("a=1K,").isOk());
}

Graph chainGraph() {
  // in -> Relu(1 KiB) -> GAP(16 B) ... -> Softmax -> out (small and big buffers).
  Builder b;
  TensorId x = b.input("x", DType::F32, {1, 4, 8, 8});
  TensorId a = b.unary("Sigmoid", x, "a");
  TensorId p = b.node("GlobalAveragePool", {a}, "p", DType::F32, {1, 4, 1, 1});
  TensorId q = b.unary("Relu", p, "q");
  TensorId r = b.binary("Mul", q, p, "r");
  b.output(b.unary("Softmax", r, "y"));
  return b.g;
}

TEST(MemoryPlan, RegionsTakeTheHottestSmallBuffersFirst) {
  Graph g = chainGraph();
  PlanOptions o;
  o.regions = {{"dtcm", 64}, {"sram", 4096}};
  auto p = planMemory(g, o);
  ASSERT_TRUE(p.isOk()) << p.error().message;
  ASSERT_EQ(p->regions.size(), 2u);
  EXPECT_LE(p->regions[0].size, 64u);
  EXPECT_GT(p->regions[0].size, 0u);
  EXPECT_EQ(p->regions[1].size, 1024u);  // the big activation did not fit the first region
  EXPECT_EQ(p->arena_size, p->regions[0].size + p->regions[1].size);
  EXPECT_EQ(p->arrayName(0), "arena_dtcm");
  std::mt19937 rng(8);
  expectPlanRunsCorrectly(g, *p, rng);
  o.regions = {{"dtcm", 64}, {"sram", 512}};
  auto bad = planMemory(g, o);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.error().kind, ErrorKind::Invalid);
  EXPECT_NE(bad.error().message.find("region 'sram'"), std::string::npos) << bad.error().message;
}

TEST(MemoryPlan, MaxArenaFailsWithTheNeedTheBoundAndTheLargestTensors) {
  Graph g = chainGraph();
  PlanOptions o;
  o.max_arena = 1000;
  auto p = planMemory(g, o);
  ASSERT_FALSE(p.isOk());
  EXPECT_EQ(p.error().kind, ErrorKind::Invalid);
  const std::string& m = p.error().message;
  EXPECT_NE(m.find("needs 1040 B"), std::string::npos) << m;
  EXPECT_NE(m.find("--max-arena is 1000 B"), std::string::npos) << m;
  EXPECT_NE(m.find("lower bound"), std::string::npos) << m;
  EXPECT_NE(m.find("'a' 1024 B"), std::string::npos) << m;
  o.max_arena = 1040;
  EXPECT_TRUE(planMemory(g, o).isOk());
}

// ---- reports ---------------------------------------------------------------------

TEST(MemoryPlan, ReportsEscapeNames) {
  Builder b;
  TensorId x = b.input("x", DType::F32, {1, 4, 8, 8});
  TensorId a = b.unary("Sigmoid", x, "a<b&\"c'>]]>\x01");
  b.output(b.node("GlobalAveragePool", {a}, "y", DType::F32, {1, 4, 1, 1}));
  auto p = planMemory(b.g);
  ASSERT_TRUE(p.isOk());
  std::string svg = planSvg(b.g, *p, "m<1>");
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("a&lt;b&amp;&quot;c&apos;&gt;]]&gt;?"), std::string::npos);
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
  EXPECT_NE(svg.find("m&lt;1&gt;"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  std::string json = planJsonMembers(b.g, *p);
  EXPECT_NE(json.find("\"a<b&\\\"c'>]]>\\u0001\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"first_step\""), std::string::npos);
  EXPECT_EQ(xmlEscape("\xe2\x82\xac ok \xff"), "\xe2\x82\xac ok ?");  // valid UTF-8 kept, bad byte replaced
}

// ---- generated code: elided Concat, in place and regions, built and run -------------

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(MemoryPlan, GeneratedCodeWithElidedConcatAndRegionsRuns) {
  ASSERT_EQ(std::system("g++ --version > /dev/null 2>&1"), 0) << "g++ (scripts/install-deps.sh) is missing";
  Builder b;
  TensorId x = b.input("x", DType::F32, {1, 4});
  TensorId a = b.unary("Relu", x, "a");
  TensorId s = b.unary("Sigmoid", x, "s");
  TensorId c = b.node("Concat", {a, s}, "c", DType::F32, {1, 8});
  b.output(b.binary("Add", c, c, "y1"));
  b.output(b.unary("Neg", a, "y2"));
  const fs::path dir = fs::temp_directory_path() / ("emlc_plan_gen_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  for (int variant = 0; variant < 2; ++variant) {
    PlanOptions o;
    if (variant == 1) o.regions = {{"fast", 64}, {"slow", 1024}};
    auto p = planMemory(b.g, o);
    ASSERT_TRUE(p.isOk()) << p.error().message;
    ASSERT_TRUE(p->elided[2]);
    EmitOptions eo;
    eo.name = "m";
    eo.source_name = "test";
    auto files = emitModel(b.g, *p, eo);
    ASSERT_TRUE(files.isOk()) << files.error().message;
    const fs::path gen = dir / ("v" + std::to_string(variant));
    ASSERT_TRUE(writeOutputDir(gen.string(), *files).isOk());
    const std::string cpp = slurp(gen / "m.cpp");
    EXPECT_EQ(cpp.find("concat"), std::string::npos);
    if (variant == 1) {
      EXPECT_NE(cpp.find("uint8_t arena_fast["), std::string::npos);
      EXPECT_NE(slurp(gen / "m.h").find("#define m_REGION_fast_SIZE"), std::string::npos);
    }
    std::ofstream(gen / "main.cpp") << "#include \"m.h\"\n#include <cstdio>\nint main() {\n"
                                       "  float x[4] = {-1.0f, 0.5f, 2.0f, -3.0f}; float y1[8]; float y2[4];\n"
                                       "  const float* in[1] = {x}; float* out[2] = {y1, y2};\n"
                                       "  if (m_run_f32(in, out) != 0) return 1;\n"
                                       "  for (int i = 0; i < 8; ++i) std::printf(\"%.9g\\n\", y1[i]);\n"
                                       "  for (int i = 0; i < 4; ++i) std::printf(\"%.9g\\n\", y2[i]);\n}\n";
    const std::string exe = (gen / "run").string();
    const std::string cmd = "g++ -std=c++17 -O1 -Wall -Wextra -Werror -fno-exceptions -fno-rtti -I" + gen.string() +
                            " " + (gen / "m.cpp").string() + " " + (gen / "m_weights.cpp").string() + " " +
                            (gen / "main.cpp").string() + " -o " + exe + " && " + exe + " > " + exe + ".txt";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream res(exe + ".txt");
    const float xs[4] = {-1.0f, 0.5f, 2.0f, -3.0f};
    std::vector<double> want;
    for (float v : xs) want.push_back(2.0 * std::max(v, 0.0f));
    for (float v : xs) want.push_back(2.0 / (1.0 + std::exp(-static_cast<double>(v))));
    for (float v : xs) want.push_back(-std::max(v, 0.0f));
    for (size_t i = 0; i < want.size(); ++i) {
      double got = 0;
      ASSERT_TRUE(res >> got) << "value " << i;
      EXPECT_NEAR(got, want[i], 1e-6) << "value " << i << " variant " << variant;
    }
  }
  fs::remove_all(dir);
}


}  // namespace
}  // namespace emlc
