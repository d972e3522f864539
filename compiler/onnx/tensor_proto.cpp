// TensorProto -> HostTensor, including external data files.
#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "onnx/importer.h"
#include "onnx/onnx_pb.h"

namespace emlc {
namespace fs = std::filesystem;

namespace {

// Resolves an external data location strictly inside model_dir.
Expected<fs::path> resolveExternal(const std::string& tensor, const std::string& location,
                                   const std::string& model_dir) {
  if (model_dir.empty())
    return invalid(fmt::format("tensor '{}' uses external data but the model has no folder", tensor));
  fs::path loc(location);
  if (location.empty() || loc.is_absolute() || loc.has_root_name() || loc.has_root_directory())
    return invalid(fmt::format("tensor '{}': external data location '{}' must be a relative path inside "
                               "the model's folder",
                               tensor, location));
  for (const auto& part : loc)
    if (part == "..")
      return invalid(fmt::format("tensor '{}': external data location '{}' leaves the model's folder",
                                 tensor, location));
  std::error_code ec;
  fs::path base = fs::canonical(fs::path(model_dir), ec);
  if (ec) return ioError(fmt::format("cannot resolve model folder '{}': {}", model_dir, ec.message()));
  fs::path full = fs::canonical(base / loc, ec);
  if (ec)
    return ioError(fmt::format("tensor '{}': external data file '{}' not found", tensor, location));
  // Symbolic links may point anywhere: the resolved path must stay inside.
  auto rel = full.lexically_relative(base);
  if (rel.empty() || *rel.begin() == "..")
    return invalid(fmt::format("tensor '{}': external data '{}' resolves outside the model's folder",
                               tensor, location));
  if (!fs::is_regular_file(full, ec))
    return invalid(fmt::format("tensor '{}': external data '{}' is not a regular file", tensor, location));
  return full;
}

Status readExternal(const onnx::TensorProto& t, const std::string& model_dir, size_t bytes,
                    std::vector<uint8_t>* out) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset" || kv.key() == "length") {
      char* end = nullptr;
      long long v = std::strtoll(kv.value().c_str(), &end, 10);
      if (kv.value().empty() || *end != '\0' || v < 0)
        return invalid(fmt::format("tensor '{}': external data {} '{}' is not a number", t.name(), kv.key(),
                                   kv.value()));
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  EMLC_ASSIGN(fs::path file, resolveExternal(t.name(), location, model_dir));
  if (length >= 0 && static_cast<uint64_t>(length) != bytes)
    return invalid(fmt::format("tensor '{}': external data length {} but its shape needs {} bytes", t.name(),
                               length, bytes));
  std::error_code ec;
  uint64_t fsize = fs::file_size(file, ec);
  if (ec || static_cast<uint64_t>(offset) > fsize || fsize - static_cast<uint64_t>(offset) < bytes)
    return invalid(fmt::format("tensor '{}': external data file '{}' is too short: needs {} bytes at offset {}, has {}",
                               t.name(), location, bytes, offset, ec ? 0 : fsize));
  std::ifstream f(file, std::ios::binary);
  f.seekg(offset);
  out->resize(bytes);
  if (bytes && !f.read(reinterpret_cast<char*>(out->data()), static_cast<std::streamsize>(bytes)))
    return ioError(fmt::format("tensor '{}': cannot read external data '{}'", t.name(), location));
  return Status::ok();
}

template <class Dst, class Field>
void copyTyped(const Field& field, std::vector<uint8_t>* out) {
  out->resize(static_cast<size_t>(field.size()) * sizeof(Dst));
  Dst* d = reinterpret_cast<Dst*>(out->data());
  for (int i = 0; i < field.size(); ++i) d[i] = static_cast<Dst>(field.Get(i));
}

}  // namespace

Expected<HostTensor> tensorFromProto(const onnx::TensorProto& t, const std::string& model_dir,
                                     uint64_t max_bytes) {
  HostTensor h;
  h.type.dtype = dtypeFromOnnx(t.data_type());
  const std::string name = t.name().empty() ? std::string("<unnamed>") : t.name();
  if (h.type.dtype == DType::Undefined)
    return invalid(fmt::format("tensor '{}' has unknown data type {}", name, t.data_type()));
  if (!dtypeSupported(h.type.dtype))
    return unsupported(fmt::format("tensor '{}' has element type {}, which emlc does not support", name,
                                   dtypeName(h.type.dtype)));
  if (t.has_segment()) return unsupported(fmt::format("tensor '{}' is segmented", name));
  // Element count with overflow checks.
  // The product of the non-zero dims is bounded too: it bounds the strides
  // even when a zero dim makes the tensor empty.
  uint64_t numel = 1, nonzero = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) return invalid(fmt::format("tensor '{}' has a negative dimension {}", name, d));
    if (d != 0 && nonzero > max_bytes / static_cast<uint64_t>(d))
      return invalid(fmt::format("tensor '{}' is larger than the limit of {} bytes", name, max_bytes));
    if (d != 0) nonzero *= static_cast<uint64_t>(d);
    numel *= static_cast<uint64_t>(d);
    h.type.shape.push_back(d);
  }
  const size_t esize = dtypeSize(h.type.dtype);
  if (numel * esize > max_bytes)
    return invalid(fmt::format("tensor '{}' ({} bytes) is larger than the limit of {} bytes", name,
                               numel * esize, max_bytes));
  const size_t bytes = static_cast<size_t>(numel) * esize;

  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    EMLC_TRY(readExternal(t, model_dir, bytes, &h.data));
    return h;
  }
  if (t.has_raw_data()) {
    if (t.raw_data().size() != bytes)
      return invalid(fmt::format("tensor '{}': raw_data holds {} bytes, its shape {} of {} needs {}", name,
                                 t.raw_data().size(), shapeStr(h.type.shape), dtypeName(h.type.dtype), bytes));
    h.data.assign(t.raw_data().begin(), t.raw_data().end());
    return h;
  }
  size_t have = 0;
  switch (h.type.dtype) {
    case DType::F32: copyTyped<float>(t.float_data(), &h.data); have = static_cast<size_t>(t.float_data_size()); break;
    case DType::F64: copyTyped<double>(t.double_data(), &h.data); have = static_cast<size_t>(t.double_data_size()); break;
    case DType::I64: copyTyped<int64_t>(t.int64_data(), &h.data); have = static_cast<size_t>(t.int64_data_size()); break;
    case DType::U32: copyTyped<uint32_t>(t.uint64_data(), &h.data); have = static_cast<size_t>(t.uint64_data_size()); break;
    case DType::U64: copyTyped<uint64_t>(t.uint64_data(), &h.data); have = static_cast<size_t>(t.uint64_data_size()); break;
    case DType::I32: copyTyped<int32_t>(t.int32_data(), &h.data); have = static_cast<size_t>(t.int32_data_size()); break;
    case DType::I16: copyTyped<int16_t>(t.int32_data(), &h.data); have = static_cast<size_t>(t.int32_data_size()); break;
    case DType::U16: copyTyped<uint16_t>(t.int32_data(), &h.data); have = static_cast<size_t>(t.int32_data_size()); break;
    case DType::I8: copyTyped<int8_t>(t.int32_data(), &h.data); have = static_cast<size_t>(t.int32_data_size()); break;
    case DType::U8: copyTyped<uint8_t>(t.int32_data(), &h.data); have = static_cast<size_t>(t.int32_data_size()); break;
    case DType::Bool: copyTyped<uint8_t>(t.int32_data(), &h.data); have = static_cast<size_t>(t.int32_data_size());
      for (uint8_t& b : h.data) b = b != 0;
      break;
    default: return unsupported(fmt::format("tensor '{}': element type {} not supported", name, dtypeName(h.type.dtype)));
  }
  if (have != numel)
    return invalid(fmt::format("tensor '{}' holds {} values, its shape {} needs {}", name, have,
                               shapeStr(h.type.shape), numel));
  return h;
}

}  // namespace emlc
