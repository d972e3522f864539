// A typed buffer on the host: model inputs/outputs for `emlc run`, .npy
// files, frozen test inputs, evaluation results.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/graph.h"

namespace emlc {

struct HostTensor {
  TensorType type;
  std::vector<uint8_t> data;  // type.bytes() bytes, little-endian, row-major

  template <class T> const T* as() const { return reinterpret_cast<const T*>(data.data()); }
  template <class T> T* as() { return reinterpret_cast<T*>(data.data()); }
};

}  // namespace emlc
