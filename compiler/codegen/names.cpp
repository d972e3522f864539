#include "codegen/names.h"

#include <fmt/format.h>

#include <cctype>

#include <set>

namespace emlc {

std::string commentSafe(const std::string& s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool endsComment = c == '*' && i + 1 < s.size() && s[i + 1] == '/';
    bool startsComment = c == '/' && i + 1 < s.size() && (s[i + 1] == '*' || s[i + 1] == '/');
    if (c < 0x20 || c > 0x7e || c == '\\' || c == '?' || endsComment || startsComment)
      r += fmt::format("\\x{:02x}", c);
    else
      r += static_cast<char>(c);
  }
  return r;
}

std::string cStringBody(const std::string& s) {
  std::string r;
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e || c == '\\' || c == '"' || c == '?' || c == '\'')
      r += fmt::format("\\{:03o}", c);
    else
      r += static_cast<char>(c);
  }
  return r;
}

namespace {
const std::set<std::string>& keywords() {
  static const std::set<std::string> k = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
      "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval", "constexpr",
      "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default",
      "delete", "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float",
      "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not",
      "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register",
      "reinterpret_cast", "requires", "return", "short", "signed", "sizeof", "static", "static_assert",
      "static_cast", "struct", "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef",
      "typeid", "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while",
      "xor", "xor_eq", "restrict", "_Bool", "_Complex", "_Imaginary", "main", "emlc"};
  return k;
}
}  // namespace

bool isValidModelName(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  if (s[0] == '_' && (s.size() == 1 || s[1] == '_' || std::isupper(static_cast<unsigned char>(s[1])))) return false;
  return !keywords().count(s);
}

std::string modelNameFromFile(const std::string& stem) {
  std::string r;
  for (char c : stem) {
    unsigned char u = static_cast<unsigned char>(c);
    r += (u < 0x80 && std::isalnum(u)) ? c : '_';
  }
  while (!r.empty() && r[0] == '_') r.erase(0, 1);
  if (r.size() > 48) r.resize(48);
  if (r.empty() || std::isdigit(static_cast<unsigned char>(r[0]))) r = "model_" + r;
  if (!isValidModelName(r)) r = "model_" + r;
  return r;
}

std::string jsonString(const std::string& s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    if (c == '"') r += "\\\"";
    else if (c == '\\') r += "\\\\";
    else if (c < 0x20 || c == 0x7f) r += fmt::format("\\u{:04x}", c);
    else r += static_cast<char>(c);
  }
  return r + "\"";
}

}  // namespace emlc
