// The Debian architecture of a program (architecture.h), from the machine table.
#include "fetch/architecture.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "loader/machine_facts.h"

namespace elfrun::fetch {

namespace {

// The architectures of Debian's archive over the suites elfrun tries (buster to sid, each suite's Release file's
// Architectures field): riscv64 from trixie on, loong64 from forky on; mipsel and armel up to the suites that had
// them. A suite without the architecture simply has no candidate, and the next suite is tried.
constexpr std::array<std::string_view, 11> kArchiveArchitectures = {
    "amd64", "arm64", "armel", "armhf", "i386", "mips64el", "mipsel", "ppc64el", "riscv64", "s390x", "loong64"};

}  // namespace

bool is_archive_architecture(const std::string& arch) {
  return std::find(kArchiveArchitectures.begin(), kArchiveArchitectures.end(), arch) != kArchiveArchitectures.end();
}

std::optional<std::string> debian_architecture(uint16_t machine, uint8_t elf_class, elf::ByteOrder order,
                                               uint32_t e_flags) {
  const loader::MachineFacts* facts = loader::machine_facts(machine, elf_class, order, e_flags);
  if (facts == nullptr) return std::nullopt;
  std::string arch(facts->debian_arch);
  if (!is_archive_architecture(arch)) return std::nullopt;
  return arch;
}

std::optional<std::string> debian_architecture(const elf::ElfObject& object) {
  return debian_architecture(object.header.machine, object.ident.elf_class, object.ident.byte_order(),
                             object.header.flags);
}

bool release_has_architecture(std::string_view release, std::string_view arch) {
  // deb822 (Debian's Release files, apt's InRelease inside its clearsigned wrapper): "Architectures: all amd64 ...".
  for (size_t at = 0; at < release.size();) {
    size_t end = release.find('\n', at);
    if (end == std::string_view::npos) end = release.size();
    std::string_view line = release.substr(at, end - at);
    at = end + 1;
    constexpr std::string_view kField = "Architectures:";
    if (line.substr(0, kField.size()) != kField) continue;
    line.remove_prefix(kField.size());
    for (size_t word = 0; word < line.size();) {
      size_t start = line.find_first_not_of(" \t\r", word);
      if (start == std::string_view::npos) break;
      size_t stop = line.find_first_of(" \t\r", start);
      if (stop == std::string_view::npos) stop = line.size();
      if (line.substr(start, stop - start) == arch) return true;
      word = stop;
    }
    return false;
  }
  return true;
}

}  // namespace elfrun::fetch
