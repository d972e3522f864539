#include "codegen/code_writer.h"

namespace emlc {

std::string fillTemplate(const std::string& tmpl, const std::map<std::string, std::string>& values,
                         std::string* missing) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t a = tmpl.find("{{", pos);
    if (a == std::string::npos) break;
    size_t b = tmpl.find("}}", a + 2);
    if (b == std::string::npos) break;
    out.append(tmpl, pos, a - pos);
    std::string key = tmpl.substr(a + 2, b - a - 2);
    auto it = values.find(key);
    if (it == values.end()) {
      if (missing && missing->empty()) *missing = key;
      out.append(tmpl, a, b + 2 - a);
    } else {
      out += it->second;
    }
    pos = b + 2;
  }
  out.append(tmpl, pos, std::string::npos);
  return out;
}

}  // namespace emlc
