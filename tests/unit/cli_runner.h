// Driving the emlc executable from unit tests as a user would: a fresh
// folder per test, the command's exit code, stdout and stderr.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#ifndef EMLC_BINARY
#error "EMLC_BINARY must name the emlc executable"
#endif

namespace emlc::testing_cli {

namespace fs = std::filesystem;

struct Result {
  int code;
  std::string out, err;
};

// A fresh, empty folder named after `prefix`, this process and the running
// test (kept after the test for inspection).
inline fs::path freshDir(const std::string& prefix) {
  fs::path p = fs::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// Runs `emlc ARGS` (a shell command line) with stdout and stderr captured in
// files of `dir`.
inline Result runEmlc(const std::string& args, const fs::path& dir) {
  const std::string cmd = std::string(EMLC_BINARY) + " " + args + " > " + (dir / "stdout").string() + " 2> " +
                          (dir / "stderr").string();
  const int rc = std::system(cmd.c_str());
  Result r;
  r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = slurp(dir / "stdout");
  r.err = slurp(dir / "stderr");
  return r;
}

}  // namespace emlc::testing_cli
