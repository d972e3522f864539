#include <algorithm>
#include <map>

#include "ops/op.h"

namespace emlc {

#define EMLC_OP(NAME) const Op& op_##NAME();
#define EMLC_INTERNAL_OP(NAME) const Op& op_emlc_##NAME();
#include "ops/ops.def"
#undef EMLC_OP
#undef EMLC_INTERNAL_OP

namespace {
const std::map<std::string, const Op*>& table() {
  static const std::map<std::string, const Op*> t = {
#define EMLC_OP(NAME) {#NAME, &op_##NAME()},
#define EMLC_INTERNAL_OP(NAME)
#include "ops/ops.def"
#undef EMLC_OP
#undef EMLC_INTERNAL_OP
  };
  return t;
}
const std::map<std::string, const Op*>& internalTable() {
  static const std::map<std::string, const Op*> t = {
#define EMLC_OP(NAME)
#define EMLC_INTERNAL_OP(NAME) {#NAME, &op_emlc_##NAME()},
#include "ops/ops.def"
#undef EMLC_OP
#undef EMLC_INTERNAL_OP
  };
  return t;
}
}  // namespace

const Op* findOp(const std::string& domain, const std::string& op_type) {
  const auto& t = domain == "emlc" ? internalTable() : table();
  if (!domain.empty() && domain != "ai.onnx" && domain != "emlc") return nullptr;
  auto it = t.find(op_type);
  return it == t.end() ? nullptr : it->second;
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

std::vector<std::string> internalOps() {
  std::vector<std::string> v;
  for (const auto& kv : internalTable()) v.push_back(kv.first);
  return v;
}

}  // namespace emlc
