// A small writer for generated C/C++: lines with managed indentation.
#pragma once

#include <map>
#include <string>

namespace emlc {

class CodeWriter {
 public:
  // Appends one line at the current indentation ("" gives an empty line).
  void line(const std::string& s) {
    if (!s.empty()) text_.append(static_cast<size_t>(indent_) * 2, ' ').append(s);
    text_ += '\n';
  }
  // "head {" and indent; close() dedents and writes "}" + tail.
  void open(const std::string& head) { line(head + " {"); ++indent_; }
  void close(const std::string& tail = "") { --indent_; line("}" + tail); }
  // Appends text verbatim (a filled template, a block of data).
  void raw(const std::string& s) { text_ += s; }
  const std::string& str() const { return text_; }

 private:
  std::string text_;
  int indent_ = 0;
};

// Replaces every {{KEY}} in `tmpl` by values[KEY]; unknown keys are an error
// reported through `missing` (the first one) and left in place.
std::string fillTemplate(const std::string& tmpl, const std::map<std::string, std::string>& values,
                         std::string* missing);

}  // namespace emlc
