// Lowering helpers shared by all ops (see lowering.h).
#include "ops/lowering.h"

#include <fmt/format.h>

#include <cstring>

namespace emlc {

Status Lowering::viewCopy(size_t inK, size_t outK) {
  if (!hasIn(inK) || !hasOut(outK)) return internal(g_.label(n_) + ": viewCopy of an omitted tensor");
  const size_t bytes = outType(outK).bytes();
  if (bytes != inType(inK).bytes())
    return internal(g_.label(n_) + ": view input and output sizes differ");
  if (!emitting()) {
    const void* src = inK < in_.size() ? in_[inK] : nullptr;
    void* dst = outK < out_.size() ? out_[outK] : nullptr;
    if (bytes > 0 && src != dst) {
      if (!src || !dst) return internal(g_.label(n_) + ": viewCopy without buffers");
      std::memmove(dst, src, bytes);
    }
    return Status::ok();
  }
  const TensorId in = n_.inputs[inK], out = n_.outputs[outK];
  if (bytes == 0 || sink_->sameStorage(in, out)) return Status::ok();
  sink_->statement(fmt::format("emlc::rt::copy_bytes({}, {}, {});", sink_->tensorExpr(out, "uint8_t", true),
                               sink_->tensorExpr(in, "uint8_t", false), bytes));
  return Status::ok();
}

}  // namespace emlc
