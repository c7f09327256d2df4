// Shared test helpers: status matchers and a temporary directory.
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/random.h"
#include "core/result.h"

#define EXPECT_OK(expr) EXPECT_TRUE((expr).ok()) << (expr).ToString()
#define ASSERT_OK(expr) ASSERT_TRUE((expr).ok()) << (expr).ToString()
#define ASSERT_OK_RESULT(expr) ASSERT_TRUE((expr).ok()) << (expr).status().ToString()

namespace kefu::testing {

// A directory under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() /
              ("kefu-test-" + std::to_string(getpid()) + "-" + RandomHex(6))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The source tree's data/ directory (templates, demo shop).
inline std::string SourceDataDir() {
  return KEFU_SOURCE_DIR "/data";
}

}  // namespace kefu::testing
