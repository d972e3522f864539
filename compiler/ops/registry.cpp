#include <algorithm>
#include <map>

#include "ops/op.h"

namespace emlc {

#define EMLC_OP(NAME) const Op& op_##NAME();
#include "ops/ops.def"
#undef EMLC_OP

namespace {
const std::map<std::string, const Op*>& table() {
  static const std::map<std::string, const Op*> t = {
#define EMLC_OP(NAME) {#NAME, &op_##NAME()},
#include "ops/ops.def"
#undef EMLC_OP
  };
  return t;
}
}  // namespace

const Op* findOp(const std::string& domain, const std::string& op_type) {
  if (!domain.empty() && domain != "ai.onnx") return nullptr;
  auto it = table().find(op_type);
  return it == table().end() ? nullptr : it->second;
}

std::string operatorTable(bool markdown) {
  std::string s;
  if (markdown) s = "| operator | element types | limits |\n|---|---|---|\n";
  for (const auto& kv : table()) {
    const OpDoc d = kv.second->doc();
    if (markdown) {
      std::string limits = d.limits;
      for (size_t p = limits.find('|'); p != std::string::npos; p = limits.find('|', p + 2)) limits.replace(p, 1, "\\|");
      s += "| " + kv.first + " | " + d.types + " | " + limits + " |\n";
    } else {
      s += kv.first + std::string(kv.first.size() < 26 ? 26 - kv.first.size() : 1, ' ') + d.types +
           (d.limits.empty() ? "" : "\n" + std::string(26, ' ') + d.limits) + "\n";
    }
  }
  return s;
}

std::vector<std::string> registeredOps() {
  std::vector<std::string> v;
  for (const auto& kv : table()) v.push_back(kv.first);
  return v;
}

}  // namespace emlc
