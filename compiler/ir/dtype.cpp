#include "ir/dtype.h"

namespace emlc {

size_t dtypeSize(DType t) {
  switch (t) {
    case DType::F32: case DType::I32: case DType::U32: return 4;
    case DType::F64: case DType::I64: case DType::U64: return 8;
    case DType::I16: case DType::U16: case DType::F16: case DType::BF16: return 2;
    case DType::I8: case DType::U8: case DType::Bool: return 1;
    default: return 0;
  }
}

const char* dtypeName(DType t) {
  switch (t) {
    case DType::F32: return "float32";
    case DType::U8: return "uint8";
    case DType::I8: return "int8";
    case DType::U16: return "uint16";
    case DType::I16: return "int16";
    case DType::I32: return "int32";
    case DType::I64: return "int64";
    case DType::String: return "string";
    case DType::Bool: return "bool";
    case DType::F16: return "float16";
    case DType::F64: return "float64";
    case DType::U32: return "uint32";
    case DType::U64: return "uint64";
    case DType::Complex64: return "complex64";
    case DType::Complex128: return "complex128";
    case DType::BF16: return "bfloat16";
    default: return "undefined";
  }
}

const char* dtypeCType(DType t) {
  switch (t) {
    case DType::F32: return "float";
    case DType::F64: return "double";
    case DType::U8: return "uint8_t";
    case DType::I8: return "int8_t";
    case DType::U16: return "uint16_t";
    case DType::I16: return "int16_t";
    case DType::I32: return "int32_t";
    case DType::U32: return "uint32_t";
    case DType::I64: return "int64_t";
    case DType::U64: return "uint64_t";
    case DType::Bool: return "bool";
    default: return nullptr;
  }
}

bool dtypeSupported(DType t) { return dtypeCType(t) != nullptr; }

bool dtypeIsFloat(DType t) { return t == DType::F32 || t == DType::F64; }

bool dtypeIsInteger(DType t) {
  switch (t) {
    case DType::U8: case DType::I8: case DType::U16: case DType::I16:
    case DType::I32: case DType::U32: case DType::I64: case DType::U64: return true;
    default: return false;
  }
}

bool dtypeIsSigned(DType t) {
  switch (t) {
    case DType::I8: case DType::I16: case DType::I32: case DType::I64:
    case DType::F32: case DType::F64: case DType::F16: case DType::BF16: return true;
    default: return false;
  }
}

DType dtypeFromOnnx(int32_t code) {
  if (code < 0 || code > 16) return DType::Undefined;
  return static_cast<DType>(code);
}

}  // namespace emlc
