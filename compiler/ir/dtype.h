// Element types known to the IR. The numeric values are ONNX's
// TensorProto.DataType codes so the importer can convert with a cast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace emlc {

enum class DType : int32_t {
  Undefined = 0,
  F32 = 1,
  U8 = 2,
  I8 = 3,
  U16 = 4,
  I16 = 5,
  I32 = 6,
  I64 = 7,
  String = 8,
  Bool = 9,
  F16 = 10,
  F64 = 11,
  U32 = 12,
  U64 = 13,
  Complex64 = 14,
  Complex128 = 15,
  BF16 = 16,
};

// Bytes per element; 0 for types emlc cannot store (String, complex, ...).
size_t dtypeSize(DType t);
// ONNX spelling, e.g. "float32", "int64".
const char* dtypeName(DType t);
// C type used in generated code and the runtime, e.g. "float", "int64_t".
// nullptr for types emlc cannot compute with.
const char* dtypeCType(DType t);
// True for the element types the runtime kernels and emitter handle.
bool dtypeSupported(DType t);
bool dtypeIsFloat(DType t);
bool dtypeIsInteger(DType t);  // signed or unsigned integers, not bool
bool dtypeIsSigned(DType t);
// Converts ONNX's integer code; returns Undefined for unknown codes.
DType dtypeFromOnnx(int32_t code);

}  // namespace emlc
