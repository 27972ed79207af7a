// Tests of src/bundle/archive.cc: the ustar headers read back field by field (names, modes, owners, mtime 0,
// checksums, link targets, the 155+100 name split), record padding, the errors, and the gzip stream: inflated back
// with zlib, with no name and mtime 0 in its header, and the same bytes from the same input.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "bundle/archive.h"

namespace elfrun::test {
namespace {

using bundle::ArchiveEntry;

struct Header {
  std::string name, prefix, link, magic, version, uname, gname;
  unsigned long mode = 0, uid = 0, gid = 0, size = 0, mtime = 0, checksum = 0;
  char type = 0;
  unsigned long computed_checksum = 0;
};

std::string field(const std::string& block, size_t offset, size_t width) {
  std::string text = block.substr(offset, width);
  return text.substr(0, text.find('\0'));
}

Header parse_header(const std::string& block) {
  Header h;
  h.name = field(block, 0, 100);
  h.mode = std::stoul(field(block, 100, 8), nullptr, 8);
  h.uid = std::stoul(field(block, 108, 8), nullptr, 8);
  h.gid = std::stoul(field(block, 116, 8), nullptr, 8);
  h.size = std::stoul(field(block, 124, 12), nullptr, 8);
  h.mtime = std::stoul(field(block, 136, 12), nullptr, 8);
  h.checksum = std::stoul(field(block, 148, 7), nullptr, 8);
  h.type = block[156];
  h.link = field(block, 157, 100);
  h.magic = block.substr(257, 6);
  h.version = block.substr(263, 2);
  h.uname = field(block, 265, 32);
  h.gname = field(block, 297, 32);
  h.prefix = field(block, 345, 155);
  std::string copy = block;
  for (size_t i = 148; i < 156; ++i) copy[i] = ' ';
  for (unsigned char c : copy) h.computed_checksum += c;
  return h;
}

// Every header of the archive with the content that follows it.
std::vector<std::pair<Header, std::string>> read_tar(const std::string& tar) {
  std::vector<std::pair<Header, std::string>> entries;
  size_t at = 0;
  while (at + 512 <= tar.size() && tar.compare(at, 512, std::string(512, '\0')) != 0) {
    Header h = parse_header(tar.substr(at, 512));
    at += 512;
    std::string content = tar.substr(at, h.size);
    at += (h.size + 511) / 512 * 512;
    entries.emplace_back(h, content);
  }
  return entries;
}

std::vector<ArchiveEntry> sample_entries() {
  return {
      {ArchiveEntry::Kind::directory, "bin", "", "", 0755},
      {ArchiveEntry::Kind::file, "bin/hello", std::string(700, 'x'), "", 0755},
      {ArchiveEntry::Kind::directory, "lib", "", "", 0755},
      {ArchiveEntry::Kind::file, "lib/libc.so.6", "libc bytes", "", 0644},
      {ArchiveEntry::Kind::symlink, "lib/libc.so", "", "libc.so.6", 0777},
  };
}

TEST(TarTest, HeadersReadBack) {
  auto tar = bundle::make_tar(sample_entries(), "b/");
  ASSERT_TRUE(tar) << tar.error().message;
  EXPECT_EQ(tar->size() % 10240, 0u);
  auto entries = read_tar(*tar);
  ASSERT_EQ(entries.size(), 5u);
  const char* names[] = {"b/bin/", "b/bin/hello", "b/lib/", "b/lib/libc.so.6", "b/lib/libc.so"};
  const char types[] = {'5', '0', '5', '0', '2'};
  const unsigned long modes[] = {0755, 0755, 0755, 0644, 0777};
  for (size_t i = 0; i < entries.size(); ++i) {
    const Header& h = entries[i].first;
    EXPECT_EQ(h.name, names[i]);
    EXPECT_EQ(h.type, types[i]) << h.name;
    EXPECT_EQ(h.mode, modes[i]) << h.name;
    EXPECT_EQ(h.uid, 0u);
    EXPECT_EQ(h.gid, 0u);
    EXPECT_EQ(h.mtime, 0u);
    EXPECT_EQ(h.uname, "root");
    EXPECT_EQ(h.gname, "root");
    EXPECT_EQ(h.magic, std::string("ustar\0", 6));
    EXPECT_EQ(h.version, "00");
    EXPECT_EQ(h.checksum, h.computed_checksum) << h.name;
  }
  EXPECT_EQ(entries[1].second, std::string(700, 'x'));
  EXPECT_EQ(entries[1].first.size, 700u);
  EXPECT_EQ(entries[3].second, "libc bytes");
  EXPECT_EQ(entries[4].first.link, "libc.so.6");
  EXPECT_EQ(entries[4].first.size, 0u);
}

TEST(TarTest, LongPathsUseThePrefixField) {
  std::string dir(120, 'd');
  std::string name(90, 'n');
  auto tar = bundle::make_tar({{ArchiveEntry::Kind::file, dir + "/" + name, "x", "", 0644}}, "");
  ASSERT_TRUE(tar) << tar.error().message;
  auto entries = read_tar(*tar);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].first.prefix, dir);
  EXPECT_EQ(entries[0].first.name, name);
}

TEST(TarTest, TooLongIsAnError) {
  auto tar = bundle::make_tar({{ArchiveEntry::Kind::file, std::string(300, 'a'), "x", "", 0644}}, "");
  ASSERT_FALSE(tar);
  EXPECT_EQ(tar.error().message,
            "tar: path " + std::string(300, 'a') + " is too long for a ustar header (155 + 100 bytes)");
  auto link = bundle::make_tar({{ArchiveEntry::Kind::symlink, "l", "", std::string(101, 't'), 0777}}, "");
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().message, "tar: symlink l: target " + std::string(101, 't') + " is longer than 100 bytes");
}

std::string inflate_gzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return out;
}

TEST(GzipTest, RoundTripWithFixedHeader) {
  auto tar = bundle::make_tar(sample_entries(), "");
  ASSERT_TRUE(tar);
  auto compressed = bundle::gzip(*tar);
  ASSERT_TRUE(compressed) << compressed.error().message;
  ASSERT_GT(compressed->size(), 10u);
  EXPECT_LT(compressed->size(), tar->size());
  EXPECT_EQ(static_cast<unsigned char>((*compressed)[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>((*compressed)[1]), 0x8b);
  EXPECT_EQ((*compressed)[3], 0) << "no FNAME, FCOMMENT or FEXTRA flag";
  EXPECT_EQ(compressed->substr(4, 4), std::string(4, '\0')) << "mtime 0";
  EXPECT_EQ(inflate_gzip(*compressed), *tar);
  auto again = bundle::gzip(*tar);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *compressed);
}

}  // namespace
}  // namespace elfrun::test
