// Helpers for the loader tests: running a command (a real loader, qemu, ldconfig, a compiler) to get the truth to
// compare with, temporary directories, and the skip-or-fail rule (a missing tool skips, but fails under CI=true).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "loader/kernel_machines.h"

namespace elfrun::test {

inline bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// A test that cannot run here: skipped, unless CI=true says every tool must be present.
#define ELFRUN_SKIP_OR_FAIL(message)  \
  do {                                \
    if (::elfrun::test::under_ci()) { \
      FAIL() << (message);            \
    } else {                          \
      GTEST_SKIP() << (message);      \
    }                                 \
  } while (0)

// Whether this test program sees qemu's CPU rather than the host's: an i386 build started under qemu-i386 (where the
// kernel cannot run i386, or ELFRUN_I386_VIA_QEMU=1). uname says i686 there, while the kernel runs x86-64 programs;
// an i386 program the kernel runs itself is told x86_64. CPUID then describes qemu's CPU model, not the host's.
inline bool cpu_is_emulated() {
  struct utsname name {};
  if (sizeof(void*) != 4 || ::uname(&name) != 0 || std::string(name.machine) == "x86_64") return false;
  return elfrun::loader::kernel_machine() == "x86_64";
}

inline std::string shell_quote(const std::string& word) {
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

struct CommandResult {
  int status = -1;  // exit status, or -1 when it did not exit normally
  std::string out;  // stdout and, with merge_stderr, stderr
};

// Runs argv (no shell interpretation of the words), with `env_prefix` assignments ("LD_DEBUG=libs") in front.
inline CommandResult run_command(const std::vector<std::string>& argv, const std::string& env_prefix = "",
                                 bool merge_stderr = false) {
  std::string command = env_prefix.empty() ? "" : env_prefix + " ";
  for (const auto& word : argv) command += shell_quote(word) + " ";
  command += merge_stderr ? "2>&1" : "2>/dev/null";
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline bool is_executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// The first directory of PATH holding an executable `name`, or "".
inline std::string find_tool(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  dirs += ":/usr/sbin:/sbin";
  size_t pos = 0;
  while (pos <= dirs.size()) {
    size_t end = dirs.find(':', pos);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(pos, end - pos) + "/" + name;
    if (end > pos && is_executable(candidate)) return candidate;
    pos = end + 1;
  }
  return "";
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

inline std::vector<unsigned char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A fresh directory under $TMPDIR, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "elfrun-loader-XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) != nullptr) path_ = buffer.data();
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& relative) const { return path_ + "/" + relative; }

 private:
  std::string path_;
};

}  // namespace elfrun::test
