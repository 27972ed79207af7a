// The loader identity cache: see identity_cache.h. The entry format is line-based text, every string field written
// as '=' followed by its bytes with anything outside printable ASCII (and '%') as %XX, so that no loader string can
// break a line or a field:
//   elfrun-loader-facts 1
//   tool DEV INO SIZE MTIME_S MTIME_NS CTIME_S CTIME_NS
//   file DEV INO SIZE MTIME_S MTIME_NS CTIME_S CTIME_NS
//   header MACHINE CLASS DATA FLAGS SELF_CONTAINED =LIBC
//   identity FLAVOUR =VERSION =LIB =MUSL_ARCH =MUSL_PATH_FILE ARGV0 LIBRARY_PATH INHIBIT_CACHE LEGACY FALLBACK LOWER
//   system_dir =DIR            (any number, in order)
//   hwcaps =NAME               (any number, in order)
//   end
#include "loader/identity_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "elf/identify.h"

namespace elfrun::loader {

namespace {

constexpr std::string_view kMagic = "elfrun-loader-facts 1";

void append_number(std::string& out, int64_t value) {
  out += ' ';
  out += std::to_string(value);
}

void append_stamp(std::string& out, std::string_view name, const FileStamp& stamp) {
  out += name;
  for (int64_t value :
       {static_cast<int64_t>(stamp.device), static_cast<int64_t>(stamp.inode), static_cast<int64_t>(stamp.size),
        stamp.mtime_sec, stamp.mtime_nsec, stamp.ctime_sec, stamp.ctime_nsec}) {
    append_number(out, value);
  }
  out += '\n';
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

// The words of one line, split at single blanks (the format never writes two).
std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> words;
  size_t start = 0;
  while (start <= line.size()) {
    size_t end = line.find(' ', start);
    if (end == std::string_view::npos) end = line.size();
    words.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  return words;
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

std::optional<FileStamp> parse_stamp(const std::vector<std::string_view>& words) {
  if (words.size() != 8) return std::nullopt;
  int64_t values[7];
  for (size_t i = 0; i < 7; ++i) {
    auto value = number(words[i + 1]);
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

// The elfrun binary that runs: an entry written by another build may hold another identification of the same bytes.
std::optional<FileStamp> tool_stamp() {
  struct stat st {};
  if (::stat("/proc/self/exe", &st) != 0) return std::nullopt;
  return stamp_of(st);
}

// Reads a small file whole through a descriptor it checks is ours (a cache another user planted is not trusted).
std::optional<std::string> read_own_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
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

bool make_directory(const std::string& path) { return ::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST; }

}  // namespace

FileStamp stamp_of(const struct stat& st) {
  return FileStamp{static_cast<uint64_t>(st.st_dev),         static_cast<uint64_t>(st.st_ino),
                   static_cast<uint64_t>(st.st_size),        static_cast<int64_t>(st.st_mtim.tv_sec),
                   static_cast<int64_t>(st.st_mtim.tv_nsec), static_cast<int64_t>(st.st_ctim.tv_sec),
                   static_cast<int64_t>(st.st_ctim.tv_nsec)};
}

LoaderFileFacts header_facts(const elf::ElfObject& object) {
  LoaderFileFacts facts;
  facts.machine = object.header.machine;
  facts.elf_class = object.ident.elf_class;
  facts.data = object.ident.data;
  facts.flags = object.header.flags;
  facts.self_contained = !object.interpreter && !(object.dynamic && !object.dynamic->needed.empty());
  facts.libc = std::string(elf::libc_of(object));
  return facts;
}

std::string format_loader_facts(const FileStamp& file, const FileStamp& tool, const LoaderFileFacts& facts) {
  std::string out;
  out += kMagic;
  out += '\n';
  append_stamp(out, "tool", tool);
  append_stamp(out, "file", file);
  out += "header";
  for (int64_t value : {int64_t{facts.machine}, int64_t{facts.elf_class}, int64_t{facts.data}, int64_t{facts.flags},
                        int64_t{facts.self_contained}}) {
    append_number(out, value);
  }
  append_string(out, facts.libc);
  out += '\n';
  if (const auto& id = facts.identity) {
    out += "identity";
    out += id->flavour == Flavour::glibc ? " glibc" : id->flavour == Flavour::musl ? " musl" : " unknown";
    for (const std::string* text : {&id->version, &id->lib, &id->musl_arch, &id->musl_path_file}) {
      append_string(out, *text);
    }
    for (bool value : {id->has_argv0, id->has_library_path, id->has_inhibit_cache, id->has_legacy_hwcaps,
                       id->from_fallback_table, id->version_is_lower_bound}) {
      append_number(out, value);
    }
    out += '\n';
    for (const std::string& dir : id->system_dirs) {
      out += "system_dir";
      append_string(out, dir);
      out += '\n';
    }
    for (const std::string& name : id->hwcaps_subdirs) {
      out += "hwcaps";
      append_string(out, name);
      out += '\n';
    }
  }
  out += "end\n";
  return out;
}

std::optional<LoaderFileFacts> parse_loader_facts(std::string_view text, const FileStamp& file, const FileStamp& tool) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) return std::nullopt;  // every line ends with '\n', the last one too
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (lines.size() < 5 || lines[0] != kMagic || lines.back() != "end") return std::nullopt;
  auto tool_words = words_of(lines[1]);
  auto file_words = words_of(lines[2]);
  if (tool_words[0] != "tool" || parse_stamp(tool_words) != tool) return std::nullopt;
  if (file_words[0] != "file" || parse_stamp(file_words) != file) return std::nullopt;
  auto header = words_of(lines[3]);
  if (header.size() != 7 || header[0] != "header") return std::nullopt;
  auto machine = number(header[1]), elf_class = number(header[2]), data = number(header[3]), flags = number(header[4]);
  auto self_contained = flag(header[5]);
  auto libc = string_field(header[6]);
  if (!machine || !elf_class || !data || !flags || !self_contained || !libc || *machine < 0 || *machine > 0xffff ||
      *elf_class < 0 || *elf_class > 0xff || *data < 0 || *data > 0xff || *flags < 0 || *flags > 0xffffffff) {
    return std::nullopt;
  }
  LoaderFileFacts facts;
  facts.machine = static_cast<uint16_t>(*machine);
  facts.elf_class = static_cast<uint8_t>(*elf_class);
  facts.data = static_cast<uint8_t>(*data);
  facts.flags = static_cast<uint32_t>(*flags);
  facts.self_contained = *self_contained;
  facts.libc = std::move(*libc);
  for (size_t i = 4; i + 1 < lines.size(); ++i) {
    auto words = words_of(lines[i]);
    if (words[0] == "identity" && i == 4 && words.size() == 12) {
      LoaderIdentity id;
      if (words[1] == "glibc") {
        id.flavour = Flavour::glibc;
      } else if (words[1] == "musl") {
        id.flavour = Flavour::musl;
      } else if (words[1] != "unknown") {
        return std::nullopt;
      }
      std::string* strings[] = {&id.version, &id.lib, &id.musl_arch, &id.musl_path_file};
      for (size_t k = 0; k < 4; ++k) {
        auto value = string_field(words[2 + k]);
        if (!value) return std::nullopt;
        *strings[k] = std::move(*value);
      }
      bool* flags_out[] = {&id.has_argv0,         &id.has_library_path,    &id.has_inhibit_cache,
                           &id.has_legacy_hwcaps, &id.from_fallback_table, &id.version_is_lower_bound};
      for (size_t k = 0; k < 6; ++k) {
        auto value = flag(words[6 + k]);
        if (!value) return std::nullopt;
        *flags_out[k] = *value;
      }
      id.machine = facts.machine;
      id.elf_class = facts.elf_class;
      facts.identity = std::move(id);
    } else if ((words[0] == "system_dir" || words[0] == "hwcaps") && words.size() == 2 && facts.identity) {
      auto value = string_field(words[1]);
      if (!value) return std::nullopt;
      (words[0] == "hwcaps" ? facts.identity->hwcaps_subdirs : facts.identity->system_dirs).push_back(*value);
    } else {
      return std::nullopt;
    }
  }
  return facts;
}

IdentityCache IdentityCache::for_user() {
  const char* off = std::getenv("ELFRUN_NO_CACHE");
  if (off != nullptr && *off != '\0') return IdentityCache("");
  std::string base;
  // XDG Base Directory: $XDG_CACHE_HOME when it is an absolute path, else $HOME/.cache.
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] == '/') {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/') {
    base = std::string(home) + "/.cache";
  } else {
    return IdentityCache("");
  }
  return IdentityCache(base + "/elfrun/loaders");
}

IdentityCache::IdentityCache(std::string directory) : directory_(std::move(directory)) {
  if (directory_.empty()) return;
  auto tool = tool_stamp();
  if (!tool) {
    directory_.clear();
    return;
  }
  tool_ = *tool;
}

std::string IdentityCache::path_of(const FileStamp& file) const {
  return directory_ + "/" + std::to_string(file.device) + "-" + std::to_string(file.inode);
}

std::optional<LoaderFileFacts> IdentityCache::load(const FileStamp& file) const {
  if (!enabled()) return std::nullopt;
  auto text = read_own_file(path_of(file));
  if (!text) return std::nullopt;
  return parse_loader_facts(*text, file, tool_);
}

void IdentityCache::store(const FileStamp& file, const LoaderFileFacts& facts) const {
  if (!enabled()) return;
  // A file changed within the last two seconds may change again within the same timestamp tick (file systems stamp
  // with a coarse clock), so its stamp does not yet pin its bytes down: not cached until it has settled (git's
  // "racily clean" rule).
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  if (now.tv_sec - std::max(file.mtime_sec, file.ctime_sec) < 2) return;
  // mkdir -p, each level private to the user.
  for (size_t slash = directory_.find('/', 1); slash != std::string::npos; slash = directory_.find('/', slash + 1)) {
    make_directory(directory_.substr(0, slash));
  }
  if (!make_directory(directory_)) return;
  std::string path = path_of(file);
  std::string temporary = path + ".tmp" + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  std::string text = format_loader_facts(file, tool_, facts);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  bool written = ::close(fd) == 0 && done == text.size();
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) ::unlink(temporary.c_str());
}

std::unique_ptr<LoaderFile> LoaderFile::open(const std::string& path, const IdentityCache& cache) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<LoaderFile>(new LoaderFile(path, fd, stamp_of(st), cache));
}

LoaderFile::LoaderFile(std::string path, int fd, const FileStamp& stamp, const IdentityCache& cache)
    : path_(std::move(path)), fd_(fd), stamp_(stamp), cache_(cache) {}

LoaderFile::~LoaderFile() {
  if (dirty_ && facts_) cache_.store(stamp_, *facts_);
  ::close(fd_);
}

bool LoaderFile::read_object() {
  if (object_) return true;
  if (not_elf_) return false;
  auto bytes = elf::ByteSource::open_fd(fd_, path_);
  if (bytes) {
    auto object = elf::parse_elf(**bytes);
    if (object) {
      bytes_ = std::move(*bytes);
      object_ = std::move(*object);
      return true;
    }
  }
  not_elf_ = true;
  return false;
}

const LoaderFileFacts* LoaderFile::facts() {
  if (facts_) return &*facts_;
  if (!looked_up_) {
    looked_up_ = true;
    facts_ = cache_.load(stamp_);
    if (facts_) return &*facts_;
  }
  if (!read_object()) return nullptr;
  facts_ = header_facts(*object_);
  dirty_ = true;
  return &*facts_;
}

const LoaderIdentity* LoaderFile::identity() {
  if (!facts()) return nullptr;
  if (facts_->identity) {
    identity_from_cache_ = !dirty_;
    return &*facts_->identity;
  }
  if (!read_object()) return nullptr;
  auto identity = identify_loader(*bytes_, *object_);
  if (!identity) return nullptr;
  facts_->identity = std::move(*identity);
  dirty_ = true;
  return &*facts_->identity;
}

std::optional<LoaderIdentity> identify_loader_file(const std::string& path, const IdentityCache& cache) {
  auto file = LoaderFile::open(path, cache);
  if (!file) return std::nullopt;
  const LoaderIdentity* identity = file->identity();
  if (identity == nullptr || identity->flavour == Flavour::unknown) return std::nullopt;
  return *identity;
}

}  // namespace elfrun::loader
