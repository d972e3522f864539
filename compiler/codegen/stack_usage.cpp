#include "codegen/stack_usage.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "codegen/names.h"
#include "support/output_dir.h"

namespace fs = std::filesystem;

namespace emlc {

const char* const kDefaultStackCompiler =
    "arm-none-eabi-g++ -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2";

namespace {

struct CallGraph {
  struct Fn {
    std::string label;  // the signature (first line of GCC's label)
    int64_t frame = -1;  // -1: no body in this object
    bool dynamic = false;
    std::vector<std::string> callees;
  };
  std::map<std::string, Fn> fns;  // by title
};

// The quoted value after `key: "` in a VCG line ("" if absent).
std::string quoted(const std::string& line, const std::string& key) {
  size_t at = line.find(key + ": \"");
  if (at == std::string::npos) return "";
  at += key.size() + 3;
  size_t end = at;
  while (end < line.size() && line[end] != '"') end += line[end] == '\\' ? 2 : 1;
  return line.substr(at, std::min(end, line.size()) - at);
}

CallGraph parse(const std::string& ci) {
  CallGraph g;
  static const std::regex frame(R"((\d+) bytes \(([a-z,]+)\))");
  std::istringstream in(ci);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("node:", 0) == 0) {
      CallGraph::Fn& f = g.fns[quoted(line, "title")];
      std::string label = quoted(line, "label");
      f.label = label.substr(0, label.find("\\n"));
      std::smatch m;
      if (std::regex_search(label, m, frame)) {
        f.frame = std::stoll(m[1].str());
        f.dynamic = m[2].str().find("dynamic") != std::string::npos;
      }
    } else if (line.rfind("edge:", 0) == 0) {
      g.fns[quoted(line, "sourcename")].callees.push_back(quoted(line, "targetname"));
    }
  }
  return g;
}

// Deepest path from `fn`: memoised DFS; `onPath` finds cycles.
Status deepest(const CallGraph& g, const std::string& fn, std::map<std::string, int64_t>& memo,
               std::vector<std::string>& onPath, std::set<std::string>& external) {
  if (memo.count(fn)) return {};
  for (size_t i = 0; i < onPath.size(); ++i)
    if (onPath[i] == fn) {
      std::string cycle;
      for (size_t k = i; k < onPath.size(); ++k) cycle += g.fns.at(onPath[k]).label + " -> ";
      return invalid("the generated code is recursive: " + cycle + g.fns.at(fn).label);
    }
  auto it = g.fns.find(fn);
  if (it == g.fns.end() || it->second.frame < 0) {
    if (fn == "__indirect_call")
      return invalid("the generated code makes an indirect call (its stack use cannot be bounded)");
    std::string label = it == g.fns.end() ? fn : it->second.label;
    // GCC labels library calls by their builtin ("float __builtin_expf(float)").
    std::smatch m;
    static const std::regex name(R"(([A-Za-z_][A-Za-z0-9_:]*)\s*\()");
    std::string ext = std::regex_search(label, m, name) ? m[1].str() : fn;
    if (ext.rfind("__builtin_", 0) == 0) ext = ext.substr(10);
    external.insert(ext);
    memo[fn] = 0;
    return {};
  }
  const CallGraph::Fn& f = it->second;
  if (f.dynamic) return invalid("dynamically sized stack frame (a VLA or alloca) in " + f.label);
  onPath.push_back(fn);
  int64_t worst = 0;
  for (const std::string& c : f.callees) {
    if (Status st = deepest(g, c, memo, onPath, external); !st) return st;
    worst = std::max(worst, memo[c]);
  }
  onPath.pop_back();
  memo[fn] = f.frame + worst;
  return {};
}

std::string shellQuote(const std::string& s) {
  std::string r = "'";
  for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return r + "'";
}

std::string readAll(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

Expected<StackUsage> stackFromCallGraph(const std::string& ci, const std::string& entry) {
  CallGraph g = parse(ci);
  if (!g.fns.count(entry) || g.fns.at(entry).frame < 0)
    return invalid("the call graph has no function '" + entry + "'");
  std::map<std::string, int64_t> memo;
  std::vector<std::string> onPath;
  std::set<std::string> external;
  if (Status st = deepest(g, entry, memo, onPath, external); !st)
    return st.error().context("stack use of " + entry);
  StackUsage u;
  u.function = entry;
  u.bytes = memo[entry];
  u.external.assign(external.begin(), external.end());
  return u;
}

Expected<std::vector<StackUsage>> measureRunStack(const FileMap& files, const std::string& name,
                                                  const std::string& compiler) {
  std::string tmpl = (fs::temp_directory_path() / "emlc-stack-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return ioError("--measure-stack: cannot create a temporary folder");
  const fs::path work = tmpl;
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{work};
  if (Status st = writeOutputDir((work / "gen").string(), files); !st) return st.error();
  const std::string cmd =
      fmt::format("cd {} && {} -std=c++17 -fno-exceptions -fno-rtti -fcallgraph-info=su -c gen/{}.cpp -o {}.o "
                  "> build.log 2>&1",
                  shellQuote(work.string()), compiler, name, name);
  if (std::system(cmd.c_str()) != 0) {
    std::string log = readAll(work / "build.log");
    if (log.size() > 2000) log.resize(2000);
    return ioError(fmt::format("--measure-stack: building {}.cpp with '{}' failed (is the compiler installed? it "
                               "must be GCC 10 or newer for -fcallgraph-info):\n{}",
                               name, compiler, log));
  }
  const std::string ci = readAll(work / (name + ".ci"));
  if (ci.empty()) return ioError("--measure-stack: '" + compiler + "' wrote no call graph (" + name + ".ci)");
  std::vector<StackUsage> r;
  for (const std::string& fn : {name + "_run", name + "_run_f32"}) {
    auto u = stackFromCallGraph(ci, fn);
    if (!u) return u.error();
    r.push_back(u.value());
  }
  return r;
}

Status stateStackUsage(FileMap& files, const std::string& name, const std::string& compiler,
                       const std::vector<StackUsage>& usage) {
  auto it = files.find(name + ".h");
  if (it == files.end()) return internal("no " + name + ".h to state the stack use in");
  std::string& h = it->second;
  const size_t at = h.find("/* Stack: not measured.");
  const size_t end = at == std::string::npos ? at : h.find("*/\n", at);
  if (end == std::string::npos) return internal(name + ".h has no stack note");
  std::set<std::string> external;
  for (const StackUsage& u : usage) external.insert(u.external.begin(), u.external.end());
  // "Not included: ..." wrapped at about 76 columns.
  std::string ext, line = " * Not included: the frames of the library functions called:";
  for (const std::string& e : external) {
    std::string word = " " + commentSafe(e) + (e == *external.rbegin() ? "." : ",");
    if (line.size() + word.size() > 76) {
      ext += line + "\n";
      line = " *";
    }
    line += word;
  }
  if (!external.empty()) ext += line + "\n";
  std::string note = fmt::format(
      "/* Stack: measured by emlc compile --measure-stack on the target build\n"
      " *   {} -std=c++17 -fno-exceptions -fno-rtti\n"
      " * with -fcallgraph-info=su (each function's -fstack-usage frame plus the\n"
      " * call graph): bytes of the deepest call path from each run function.\n"
      " * No recursion, no dynamically sized frames.\n"
      "{}"
      " * Other compilers or flags give other numbers. */\n",
      commentSafe(compiler), ext);
  for (const StackUsage& u : usage) {
    std::string macro = u.function.substr(name.size());  // _run, _run_f32
    for (char& c : macro) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    note += fmt::format("#define {}{}_STACK_BYTES {}\n", name, macro, u.bytes);
  }
  h.replace(at, end + 3 - at, note);
  return {};
}

}  // namespace emlc
