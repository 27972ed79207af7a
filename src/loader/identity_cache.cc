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
#include <cstdlib>
#include <vector>

#include "elf/identify.h"
#include "util/access_log.h"

namespace elfrun::loader {

namespace {

constexpr std::string_view kMagic = "elfrun-loader-facts 1";

using util::entry_text::append_number;
using util::entry_text::append_string;
using util::entry_text::flag;
using util::entry_text::lines_of;
using util::entry_text::number;
using util::entry_text::stamp_field;
using util::entry_text::string_field;
using util::entry_text::words_of;

void append_stamp(std::string& out, std::string_view name, const FileStamp& stamp) {
  out += name;
  util::entry_text::append_stamp(out, stamp);
  out += '\n';
}

std::optional<FileStamp> parse_stamp(const std::vector<std::string_view>& words) {
  if (words.size() != 8) return std::nullopt;
  return stamp_field(words, 1);
}

}  // namespace

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
  auto all_lines = lines_of(text);  // every line ends with '\n', the last one too
  if (!all_lines) return std::nullopt;
  const std::vector<std::string_view>& lines = *all_lines;
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

IdentityCache IdentityCache::for_user() { return IdentityCache(util::user_cache_directory("loaders")); }

IdentityCache::IdentityCache(std::string directory) : directory_(std::move(directory)) {
  if (directory_.empty()) return;
  auto tool = util::running_binary_stamp();
  if (!tool) {
    directory_.clear();
    return;
  }
  tool_ = *tool;
}

std::string IdentityCache::name_of(const FileStamp& file) const {
  return std::to_string(file.device) + "-" + std::to_string(file.inode);
}

std::optional<LoaderFileFacts> IdentityCache::load(const FileStamp& file) const {
  if (!enabled()) return std::nullopt;
  auto text = util::read_own_file(directory_, name_of(file));
  if (!text) return std::nullopt;
  return parse_loader_facts(*text, file, tool_);
}

void IdentityCache::store(const FileStamp& file, const LoaderFileFacts& facts) const {
  if (!enabled()) return;
  if (!util::settled(file)) return;
  util::write_file_atomically(directory_, name_of(file), format_loader_facts(file, tool_, facts));
}

std::unique_ptr<LoaderFile> LoaderFile::open(const std::string& path, const IdentityCache& cache) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    util::watch_stat(path, nullptr, errno);
    return nullptr;
  }
  struct stat st {};
  bool described = ::fstat(fd, &st) == 0;
  util::watch_stat(path, described ? &st : nullptr, errno);
  if (!described || !S_ISREG(st.st_mode)) {
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
