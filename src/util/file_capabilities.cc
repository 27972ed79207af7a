// File capabilities: see file_capabilities.h.
#include "util/file_capabilities.h"

#include <sys/xattr.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace elfrun::util {

std::optional<std::string> file_capabilities(const std::string& path) {
  // struct vfs_cap_data (linux/capability.h): a little-endian magic/flags word, then {permitted, inheritable} for
  // the low 32 capabilities and, from revision 2 on, for the high 32; revision 3 adds the namespace root uid.
  unsigned char data[24] = {};
  ssize_t size = ::getxattr(path.c_str(), "security.capability", data, sizeof data);
  if (size <= 0) return std::nullopt;
  auto word = [&](size_t index) -> uint32_t {
    if (static_cast<size_t>(size) < (index + 1) * 4) return 0;
    return uint32_t{data[index * 4]} | uint32_t{data[index * 4 + 1]} << 8 | uint32_t{data[index * 4 + 2]} << 16 |
           uint32_t{data[index * 4 + 3]} << 24;
  };
  uint64_t permitted = uint64_t{word(1)} | uint64_t{word(3)} << 32;
  uint64_t inheritable = uint64_t{word(2)} | uint64_t{word(4)} << 32;
  bool effective = (word(0) & 0x1) != 0;  // VFS_CAP_FLAGS_EFFECTIVE
  char text[96];
  std::snprintf(text, sizeof text, "security.capability: permitted 0x%llx, inheritable 0x%llx%s",
                static_cast<unsigned long long>(permitted), static_cast<unsigned long long>(inheritable),
                effective ? ", effective" : "");
  return std::string(text);
}

}  // namespace elfrun::util
