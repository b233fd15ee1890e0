// A fresh folder under /tmp, removed with everything in it when dropped.
#pragma once

#include <filesystem>
#include <string>

namespace ancm::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "ancm-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes text to a file, replacing it (folders created).
void write_file(const std::filesystem::path& path, const std::string& text);
std::string read_file(const std::filesystem::path& path);

}  // namespace ancm::test
