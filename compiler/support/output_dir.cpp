#include "support/output_dir.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <vector>

namespace emlc {
namespace fs = std::filesystem;

namespace {
Status writeFile(const fs::path& p, const std::string& content) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  if (!f) return ioError(fmt::format("cannot create '{}'", p.string()));
  f.write(content.data(), static_cast<std::streamsize>(content.size()));
  f.close();
  if (!f) return ioError(fmt::format("cannot write '{}' (disk full?)", p.string()));
  return Status::ok();
}
}  // namespace

Status writeOutputDir(const std::string& dir, const std::map<std::string, std::string>& files) {
  std::error_code ec;
  if (dir.empty()) return invalid("output folder is empty");
  for (const auto& kv : files) {
    fs::path rel(kv.first);
    if (rel.is_absolute() || rel.empty()) return internal("generated file with an absolute path");
    for (const auto& part : rel)
      if (part == "..") return internal("generated file path leaves the output folder");
  }
  const fs::path root(dir);
  const bool existed = fs::exists(root, ec);
  if (existed && !fs::is_directory(root, ec))
    return ioError(fmt::format("output path '{}' exists and is not a folder", dir));
  if (!existed) {
    if (!fs::create_directories(root, ec) || ec)
      return ioError(fmt::format("cannot create output folder '{}': {}", dir, ec.message()));
  }
  std::vector<fs::path> written, temps;
  auto rollback = [&]() {
    std::error_code e2;
    if (!existed) {
      fs::remove_all(root, e2);
    } else {
      for (const auto& t : temps) fs::remove(t, e2);
    }
  };
  for (const auto& kv : files) {
    fs::path target = root / kv.first;
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      rollback();
      return ioError(fmt::format("cannot create folder '{}': {}", target.parent_path().string(), ec.message()));
    }
    fs::path tmp = target;
    tmp += ".emlc-tmp";
    temps.push_back(tmp);
    Status st = writeFile(tmp, kv.second);
    if (!st.isOk()) {
      rollback();
      return st;
    }
  }
  for (const auto& kv : files) {
    fs::path target = root / kv.first;
    fs::path tmp = target;
    tmp += ".emlc-tmp";
    fs::rename(tmp, target, ec);
    if (ec) {
      rollback();
      return ioError(fmt::format("cannot write '{}': {}", target.string(), ec.message()));
    }
  }
  return Status::ok();
}

}  // namespace emlc
