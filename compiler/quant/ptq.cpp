#include "quant/ptq.h"

#include <fmt/format.h>

#include "emlc/int8_elementwise.h"

namespace emlc {

Expected<bool> quantizeGraph(Graph&, const QuantOptions&, QuantResult*) {
  return unsupported("static quantization is not implemented yet");
}

Expected<HostTensor> toInputType(const HostTensor& in, const TensorType& want) {
  if (in.type.dtype == want.dtype) return in;
  if (in.type.dtype != DType::F32 || (want.dtype != DType::I8 && want.dtype != DType::U8) ||
      want.quant.scale.size() != 1)
    return invalid(fmt::format("input of type {} cannot be converted to {}", in.type.str(), want.str()));
  HostTensor h;
  h.type = want;
  h.type.shape = in.type.shape;
  h.data.resize(h.type.bytes());
  const float s = want.quant.scale[0];
  const int32_t z = want.quant.zero_point.empty() ? 0 : want.quant.zero_point[0];
  const int32_t n = static_cast<int32_t>(in.type.numel());
  if (want.dtype == DType::I8) {
    const int8_t zz = static_cast<int8_t>(z);
    rt::quantize_linear<int8_t>(in.as<float>(), &s, &zz, h.as<int8_t>(), 1, 1, n);
  } else {
    const uint8_t zz = static_cast<uint8_t>(z);
    rt::quantize_linear<uint8_t>(in.as<float>(), &s, &zz, h.as<uint8_t>(), 1, 1, n);
  }
  return h;
}

HostTensor dequantized(const HostTensor& out) {
  const TensorType& t = out.type;
  if ((t.dtype != DType::I8 && t.dtype != DType::U8) || t.quant.scale.size() != 1) return out;
  HostTensor h;
  h.type = TensorType{DType::F32, t.shape};
  h.data.resize(h.type.bytes());
  const float s = t.quant.scale[0];
  const int32_t n = static_cast<int32_t>(t.numel());
  const int32_t z = t.quant.zero_point.empty() ? 0 : t.quant.zero_point[0];
  if (t.dtype == DType::I8) {
    const int8_t zz = static_cast<int8_t>(z);
    rt::dequantize_linear<int8_t>(out.as<int8_t>(), &s, &zz, h.as<float>(), 1, 1, n);
  } else {
    const uint8_t zz = static_cast<uint8_t>(z);
    rt::dequantize_linear<uint8_t>(out.as<uint8_t>(), &s, &zz, h.as<float>(), 1, 1, n);
  }
  return h;
}

}  // namespace emlc
