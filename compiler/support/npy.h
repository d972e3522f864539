// NumPy .npy files (format versions 1-3, little-endian, C order).
#pragma once

#include <string>

#include "ir/host_tensor.h"
#include "support/status.h"

namespace emlc {

Expected<HostTensor> readNpy(const std::string& path);
Status writeNpy(const std::string& path, const HostTensor& t);
// Parses a whole .npy file held in memory.
Expected<HostTensor> parseNpy(const std::string& bytes, const std::string& what);
std::string serializeNpy(const HostTensor& t);

}  // namespace emlc
