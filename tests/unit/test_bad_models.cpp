// The catalogue of bad models: each is fed to `emlc compile` as a user would;
// each must give exit 1, a message naming the problem and the offending node
// or tensor, and leave no output folder behind.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "model_builder.h"

#ifndef EMLC_BINARY
#error "EMLC_BINARY must name the emlc executable"
#endif

namespace fs = std::filesystem;
using emlc::testing::ModelBuilder;

namespace {

struct Case {
  const char* name;
  std::function<void(const fs::path& dir)> make;  // writes dir/model.onnx (and any side files)
  std::string args;                              // extra CLI arguments
  std::vector<std::string> expect;               // substrings the message must contain, in order
};

// A valid base: y = Relu(x + b), x [1,4].
ModelBuilder base() {
  ModelBuilder b;
  b.input("x", {1, 4});
  b.floats("b", {4}, {1, 2, 3, 4});
  b.node("Add", {"x", "b"}, {"t"}, "add_node");
  b.node("Relu", {"t"}, {"y"}, "relu_node");
  b.output("y");
  return b;
}

void save(ModelBuilder& b, const fs::path& dir) { ASSERT_TRUE(b.save((dir / "model.onnx").string())); }

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<Case> catalogue() {
  std::vector<Case> c;
  auto with = [](std::function<void(ModelBuilder&)> f) {
    return [f](const fs::path& dir) {
      ModelBuilder b = base();
      f(b);
      save(b, dir);
    };
  };
  c.push_back({"not_a_protobuf", [](const fs::path& d) { std::ofstream(d / "model.onnx") << "\x08\xff\xff\xff junk"; },
               "", {"is not an ONNX model (protobuf parsing failed)"}});
  c.push_back({"empty_file", [](const fs::path& d) { std::ofstream(d / "model.onnx"); }, "",
               {"is not an ONNX model"}});
  c.push_back({"truncated", [](const fs::path& d) {
                 ModelBuilder b = base();
                 std::string s;
                 b.model().SerializeToString(&s);
                 std::ofstream(d / "model.onnx", std::ios::binary) << s.substr(0, s.size() / 2);
               },
               "", {"is not an ONNX model"}});
  c.push_back({"empty_graph", [](const fs::path& d) {
                 ModelBuilder b;
                 save(b, d);
               },
               "", {"no outputs"}});
  c.push_back({"cycle", with([](ModelBuilder& b) {
                 b.node("Relu", {"z"}, {"w"}, "cyc_a");
                 b.node("Relu", {"w"}, {"z"}, "cyc_b");
               }),
               "", {"topologically sorted", "input 'z' of node", "cyc_a"}});
  c.push_back({"undefined_tensor", with([](ModelBuilder& b) { b.node("Relu", {"ghost"}, {"g2"}, "reads_ghost"); }),
               "", {"topologically sorted", "input 'ghost' of node", "reads_ghost"}});
  c.push_back({"duplicate_output_name", with([](ModelBuilder& b) { b.node("Relu", {"x"}, {"t"}, "dup_node"); }), "",
               {"'t'"}});
  c.push_back({"missing_initializer_data", with([](ModelBuilder& b) {
                 b.graph().mutable_initializer(0)->clear_float_data();
               }),
               "", {"tensor name: b", "one and only one value field"}});
  c.push_back({"raw_data_wrong_length", with([](ModelBuilder& b) {
                 auto* t = b.graph().mutable_initializer(0);
                 t->clear_float_data();
                 t->set_raw_data(std::string(7, '\0'));
               }),
               "", {"'b'", "raw_data holds 7 bytes"}});
  c.push_back({"shapes_disagree", with([](ModelBuilder& b) {
                 b.graph().mutable_initializer(0)->clear_float_data();
                 b.graph().mutable_initializer(0)->clear_dims();
                 b.graph().mutable_initializer(0)->add_dims(3);
                 for (int i = 0; i < 3; ++i) b.graph().mutable_initializer(0)->add_float_data(1);
               }),
               "", {"add_node", "cannot be broadcast"}});
  c.push_back({"axis_out_of_range", [](const fs::path& d) {
                 ModelBuilder b;
                 b.input("x", {2, 3});
                 auto& n = b.node("Softmax", {"x"}, {"y"}, "softmax_node");
                 ModelBuilder::attr(n, "axis", 5);
                 b.output("y");
                 save(b, d);
               },
               "", {"softmax_node", "axis"}});
  c.push_back({"negative_axis_out_of_range", [](const fs::path& d) {
                 ModelBuilder b;
                 b.input("x", {2, 3});
                 b.input("z", {2, 3});
                 auto& n = b.node("Concat", {"x", "z"}, {"y"}, "concat_node");
                 ModelBuilder::attr(n, "axis", -7);
                 b.output("y");
                 save(b, d);
               },
               "", {"concat_node", "axis"}});
  c.push_back({"opset_too_new", [](const fs::path& d) {
                 ModelBuilder b(99);
                 b.input("x", {1});
                 b.node("Relu", {"x"}, {"y"});
                 b.output("y");
                 save(b, d);
               },
               "", {"opset 99"}});
  c.push_back({"ir_version_too_new", [](const fs::path& d) {
                 ModelBuilder b(13, 99);
                 b.input("x", {1});
                 b.node("Relu", {"x"}, {"y"});
                 b.output("y");
                 save(b, d);
               },
               "", {"IR version 99"}});
  c.push_back({"ir_version_too_old", [](const fs::path& d) {
                 ModelBuilder b(13, 1);
                 b.input("x", {1});
                 b.node("Relu", {"x"}, {"y"});
                 b.output("y");
                 save(b, d);
               },
               "", {"IR version 1"}});
  c.push_back({"dims_overflow", with([](ModelBuilder& b) {
                 auto* t = b.graph().add_initializer();
                 t->set_name("huge");
                 t->set_data_type(onnx::TensorProto::FLOAT);
                 for (int i = 0; i < 5; ++i) t->add_dims(int64_t{1} << 20);
               }),
               "", {"'huge'", "larger than the limit"}});
  c.push_back({"tensor_over_configured_limit", with([](ModelBuilder& b) {
                 std::vector<float> v(1000, 0.5f);
                 b.floats("big_weights", {1000}, v);
               }),
               "--max-tensor-bytes 1000", {"'big_weights'", "larger than the limit of 1000 bytes"}});
  c.push_back({"negative_dim", with([](ModelBuilder& b) { b.graph().mutable_initializer(0)->set_dims(0, -4); }), "",
               {"'b'", "negative"}});
  c.push_back({"unknown_data_type", with([](ModelBuilder& b) { b.graph().mutable_initializer(0)->set_data_type(77); }),
               "", {"Unrecognized data_type (tensor name: b): 77"}});
  c.push_back({"external_data_parent_dir", with([](ModelBuilder& b) {
                 auto* t = b.graph().mutable_initializer(0);
                 t->clear_float_data();
                 t->set_data_location(onnx::TensorProto::EXTERNAL);
                 auto* e = t->add_external_data();
                 e->set_key("location");
                 e->set_value("../secret.bin");
               }),
               "", {"'b'", "'../secret.bin'", "leaves the model's folder"}});
  c.push_back({"external_data_absolute", with([](ModelBuilder& b) {
                 auto* t = b.graph().mutable_initializer(0);
                 t->clear_float_data();
                 t->set_data_location(onnx::TensorProto::EXTERNAL);
                 auto* e = t->add_external_data();
                 e->set_key("location");
                 e->set_value("/etc/passwd");
               }),
               "", {"'b'", "must be a relative path"}});
  c.push_back({"external_data_symlink", [](const fs::path& d) {
                 std::ofstream(d.parent_path() / "outside.bin") << std::string(16, 'A');
                 fs::create_symlink(d.parent_path() / "outside.bin", d / "w.bin");
                 ModelBuilder b = base();
                 auto* t = b.graph().mutable_initializer(0);
                 t->clear_float_data();
                 t->set_data_location(onnx::TensorProto::EXTERNAL);
                 auto* e = t->add_external_data();
                 e->set_key("location");
                 e->set_value("w.bin");
                 save(b, d);
               },
               "", {"'b'", "resolves outside the model's folder"}});
  c.push_back({"external_data_too_short", [](const fs::path& d) {
                 std::ofstream(d / "w.bin") << std::string(8, '\0');
                 ModelBuilder b = base();
                 auto* t = b.graph().mutable_initializer(0);
                 t->clear_float_data();
                 t->set_data_location(onnx::TensorProto::EXTERNAL);
                 auto* e = t->add_external_data();
                 e->set_key("location");
                 e->set_value("w.bin");
                 save(b, d);
               },
               "", {"'b'", "too short"}});
  c.push_back({"output_never_produced", with([](ModelBuilder& b) { b.output("nowhere"); }), "",
               {"'nowhere'"}});
  c.push_back({"sequence_input", [](const fs::path& d) {
                 ModelBuilder b;
                 auto* x = b.graph().add_input();
                 x->set_name("seq_in");
                 x->mutable_type()->mutable_sequence_type()->mutable_elem_type()->mutable_tensor_type()->set_elem_type(1);
                 b.node("SequenceLength", {"seq_in"}, {"y"});
                 b.output("y", onnx::TensorProto::INT64);
                 save(b, d);
               },
               "", {"'seq_in'", "not a tensor"}});
  c.push_back({"dynamic_input_without_shape", [](const fs::path& d) {
                 ModelBuilder b;
                 b.input("dyn_x", {-1, 4});
                 b.node("Relu", {"dyn_x"}, {"y"});
                 b.output("y");
                 save(b, d);
               },
               "", {"input 'dyn_x'", "dynamic dimension 'N' at axis 0", "--input-shape"}});
  c.push_back({"input_shape_wrong_rank", with([](ModelBuilder&) {}), "--input-shape x=1,2,3",
               {"--input-shape x", "rank 2", "rank 3"}});
  c.push_back({"reshape_wrong_product", [](const fs::path& d) {
                 ModelBuilder b;
                 b.input("x", {2, 3});
                 b.ints("shape", {2}, {4, 4});
                 b.node("Reshape", {"x", "shape"}, {"y"}, "reshape_node");
                 b.output("y");
                 save(b, d);
               },
               "", {"reshape_node"}});
  c.push_back({"gemm_inner_mismatch", [](const fs::path& d) {
                 ModelBuilder b;
                 b.input("x", {1, 4});
                 b.floats("w", {5, 3}, std::vector<float>(15, 1.0f));
                 b.node("Gemm", {"x", "w"}, {"y"}, "gemm_node");
                 b.output("y");
                 save(b, d);
               },
               "", {"gemm_node"}});
  c.push_back({"conv_weight_rank", [](const fs::path& d) {
                 ModelBuilder b;
                 b.input("x", {1, 1, 8, 8});
                 b.floats("w", {4, 9}, std::vector<float>(36, 1.0f));
                 b.node("Conv", {"x", "w"}, {"y"}, "conv_node");
                 b.output("y");
                 save(b, d);
               },
               "", {"conv_node"}});
  c.push_back({"maxpool_kernel_larger_than_input", [](const fs::path& d) {
                 ModelBuilder b;
                 b.input("x", {1, 1, 2, 2});
                 auto& n = b.node("MaxPool", {"x"}, {"y"}, "pool_node");
                 ModelBuilder::attr(n, "kernel_shape", {5, 5});
                 b.output("y");
                 save(b, d);
               },
               "", {"pool_node"}});
  c.push_back({"slice_step_zero", [](const fs::path& d) {
                 ModelBuilder b;
                 b.input("x", {4});
                 b.ints("st", {1}, {0});
                 b.ints("en", {1}, {4});
                 b.ints("ax", {1}, {0});
                 b.ints("sp", {1}, {0});
                 b.node("Slice", {"x", "st", "en", "ax", "sp"}, {"y"}, "slice_node");
                 b.output("y");
                 save(b, d);
               },
               "", {"slice_node", "step"}});
  c.push_back({"gather_constant_index_out_of_range", [](const fs::path& d) {
                 ModelBuilder b;
                 b.input("x", {3, 2});
                 b.ints("idx", {1}, {7});
                 b.node("Gather", {"x", "idx"}, {"y"}, "gather_node");
                 b.output("y");
                 save(b, d);
               },
               "", {"gather_node"}});
  c.push_back({"split_sizes_do_not_sum", [](const fs::path& d) {
                 ModelBuilder b;
                 b.input("x", {6});
                 b.ints("sizes", {2}, {2, 2});
                 b.node("Split", {"x", "sizes"}, {"y", "z"}, "split_node");
                 b.output("y");
                 b.output("z");
                 save(b, d);
               },
               "", {"split_node"}});
  c.push_back({"transpose_bad_perm", [](const fs::path& d) {
                 ModelBuilder b;
                 b.input("x", {2, 3});
                 auto& n = b.node("Transpose", {"x"}, {"y"}, "transpose_node");
                 ModelBuilder::attr(n, "perm", {0, 0});
                 b.output("y");
                 save(b, d);
               },
               "", {"transpose_node"}});
  c.push_back({"unsupported_op_listed", with([](ModelBuilder& b) {
                 b.node("Unique", {"y"}, {"u"}, "unique_node");
                 b.output("u");
               }),
               "", {"unique_node", "Unique", "not supported"}});
  return c;
}

TEST(BadModels, CatalogueGivesExit1MessageAndNoOutput) {
  const auto cases = catalogue();
  ASSERT_GE(cases.size(), 30u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    fs::path root = fs::temp_directory_path() / ("emlc_bad_" + std::to_string(::getpid())) / c.name;
    fs::remove_all(root);
    fs::create_directories(root / "model");
    c.make(root / "model");
    const fs::path out = root / "out";
    std::string cmd = std::string(EMLC_BINARY) + " compile " + (root / "model" / "model.onnx").string() + " -o " +
                      out.string() + " " + c.args + " > " + (root / "stdout").string() + " 2> " +
                      (root / "stderr").string();
    int rc = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(rc));
    EXPECT_EQ(WEXITSTATUS(rc), 1);
    const std::string err = slurp(root / "stderr");
    std::printf("[%s] %s", c.name, err.c_str());
    EXPECT_EQ(err.rfind("emlc: error: ", 0), 0u) << err;
    size_t pos = 0;
    for (const std::string& want : c.expect) {
      size_t at = err.find(want, pos);
      EXPECT_NE(at, std::string::npos) << "missing '" << want << "' in: " << err;
      if (at != std::string::npos) pos = at + want.size();
    }
    EXPECT_FALSE(fs::exists(out)) << "output folder left behind";
    // Nothing written next to the model either, apart from what the case made.
    fs::remove_all(root);
  }
}

}  // namespace
