// ElfObject: everything elfrun knows about one ELF file, in plain host integers whatever the file's layout.
// The reader (reader.cc) fills it; nothing downstream (loader, diagnose, cli) ever sees the on-disk layouts.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "elf/byte_source.h"
#include "util/expected.h"

namespace elfrun::elf {

enum class ByteOrder : uint8_t { little, big };

struct Ident {
  uint8_t elf_class = 0;  // ELFCLASS32 / ELFCLASS64
  uint8_t data = 0;       // ELFDATA2LSB / ELFDATA2MSB
  uint8_t version = 0;
  uint8_t os_abi = 0;
  uint8_t abi_version = 0;
  bool is_64() const { return elf_class == 2; }
  ByteOrder byte_order() const { return data == 2 ? ByteOrder::big : ByteOrder::little; }
};

struct Header {
  uint16_t type = 0;
  uint16_t machine = 0;
  uint32_t version = 0;
  uint64_t entry = 0;
  uint64_t phoff = 0;
  uint64_t shoff = 0;
  uint32_t flags = 0;
  uint16_t ehsize = 0;
  uint16_t phentsize = 0;
  uint16_t phnum = 0;
  uint16_t shentsize = 0;
  uint16_t shnum = 0;
  uint16_t shstrndx = 0;
};

struct ProgramHeader {
  uint32_t type = 0;
  uint32_t flags = 0;
  uint64_t offset = 0;
  uint64_t vaddr = 0;
  uint64_t paddr = 0;
  uint64_t filesz = 0;
  uint64_t memsz = 0;
  uint64_t align = 0;
};

struct SectionHeader {
  std::string_view name;  // empty when the name cannot be read; points into ElfObject::section_names
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t addr = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t link = 0;
  uint32_t info = 0;
  uint64_t addralign = 0;
  uint64_t entsize = 0;
};

struct DynamicEntry {
  int64_t tag = 0;
  uint64_t value = 0;
};

// One version a DT_VERNEED entry asks of a library ("GLIBC_2.34" from "libc.so.6").
struct VersionNeeded {
  std::string name;
  uint32_t hash = 0;
  uint16_t flags = 0;  // VER_FLG_WEAK...
  uint16_t index = 0;  // vna_other: the index DT_VERSYM uses
};

struct VersionNeed {
  std::string file;  // the library, as named in DT_NEEDED
  std::vector<VersionNeeded> versions;
};

// One DT_VERDEF entry: names[0] is the version it defines, the rest its parents.
struct VersionDefinition {
  uint16_t index = 0;
  uint16_t flags = 0;  // VER_FLG_BASE for the file's own name
  uint32_t hash = 0;
  std::vector<std::string> names;
};

// What the dynamic section says. Present only when the file has a PT_DYNAMIC.
struct DynamicInfo {
  std::vector<DynamicEntry> entries;  // up to and excluding DT_NULL
  std::vector<std::string> needed;
  std::optional<std::string> soname;
  std::optional<std::string> rpath;
  std::optional<std::string> runpath;
  std::optional<std::string> audit;
  std::optional<std::string> depaudit;
  std::vector<std::string> filters;      // DT_FILTER
  std::vector<std::string> auxiliaries;  // DT_AUXILIARY
  uint64_t flags = 0;                    // DT_FLAGS
  uint64_t flags_1 = 0;                  // DT_FLAGS_1
  std::vector<VersionNeed> version_needs;
  std::vector<VersionDefinition> version_definitions;
  std::optional<uint64_t> symtab, strtab, strsz, syment, versym, verneed, verdef, hash, gnu_hash;
  bool bind_now() const;  // DF_BIND_NOW or DF_1_NOW
};

// The decoded notes of the file (from PT_NOTE segments, or SHT_NOTE sections when it has no PT_NOTE).
struct Notes {
  struct AbiTag {
    uint32_t os = 0;  // ELF_NOTE_OS_LINUX...
    uint32_t major = 0, minor = 0, patch = 0;
  };
  std::optional<AbiTag> abi_tag;
  std::optional<std::vector<uint8_t>> build_id;
  std::optional<uint32_t> x86_isa_needed;    // GNU_PROPERTY_X86_ISA_1_NEEDED bits (baseline, v2, v3, v4)
  std::optional<uint32_t> x86_isa_used;      // GNU_PROPERTY_X86_ISA_1_USED
  std::optional<uint32_t> x86_features;      // GNU_PROPERTY_X86_FEATURE_1_AND (IBT, SHSTK)
  std::optional<uint32_t> aarch64_features;  // GNU_PROPERTY_AARCH64_FEATURE_1_AND (BTI, PAC)
  std::optional<std::string> gnu_gold_version;
  std::optional<std::string> go_build_id;
};

struct ElfObject {
  Ident ident;
  Header header;
  uint64_t file_size = 0;
  std::vector<ProgramHeader> program_headers;
  std::optional<std::string> interpreter;  // PT_INTERP
  std::optional<DynamicInfo> dynamic;      // PT_DYNAMIC
  Notes notes;
  std::vector<SectionHeader> sections;  // empty when the file has none
  // The section names section (.shstrtab) that the sections' names point into: one copy, shared by the copies of
  // the object, instead of a string per section (elfrun info reads the sections of thousands of files).
  std::shared_ptr<const std::string> section_names;
  bool has_symtab = false;               // a SHT_SYMTAB section: "not stripped"
  bool has_debug_info = false;           // a .debug_info section
  std::optional<std::string> debuglink;  // .gnu_debuglink file name
  // Problems in parts the kernel and the loader never read (section headers): reported, not fatal.
  std::vector<std::string> warnings;

  bool is_64() const { return ident.is_64(); }
  ByteOrder byte_order() const { return ident.byte_order(); }
  const ProgramHeader* find_segment(uint32_t type) const;
  const SectionHeader* find_section(std::string_view name) const;
};

// True when the bytes start with \x7fELF.
bool has_elf_magic(ByteView bytes);

// Parses an ELF file. Headers, PT_INTERP, the dynamic section and notes are read as the kernel and the loader would
// (through PT_LOAD); their problems are errors. Section header problems become warnings.
Expected<ElfObject> parse_elf(const ByteSource& source);

}  // namespace elfrun::elf
