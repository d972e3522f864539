// NumPy .npy files (format versions 1-3, little-endian, C order).
#pragma once

#include <string>

#include "ir/host_tensor.h"
#include "support/status.h"

namespace emlc {

Expected<HostTensor> readNpy(const std::string& path);
// The header of a .npy file (type and shape; where the data starts), checked
// against the file size, without reading the data (for streaming readers).
struct NpyHeader {
  TensorType type;
  size_t data_offset = 0;
  size_t data_bytes = 0;
};
Expected<NpyHeader> readNpyHeader(const std::string& path);
Status writeNpy(const std::string& path, const HostTensor& t);
// Parses a whole .npy file held in memory.
Expected<HostTensor> parseNpy(const std::string& bytes, const std::string& what);
std::string serializeNpy(const HostTensor& t);

}  // namespace emlc
