// `elfrun loaders`: the dynamic loaders this machine has, what each serves, and where it was found.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "elf/machine.h"
#include "loader/config.h"
#include "loader/discovery.h"
#include "loader/identity_cache.h"
#include "loader/kernel_machines.h"
#include "loader/machine_facts.h"

namespace elfrun::cli {

namespace {

struct LoadersOptions {
  bool json = false;
  std::vector<std::string> search;
};

// How the programs a loader serves start on this kernel: "" natively, else "qemu-i386" (or "qemu-user" when no
// emulator is known), so that a loader of a machine the kernel refuses (i386 with IA32 emulation off) says so.
std::string needs_qemu(const loader::DiscoveredLoader& l) {
  if (loader::kernel_runs_natively(l.machine, l.elf_class)) return {};
  auto order = l.data == 2 ? elf::ByteOrder::big : elf::ByteOrder::little;
  const loader::MachineFacts* facts = loader::machine_facts(l.machine, l.elf_class, order, l.flags);
  return facts && !facts->qemu.empty() ? std::string(facts->qemu) : std::string("qemu-user");
}

int run_loaders(const LoadersOptions& options) {
  prepare_stdout();
  auto config = loader::read_configuration();
  if (!config) {
    print_error(config.error().message);
    return 2;
  }
  config->search_dirs = options.search;
  config->cache = std::make_shared<loader::IdentityCache>(loader::IdentityCache::for_user());
  auto loaders = loader::discover_loaders(*config);
  if (options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& l : loaders) {
      const auto& id = l.identity;
      list.push_back({{"path", l.path},
                      {"aliases", l.aliases},
                      {"flavour", id.flavour == loader::Flavour::musl ? "musl" : "glibc"},
                      {"version", id.version},
                      {"class", l.elf_class == 2 ? 64 : 32},
                      {"byte_order", l.data == 2 ? "big" : "little"},
                      {"machine", l.machine},
                      {"machine_name", elf::machine_name(l.machine)},
                      {"abi", l.abi},
                      {"system_dirs", id.system_dirs},
                      {"argv0", id.has_argv0},
                      {"root", l.root.empty() ? nlohmann::json(nullptr) : nlohmann::json(l.root)},
                      {"library_dirs", l.library_dirs},
                      {"source", l.source},
                      {"needs_qemu", needs_qemu(l).empty() ? nlohmann::json(nullptr) : nlohmann::json(needs_qemu(l))}});
    }
    out(json_text(list, 2) + "\n");
    return 0;
  }
  for (const auto& l : loaders) {
    const auto& id = l.identity;
    std::string flavour = id.flavour == loader::Flavour::musl ? "musl" : "glibc";
    out(fmt::format(
        "{}  {}\n", styled(printable(l.path), Style::bold),
        styled(fmt::format("{} {}, {}-bit {}{}", flavour, id.version, l.elf_class == 2 ? 64 : 32,
                           l.abi.empty() ? elf::machine_name(l.machine) : l.abi, id.has_argv0 ? ", takes --argv0" : ""),
               Style::cyan)));
    if (!l.aliases.empty())
      out(fmt::format("    also: {}\n", printable(fmt::format("{}", fmt::join(l.aliases, ", ")))));
    out(fmt::format("    libraries: {}\n", printable(fmt::format("{}", fmt::join(l.library_dirs, ":")))));
    if (!id.system_dirs.empty()) {
      out(fmt::format("    system dirs: {}\n", printable(fmt::format("{}", fmt::join(id.system_dirs, ":")))));
    }
    out(fmt::format("    found: {}\n", printable(l.source)));
    if (std::string qemu = needs_qemu(l); !qemu.empty()) {
      out(fmt::format("    runs: through {} (this kernel does not run {} programs itself)\n", qemu,
                      l.abi.empty() ? elf::machine_name(l.machine) : l.abi));
    }
  }
  if (loaders.empty()) out("no dynamic loader found\n");
  return 0;
}

}  // namespace

Runner add_loaders_command(CLI::App& app) {
  auto options = std::make_shared<LoadersOptions>();
  CLI::App* command = app.add_subcommand("loaders", "List the dynamic loaders this machine has, and what each serves.");
  command->add_flag("--json", options->json, "Print JSON");
  command->add_option("--search", options->search, "Also look for loaders under DIR (two levels deep)");
  return [options]() { return run_loaders(*options); };
}

}  // namespace elfrun::cli
