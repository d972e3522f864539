// Streaming state (--stateful, --state IN=OUT): the graph transformation,
// evaluation across runs (runGraphStep), the memory plan (a state's bytes are
// its own, never written by a node), errors, and the generated code's
// NAME_reset_state() through the CLI.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "eval/evaluator.h"
#include "onnx/onnx_pb.h"
#include "passes/infer.h"
#include "passes/stateful.h"
#include "plan/memory_plan.h"

namespace emlc {
namespace {

namespace fs = std::filesystem;

struct GraphBuilder {
  Graph g;
  TensorId input(const std::string& name, Shape s) {
    Tensor t;
    t.name = name;
    t.type = {DType::F32, std::move(s)};
    t.typed = true;
    t.is_input = true;
    TensorId id = g.addTensor(t);
    g.inputs.push_back(id);
    return id;
  }
  TensorId constant(const std::string& name, Shape s, std::vector<float> v) {
    Tensor t;
    t.name = name;
    t.type = {DType::F32, std::move(s)};
    t.typed = true;
    t.data = std::vector<uint8_t>(v.size() * 4);
    std::memcpy(t.data->data(), v.data(), v.size() * 4);
    return g.addTensor(t);
  }
  TensorId tensor(const std::string& name, bool output = false) {
    Tensor t;
    t.name = name;
    t.is_output = output;
    TensorId id = g.addTensor(t);
    if (output) g.outputs.push_back(id);
    return id;
  }
  Node& node(const std::string& op, std::vector<TensorId> in, std::vector<TensorId> out, int opset = 14) {
    Node n;
    n.op_type = op;
    n.name = op + std::to_string(g.nodes.size());
    n.opset = opset;
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    g.addNode(n);
    return g.nodes.back();
  }
};

HostTensor f32(Shape s, std::vector<float> v) {
  HostTensor h;
  h.type = {DType::F32, std::move(s)};
  h.data.resize(v.size() * 4);
  std::memcpy(h.data.data(), v.data(), h.data.size());
  return h;
}

// y = x + s, r = y * s (the last node reads the state directly; Mul may run
// in place over an input that dies there, which a state never does);
// --state s=y.
GraphBuilder accumulator() {
  GraphBuilder b;
  TensorId x = b.input("x", {2});
  TensorId s = b.input("s", {2});
  TensorId y = b.tensor("y", true);
  TensorId r = b.tensor("r", true);
  b.node("Add", {x, s}, {y});
  b.node("Mul", {y, s}, {r});
  EXPECT_TRUE(inferAndFold(b.g, InferOptions{}).isOk());
  return b;
}

StateOptions pair(const std::string& in, const std::string& out) {
  StateOptions o;
  o.pairs.emplace_back(in, out);
  return o;
}

TEST(Stateful, StatePairAccumulatesAcrossRuns) {
  GraphBuilder b = accumulator();
  ASSERT_TRUE(makeStateful(b.g, pair("s", "y")).isOk());
  ASSERT_EQ(b.g.inputs.size(), 1u);  // s is no longer an input
  ASSERT_EQ(b.g.states.size(), 1u);
  std::vector<std::vector<uint8_t>> state(1);
  const float xs[3][2] = {{1, -2}, {0.5f, -1}, {10, 4}};
  const float want_y[3][2] = {{1, -2}, {1.5f, -3}, {11.5f, 1}};
  const float want_r[3][2] = {{0, 0}, {1.5f, 6}, {17.25f, -3}};  // y times the state at the start of the run
  for (int step = 0; step < 3; ++step) {
    auto out = runGraphStep(b.g, {f32({2}, {xs[step][0], xs[step][1]})}, state);
    ASSERT_TRUE(out.isOk()) << out.error().message;
    for (int i = 0; i < 2; ++i) {
      EXPECT_FLOAT_EQ((*out)[0].as<float>()[i], want_y[step][i]) << step;
      EXPECT_FLOAT_EQ((*out)[1].as<float>()[i], want_r[step][i]) << step;
    }
  }
  // runGraph always starts from the reset value.
  auto fresh = runGraph(b.g, {f32({2}, {3, 3})});
  ASSERT_TRUE(fresh.isOk());
  EXPECT_FLOAT_EQ((*fresh)[0].as<float>()[0], 3.0f);
}

TEST(Stateful, StateBytesAreItsOwnAndNeverWrittenByANode) {
  GraphBuilder b = accumulator();
  ASSERT_TRUE(makeStateful(b.g, pair("s", "y")).isOk());
  auto plan = planMemory(b.g);
  ASSERT_TRUE(plan.isOk()) << plan.error().message;
  const TensorId s = b.g.states[0].value;
  const TensorStorage& st = plan->storage[static_cast<size_t>(s)];
  ASSERT_EQ(st.home, Home::Arena);
  const PlannedBuffer& sb = plan->buffers[static_cast<size_t>(st.buffer)];
  EXPECT_EQ(sb.first, 0);
  EXPECT_EQ(sb.last, static_cast<int>(b.g.nodes.size()) - 1);
  EXPECT_EQ(sb.tensors, std::vector<TensorId>{s});
  for (size_t k = 0; k < plan->buffers.size(); ++k) {
    const PlannedBuffer& o = plan->buffers[k];
    if (static_cast<int>(k) == st.buffer || o.region != sb.region) continue;
    EXPECT_TRUE(o.offset + o.size <= sb.offset || sb.offset + sb.size <= o.offset) << "buffer " << k;
  }
  for (size_t i = 0; i < b.g.nodes.size(); ++i) EXPECT_EQ(plan->in_place_input[i], -1) << b.g.nodes[i].op_type;
}

TEST(Stateful, RecurrentNodesGetStatesAndConstantInitialValuesBecomeResets) {
  GraphBuilder b;
  TensorId x = b.input("x", {1, 1, 1});
  TensorId w = b.constant("w", {1, 1, 1}, {1});
  TensorId r = b.constant("r", {1, 1, 1}, {0.5f});
  TensorId h0 = b.constant("h0", {1, 1, 1}, {0.25f});
  TensorId y = b.tensor("y", true);
  b.node("RNN", {x, w, r, kNoTensor, kNoTensor, h0}, {y});
  ASSERT_TRUE(inferAndFold(b.g, InferOptions{}).isOk());
  StateOptions o;
  o.recurrent = true;
  ASSERT_TRUE(makeStateful(b.g, o).isOk());
  ASSERT_EQ(b.g.states.size(), 1u);
  ASSERT_EQ(b.g.states[0].reset.size(), 4u);  // h0 = 0.25
  // h1 = tanh(x1 + 0.5 * 0.25), h2 = tanh(x2 + 0.5 * h1).
  std::vector<std::vector<uint8_t>> state(1);
  auto o1 = runGraphStep(b.g, {f32({1, 1, 1}, {0.1f})}, state);
  auto o2 = runGraphStep(b.g, {f32({1, 1, 1}, {-0.3f})}, state);
  ASSERT_TRUE(o1.isOk() && o2.isOk());
  const double h1 = std::tanh(0.1 + 0.125), h2 = std::tanh(-0.3 + 0.5 * h1);
  EXPECT_NEAR((*o1)[0].as<float>()[0], h1, 1e-6);
  EXPECT_NEAR((*o2)[0].as<float>()[0], h2, 1e-6);
}

TEST(Stateful, Errors) {
  {
    GraphBuilder b = accumulator();
    StateOptions o;
    o.recurrent = true;
    Status st = makeStateful(b.g, o);
    ASSERT_FALSE(st.isOk());
    EXPECT_NE(st.error().message.find("no RNN, GRU or LSTM"), std::string::npos);
  }
  for (auto [in, out] : std::vector<std::pair<std::string, std::string>>{{"y", "s"}, {"s", "x"}, {"s", "nope"}, {"q", "y"}}) {
    GraphBuilder b = accumulator();
    EXPECT_EQ(makeStateful(b.g, pair(in, out)).error().kind, ErrorKind::Invalid) << in << "=" << out;
  }
  {
    GraphBuilder b;  // type mismatch: s [3], y [2]
    TensorId x = b.input("x", {2});
    b.input("s", {3});
    TensorId y = b.tensor("y", true);
    b.node("Relu", {x}, {y});
    ASSERT_TRUE(inferAndFold(b.g, InferOptions{}).isOk());
    Status st = makeStateful(b.g, pair("s", "y"));
    ASSERT_FALSE(st.isOk());
    EXPECT_NE(st.error().message.find("same type"), std::string::npos);
  }
  {
    GraphBuilder b;  // bidirectional GRU cannot stream
    TensorId x = b.input("x", {2, 1, 1});
    TensorId w = b.constant("w", {2, 3, 1}, std::vector<float>(6, 0.1f));
    TensorId r = b.constant("r", {2, 3, 1}, std::vector<float>(6, 0.1f));
    TensorId y = b.tensor("y", true);
    Node& n = b.node("GRU", {x, w, r}, {y});
    Attribute a;
    a.kind = Attribute::Kind::String;
    a.s = "bidirectional";
    n.attrs["direction"] = a;
    ASSERT_TRUE(inferAndFold(b.g, InferOptions{}).isOk());
    StateOptions o;
    o.recurrent = true;
    Status st = makeStateful(b.g, o);
    ASSERT_FALSE(st.isOk());
    EXPECT_EQ(st.error().kind, ErrorKind::Unsupported);
    EXPECT_NE(st.error().message.find("bidirectional"), std::string::npos);
  }
  EXPECT_FALSE(parseStatePair("a").isOk());
  EXPECT_FALSE(parseStatePair("=b").isOk());
  EXPECT_FALSE(parseStatePair("a=b=c").isOk());
  EXPECT_TRUE(parseStatePair("a=b").isOk());
}

// ---- generated code through the CLI ------------------------------------------

fs::path tmpDir() {
  fs::path p = fs::temp_directory_path() / ("emlc_state_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

int sh(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void addValue(onnx::ValueInfoProto* v, const std::string& name) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_value(2);
}

// y = x + s as an ONNX file.
void saveAccumulator(const fs::path& p) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("acc");
  addValue(g->add_input(), "x");
  addValue(g->add_input(), "s");
  auto* n = g->add_node();
  n->set_op_type("Add");
  n->add_input("x");
  n->add_input("s");
  n->add_output("y");
  addValue(g->add_output(), "y");
  std::ofstream f(p, std::ios::binary);
  ASSERT_TRUE(m.SerializeToOstream(&f));
}

TEST(Stateful, GeneratedCodeKeepsStateAndResets) {
  fs::path d = tmpDir();
  saveAccumulator(d / "acc.onnx");
  ASSERT_EQ(sh(std::string(EMLC_BINARY) + " compile " + (d / "acc.onnx").string() + " -o " + (d / "gen").string() +
               " --state s=y > " + (d / "log").string()),
            0);
  {
    std::ofstream f(d / "main.cpp");
    f << "#include <stdio.h>\n#include \"acc.h\"\n"
         "int main() {\n"
         "  static_assert(acc_NUM_INPUTS == 1 && acc_NUM_STATES == 1, \"s is a state\");\n"
         "  float x[2] = {1, 2}, y[2];\n"
         "  const float* in[1] = {x};\n"
         "  float* out[1] = {y};\n"
         "  for (int pass = 0; pass < 2; ++pass) {\n"
         "    for (int i = 0; i < 3; ++i) { if (acc_run_f32(in, out)) return 1; printf(\"%g %g\\n\", y[0], y[1]); }\n"
         "    acc_reset_state();\n"
         "  }\n"
         "  return 0;\n"
         "}\n";
  }
  const std::string flags = "-std=c++17 -O2 -Wall -Wextra -Werror -fno-exceptions -fno-rtti";
  ASSERT_EQ(sh("g++ " + flags + " -I" + (d / "gen").string() + " " + (d / "main.cpp").string() + " " +
               (d / "gen" / "acc.cpp").string() + " " + (d / "gen" / "acc_weights.cpp").string() + " -o " +
               (d / "main").string()),
            0);
  ASSERT_EQ(sh((d / "main").string() + " > " + (d / "out.txt").string()), 0);
  std::ifstream f(d / "out.txt");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), "1 2\n2 4\n3 6\n1 2\n2 4\n3 6\n");
  fs::remove_all(d);
}

TEST(Stateful, CliErrorsAndInspect) {
  fs::path d = tmpDir();
  saveAccumulator(d / "acc.onnx");
  const std::string m = (d / "acc.onnx").string();
  EXPECT_EQ(sh(std::string(EMLC_BINARY) + " compile " + m + " -o " + (d / "o").string() + " --stateful 2> " +
               (d / "err").string()),
            1);
  EXPECT_FALSE(fs::exists(d / "o"));
  EXPECT_EQ(sh(std::string(EMLC_BINARY) + " compile " + m + " -o " + (d / "o").string() + " --state s 2> " +
               (d / "err").string()),
            1);
  EXPECT_EQ(sh(std::string(EMLC_BINARY) + " inspect " + m + " --state s=y > " + (d / "insp").string()), 0);
  std::ifstream f(d / "insp");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_NE(ss.str().find("state  's'"), std::string::npos) << ss.str();
  fs::remove_all(d);
}

}  // namespace
}  // namespace emlc
