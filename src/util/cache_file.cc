// elfrun's per-user cache files: see cache_file.h.
#include "util/cache_file.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "util/text.h"
#include "util/trust.h"

namespace elfrun::util {

FileStamp stamp_of(const struct stat& st) {
  return FileStamp{static_cast<uint64_t>(st.st_dev),         static_cast<uint64_t>(st.st_ino),
                   static_cast<uint64_t>(st.st_size),        static_cast<int64_t>(st.st_mtim.tv_sec),
                   static_cast<int64_t>(st.st_mtim.tv_nsec), static_cast<int64_t>(st.st_ctim.tv_sec),
                   static_cast<int64_t>(st.st_ctim.tv_nsec)};
}

std::optional<FileStamp> running_binary_stamp() {
  struct stat st {};
  if (::stat("/proc/self/exe", &st) != 0) return std::nullopt;
  return stamp_of(st);
}

std::string running_binary_build_id() {
  std::string id;
  // The first object dl_iterate_phdr reports is the executable, in static and dynamic programs alike.
  ::dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* data) {
        auto& hex = *static_cast<std::string*>(data);
        for (ElfW(Half) i = 0; i < info->dlpi_phnum && hex.empty(); ++i) {
          const ElfW(Phdr)& header = info->dlpi_phdr[i];
          if (header.p_type != PT_NOTE) continue;
          // Notes in memory, laid out by the linker: 4-byte aligned name and descriptor after each header.
          const auto* at = reinterpret_cast<const unsigned char*>(info->dlpi_addr + header.p_vaddr);
          size_t left = header.p_memsz;
          while (left >= sizeof(ElfW(Nhdr)) && hex.empty()) {
            ElfW(Nhdr) note;
            std::memcpy(&note, at, sizeof note);
            size_t name_size = (note.n_namesz + 3u) & ~size_t{3}, desc_size = (note.n_descsz + 3u) & ~size_t{3};
            if (name_size > left - sizeof note || desc_size > left - sizeof note - name_size) break;
            const unsigned char* name = at + sizeof note;
            if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
              hex = util::hex(std::span(name + name_size, note.n_descsz));
            }
            at += sizeof note + name_size + desc_size;
            left -= sizeof note + name_size + desc_size;
          }
        }
        return 1;  // the executable only
      },
      &id);
  return id;
}

bool settled(const FileStamp& stamp) {
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return now.tv_sec - std::max(stamp.mtime_sec, stamp.ctime_sec) >= 2;
}

std::string user_cache_directory(std::string_view name) {
  const char* off = std::getenv("ELFRUN_NO_CACHE");
  if (off != nullptr && *off != '\0') return {};
  std::string base;
  // XDG Base Directory: $XDG_CACHE_HOME when it is an absolute path, else $HOME/.cache.
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] == '/') {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/') {
    base = std::string(home) + "/.cache";
  } else {
    return {};
  }
  base += "/elfrun/";
  base += name;
  return base;
}

int open_cache_directory(const std::string& directory, bool create) {
  TrustFailure failure;
  int fd = open_trusted_directory(directory, create, failure);
  if (fd < 0) report_untrusted("cache", directory, failure);
  return fd;
}

std::optional<std::string> read_own_file(int directory_fd, const char* name) {
  int fd = ::openat(directory_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<std::string> text;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() && st.st_size < 65536) {
    std::string buffer(static_cast<size_t>(st.st_size), '\0');
    size_t done = 0;
    while (done < buffer.size()) {
      ssize_t n = ::read(fd, buffer.data() + done, buffer.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    if (done == buffer.size()) text = std::move(buffer);
  }
  ::close(fd);
  return text;
}

std::optional<std::string> read_own_file(const std::string& directory, const std::string& name) {
  int directory_fd = open_cache_directory(directory, false);
  if (directory_fd < 0) return std::nullopt;
  auto text = read_own_file(directory_fd, name.c_str());
  ::close(directory_fd);
  return text;
}

bool write_file_atomically(int directory_fd, const std::string& name, std::string_view text) {
  std::string temporary = name + ".tmp" + std::to_string(::getpid());
  int fd = ::openat(directory_fd, temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  bool written = ::close(fd) == 0 && done == text.size();
  if (!written || ::renameat(directory_fd, temporary.c_str(), directory_fd, name.c_str()) != 0) {
    ::unlinkat(directory_fd, temporary.c_str(), 0);
    return false;
  }
  return true;
}

bool write_file_atomically(const std::string& directory, const std::string& name, std::string_view text) {
  int directory_fd = open_cache_directory(directory, true);
  if (directory_fd < 0) return false;
  bool written = write_file_atomically(directory_fd, name, text);
  ::close(directory_fd);
  return written;
}

namespace entry_text {

void append_number(std::string& out, int64_t value) {
  out += ' ';
  out += std::to_string(value);
}

void append_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += " =";
  for (unsigned char c : text) {
    if (c > ' ' && c < 0x7f && c != '%') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

void append_stamp(std::string& out, const FileStamp& stamp) {
  for (int64_t value :
       {static_cast<int64_t>(stamp.device), static_cast<int64_t>(stamp.inode), static_cast<int64_t>(stamp.size),
        stamp.mtime_sec, stamp.mtime_nsec, stamp.ctime_sec, stamp.ctime_nsec}) {
    append_number(out, value);
  }
}

std::vector<std::string_view> words_of(std::string_view line) { return split(line, ' '); }

std::optional<std::vector<std::string_view>> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) return std::nullopt;
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::optional<int64_t> number(std::string_view word) {
  int64_t value = 0;
  auto result = std::from_chars(word.data(), word.data() + word.size(), value);
  if (result.ec != std::errc() || result.ptr != word.data() + word.size()) return std::nullopt;
  return value;
}

std::optional<bool> flag(std::string_view word) {
  if (word == "0") return false;
  if (word == "1") return true;
  return std::nullopt;
}

std::optional<std::string> string_field(std::string_view word) {
  if (word.empty() || word[0] != '=') return std::nullopt;
  if (word.find('%') == std::string_view::npos) return std::string(word.substr(1));  // the usual path: no escapes
  std::string text;
  for (size_t i = 1; i < word.size(); ++i) {
    if (word[i] != '%') {
      text += word[i];
      continue;
    }
    if (i + 2 >= word.size()) return std::nullopt;
    unsigned value = 0;
    auto result = std::from_chars(word.data() + i + 1, word.data() + i + 3, value, 16);
    if (result.ec != std::errc() || result.ptr != word.data() + i + 3) return std::nullopt;
    text += static_cast<char>(value);
    i += 2;
  }
  return text;
}

std::optional<FileStamp> stamp_field(std::span<const std::string_view> words, size_t first) {
  if (words.size() < first + 7) return std::nullopt;
  int64_t values[7];
  for (size_t i = 0; i < 7; ++i) {
    auto value = number(words[first + i]);
    if (!value) return std::nullopt;
    values[i] = *value;
  }
  return FileStamp{static_cast<uint64_t>(values[0]),
                   static_cast<uint64_t>(values[1]),
                   static_cast<uint64_t>(values[2]),
                   values[3],
                   values[4],
                   values[5],
                   values[6]};
}

}  // namespace entry_text

}  // namespace elfrun::util
