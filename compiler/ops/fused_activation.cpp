#include "ops/fused_activation.h"

#include <fmt/format.h>

#include <cmath>

#include "ops/op_util.h"

namespace emlc {

bool hasFusedActivation(const Node& n) { return n.has(kActAttr); }

Expected<rt::Activation> fusedActivation(const Node& n) {
  rt::Activation a{rt::kActNone, 0.0f, 0.0f, 0.0f};
  if (!n.has(kActAttr)) return a;
  const std::string name = n.attrString(kActAttr, "");
  if (name == "Relu" || name == "Clip") {
    if (!n.has(kActMinAttr) || !n.has(kActMaxAttr))
      return invalid(fmt::format("fused activation {} needs {} and {}", name, kActMinAttr, kActMaxAttr));
    a.kind = rt::kActClamp;
    a.lo = n.attrFloat(kActMinAttr, 0.0f);
    a.hi = n.attrFloat(kActMaxAttr, HUGE_VALF);
  } else if (name == "LeakyRelu") {
    a.kind = rt::kActLeakyRelu;
    a.alpha = n.attrFloat(kActAlphaAttr, 0.01f);
  } else if (name == "HardSwish") {
    a.kind = rt::kActHardSwish;
  } else if (name == "Sigmoid") {
    a.kind = rt::kActSigmoid;
  } else if (name == "Tanh") {
    a.kind = rt::kActTanh;
  } else {
    return invalid(fmt::format("unknown fused activation '{}'", name));
  }
  return a;
}

void setFusedActivation(Node& n, const std::string& name, float lo, float hi, float alpha) {
  Attribute s;
  s.kind = Attribute::Kind::String;
  s.s = name;
  n.attrs[kActAttr] = s;
  auto f = [&](const char* key, float v) {
    Attribute a;
    a.kind = Attribute::Kind::Float;
    a.f = v;
    n.attrs[key] = a;
  };
  if (name == "Relu" || name == "Clip") {
    f(kActMinAttr, lo);
    f(kActMaxAttr, hi);
  }
  if (name == "LeakyRelu") f(kActAlphaAttr, alpha);
}

Status lowerFusedActivation(Lowering& l, size_t k) {
  EMLC_ASSIGN(rt::Activation a, fusedActivation(l.node()));
  if (a.kind == rt::kActNone) return Status::ok();
  const int32_t count = static_cast<int32_t>(l.outType(k).numel());
  return dispatchFloat(l.outType(k).dtype, [&](auto z) -> Status {
    using T = decltype(z);
    return l.call(kernelName<T>("activate"), &rt::activate<T>, a, l.out<T>(k), count);
  });
}

}  // namespace emlc
