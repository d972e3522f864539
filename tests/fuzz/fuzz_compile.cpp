// libFuzzer target: the whole compile path, from model bytes to emitted text.
//
// Input: bytes parsed as an ONNX ModelProto; anything that parses goes
// through import (checker, shape inference), inference and folding, the pass
// pipeline, the memory planner (and its validity check) and the emitter. Any
// crash, sanitizer report, hang or leak is a bug: on bad input emlc must
// return an error value. The generated text is also checked for the
// injection rules (no model string may end a comment or a string literal).
//
// A structure-aware mutator (LLVMFuzzerCustomMutator) mutates the parsed
// ModelProto through protobuf reflection (numbers, dims, attribute values,
// op types, names with hostile characters, repeated fields), falling back to
// byte mutation when the input does not parse.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "codegen/emitter.h"
#include "onnx/importer.h"
#include "onnx/onnx_pb.h"
#include "passes/infer.h"
#include "passes/pass.h"
#include "plan/memory_plan.h"

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

const char* const kOpTypes[] = {
    "Conv", "Gemm", "MatMul", "Add", "Mul", "Relu", "Reshape", "Transpose", "Concat", "Slice", "Gather",
    "Pad", "MaxPool", "AveragePool", "Softmax", "BatchNormalization", "Resize", "Split", "Squeeze",
    "Unsqueeze", "Expand", "Tile", "ReduceMean", "ArgMax", "TopK", "Einsum", "Cast", "Where", "Clip",
    "ConvTranspose", "Flatten", "Shape", "ConstantOfShape", "Range", "CumSum", "ScatterND", "GatherND",
    "OneHot", "Trilu", "DepthToSpace", "LayerNormalization", "Identity", "Constant", "NoSuchOp"};
const char* const kHostile[] = {"*/ int x; /*", "\n#include <evil>\n", "\"", "\\", "?" "?/", "a\0b", "",
                                "\xff\xfe", "class", "__x", "../../etc/passwd", "/abs/path"};

// Collects every message reachable from `m` (pre-order).
void collect(Message* m, std::vector<Message*>* out, int depth) {
  if (depth > 8) return;
  out->push_back(m);
  const Reflection* r = m->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(*m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(*m, f); ++i) collect(r->MutableRepeatedMessage(m, f, i), out, depth + 1);
    } else {
      collect(r->MutableMessage(m, f), out, depth + 1);
    }
  }
}

int64_t interesting(std::mt19937& rng) {
  static const int64_t v[] = {0, 1, -1, 2, 3, 7, 8, 16, 255, 256, 65535, -2147483648LL, 2147483647LL,
                              (1LL << 31), (1LL << 40), INT64_MAX, INT64_MIN, 1000000};
  return v[rng() % (sizeof v / sizeof v[0])];
}

void mutateField(Message* m, const FieldDescriptor* f, std::mt19937& rng) {
  const Reflection* r = m->GetReflection();
  if (f->is_repeated()) {
    int n = r->FieldSize(*m, f);
    switch (rng() % 4) {
      case 0:
        if (n > 0) r->RemoveLast(m, f);
        return;
      case 1:
        if (n > 1) r->SwapElements(m, f, static_cast<int>(rng() % n), static_cast<int>(rng() % n));
        return;
      default: break;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (n > 0) r->AddMessage(m, f)->CopyFrom(r->GetRepeatedMessage(*m, f, static_cast<int>(rng() % n)));
      return;
    }
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT64:
        if (n > 0 && rng() % 2) r->SetRepeatedInt64(m, f, static_cast<int>(rng() % n), interesting(rng));
        else r->AddInt64(m, f, interesting(rng));
        return;
      case FieldDescriptor::CPPTYPE_INT32:
        r->AddInt32(m, f, static_cast<int32_t>(interesting(rng)));
        return;
      case FieldDescriptor::CPPTYPE_FLOAT:
        r->AddFloat(m, f, static_cast<float>(interesting(rng)) * 0.5f);
        return;
      case FieldDescriptor::CPPTYPE_STRING:
        if (n > 0) r->SetRepeatedString(m, f, static_cast<int>(rng() % n), kHostile[rng() % 12]);
        else r->AddString(m, f, kHostile[rng() % 12]);
        return;
      default: return;
    }
  }
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT64: r->SetInt64(m, f, interesting(rng)); return;
    case FieldDescriptor::CPPTYPE_INT32:
      r->SetInt32(m, f, static_cast<int32_t>(rng() % 3 ? rng() % 20 : interesting(rng)));
      return;
    case FieldDescriptor::CPPTYPE_UINT64: r->SetUInt64(m, f, static_cast<uint64_t>(interesting(rng))); return;
    case FieldDescriptor::CPPTYPE_FLOAT: {
      static const float fv[] = {0.f, -0.f, 1.f, -1.f, 0.5f, 1e30f, -1e-30f, __builtin_nanf(""), __builtin_inff()};
      r->SetFloat(m, f, fv[rng() % 9]);
      return;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = f->enum_type();
      r->SetEnum(m, f, e->value(static_cast<int>(rng() % e->value_count())));
      return;
    }
    case FieldDescriptor::CPPTYPE_STRING:
      if (f->name() == "op_type") r->SetString(m, f, kOpTypes[rng() % (sizeof kOpTypes / sizeof kOpTypes[0])]);
      else if (f->name() == "raw_data") {
        std::string s = r->GetString(*m, f);
        if (!s.empty() && rng() % 2) s.resize(rng() % s.size());
        else s.append(rng() % 9, '\x7f');
        r->SetString(m, f, s);
      } else r->SetString(m, f, kHostile[rng() % 12]);
      return;
    default: return;
  }
}

// Safety property of the emitted text: a model string never ends a comment
// outside the template's own, never splices lines.
void checkEmitted(const emlc::FileMap& files) {
  for (const auto& kv : files) {
    if (kv.second.find("\\\n") != std::string::npos) {
      std::fprintf(stderr, "line splice in %s\n", kv.first.c_str());
      std::abort();
    }
  }
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  onnx::ModelProto m;
  std::mt19937 rng(seed);
  if (!m.ParseFromArray(data, static_cast<int>(size)) || rng() % 8 == 0) {
    extern size_t LLVMFuzzerMutate(uint8_t * d, size_t s, size_t max);
    return LLVMFuzzerMutate(data, size, max_size);
  }
  for (int round = 0, n = 1 + static_cast<int>(rng() % 3); round < n; ++round) {
    // Re-collect each round: a mutation may delete messages found before.
    std::vector<Message*> msgs;
    collect(&m, &msgs, 0);
    Message* target = msgs[rng() % msgs.size()];
    const auto* d = target->GetDescriptor();
    if (d->field_count() == 0) continue;
    mutateField(target, d->field(static_cast<int>(rng() % d->field_count())), rng);
  }
  std::string out;
  if (!m.SerializeToString(&out) || out.size() > max_size) return size;
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onnx::ModelProto model;
  if (size > (8u << 20) || !model.ParseFromArray(data, static_cast<int>(size))) return 0;
  emlc::ImportOptions opt;
  opt.max_tensor_bytes = 16u << 20;  // keeps single runs fast and memory bounded
  auto imported = emlc::importModel(model, "", opt);
  if (!imported) return 0;
  emlc::Graph g = std::move(imported->graph);
  emlc::InferOptions io;
  io.onnx_shapes = &imported->onnx_shapes;
  if (!emlc::inferAndFold(g, io)) return 0;
  if (!emlc::runPipeline(g, emlc::PassOptions{}, nullptr)) return 0;
  auto plan = emlc::planMemory(g);
  if (!plan) return 0;
  if (!emlc::verifyPlan(g, plan.value()).isOk()) {
    std::fprintf(stderr, "planner produced an invalid plan\n");
    std::abort();
  }
  emlc::EmitOptions eo;
  eo.name = "fuzz";
  eo.source_name = "fuzz.onnx";
  eo.copy_runtime = false;
  auto files = emlc::emitModel(g, plan.value(), eo);
  if (files) checkEmitted(files.value());
  return 0;
}
