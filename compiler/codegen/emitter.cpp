#include "codegen/emitter.h"

#include <fmt/format.h>

#include <cstring>

#include "codegen/code_writer.h"
#include "codegen/names.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "support/version.h"

namespace emlc {

namespace {

const char* dtypeMacro(DType t) {
  switch (t) {
    case DType::F32: return "EMLC_DTYPE_FLOAT32";
    case DType::U8: return "EMLC_DTYPE_UINT8";
    case DType::I8: return "EMLC_DTYPE_INT8";
    case DType::U16: return "EMLC_DTYPE_UINT16";
    case DType::I16: return "EMLC_DTYPE_INT16";
    case DType::I32: return "EMLC_DTYPE_INT32";
    case DType::I64: return "EMLC_DTYPE_INT64";
    case DType::Bool: return "EMLC_DTYPE_BOOL";
    case DType::F64: return "EMLC_DTYPE_FLOAT64";
    case DType::U32: return "EMLC_DTYPE_UINT32";
    case DType::U64: return "EMLC_DTYPE_UINT64";
    default: return "0";
  }
}

// An int8/uint8 input or output quantized per tensor: NAME_run_f32
// quantizes/dequantizes it at the boundary instead of casting.
bool boundaryQuantized(const TensorType& t) {
  return (t.dtype == DType::I8 || t.dtype == DType::U8) && t.quant.scale.size() == 1;
}
int32_t zeroPoint(const TensorType& t) { return t.quant.zero_point.empty() ? 0 : t.quant.zero_point[0]; }

// Prints constant data as a C++ initializer list, 8 to 16 values per line.
std::string constantValues(const Tensor& t) {
  std::vector<std::string> vals;
  const size_t n = static_cast<size_t>(t.type.numel());
  vals.reserve(n);
  const uint8_t* p = t.data->data();
  for (size_t i = 0; i < n; ++i) {
    switch (t.type.dtype) {
      case DType::F32: { float v; std::memcpy(&v, p + 4 * i, 4); vals.push_back(floatLiteral(v)); break; }
      case DType::F64: { double v; std::memcpy(&v, p + 8 * i, 8); vals.push_back(doubleLiteral(v)); break; }
      case DType::I8: vals.push_back(std::to_string(static_cast<int8_t>(p[i]))); break;
      case DType::U8: vals.push_back(std::to_string(p[i]) + "u"); break;
      case DType::Bool: vals.push_back(p[i] ? "true" : "false"); break;
      case DType::I16: { int16_t v; std::memcpy(&v, p + 2 * i, 2); vals.push_back(std::to_string(v)); break; }
      case DType::U16: { uint16_t v; std::memcpy(&v, p + 2 * i, 2); vals.push_back(std::to_string(v) + "u"); break; }
      case DType::I32: { int32_t v; std::memcpy(&v, p + 4 * i, 4); vals.push_back(intLiteral(v, false)); break; }
      case DType::U32: { uint32_t v; std::memcpy(&v, p + 4 * i, 4); vals.push_back(std::to_string(v) + "u"); break; }
      case DType::I64: { int64_t v; std::memcpy(&v, p + 8 * i, 8); vals.push_back(intLiteral(v, true)); break; }
      case DType::U64: { uint64_t v; std::memcpy(&v, p + 8 * i, 8); vals.push_back(std::to_string(v) + "ull"); break; }
      default: vals.push_back("0"); break;
    }
  }
  if (vals.empty()) vals.push_back(t.type.dtype == DType::Bool ? "false" : "0");
  const size_t per = t.type.dtype == DType::F32 || t.type.dtype == DType::F64 ? 8 : 16;
  std::string s;
  for (size_t i = 0; i < vals.size(); ++i) {
    if (i % per == 0) s += "\n    ";
    s += vals[i];
    s += i + 1 < vals.size() ? (i % per == per - 1 ? "," : ", ") : "";
  }
  return s;
}

class Emitter final : public EmitSink {
 public:
  Emitter(const Graph& g, const MemoryPlan& p, const EmitOptions& o) : g_(g), p_(p), o_(o) {
    ns_ = "emlc_" + o.name + "_weights";
  }

  Expected<FileMap> run() {
    FileMap files;
    // Kernel calls, one block per node, in the plan's schedule.
    if (p_.schedule.size() != g_.nodes.size()) return internal("the memory plan's schedule does not cover the graph");
    for (size_t i = 0; i < p_.schedule.size(); ++i) {
      const NodeId id = p_.schedule[i];
      const Node& n = g_.n(id);
      current_ = id;
      body_.line(fmt::format("// [{}] {}", i, commentSafe(g_.label(n))));
      for (size_t k = 0; k < n.inputs.size(); ++k)
        if (n.inputs[k] != kNoTensor) body_.line("//   in:  " + describe(n.inputs[k]));
      for (size_t k = 0; k < n.outputs.size(); ++k)
        if (n.outputs[k] != kNoTensor) body_.line("//   out: " + describe(n.outputs[k]));
      if (p_.elided[static_cast<size_t>(id)]) {
        body_.line("//   (no code: the producers wrote the inputs into their slices of the output)");
        continue;
      }
      const int ip = p_.in_place_input[static_cast<size_t>(id)];
      if (ip >= 0) body_.line(fmt::format("//   in place: output 0 overwrites input {}", ip));
      const int sb = p_.scratch_buffer[static_cast<size_t>(id)];
      if (sb >= 0) {
        const PlannedBuffer& b = p_.buffers[static_cast<size_t>(sb)];
        body_.line(fmt::format("//   scratch: {}[{}, +{})", p_.arrayName(b.region), b.offset, b.size));
      }
      const Op* op = findOp(n.domain, n.op_type);
      if (!op) return internal(g_.label(n) + ": no implementation at emission");
      Lowering l(g_, n, this);
      Status st = op->lower(l);
      if (!st.isOk()) return st.error().context(g_.label(n) + " (emission)");
    }
    if (!g_.states.empty()) {
      body_.line("// Streaming state: the next values become the state of the next run.");
      for (const StateLink& s : g_.states)
        body_.line(fmt::format("emlc::rt::copy_bytes({}, {}, {});", tensorExpr(s.value, "uint8_t", true),
                               tensorExpr(s.next, "uint8_t", false), g_.t(s.value).type.bytes()));
    }
    const std::string resetFuncs = stateFuncs();  // before PARAM_DECLS: may declare reset values
    EMLC_ASSIGN(std::string runBody, boundary(false));
    EMLC_ASSIGN(std::string runF32Body, boundary(true));

    std::map<std::string, std::string> v;
    v["NAME"] = o_.name;
    v["VERSION"] = kEmlcVersion;
    v["SOURCE"] = commentSafe(o_.source_name);
    v["GUARD"] = "EMLC_MODEL_" + o_.name + "_H";
    v["ARENA_SIZE"] = std::to_string(p_.arena_size);
    v["ARENA_MACROS"] = arenaMacros();
    v["ARENA_DECLS"] = arenaDecls();
    v["ARENA_VOIDS"] = arenaVoids();
    v["NUM_INPUTS"] = std::to_string(g_.inputs.size());
    v["NUM_OUTPUTS"] = std::to_string(g_.outputs.size());
    v["IO_MACROS"] = ioMacros();
    v["WEIGHTS_NS"] = ns_;
    v["WEIGHT_DECLS"] = weightDecls_.str();
    v["WEIGHT_DEFS"] = weightDefs_.str();
    v["WEIGHT_BYTES"] = std::to_string(weightBytes_);
    v["PARAM_DECLS"] = params_.str();
    v["INVOKE_BODY"] = indent(body_.str());
    v["RUN_BODY"] = runBody;
    v["STATE_MACROS"] = stateMacros();
    v["STATE_FUNCS"] = resetFuncs;
    auto sizeSwitch = [&](const std::vector<TensorId>& ids, bool bytes) {
      std::string b = "  switch (i) {\n";
      for (size_t k = 0; k < ids.size(); ++k) {
        const TensorType& t = g_.t(ids[k]).type;
        b += fmt::format("    case {}: return {}u;\n", k, bytes ? t.bytes() : static_cast<size_t>(t.numel()));
      }
      return b + "    default: return 0u;\n  }\n";
    };
    v["INPUT_SIZE_BODY"] = sizeSwitch(g_.inputs, false);
    v["INPUT_BYTES_BODY"] = sizeSwitch(g_.inputs, true);
    v["OUTPUT_SIZE_BODY"] = sizeSwitch(g_.outputs, false);
    v["OUTPUT_BYTES_BODY"] = sizeSwitch(g_.outputs, true);
    v["RUN_F32_BODY"] = runF32Body;
    v["PIPELINE_HOOKS"] = o_.pipeline_hooks ? pipelineHooks() : "";
    v["SUMMARY"] = fmt::format("{} nodes, arena {} bytes (lifetime lower bound {}, arena/bound {:.3f}), weights {} bytes.",
                               g_.nodes.size(), p_.arena_size, p_.lower_bound, p_.ratio(), weightBytes_);
    for (const auto& [tmpl, out] : std::map<std::string, std::string>{
             {"model.h.in", o_.name + ".h"}, {"model.cpp.in", o_.name + ".cpp"},
             {"weights.cpp.in", o_.name + "_weights.cpp"}}) {
      std::string missing;
      files[out] = fillTemplate(templateText(tmpl), v, &missing);
      if (!missing.empty()) return internal(fmt::format("template {} uses unknown key {}", tmpl, missing));
    }
    if (o_.copy_runtime)
      for (const auto& kv : runtimeFiles()) files[kv.first] = kv.second;
    return files;
  }

  // ---- EmitSink ----
  std::string tensorExpr(TensorId id, const char* ctype, bool writable) override {
    const TensorStorage& s = p_.storage[static_cast<size_t>(id)];
    const std::string c = writable ? "" : "const ";
    switch (s.home) {
      case Home::Const: return constSymbol(id);
      case Home::Input:
        if (s.offset == 0) return fmt::format("static_cast<const {}*>(in[{}])", ctype, s.index);
        return fmt::format("reinterpret_cast<const {}*>(static_cast<const uint8_t*>(in[{}]) + {})", ctype, s.index,
                           s.offset);
      case Home::Output:
        if (s.offset == 0) return fmt::format("static_cast<{}{}*>(out[{}])", c, ctype, s.index);
        return fmt::format("reinterpret_cast<{}{}*>(static_cast<uint8_t*>(out[{}]) + {})", c, ctype, s.index, s.offset);
      case Home::Arena:
        return fmt::format("reinterpret_cast<{}{}*>({} + {})", c, ctype, p_.arrayName(s.region), s.offset);
      default: return "nullptr /* unplanned tensor */";
    }
  }
  bool sameStorage(TensorId a, TensorId b) override {
    const TensorStorage& x = p_.storage[static_cast<size_t>(a)];
    const TensorStorage& y = p_.storage[static_cast<size_t>(b)];
    if (x.home != y.home || x.offset != y.offset) return false;
    if (x.home == Home::Arena) return x.region == y.region;
    if (x.home == Home::Input || x.home == Home::Output) return x.index == y.index;
    return false;
  }
  std::string scratchExpr(const char* ctype, size_t bytes) override {
    if (current_ < 0) return {};
    const int b = p_.scratch_buffer[static_cast<size_t>(current_)];
    if (b < 0) return {};
    const PlannedBuffer& pb = p_.buffers[static_cast<size_t>(b)];
    if (bytes > pb.size) return {};
    return fmt::format("reinterpret_cast<{}*>({} + {})", ctype, p_.arrayName(pb.region), pb.offset);
  }
  std::string declare(const std::string& type, const std::string& init) override {
    std::string key = type + "|" + init;
    auto it = declared_.find(key);
    if (it != declared_.end()) return it->second;
    std::string name = fmt::format("p{}", declared_.size());
    params_.line(fmt::format("const {} {} = {};", type, name, init));
    declared_[key] = name;
    return name;
  }
  std::string declareArray(const char* ctype, const std::vector<std::string>& values) override {
    std::string init;
    for (const auto& v : values) init += (init.empty() ? "" : ", ") + v;
    std::string key = std::string(ctype) + "[]|" + init;
    auto it = declared_.find(key);
    if (it != declared_.end()) return it->second;
    std::string name = fmt::format("p{}", declared_.size());
    params_.line(fmt::format("const {} {}[] = {{{}}};", ctype, name, init.empty() ? "0" : init));
    declared_[key] = name;
    return name;
  }
  std::string declareWeightArray(const char* ctype, size_t elem_bytes, const std::vector<std::string>& values) override {
    std::string init;
    for (size_t i = 0; i < values.size(); ++i) {
      if (i % 8 == 0) init += "\n    ";
      init += values[i];
      if (i + 1 < values.size()) init += i % 8 == 7 ? "," : ", ";
    }
    std::string key = std::string(ctype) + "[]|" + init;
    auto it = packed_.find(key);
    if (it != packed_.end()) return ns_ + "::" + it->second;
    std::string sym = fmt::format("k{}", packed_.size());
    packed_[key] = sym;
    weightDecls_.line(fmt::format("extern const {} {}[{}];  // packed by a kernel's lowering", ctype, sym, values.size()));
    weightDefs_.line(fmt::format("// packed by the lowering of node {}", current_ >= 0 ? commentSafe(g_.label(current_)) : "?"));
    weightDefs_.line(fmt::format("alignas(16) extern const {} {}[{}] = {{{}}};", ctype, sym, values.size(), init));
    weightBytes_ += values.size() * elem_bytes;
    return ns_ + "::" + sym;
  }
  std::string localArray(const std::string& elem, const std::vector<std::string>& items) override {
    std::string name = fmt::format("l{}", locals_++);
    std::string init;
    for (const auto& i : items) init += (init.empty() ? "" : ", ") + i;
    body_.line(fmt::format("{} const {}[] = {{{}}};", elem, name, init));
    return name;
  }
  void statement(const std::string& s) override { body_.line(s); }

 private:
  static std::string indent(const std::string& text) {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t e = text.find('\n', pos);
      std::string ln = text.substr(pos, e - pos);
      out += (ln.empty() ? "" : "  " + ln) + "\n";
      pos = e == std::string::npos ? text.size() : e + 1;
    }
    return out;
  }

  std::string constSymbol(TensorId id) {
    auto it = constIndex_.find(id);
    if (it != constIndex_.end()) return ns_ + "::" + it->second;
    const Tensor& t = g_.t(id);
    std::string sym = fmt::format("c{}", constIndex_.size());
    constIndex_[id] = sym;
    const size_t n = std::max<int64_t>(t.type.numel(), 1);
    weightDecls_.line(fmt::format("extern const {} {}[{}];  // {} {}", dtypeCType(t.type.dtype), sym, n,
                                  commentSafe(t.name), t.type.str()));
    weightDefs_.line(fmt::format("// '{}' {}", commentSafe(t.name), t.type.str()));
    weightDefs_.line(fmt::format("alignas(16) extern const {} {}[{}] = {{{}}};", dtypeCType(t.type.dtype), sym, n,
                                 constantValues(t)));
    weightBytes_ += t.type.bytes();
    return ns_ + "::" + sym;
  }

  std::string describe(TensorId id) const {
    const Tensor& t = g_.t(id);
    const TensorStorage& s = p_.storage[static_cast<size_t>(id)];
    std::string where;
    switch (s.home) {
      case Home::Const: where = "weights"; break;
      case Home::Input: where = fmt::format("input {}", s.index); break;
      case Home::Output:
        where = s.offset ? fmt::format("output {} + {} B", s.index, s.offset) : fmt::format("output {}", s.index);
        break;
      case Home::Arena: where = fmt::format("{}[{}, +{})", p_.arrayName(s.region), s.offset, t.type.bytes()); break;
      default: where = "unplanned"; break;
    }
    return fmt::format("'{}' {} @ {}", commentSafe(t.name), t.type.str(), where);
  }

  std::string ioMacros() const {
    std::string s;
    auto one = [&](const char* kind, size_t k, TensorId id) {
      const Tensor& t = g_.t(id);
      std::string shape;
      for (int64_t d : t.type.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
      const std::string pre = fmt::format("{}_{}{}", o_.name, kind, k);
      const bool padded = t.producer >= 0 && g_.n(t.producer).op_type == "NonMaxSuppression";
      s += fmt::format("/* {} {}: '{}' {}{} */\n", kind, k, commentSafe(t.name), t.type.str(),
                       padded ? " (NonMaxSuppression: rows after the selected boxes are -1)" : "");
      s += fmt::format("#define {}_NAME \"{}\"\n", pre, cStringBody(t.name));
      s += fmt::format("#define {}_DTYPE {}\n", pre, dtypeMacro(t.type.dtype));
      s += fmt::format("#define {}_RANK {}\n", pre, t.type.shape.size());
      s += fmt::format("#define {}_SHAPE {{{}}}\n", pre, shape.empty() ? "1" : shape);
      s += fmt::format("#define {}_SIZE {}u\n", pre, t.type.numel());
      s += fmt::format("#define {}_BYTES {}u\n", pre, t.type.bytes());
      if (t.type.quant.quantized() && !t.type.quant.perChannel()) {
        s += fmt::format("#define {}_SCALE {}\n", pre, floatLiteral(t.type.quant.scale[0]));
        s += fmt::format("#define {}_ZERO_POINT {}\n", pre,
                         t.type.quant.zero_point.empty() ? 0 : t.type.quant.zero_point[0]);
      }
      s += "\n";
    };
    for (size_t k = 0; k < g_.inputs.size(); ++k) one("INPUT", k, g_.inputs[k]);
    for (size_t k = 0; k < g_.outputs.size(); ++k) one("OUTPUT", k, g_.outputs[k]);
    return s;
  }

  // Body of NAME_run (f32 = false) or NAME_run_f32: move inputs that live in
  // the arena into place, invoke, move outputs that do not live in the
  // caller's buffer out.
  Expected<std::string> boundary(bool f32) {
    CodeWriter w;
    w.raw("");
    const std::string ptr = f32 ? "float" : "void";
    auto list = [&](const std::string& arr, size_t n) {
      std::string s;
      for (size_t k = 0; k < n; ++k) s += (k ? ", " : "") + fmt::format("{}[{}]", arr, k);
      return s.empty() ? std::string("nullptr") : s;
    };
    std::string pre = "  ";
    std::string body;
    if (!g_.states.empty()) body += fmt::format("{}if (!state_ready) {}_reset_state();\n", pre, o_.name);
    body += fmt::format("{}const void* in[{}] = {{{}}};\n", pre, std::max<size_t>(g_.inputs.size(), 1),
                        list("inputs", g_.inputs.size()));
    body += fmt::format("{}void* out[{}] = {{{}}};\n", pre, std::max<size_t>(g_.outputs.size(), 1),
                        list("outputs", g_.outputs.size()));
    for (size_t k = 0; k < g_.inputs.size(); ++k)
      body += fmt::format("{}if (!in[{}]) return -1;\n", pre, k);
    for (size_t k = 0; k < g_.outputs.size(); ++k)
      body += fmt::format("{}if (!out[{}]) return -1;\n", pre, k);
    // Quantized int8 inputs/outputs the kernels use in the caller's buffers:
    // NAME_run_f32 converts them through the boundary array.
    const std::string bnd = o_.name + "_boundary";
    if (f32) {
      for (const BoundarySlot& b : boundaryLayout()) {
        const TensorType& t = g_.t(b.input ? g_.inputs[b.index] : g_.outputs[b.index]).type;
        const char* ct = dtypeCType(t.dtype);
        if (b.input) {
          body += fmt::format("{}emlc::rt::quantize_tensor<{}>(static_cast<const float*>(in[{}]), "
                              "reinterpret_cast<{}*>({} + {}), {}, {}, {});\n",
                              pre, ct, b.index, ct, bnd, b.offset, t.numel(), floatLiteral(t.quant.scale[0]),
                              zeroPoint(t));
          body += fmt::format("{}in[{}] = {} + {};\n", pre, b.index, bnd, b.offset);
        } else {
          body += fmt::format("{}float* const user_out{} = static_cast<float*>(out[{}]);\n", pre, b.index, b.index);
          body += fmt::format("{}out[{}] = {} + {};\n", pre, b.index, bnd, b.offset);
        }
      }
    }
    for (size_t k = 0; k < g_.inputs.size(); ++k) {
      if (!p_.input_in_arena[k]) continue;
      const Tensor& t = g_.t(g_.inputs[k]);
      const TensorStorage& s = p_.storage[static_cast<size_t>(g_.inputs[k])];
      const std::string arr = p_.arrayName(s.region);
      if (f32 && boundaryQuantized(t.type))
        body += fmt::format("{}emlc::rt::quantize_tensor<{}>(static_cast<const float*>(in[{}]), "
                            "reinterpret_cast<{}*>({} + {}), {}, {}, {});\n",
                            pre, dtypeCType(t.type.dtype), k, dtypeCType(t.type.dtype), arr, s.offset, t.type.numel(),
                            floatLiteral(t.type.quant.scale[0]), zeroPoint(t.type));
      else if (f32)
        body += fmt::format("{}emlc::rt::cast<float, {}>(static_cast<const float*>(in[{}]), "
                            "reinterpret_cast<{}*>({} + {}), {});\n",
                            pre, dtypeCType(t.type.dtype), k, dtypeCType(t.type.dtype), arr, s.offset, t.type.numel());
      else
        body += fmt::format("{}emlc::rt::copy_bytes({} + {}, in[{}], {});\n", pre, arr, s.offset, k, t.type.bytes());
    }
    body += fmt::format("{}const int rc = invoke(in, out);\n", pre);
    for (size_t k = 0; k < g_.outputs.size(); ++k) {
      TensorId id = g_.outputs[k];
      const Tensor& t = g_.t(id);
      const TensorStorage& s = p_.storage[static_cast<size_t>(id)];
      if (s.home == Home::Output && s.index == static_cast<int>(k)) {
        if (f32 && boundaryQuantized(t.type)) {
          const char* ct = dtypeCType(t.type.dtype);
          body += fmt::format("{}emlc::rt::dequantize_tensor<{}>(static_cast<const {}*>(out[{}]), user_out{}, {}, {}, {});\n",
                              pre, ct, ct, k, k, t.type.numel(), floatLiteral(t.type.quant.scale[0]),
                              zeroPoint(t.type));
        }
        continue;
      }
      const char* ct = dtypeCType(t.type.dtype);
      std::string src = tensorExpr(id, ct, false);
      if (f32 && boundaryQuantized(t.type))
        body += fmt::format("{}emlc::rt::dequantize_tensor<{}>({}, static_cast<float*>(out[{}]), {}, {}, {});\n", pre,
                            ct, src, k, t.type.numel(), floatLiteral(t.type.quant.scale[0]), zeroPoint(t.type));
      else if (f32 && t.type.dtype != DType::F32)
        body += fmt::format("{}emlc::rt::cast<{}, float>({}, static_cast<float*>(out[{}]), {});\n", pre, ct, src, k,
                            t.type.numel());
      else
        body += fmt::format("{}emlc::rt::copy_bytes(out[{}], {}, {});\n", pre, k, src, t.type.bytes());
    }
    body += pre + "return rc;\n";
    return body;
  }

  // NAME.h: the streaming states.
  std::string stateMacros() const {
    std::string s = fmt::format("#define {}_NUM_STATES {}\n", o_.name, g_.states.size());
    for (size_t k = 0; k < g_.states.size(); ++k) {
      const Tensor& t = g_.t(g_.states[k].value);
      const std::string pre = fmt::format("{}_STATE{}", o_.name, k);
      s += fmt::format("/* state {}: '{}' {}, next value '{}' */\n", k, commentSafe(t.name), t.type.str(),
                       commentSafe(g_.t(g_.states[k].next).name));
      s += fmt::format("#define {}_NAME \"{}\"\n", pre, cStringBody(t.name));
      s += fmt::format("#define {}_SIZE {}u\n", pre, t.type.numel());
      s += fmt::format("#define {}_BYTES {}u\n", pre, t.type.bytes());
    }
    return s;
  }

  // NAME.cpp: NAME_reset_state() (and the flag that makes the first run
  // start from the reset values).
  std::string stateFuncs() {
    if (g_.states.empty())
      return fmt::format("extern \"C\" void {}_reset_state(void) {{}}  // no streaming state\n", o_.name);
    std::string s = "namespace {\nbool state_ready = false;  // set by the first reset\n}  // namespace\n\n";
    s += fmt::format("extern \"C\" void {}_reset_state(void) {{\n", o_.name);
    for (const StateLink& st : g_.states) {
      const Tensor& t = g_.t(st.value);
      const std::string dst = tensorExpr(st.value, "uint8_t", true);
      if (st.reset.empty()) {
        s += fmt::format("  emlc::rt::fill<uint8_t>({}, {}, 0);  // '{}'\n", dst, t.type.bytes(), commentSafe(t.name));
      } else {
        std::vector<std::string> bytes;
        for (uint8_t b : st.reset) bytes.push_back(std::to_string(b) + "u");
        s += fmt::format("  emlc::rt::copy_bytes({}, {}, {});  // '{}'\n", dst, declareArray("uint8_t", bytes),
                         t.type.bytes(), commentSafe(t.name));
      }
    }
    return s + "  state_ready = true;\n}\n";
  }

  // Where NAME_run_f32 keeps the int8 codes of quantized inputs and outputs
  // that NAME_run reads and writes in the caller's buffers.
  struct BoundarySlot {
    bool input = true;
    size_t index = 0;
    size_t offset = 0;
  };
  std::vector<BoundarySlot> boundaryLayout(size_t* total = nullptr) const {
    std::vector<BoundarySlot> v;
    size_t off = 0;
    auto add = [&](bool input, size_t k, TensorId id) {
      const TensorStorage& s = p_.storage[static_cast<size_t>(id)];
      const Home h = input ? Home::Input : Home::Output;
      if (s.home != h || s.index != static_cast<int>(k) || s.offset != 0 || !boundaryQuantized(g_.t(id).type)) return;
      v.push_back({input, k, off});
      off += (g_.t(id).type.bytes() + 15) / 16 * 16;
    };
    for (size_t k = 0; k < g_.inputs.size(); ++k) add(true, k, g_.inputs[k]);
    for (size_t k = 0; k < g_.outputs.size(); ++k) add(false, k, g_.outputs[k]);
    if (total) *total = off;
    return v;
  }

  // NAME.h: arena size macros (total, and one per region with --memory).
  std::string arenaMacros() const {
    const std::string& m = o_.name;
    std::string s = "/* Bytes of static arena memory (all activations and kernel scratch). */\n";
    s += fmt::format("#define {}_ARENA_SIZE {}u\n", m, p_.arena_size);
    size_t boundary = 0;
    boundaryLayout(&boundary);
    s += fmt::format(
        "/* Bytes of static memory {0}_run_f32 uses besides the arena to hold the int8\n"
        " * codes of quantized inputs and outputs ({0}_run reads and writes them in the\n"
        " * caller's buffers). */\n#define {0}_BOUNDARY_SIZE {1}u\n",
        m, boundary);
    if (!p_.named_regions) {
      s += fmt::format(
          "/* The arena is one static array. To place it in a linker section, compile\n"
          " * {0}.cpp with e.g. -D'{0}_ARENA_SECTION=__attribute__((section(\".sram\")))'. */\n",
          m);
      return s;
    }
    s += fmt::format(
        "/* Memory regions (emlc --memory): one static array per region, {0}_ARENA_SIZE\n"
        " * bytes in total. To place region R in a linker section, compile {0}.cpp with\n"
        " * e.g. -D'{0}_REGION_R_SECTION=__attribute__((section(\".R\")))'. */\n",
        m);
    s += fmt::format("#define {}_NUM_REGIONS {}\n", m, p_.regions.size());
    for (const RegionPlan& r : p_.regions)
      s += fmt::format("#define {}_REGION_{}_SIZE {}u{}\n", m, r.name, r.size,
                       r.capacity ? fmt::format(" /* capacity {} */", r.capacity) : "");
    return s;
  }

  // NAME.cpp: the arena array(s), each with a section hook.
  std::string arenaDecls() const {
    std::string s;
    size_t boundary = 0;
    boundaryLayout(&boundary);
    if (boundary)
      s += fmt::format("// int8 codes of the quantized inputs/outputs for {0}_run_f32.\nalignas(16) uint8_t {0}_boundary[{1}];\n",
                       o_.name, boundary);
    for (size_t r = 0; r < p_.regions.size(); ++r) {
      const std::string hook = p_.named_regions ? fmt::format("{}_REGION_{}_SECTION", o_.name, p_.regions[r].name)
                                                : fmt::format("{}_ARENA_SECTION", o_.name);
      s += fmt::format("#ifndef {0}\n#define {0}\n#endif\n", hook);
      s += fmt::format("alignas(16) uint8_t {}[{}] {};\n", p_.arrayName(static_cast<int>(r)),
                       std::max<size_t>(p_.regions[r].size, 1), hook);
    }
    return s;
  }

  // NAME.cpp with a pipeline: what NAME_pipeline.cpp needs from the model.
  std::string pipelineHooks() const {
    std::string arrays;
    for (size_t r = 0; r < p_.regions.size(); ++r) arrays += (r ? ", " : "") + p_.arrayName(static_cast<int>(r));
    return fmt::format(
        "\n// For {0}_pipeline.cpp: the arena arrays, and the model run on inputs and\n"
        "// outputs that live in the arena (the pipeline writes and reads them there).\n"
        "namespace emlc_{0}_model {{\n"
        "extern uint8_t* const kRegions[{1}];\n"
        "uint8_t* const kRegions[{1}] = {{{2}}};\n"
        "int invoke_in_arena() {{ return invoke(nullptr, nullptr); }}\n"
        "}}  // namespace emlc_{0}_model\n",
        o_.name, p_.regions.size(), arrays);
  }

  std::string arenaVoids() const {
    std::string s;
    for (size_t r = 0; r < p_.regions.size(); ++r) s += fmt::format("  (void){};\n", p_.arrayName(static_cast<int>(r)));
    return s;
  }

  const Graph& g_;
  const MemoryPlan& p_;
  const EmitOptions& o_;
  NodeId current_ = -1;
  std::string ns_;
  CodeWriter body_, params_, weightDecls_, weightDefs_;
  std::map<std::string, std::string> declared_;
  std::map<TensorId, std::string> constIndex_;
  std::map<std::string, std::string> packed_;  // packed weight arrays by content
  size_t weightBytes_ = 0;
  int locals_ = 0;
};

}  // namespace

Expected<FileMap> emitModel(const Graph& g, const MemoryPlan& plan, const EmitOptions& opt) {
  if (!isValidModelName(opt.name))
    return invalid(fmt::format("'{}' is not a valid model name (a C identifier, not a keyword)", opt.name));
  Emitter e(g, plan, opt);
  return e.run();
}

}  // namespace emlc
