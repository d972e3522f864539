#include "onnx/importer.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "onnx/checker.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

namespace emlc {
namespace fs = std::filesystem;

namespace {

constexpr int64_t kMaxIrVersion = 8;   // ONNX 1.12
constexpr int64_t kMaxOpset = 17;      // ONNX 1.12's default domain

bool isDefaultDomain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

Status applyInputShapes(onnx::ModelProto& m, const ImportOptions& opt) {
  std::set<std::string> seen;
  for (auto& in : *m.mutable_graph()->mutable_input()) {
    auto it = opt.input_shapes.find(in.name());
    if (it == opt.input_shapes.end()) continue;
    seen.insert(in.name());
    auto* shape = in.mutable_type()->mutable_tensor_type()->mutable_shape();
    if (shape->dim_size() != 0 && shape->dim_size() != static_cast<int>(it->second.size()))
      return invalid(fmt::format("--input-shape {}: model declares rank {}, got rank {}", in.name(),
                                 shape->dim_size(), it->second.size()));
    for (int64_t d : it->second)
      if (d < 0) return invalid(fmt::format("--input-shape {}: dimensions must not be negative", in.name()));
    shape->clear_dim();
    for (int64_t d : it->second) shape->add_dim()->set_dim_value(d);
  }
  for (const auto& kv : opt.input_shapes)
    if (!seen.count(kv.first))
      return invalid(fmt::format("--input-shape names '{}', which is not an input of the model", kv.first));
  return Status::ok();
}

Expected<Attribute> convertAttribute(const onnx::AttributeProto& a, const std::string& model_dir,
                                     uint64_t max_bytes) {
  Attribute r;
  if (!a.ref_attr_name().empty())
    return invalid(fmt::format("attribute '{}' refers to a function attribute outside a function", a.name()));
  switch (a.type()) {
    case onnx::AttributeProto::INT: r.kind = Attribute::Kind::Int; r.i = a.i(); break;
    case onnx::AttributeProto::FLOAT: r.kind = Attribute::Kind::Float; r.f = a.f(); break;
    case onnx::AttributeProto::STRING: r.kind = Attribute::Kind::String; r.s = a.s(); break;
    case onnx::AttributeProto::INTS:
      r.kind = Attribute::Kind::Ints;
      r.ints.assign(a.ints().begin(), a.ints().end());
      break;
    case onnx::AttributeProto::FLOATS:
      r.kind = Attribute::Kind::Floats;
      r.floats.assign(a.floats().begin(), a.floats().end());
      break;
    case onnx::AttributeProto::STRINGS:
      r.kind = Attribute::Kind::Strings;
      r.strings.assign(a.strings().begin(), a.strings().end());
      break;
    case onnx::AttributeProto::TENSOR: {
      r.kind = Attribute::Kind::Tensor;
      EMLC_ASSIGN(HostTensor h, tensorFromProto(a.t(), model_dir, max_bytes));
      r.tensor_type = h.type;
      r.tensor_data = std::move(h.data);
      break;
    }
    case onnx::AttributeProto::GRAPH: case onnx::AttributeProto::GRAPHS:
      r.kind = Attribute::Kind::Graph;
      break;
    default: r.kind = Attribute::Kind::Other; break;
  }
  return r;
}

// A Constant node's value as a host tensor.
Expected<HostTensor> constantValue(const onnx::NodeProto& n, const std::string& model_dir, uint64_t max_bytes) {
  if (n.attribute_size() != 1) return invalid("Constant node must have exactly one value attribute");
  const auto& a = n.attribute(0);
  HostTensor h;
  auto scalar = [&](DType t, const void* p, size_t size, Shape shape) {
    h.type.dtype = t;
    h.type.shape = std::move(shape);
    h.data.assign(static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + size);
  };
  if (a.name() == "value") return tensorFromProto(a.t(), model_dir, max_bytes);
  if (a.name() == "value_float") {
    float f = a.f();
    scalar(DType::F32, &f, 4, {});
  } else if (a.name() == "value_int") {
    int64_t i = a.i();
    scalar(DType::I64, &i, 8, {});
  } else if (a.name() == "value_floats") {
    std::vector<float> v(a.floats().begin(), a.floats().end());
    scalar(DType::F32, v.data(), v.size() * 4, {static_cast<int64_t>(v.size())});
  } else if (a.name() == "value_ints") {
    std::vector<int64_t> v(a.ints().begin(), a.ints().end());
    scalar(DType::I64, v.data(), v.size() * 8, {static_cast<int64_t>(v.size())});
  } else {
    return unsupported(fmt::format("Constant with attribute '{}' (strings and sparse tensors are not supported)",
                                   a.name()));
  }
  return h;
}

void collectOnnxShapes(const onnx::GraphProto& g, std::map<std::string, Shape>* out) {
  for (const auto& vi : g.value_info()) {
    if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) continue;
    Shape s;
    bool ok = true;
    for (const auto& d : vi.type().tensor_type().shape().dim()) {
      if (!d.has_dim_value()) { ok = false; break; }
      s.push_back(d.dim_value());
    }
    if (ok) (*out)[vi.name()] = s;
  }
}

}  // namespace

Status loadModelProto(const std::string& path, uint64_t max_bytes, onnx::ModelProto* model) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return ioError(fmt::format("model file '{}' does not exist", path));
  if (!fs::is_regular_file(path, ec)) return ioError(fmt::format("'{}' is not a regular file", path));
  uint64_t size = fs::file_size(path, ec);
  if (ec) return ioError(fmt::format("cannot read '{}': {}", path, ec.message()));
  if (size > max_bytes)
    return invalid(fmt::format("model file '{}' is {} bytes, above the limit of {}", path, size, max_bytes));
  std::ifstream f(path, std::ios::binary);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!f.read(bytes.data(), static_cast<std::streamsize>(size)))
    return ioError(fmt::format("cannot read '{}'", path));
  if (size == 0 || !model->ParseFromString(bytes))
    return invalid(fmt::format("'{}' is not an ONNX model (protobuf parsing failed)", path));
  if (!model->has_graph()) return invalid(fmt::format("'{}' has no graph", path));
  return Status::ok();
}

Expected<ImportResult> importModelFile(const std::string& path, const ImportOptions& opt) {
  onnx::ModelProto model;
  EMLC_TRY(loadModelProto(path, opt.max_file_bytes, &model));
  std::string dir = fs::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return importModel(model, dir, opt);
}

Expected<ImportResult> importModel(onnx::ModelProto& model, const std::string& model_dir,
                                   const ImportOptions& opt) {
  if (model.ir_version() < 3)
    return unsupported(fmt::format("IR version {} is too old (emlc reads IR 3 to {})", model.ir_version(),
                                   kMaxIrVersion));
  if (model.ir_version() > kMaxIrVersion)
    return unsupported(fmt::format("IR version {} is newer than emlc supports ({})", model.ir_version(),
                                   kMaxIrVersion));
  std::map<std::string, int> opsets;
  for (const auto& o : model.opset_import()) opsets[isDefaultDomain(o.domain()) ? "" : o.domain()] = static_cast<int>(o.version());
  if (opsets.count("") && opsets[""] > kMaxOpset)
    return unsupported(fmt::format("opset {} is newer than emlc supports (up to {})", opsets[""], kMaxOpset));
  if (opsets.count("") && opsets[""] < 1) return invalid(fmt::format("opset version {} is invalid", opsets[""]));

  EMLC_TRY(applyInputShapes(model, opt));

  bool has_external = false;
  for (const auto& t : model.graph().initializer())
    if (t.data_location() == onnx::TensorProto::EXTERNAL) has_external = true;
  if (opt.run_checker) {
    try {
      if (!has_external) onnx::checker::check_model(model);
    } catch (const std::exception& e) {
      return invalid(fmt::format("the model fails ONNX's checker: {}", e.what()));
    }
  }
  ImportResult result;
  if (opt.onnx_shape_check) try {
    onnx::ModelProto inferred = model;
    onnx::shape_inference::InferShapes(inferred);
    collectOnnxShapes(inferred.graph(), &result.onnx_shapes);
  } catch (const std::exception&) {
    // emlc infers every shape itself; ONNX's result is only a cross-check.
  }

  const onnx::GraphProto& gp = model.graph();
  Graph& g = result.graph;
  g.name = gp.name();
  std::map<std::string, TensorId> byName;

  auto define = [&](Tensor t) -> Expected<TensorId> {
    if (byName.count(t.name)) return invalid(fmt::format("tensor name '{}' is defined twice", t.name));
    std::string name = t.name;
    TensorId id = g.addTensor(std::move(t));
    byName[name] = id;
    return id;
  };
  auto addConstant = [&](const std::string& name, HostTensor h) -> Expected<TensorId> {
    Tensor t;
    t.name = name;
    t.type = h.type;
    t.typed = true;
    t.data = std::move(h.data);
    return define(std::move(t));
  };

  for (const auto& init : gp.initializer()) {
    if (init.name().empty()) return invalid("an initializer has no name");
    // tensorFromProto's messages already name the tensor.
    EMLC_ASSIGN(HostTensor h, tensorFromProto(init, model_dir, opt.max_tensor_bytes));
    EMLC_TRY(addConstant(init.name(), std::move(h)));
  }
  for (const auto& in : gp.input()) {
    if (byName.count(in.name())) continue;  // IR < 4: initializers are listed as inputs too
    auto fz = opt.frozen_inputs.find(in.name());
    if (fz != opt.frozen_inputs.end()) {
      EMLC_TRY(addConstant(in.name(), fz->second));
      continue;
    }
    if (!in.type().has_tensor_type())
      return unsupported(fmt::format("input '{}' is not a tensor (sequences, maps and optionals are not supported)",
                                     in.name()));
    const auto& tt = in.type().tensor_type();
    Tensor t;
    t.name = in.name();
    t.is_input = true;
    t.typed = true;
    t.type.dtype = dtypeFromOnnx(tt.elem_type());
    if (!dtypeSupported(t.type.dtype))
      return unsupported(fmt::format("input '{}' has element type {}, which emlc does not support", in.name(),
                                     dtypeName(t.type.dtype)));
    if (!tt.has_shape())
      return invalid(fmt::format("input '{}' has no shape; give one with --input-shape {}=D0,D1,...", in.name(),
                                 in.name()));
    for (int i = 0; i < tt.shape().dim_size(); ++i) {
      const auto& d = tt.shape().dim(i);
      if (!d.has_dim_value() || d.dim_value() < 0) {
        std::string sym = d.has_dim_param() ? fmt::format(" '{}'", d.dim_param()) : std::string();
        return invalid(fmt::format("input '{}' has a dynamic dimension{} at axis {}; fix it with --input-shape "
                                   "{}=D0,D1,... (emlc compiles static shapes)",
                                   in.name(), sym, i, in.name()));
      }
      t.type.shape.push_back(d.dim_value());
    }
    uint64_t nonzero = 1;  // product of non-zero dims: bounds the strides even when a dim is 0
    for (int64_t d : t.type.shape) {
      if (d != 0 && nonzero > opt.max_tensor_bytes / static_cast<uint64_t>(d))
        return invalid(fmt::format("input '{}' is larger than the limit of {} bytes", in.name(), opt.max_tensor_bytes));
      if (d != 0) nonzero *= static_cast<uint64_t>(d);
    }
    EMLC_ASSIGN(TensorId id, define(std::move(t)));
    g.inputs.push_back(id);
  }

  for (int ni = 0; ni < gp.node_size(); ++ni) {
    const onnx::NodeProto& np = gp.node(ni);
    std::string domain = isDefaultDomain(np.domain()) ? "" : np.domain();
    std::string where = np.name().empty() ? fmt::format("node #{} ({})", ni, np.op_type())
                                          : fmt::format("node '{}' ({})", np.name(), np.op_type());
    if (!opsets.count(domain))
      return invalid(fmt::format("{}: domain '{}' is not imported by the model", where, np.domain()));
    if (domain.empty() && np.op_type() == "Constant") {
      if (np.output_size() != 1) return invalid(where + ": Constant must have one output");
      auto h = constantValue(np, model_dir, opt.max_tensor_bytes);
      if (!h) return h.error().context(where);
      EMLC_TRY(addConstant(np.output(0), std::move(h.value())));
      continue;
    }
    Node n;
    n.name = np.name();
    n.op_type = np.op_type();
    n.domain = domain;
    n.opset = opsets[domain];
    for (const auto& in : np.input()) {
      if (in.empty()) { n.inputs.push_back(kNoTensor); continue; }
      auto it = byName.find(in);
      if (it == byName.end())
        return invalid(fmt::format("{} reads tensor '{}', which is not defined before it", where, in));
      n.inputs.push_back(it->second);
    }
    // Trailing omitted inputs carry no meaning.
    while (!n.inputs.empty() && n.inputs.back() == kNoTensor) n.inputs.pop_back();
    for (const auto& out : np.output()) {
      if (out.empty()) { n.outputs.push_back(kNoTensor); continue; }
      Tensor t;
      t.name = out;
      auto id = define(std::move(t));
      if (!id) return id.error().context(where);
      n.outputs.push_back(id.value());
    }
    for (const auto& a : np.attribute()) {
      auto attr = convertAttribute(a, model_dir, opt.max_tensor_bytes);
      if (!attr) return attr.error().context(where);
      if (n.attrs.count(a.name())) return invalid(fmt::format("{}: attribute '{}' given twice", where, a.name()));
      n.attrs[a.name()] = std::move(attr.value());
    }
    g.addNode(std::move(n));
  }

  for (const auto& out : gp.output()) {
    auto it = byName.find(out.name());
    if (it == byName.end()) return invalid(fmt::format("graph output '{}' is never produced", out.name()));
    if (g.t(it->second).is_output)
      return unsupported(fmt::format("graph output '{}' is listed twice", out.name()));
    g.t(it->second).is_output = true;
    g.outputs.push_back(it->second);
  }
  if (g.outputs.empty()) return invalid("the graph has no outputs");
  return result;
}

}  // namespace emlc
