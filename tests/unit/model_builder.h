// Test helper: builds small ONNX ModelProtos in C++ (no Python needed).
#pragma once

#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"

namespace emlc {
namespace testing {

class ModelBuilder {
 public:
  explicit ModelBuilder(int opset = 13, int ir = 7) {
    m_.set_ir_version(ir);
    m_.add_opset_import()->set_version(opset);
    m_.mutable_graph()->set_name("g");
  }
  onnx::ModelProto& model() { return m_; }
  onnx::GraphProto& graph() { return *m_.mutable_graph(); }

  // Graph input with static dims (a negative dim becomes a symbolic one).
  ModelBuilder& input(const std::string& name, std::vector<int64_t> dims,
                      int dtype = onnx::TensorProto::FLOAT) {
    auto* x = graph().add_input();
    x->set_name(name);
    auto* tt = x->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(dtype);
    auto* sh = tt->mutable_shape();
    for (int64_t d : dims) {
      if (d < 0) sh->add_dim()->set_dim_param("N");
      else sh->add_dim()->set_dim_value(d);
    }
    return *this;
  }
  ModelBuilder& output(const std::string& name, int dtype = onnx::TensorProto::FLOAT) {
    auto* y = graph().add_output();
    y->set_name(name);
    y->mutable_type()->mutable_tensor_type()->set_elem_type(dtype);
    y->mutable_type()->mutable_tensor_type()->mutable_shape();
    return *this;
  }
  onnx::NodeProto& node(const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
                        const std::string& name = "") {
    auto* n = graph().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& s : ins) n->add_input(s);
    for (auto& s : outs) n->add_output(s);
    return *n;
  }
  onnx::TensorProto& floats(const std::string& name, std::vector<int64_t> dims, std::vector<float> values) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
    return *t;
  }
  onnx::TensorProto& ints(const std::string& name, std::vector<int64_t> dims, std::vector<int64_t> values) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : dims) t->add_dims(d);
    for (int64_t v : values) t->add_int64_data(v);
    return *t;
  }
  onnx::TensorProto& int8s(const std::string& name, std::vector<int64_t> dims, const std::vector<int8_t>& values) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT8);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size()));
    return *t;
  }
  onnx::TensorProto& int32s(const std::string& name, std::vector<int64_t> dims, const std::vector<int32_t>& values) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT32);
    for (int64_t d : dims) t->add_dims(d);
    for (int32_t v : values) t->add_int32_data(v);
    return *t;
  }
  static void attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, std::initializer_list<int64_t> v) {
    attr(n, name, std::vector<int64_t>(v));
  }
  bool save(const std::string& path) const {
    std::ofstream f(path, std::ios::binary);
    return m_.SerializeToOstream(&f);
  }

 private:
  onnx::ModelProto m_;
};

}  // namespace testing
}  // namespace emlc
