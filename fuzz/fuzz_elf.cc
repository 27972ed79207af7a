// libFuzzer target over everything that reads an ELF file's bytes: any byte string goes through parse_elf exactly
// as a file would (ByteSource::from_memory), and what comes back is checked for the promises the reader makes to its
// callers; then, on what parses, through the readers that go further into the file than the reader does — the
// dynamic symbol table with its hash tables (why --symbols), the copy relocations, the version names, and the loader
// identification (a loader's strings, read from a possibly hostile root); then through identify(), the library side
// of `elfrun info`, without looking at the filesystem (no prober), as info would see the same bytes. The same entry
// point is linked into fuzz_replay, which runs every file of fuzz/corpus under ctest.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

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
    auto loader = elfrun::loader::identify_loader(*source, *object);
    if (!loader) require(!loader.error().message.empty());
  } else {
    require(!object.error().message.empty());
  }
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
