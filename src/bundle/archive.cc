// The ustar writer (POSIX pax "ustar Interchange Format") and gzip through zlib; see archive.h.
#include "bundle/archive.h"

#include <zlib.h>

#include <cstring>

namespace elfrun::bundle {

namespace {

constexpr size_t kBlock = 512;
// GNU tar and bsdtar write records of 20 blocks; the archive is padded to one so that every tar reads it quietly.
constexpr size_t kRecord = 20 * kBlock;

// An octal field of `width` bytes: digits, zero-padded, then a NUL.
void put_octal(char* field, size_t width, uint64_t value) {
  field[width - 1] = '\0';
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
}

// Splits `path` into ustar's prefix (up to 155 bytes) and name (up to 100 bytes) at a '/'.
bool split_name(const std::string& path, std::string& prefix, std::string& name) {
  if (path.size() <= 100) {
    prefix.clear();
    name = path;
    return true;
  }
  for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    if (slash <= 155 && path.size() - slash - 1 <= 100 && path.size() - slash - 1 > 0) {
      prefix = path.substr(0, slash);
      name = path.substr(slash + 1);
      return true;
    }
  }
  return false;
}

}  // namespace

Expected<std::string> make_tar(const std::vector<ArchiveEntry>& entries, const std::string& prefix) {
  std::string tar;
  for (const ArchiveEntry& entry : entries) {
    std::string path = prefix + entry.path + (entry.kind == ArchiveEntry::Kind::directory ? "/" : "");
    std::string name_prefix, name;
    if (!split_name(path, name_prefix, name)) {
      return Error{"tar: path " + path + " is too long for a ustar header (155 + 100 bytes)"};
    }
    if (entry.link_target.size() > 100) {
      return Error{"tar: symlink " + path + ": target " + entry.link_target + " is longer than 100 bytes"};
    }
    char header[kBlock] = {};
    std::memcpy(header, name.data(), name.size());
    put_octal(header + 100, 8, entry.mode & 07777);
    put_octal(header + 108, 8, 0);  // uid
    put_octal(header + 116, 8, 0);  // gid
    put_octal(header + 124, 12, entry.kind == ArchiveEntry::Kind::file ? entry.content.size() : 0);
    put_octal(header + 136, 12, 0);  // mtime
    header[156] = entry.kind == ArchiveEntry::Kind::file ? '0' : entry.kind == ArchiveEntry::Kind::symlink ? '2' : '5';
    std::memcpy(header + 157, entry.link_target.data(), entry.link_target.size());
    std::memcpy(header + 257, "ustar", 6);
    std::memcpy(header + 263, "00", 2);
    std::memcpy(header + 265, "root", 4);
    std::memcpy(header + 297, "root", 4);
    std::memcpy(header + 345, name_prefix.data(), name_prefix.size());
    // The checksum is computed with its own field as spaces, then written as 6 digits, NUL, space.
    std::memset(header + 148, ' ', 8);
    unsigned checksum = 0;
    for (unsigned char byte : header) checksum += byte;
    put_octal(header + 148, 7, checksum);
    header[155] = ' ';
    tar.append(header, kBlock);
    if (entry.kind == ArchiveEntry::Kind::file) {
      tar += entry.content;
      tar.append((kBlock - entry.content.size() % kBlock) % kBlock, '\0');
    }
  }
  tar.append(2 * kBlock, '\0');  // the end of the archive
  tar.append((kRecord - tar.size() % kRecord) % kRecord, '\0');
  return tar;
}

Expected<std::string> gzip(std::string_view data) {
  // One deflate call: zlib counts in 32-bit uInt.
  if (static_cast<uint64_t>(data.size()) >= 0xffffffffull) return Error{"gzip: the archive is 4 GiB or larger"};
  z_stream stream{};
  // windowBits 15 + 16: a gzip wrapper; zlib writes mtime 0, no name, OS "Unix" unless told otherwise.
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Error{"gzip: zlib could not start (deflateInit2)"};
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int status = deflate(&stream, Z_FINISH);
  size_t written = stream.total_out;
  deflateEnd(&stream);
  if (status != Z_STREAM_END)
    return Error{"gzip: zlib could not compress the archive (status " + std::to_string(status) + ")"};
  out.resize(written);
  return out;
}

}  // namespace elfrun::bundle
