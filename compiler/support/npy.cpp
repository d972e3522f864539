#include "support/npy.h"

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace emlc {

namespace {

struct Descr {
  const char* text;
  DType dtype;
};
const Descr kDescrs[] = {
    {"<f4", DType::F32}, {"<f8", DType::F64}, {"|i1", DType::I8},  {"|u1", DType::U8},
    {"<i2", DType::I16}, {"<u2", DType::U16}, {"<i4", DType::I32}, {"<u4", DType::U32},
    {"<i8", DType::I64}, {"<u8", DType::U64}, {"|b1", DType::Bool}, {"<i1", DType::I8}, {"<u1", DType::U8},
};

// Value of 'key' in the header dict, e.g. "'<f4'" or "(1, 3)".
std::string field(const std::string& h, const std::string& key) {
  size_t k = h.find("'" + key + "'");
  if (k == std::string::npos) return {};
  size_t c = h.find(':', k);
  if (c == std::string::npos) return {};
  size_t b = h.find_first_not_of(' ', c + 1);
  if (b == std::string::npos) return {};
  size_t e;
  if (h[b] == '(') e = h.find(')', b) + 1;
  else e = h.find_first_of(",}", b);
  if (e == std::string::npos || e == 0) return {};
  return h.substr(b, e - b);
}

}  // namespace

namespace {

// Parses the header at the start of `bytes` (which may hold only the header).
Expected<NpyHeader> parseHeader(const std::string& bytes, const std::string& what) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
    return invalid(fmt::format("{} is not a .npy file", what));
  const uint8_t major = static_cast<uint8_t>(bytes[6]);
  size_t hlen, hoff;
  if (major == 1) {
    hlen = static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    hoff = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return invalid(fmt::format("{}: truncated header", what));
    hlen = 0;
    for (int i = 0; i < 4; ++i) hlen |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    hoff = 12;
  } else {
    return invalid(fmt::format("{}: unsupported .npy version {}", what, major));
  }
  if (hoff + hlen > bytes.size()) return invalid(fmt::format("{}: truncated header", what));
  const std::string h = bytes.substr(hoff, hlen);
  NpyHeader r;
  std::string descr = field(h, "descr");
  if (descr.size() < 2) return invalid(fmt::format("{}: header has no dtype", what));
  descr = descr.substr(1, descr.size() - 2);
  r.type.dtype = DType::Undefined;
  for (const Descr& d : kDescrs)
    if (descr == d.text) r.type.dtype = d.dtype;
  if (r.type.dtype == DType::Undefined)
    return unsupported(fmt::format("{}: dtype '{}' is not supported (little-endian numeric or bool only)", what, descr));
  if (field(h, "fortran_order") != "False")
    return unsupported(fmt::format("{}: Fortran-order arrays are not supported; save with np.ascontiguousarray", what));
  std::string shape = field(h, "shape");
  if (shape.size() < 2 || shape.front() != '(') return invalid(fmt::format("{}: header has no shape", what));
  std::stringstream ss(shape.substr(1, shape.size() - 2));
  std::string tok;
  uint64_t numel = 1;
  while (std::getline(ss, tok, ',')) {
    size_t b = tok.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    char* end = nullptr;
    long long d = std::strtoll(tok.c_str() + b, &end, 10);
    if (d < 0 || (end && *end != '\0' && *end != ' ' && *end != 'L'))
      return invalid(fmt::format("{}: bad shape {}", what, shape));
    if (d != 0 && numel > (uint64_t{1} << 40) / static_cast<uint64_t>(d))
      return invalid(fmt::format("{}: array too large", what));
    numel *= static_cast<uint64_t>(d);
    r.type.shape.push_back(d);
  }
  r.data_offset = hoff + hlen;
  r.data_bytes = static_cast<size_t>(numel) * dtypeSize(r.type.dtype);
  return r;
}

}  // namespace

Expected<HostTensor> parseNpy(const std::string& bytes, const std::string& what) {
  EMLC_ASSIGN(NpyHeader h, parseHeader(bytes, what));
  if (bytes.size() - h.data_offset != h.data_bytes)
    return invalid(fmt::format("{}: holds {} data bytes, shape {} needs {}", what, bytes.size() - h.data_offset,
                               shapeStr(h.type.shape), h.data_bytes));
  HostTensor t;
  t.type = h.type;
  t.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(h.data_offset), bytes.end());
  return t;
}

Expected<NpyHeader> readNpyHeader(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return ioError(fmt::format("cannot open '{}'", path));
  std::string head(12, '\0');
  f.read(&head[0], 12);
  head.resize(static_cast<size_t>(f.gcount()));
  size_t hlen = 0;
  if (head.size() >= 10 && static_cast<uint8_t>(head[6]) == 1)
    hlen = 10 + (static_cast<uint8_t>(head[8]) | (static_cast<size_t>(static_cast<uint8_t>(head[9])) << 8));
  else if (head.size() == 12)
    for (int i = 0; i < 4; ++i) hlen |= static_cast<size_t>(static_cast<uint8_t>(head[8 + i])) << (8 * i);
  if (hlen > (size_t{1} << 24)) return invalid(fmt::format("'{}': header too large", path));
  if (head.size() == 12 && static_cast<uint8_t>(head[6]) != 1) hlen += 12;
  std::string all(hlen, '\0');
  f.clear();
  f.seekg(0);
  f.read(&all[0], static_cast<std::streamsize>(hlen));
  all.resize(static_cast<size_t>(f.gcount()));
  EMLC_ASSIGN(NpyHeader h, parseHeader(all, fmt::format("'{}'", path)));
  f.clear();
  f.seekg(0, std::ios::end);
  const size_t size = static_cast<size_t>(f.tellg());
  if (size - h.data_offset != h.data_bytes)
    return invalid(fmt::format("'{}': holds {} data bytes, shape {} needs {}", path, size - h.data_offset,
                               shapeStr(h.type.shape), h.data_bytes));
  return h;
}

Expected<HostTensor> readNpy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return ioError(fmt::format("cannot open '{}'", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return parseNpy(ss.str(), fmt::format("'{}'", path));
}

std::string serializeNpy(const HostTensor& t) {
  const char* descr = "<f4";
  for (const Descr& d : kDescrs)
    if (d.dtype == t.type.dtype) { descr = d.text; break; }
  std::string shape = "(";
  for (size_t i = 0; i < t.type.shape.size(); ++i) shape += std::to_string(t.type.shape[i]) + ", ";
  if (t.type.shape.size() > 1) shape.resize(shape.size() - 2);
  else if (t.type.shape.size() == 1) shape.resize(shape.size() - 1);
  shape += ")";
  std::string h = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape);
  size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  out += h;
  out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size());
  return out;
}

Status writeNpy(const std::string& path, const HostTensor& t) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  std::string s = serializeNpy(t);
  if (!f || !f.write(s.data(), static_cast<std::streamsize>(s.size())))
    return ioError(fmt::format("cannot write '{}'", path));
  return Status::ok();
}

}  // namespace emlc
