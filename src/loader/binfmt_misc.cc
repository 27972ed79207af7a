// binfmt_misc entries as Linux fs/binfmt_misc.c prints them (entry_status: "enabled", "interpreter PATH", "flags: F",
// then "offset N", "magic HEX", "mask HEX" or "extension .EXT"), and its check_file/search_binfmt_handler matching.
// Read with plain read(2): `run` reads this on its fast path.
#include "loader/binfmt_misc.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "util/text.h"

namespace elfrun::loader {

namespace {

using util::split_lines;

// The whole of a small file (binfmt_misc entries are under a page); nullopt when it cannot be read.
std::optional<std::string> read_small_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[4096];
  while (text.size() < (1u << 20)) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string bytes;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int high = digit(hex[i]), low = digit(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes.push_back(static_cast<char>(high << 4 | low));
  }
  return bytes;
}

}  // namespace

std::optional<BinfmtHandler> parse_binfmt_entry(std::string name, std::string_view text) {
  auto lines = split_lines(text);
  if (lines.empty() || (lines[0] != "enabled" && lines[0] != "disabled")) return std::nullopt;
  BinfmtHandler handler;
  handler.name = std::move(name);
  handler.enabled = lines[0] == "enabled";
  bool has_magic = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    size_t blank = line.find(' ');
    std::string_view key = line.substr(0, blank);
    std::string_view value = blank == std::string_view::npos ? std::string_view() : line.substr(blank + 1);
    if (key == "interpreter") {
      handler.interpreter = std::string(value);
    } else if (key == "flags:") {
      handler.flags = std::string(value);
    } else if (key == "offset") {
      handler.offset = std::strtoull(std::string(value).c_str(), nullptr, 10);
    } else if (key == "magic") {
      auto bytes = from_hex(value);
      if (!bytes) return std::nullopt;
      handler.magic = std::move(*bytes);
      has_magic = true;
    } else if (key == "mask") {
      auto bytes = from_hex(value);
      if (!bytes) return std::nullopt;
      handler.mask = std::move(*bytes);
    } else if (key == "extension") {
      handler.by_magic = false;
      handler.extension = std::string(value.substr(value.size() > 0 && value[0] == '.' ? 1 : 0));
    }
  }
  if (handler.interpreter.empty() || (handler.by_magic && !has_magic)) return std::nullopt;
  if (!handler.mask.empty() && handler.mask.size() != handler.magic.size()) {
    handler.mask.resize(handler.magic.size(), '\xff');
  }
  return handler;
}

std::vector<BinfmtHandler> read_binfmt_misc(const std::string& dir, bool& mounted) {
  std::vector<BinfmtHandler> handlers;
  auto status = read_small_file(dir + "/status");
  mounted = status.has_value();
  if (!mounted) return handlers;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return handlers;
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(d)) {
    std::string name = entry->d_name;
    if (name != "." && name != ".." && name != "status" && name != "register") names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  // fs/binfmt_misc.c: writing 0 to "status" disables binfmt_misc as a whole; load_misc_binary then declines
  // every file.
  bool all_disabled = status->rfind("disabled", 0) == 0;
  for (const std::string& name : names) {
    auto text = read_small_file(dir + "/" + name);
    if (!text) continue;
    if (auto handler = parse_binfmt_entry(name, *text)) {
      if (all_disabled) handler->enabled = false;
      handlers.push_back(std::move(*handler));
    }
  }
  return handlers;
}

const BinfmtHandler* match_binfmt(const std::vector<BinfmtHandler>& handlers, elf::ByteView head,
                                  std::string_view path) {
  // fs/binfmt_misc.c check_file: the kernel compares within the first BINPRM_BUF_SIZE (256) bytes it read.
  constexpr uint64_t kBufferSize = 256;
  uint64_t available = std::min<uint64_t>(head.size(), kBufferSize);
  std::string_view base = path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  for (const BinfmtHandler& handler : handlers) {
    if (!handler.enabled) continue;
    if (!handler.by_magic) {
      size_t dot = base.rfind('.');
      if (dot != std::string_view::npos && base.substr(dot + 1) == handler.extension) return &handler;
      continue;
    }
    if (handler.offset > available || handler.magic.size() > available - handler.offset) continue;
    bool match = true;
    for (size_t j = 0; j < handler.magic.size() && match; ++j) {
      auto byte = static_cast<unsigned char>(head.data()[handler.offset + j]);
      auto mask = handler.mask.empty() ? 0xffu : static_cast<unsigned char>(handler.mask[j]);
      match = (byte & mask) == (static_cast<unsigned char>(handler.magic[j]) & mask);
    }
    if (match) return &handler;
  }
  return nullptr;
}

const BinfmtHandler* match_qemu_binfmt(const std::vector<BinfmtHandler>& handlers, elf::ByteView head,
                                       std::string_view path) {
  const BinfmtHandler* handler = match_binfmt(handlers, head, path);
  if (handler == nullptr) return nullptr;
  std::string real = util::real_path(handler->interpreter);
  std::string_view name = util::base_name(real.empty() ? handler->interpreter : real);
  std::string_view given = util::base_name(handler->interpreter);
  bool qemu = name.substr(0, 5) == "qemu-" || (given.size() > 9 && given.substr(given.size() - 9) == "-binfmt-P");
  return qemu ? handler : nullptr;
}

}  // namespace elfrun::loader
