// Safe text for generated code. Model-provided strings (node and tensor
// names, file names) never become identifiers; they only appear in comments
// and string literals, escaped by these functions so that no name can end a
// comment, splice a line or break out of a string.
#pragma once

#include <string>

namespace emlc {

// For `//` and `/* */` comments: printable ASCII kept; backslash, '?', "*/"
// and everything else become \xNN.
std::string commentSafe(const std::string& s);
// Body of a C string literal (without the quotes), octal escapes.
std::string cStringBody(const std::string& s);
// True if `s` is a valid model name: a C identifier that is not a keyword or
// reserved, at most 64 characters.
bool isValidModelName(const std::string& s);
// Derives a valid model name from a file stem ("my-model.v2" -> "my_model_v2").
std::string modelNameFromFile(const std::string& stem);
// JSON string literal with quotes.
std::string jsonString(const std::string& s);

}  // namespace emlc
