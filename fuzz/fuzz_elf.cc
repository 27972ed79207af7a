// libFuzzer target over everything that reads an ELF file's bytes: any byte string goes through parse_elf exactly
// as a file would (ByteSource::from_memory), and what comes back is checked for the promises the reader makes to its
// callers; then, on what parses, through the readers that go further into the file than the reader does — the
// dynamic symbol table with its hash tables (why --symbols), the copy relocations, the version names, and the loader
// identification (a loader's strings, read from a possibly hostile root); then through identify(), the library side
// of `elfrun info`, without looking at the filesystem (no prober), as info would see the same bytes. And the same
// bytes written to a memfd and opened as a file must parse to the same result: ByteSource reads files lazily. The same
// entry point is linked into fuzz_replay, which runs every file of fuzz/corpus under ctest.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "elf/identify.h"
#include "elf/symbols.h"
#include "loader/loader_identity.h"

namespace {

// A broken promise is a bug in the reader: abort so that libFuzzer (or ctest) reports the input.
void require(bool condition) {
  if (!condition) std::abort();
}

void check_object(const elfrun::elf::ElfObject& object, uint64_t size) {
  require(object.file_size == size);
  require(object.ident.elf_class == 1 || object.ident.elf_class == 2);
  if (object.interpreter) require(object.interpreter->size() < 4096);
  for (const auto& ph : object.program_headers) {
    // The segments the reader follows were checked against the file size.
    if (ph.type == 3 /* PT_INTERP */ || ph.type == 2 /* PT_DYNAMIC */ || ph.type == 4 /* PT_NOTE */) {
      require(ph.offset <= size && ph.filesz <= size - ph.offset);
    }
  }
  if (object.dynamic) {
    for (const auto& entry : object.dynamic->entries) require(entry.tag != 0);  // DT_NULL ends the list
    for (const auto& name : object.dynamic->needed) require(name.size() < size);
  }
  if (object.notes.build_id) require(object.notes.build_id->size() < size);
  for (const auto& warning : object.warnings) require(!warning.empty());
}

// The same bytes as a file: ByteSource::open reads a file lazily (the head, then the pages asked for, then maybe a
// map), while from_memory sees it all at once. The reader must give the same answer either way.
void check_file_reading(const uint8_t* data, size_t size, const elfrun::Expected<elfrun::elf::ElfObject>& from_memory) {
  int fd = ::memfd_create("fuzz-input", MFD_CLOEXEC);
  if (fd < 0) return;  // no memfd (an old kernel): nothing to compare
  size_t written = 0;
  while (written < size) {
    ssize_t n = ::write(fd, data + written, size - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  if (written == size) {
    auto source = elfrun::elf::ByteSource::open("/proc/self/fd/" + std::to_string(fd));
    if (source) {
      auto from_file = elfrun::elf::parse_elf(**source);
      require(from_file.has_value() == from_memory.has_value());
      if (from_file) {
        require(from_file->interpreter == from_memory->interpreter);
        require(from_file->program_headers.size() == from_memory->program_headers.size());
        require(from_file->dynamic.has_value() == from_memory->dynamic.has_value());
        if (from_file->dynamic) require(from_file->dynamic->needed == from_memory->dynamic->needed);
        require(from_file->notes.build_id == from_memory->notes.build_id);
        require(from_file->warnings == from_memory->warnings);
      } else {
        require(from_file.error().message == from_memory.error().message);
      }
    }
  }
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto source = elfrun::elf::ByteSource::from_memory(data, size);
  auto object = elfrun::elf::parse_elf(*source);
  if (object) {
    check_object(*object, size);
    auto symbols = elfrun::elf::read_dynamic_symbols(*source, *object);
    if (symbols) {
      require(symbols->symbols.size() <= size);  // each symbol takes at least 16 bytes of the file
      for (const auto& symbol : symbols->symbols) {
        require(symbol.name.size() < size || symbol.name.empty());
        (void)elfrun::elf::version_name(*object, symbol.version_index);
      }
    } else {
      require(!symbols.error().message.empty());
    }
    auto copies = elfrun::elf::read_copy_relocations(*source, *object);
    if (!copies) require(!copies.error().message.empty());
    // The symbol check's reading: the symbols relocations name, and names looked up through the hash tables.
    auto relocated = elfrun::elf::read_relocated_symbols(*source, *object);
    if (!relocated) require(!relocated.error().message.empty());
    auto lookup = elfrun::elf::open_symbol_lookup(*source, *object);
    if (lookup) {
      std::vector<uint32_t> found;
      for (const char* name : {"main", "printf", ""}) (*lookup)->find(name, found);
      for (uint32_t index : found) require((*lookup)->entry(index).has_value() || index < (*lookup)->count());
      if (relocated) {
        for (size_t k = 0; k < relocated->referenced.size() && k < 64; ++k) {
          (void)(*lookup)->entry(relocated->referenced[k]);
        }
      }
    } else {
      require(!lookup.error().message.empty());
    }
    auto loader = elfrun::loader::identify_loader(*source, *object);
    if (!loader) require(!loader.error().message.empty());
  } else {
    require(!object.error().message.empty());
  }
  check_file_reading(data, size, object);
  auto report = elfrun::elf::identify(*source, "fuzz-input");
  if (report) {
    require(report->path == "fuzz-input");
    // An ELF file is parsed by the same reader: identify fails exactly when parse_elf fails on an ELF file.
    require(report->elf.has_value() == object.has_value());
    (void)elfrun::elf::kind_name(report->kind);
  } else {
    require(!report.error().message.empty());
  }
  return 0;
}
