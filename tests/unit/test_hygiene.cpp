// Safe and reproducible output: hostile node/tensor/state/label names give
// generated code that builds (strict warnings) and runs correctly, with
// valid JSON and SVG reports; output folders are byte-identical across runs,
// working directories, relative/absolute paths and locales; the stack
// analysis behind --measure-stack finds the deepest path, recursion and
// dynamic frames.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "codegen/stack_usage.h"
#include "model_builder.h"

#ifndef EMLC_BINARY
#error "EMLC_BINARY must name the emlc executable"
#endif

namespace fs = std::filesystem;
using emlc::testing::ModelBuilder;

namespace {

fs::path tmpDir() {
  fs::path p = fs::temp_directory_path() / ("emlc_hyg_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string sq(const std::string& s) {  // shell single quotes
  std::string r = "'";
  for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return r + "'";
}

int sh(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Every regular file under `dir` (relative path -> bytes).
std::map<std::string, std::string> tree(const fs::path& dir) {
  std::map<std::string, std::string> m;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) m[fs::relative(e.path(), dir).string()] = slurp(e.path());
  return m;
}

const char* const kStrict = "-std=c++17 -O1 -Wall -Wextra -Wconversion -Wshadow -Wvla -Werror -fno-exceptions -fno-rtti";

// ---- hostile names -------------------------------------------------------

const std::string kIn = "*/ int x; /* in";
const std::string kState = "st\"ate\\ */\n#define in";
const std::string kStateOut = "st\xc3\xa4te out?" "?/";
const std::string kOut = "return 0; } \"y\"";

// y = 2 * Relu(x + b + s), s' = Relu(x + b + s): a streaming state s, every
// name hostile (comment terminators, newlines, quotes, backslashes,
// trigraphs, non-ASCII, C++ keywords).
onnx::ModelProto hostileModel() {
  ModelBuilder b;
  b.input(kIn, {1, 4});
  b.input(kState, {1, 4});
  b.floats("b\\", {4}, {1, -2, 3, -4});
  b.floats("class", {4}, {2, 2, 2, 2});
  b.node("Add", {kIn, "b\\"}, {"a\n#include <evil>"}, "*/ int x; /*");
  b.node("Add", {"a\n#include <evil>", kState}, {"t\"&<svg>"}, "a\nnode \"2\"");
  b.node("Relu", {"t\"&<svg>"}, {kStateOut}, "namespace");
  b.node("Mul", {kStateOut, "class"}, {kOut}, "\xe2\x9c\x93 \\n");
  b.output(kOut);
  b.output(kStateOut);
  return b.model();
}

TEST(Hygiene, HostileNamesBuildRunAndReport) {
  fs::path d = tmpDir();
  {
    std::ofstream f(d / "hostile.onnx", std::ios::binary);
    ASSERT_TRUE(hostileModel().SerializeToOstream(&f));
  }
  const fs::path out = d / "out";
  ASSERT_EQ(sh(std::string(EMLC_BINARY) + " compile " + sq((d / "hostile.onnx").string()) + " -o " + sq(out.string()) +
               " --name m --state " + sq(kState + "=" + kStateOut) + " > " + (d / "log").string() + " 2>&1"),
            0)
      << slurp(d / "log");
  // A driver that runs the model twice (the state carries over), prints the
  // outputs, and prints the name macros back.
  std::ofstream(d / "main.cpp") << R"(#include <cstdio>
#include <cstring>
#include "m.h"
int main() {
  float x[4] = {1, 1, 1, 1}, y[4], s[4];
  const void* in[1] = {x};
  void* outs[2] = {y, s};
  for (int run = 0; run < 2; ++run) {
    if (m_run(in, outs) != 0) return 1;
    for (int i = 0; i < 4; ++i) std::printf("%g ", static_cast<double>(y[i]));
    std::printf("\n");
  }
  std::printf("[%s][%s][%s][%s]\n", m_INPUT0_NAME, m_OUTPUT0_NAME, m_STATE0_NAME, m_OUTPUT1_NAME);
  return 0;
}
)";
  ASSERT_EQ(sh("cd " + sq(d.string()) + " && g++ " + kStrict + " -Iout main.cpp out/m.cpp out/m_weights.cpp -o run > build.log 2>&1"),
            0)
      << slurp(d / "build.log");
  ASSERT_EQ(sh(sq((d / "run").string()) + " > " + (d / "run.out").string()), 0);
  // x + b = [2,-1,4,-3]; run 1 (s = 0): y = 2*relu = [4,0,8,0], s = [2,0,4,0];
  // run 2: relu(x + b + s) = [4,0,8,0], y = [8,0,16,0].
  const std::string expect =
      "4 0 8 0 \n8 0 16 0 \n[" + kIn + "][" + kOut + "][" + kState + "][" + kStateOut + "]\n";
  EXPECT_EQ(slurp(d / "run.out"), expect);

  // The reports: JSON parses and holds the names verbatim; the SVG escapes them.
  auto j = nlohmann::json::parse(slurp(out / "m.json"), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << "m.json is not valid JSON";
  ASSERT_EQ(j["schedule"]["steps"].size(), 3u);
  EXPECT_EQ(j["schedule"]["steps"][0]["node"], "*/ int x; /*");
  EXPECT_EQ(j["schedule"]["steps"][1]["node"], "a\nnode \"2\"");
  EXPECT_EQ(j["schedule"]["steps"][2]["node"], "\xe2\x9c\x93 \\n");
  ASSERT_EQ(j["buffers"].size(), 1u);
  EXPECT_EQ(j["buffers"][0]["tensors"][0], kState);
  const std::string svg = slurp(out / "m_memory.svg");
  EXPECT_EQ(svg.find("<svg>"), std::string::npos);
  EXPECT_EQ(svg.find("<evil>"), std::string::npos);
  EXPECT_EQ(svg.find("\"&"), std::string::npos);
  EXPECT_NE(svg.find("st&quot;ate"), std::string::npos) << "the buffer's tensor name is not in the SVG, escaped";
  // No model string starts a line of generated code (its newlines are
  // escaped everywhere), so none can become a preprocessor directive.
  for (const auto& [path, text] : tree(out)) {
    if (path.rfind("emlc/", 0) == 0) continue;
    EXPECT_EQ(text.find("\n#include <evil>"), std::string::npos) << path;
    EXPECT_EQ(text.find("\n#define in"), std::string::npos) << path;
  }
}

TEST(Hygiene, HostilePipelineLabelsAndChannels) {
  fs::path d = tmpDir();
  std::string spec = slurp(fs::path(EMLC_SOURCE_DIR) / "examples/har_pipeline/pipeline.json");
  auto j = nlohmann::json::parse(spec);
  j["sensor"]["channels"] = {"a*/x", "a\"y\n#error", "a\\z?" "?/"};
  j["postprocess"]["labels"] = {"*/ int x; /*", "wa\nlk\xc3\xbc", "\"", "class", "\\", "r"};
  std::ofstream(d / "p.json") << j.dump();
  ASSERT_EQ(sh(std::string(EMLC_BINARY) + " compile " + EMLC_SOURCE_DIR "/examples/har_pipeline/har_cnn1d.onnx -o " +
               sq((d / "out").string()) + " --name har --pipeline " + sq((d / "p.json").string()) + " > " +
               (d / "log").string() + " 2>&1"),
            0)
      << slurp(d / "log");
  std::ofstream(d / "main.cpp") << R"(#include <cstdio>
#include "har_pipeline.h"
int main() {
  const char* const ch[] = har_PIPELINE_CHANNEL_NAMES;
  for (const char* c : ch) std::printf("[%s]", c);
  for (int i = 0; i < har_PIPELINE_NUM_LABELS; ++i) std::printf("[%s]", har_pipeline_label(i));
  std::printf("\n");
  return 0;
}
)";
  ASSERT_EQ(sh("cd " + sq(d.string()) + " && g++ " + kStrict +
               " -Iout main.cpp out/har.cpp out/har_weights.cpp out/har_pipeline.cpp -o run > build.log 2>&1"),
            0)
      << slurp(d / "build.log");
  ASSERT_EQ(sh(sq((d / "run").string()) + " > " + (d / "run.out").string()), 0);
  EXPECT_EQ(slurp(d / "run.out"),
            "[a*/x][a\"y\n#error][a\\z?" "?/][*/ int x; /*][wa\nlk\xc3\xbc][\"][class][\\][r]\n");
}

// ---- determinism ---------------------------------------------------------

// The same model and flags give byte-identical folders whatever the working
// directory, the path spelling (relative, absolute, with ./ and ..) and the
// locale (LC_ALL=C, C.UTF-8 and a German locale, built with localedef, whose
// decimal separator is a comma).
TEST(Hygiene, DeterministicAcrossRunsDirectoriesPathsAndLocales) {
  fs::path d = tmpDir();
  const std::string src = EMLC_SOURCE_DIR;
  fs::create_directories(d / "loc");
  ASSERT_EQ(sh("localedef -i de_DE -f UTF-8 " + sq((d / "loc/de_DE.UTF-8").string()) + " > " + (d / "localedef.log").string() +
               " 2>&1"),
            0)
      << "localedef (package locales) is needed: " << slurp(d / "localedef.log");
  const std::string de = "LOCPATH=" + sq((d / "loc").string()) + " LC_ALL=de_DE.UTF-8 LANG=de_DE.UTF-8 ";
  ASSERT_EQ(sh(de + "locale decimal_point > " + sq((d / "probe").string())), 0);
  ASSERT_EQ(slurp(d / "probe"), ",\n") << "the German locale is not in effect";

  fs::create_directories(d / "cwd1/sub");
  fs::create_directories(d / "cwd2");
  std::filesystem::copy_file(src + "/tests/models/har_cnn1d/model.onnx", d / "cwd1/model.onnx");
  std::filesystem::copy_file(src + "/tests/models/har_cnn1d/calib.npy", d / "cwd1/calib.npy");
  const std::string emlc = EMLC_BINARY;
  for (const char* flags : {"", "--quantize int8 --calibration CALIB --optimize size",
                            "--pipeline PIPE --memory dtcm=4K,sram=1M"}) {
    SCOPED_TRACE(flags);
    auto withFlags = [&](const std::string& calib) {
      std::string f = flags;
      if (auto at = f.find("CALIB"); at != std::string::npos) f.replace(at, 5, calib);
      if (auto at = f.find("PIPE"); at != std::string::npos)
        f.replace(at, 4, sq(src + "/examples/har_pipeline/pipeline.json"));
      return f;
    };
    const std::vector<std::string> cmds = {
        // absolute paths, C locale
        "cd / && LC_ALL=C " + emlc + " compile " + sq((d / "cwd1/model.onnx").string()) + " -o " +
            sq((d / "o1").string()) + " --name har " + withFlags(sq((d / "cwd1/calib.npy").string())),
        // relative paths from the model's folder, C.UTF-8
        "cd " + sq((d / "cwd1").string()) + " && LC_ALL=C.UTF-8 " + emlc +
            " compile model.onnx -o ../o2 --name har " + withFlags("calib.npy"),
        // relative paths with ./ and .. from another folder, German locale
        "cd " + sq((d / "cwd2").string()) + " && " + de + emlc + " compile ./../cwd1/sub/../model.onnx -o ./o3 --name har " +
            withFlags("../cwd1/./calib.npy"),
    };
    std::vector<fs::path> outs = {d / "o1", d / "o2", d / "cwd2/o3"};
    for (size_t i = 0; i < cmds.size(); ++i) {
      fs::remove_all(outs[i]);
      ASSERT_EQ(sh(cmds[i] + " > " + sq((d / "log").string()) + " 2>&1"), 0) << cmds[i] << "\n" << slurp(d / "log");
    }
    // A second run into the same (existing) folder gives the same bytes too.
    ASSERT_EQ(sh(cmds[0] + " > /dev/null 2>&1"), 0);
    auto ref = tree(outs[0]);
    EXPECT_GE(ref.size(), 5u);
    for (size_t i = 1; i < outs.size(); ++i) {
      auto other = tree(outs[i]);
      ASSERT_EQ(other.size(), ref.size()) << outs[i];
      for (const auto& [path, bytes] : ref) EXPECT_TRUE(other[path] == bytes) << path << " differs in " << outs[i];
    }
  }
}

// ---- stack analysis ------------------------------------------------------

std::string node(const std::string& title, const std::string& frame) {
  return "node: { title: \"" + title + "\" label: \"void " + title + "()\\nm.cpp:1:1\\n" + frame + "\" }\n";
}
std::string ext(const std::string& title) {
  return "node: { title: \"" + title + "\" label: \"float __builtin_" + title + "(float)\\n<built-in>\" shape : ellipse }\n";
}
std::string edge(const std::string& a, const std::string& b) {
  return "edge: { sourcename: \"" + a + "\" targetname: \"" + b + "\" label: \"m.cpp:2:3\" }\n";
}

TEST(Hygiene, StackAnalysisTakesTheDeepestPath) {
  // run(16) -> a(100) -> c(8) -> expf; run -> b(40) -> c. Deepest: 16+100+8.
  std::string ci = "graph: { title: \"m.cpp\"\n" + node("m_run", "16 bytes (static)") +
                   node("a", "100 bytes (static)") + node("b", "40 bytes (static)") + node("c", "8 bytes (static)") +
                   ext("expf") + edge("m_run", "a") + edge("m_run", "b") + edge("a", "c") + edge("b", "c") +
                   edge("c", "expf") + "}\n";
  auto u = emlc::stackFromCallGraph(ci, "m_run");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->bytes, 124);
  EXPECT_EQ(u->external, std::vector<std::string>{"expf"});
}

TEST(Hygiene, StackAnalysisRejectsRecursionAndDynamicFrames) {
  std::string rec = node("m_run", "16 bytes (static)") + node("a", "8 bytes (static)") + node("b", "8 bytes (static)") +
                    edge("m_run", "a") + edge("a", "b") + edge("b", "a");
  auto u = emlc::stackFromCallGraph(rec, "m_run");
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("recursive"), std::string::npos) << u.error().message;
  EXPECT_NE(u.error().message.find("void a() -> void b() -> void a()"), std::string::npos) << u.error().message;

  std::string vla = node("m_run", "16 bytes (static)") + node("k", "24 bytes (dynamic)") + edge("m_run", "k");
  u = emlc::stackFromCallGraph(vla, "m_run");
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("dynamically sized stack frame"), std::string::npos) << u.error().message;
  EXPECT_NE(u.error().message.find("void k()"), std::string::npos) << u.error().message;

  u = emlc::stackFromCallGraph(node("other", "8 bytes (static)"), "m_run");
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("m_run"), std::string::npos);
}

}  // namespace
