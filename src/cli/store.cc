// `elfrun store --list | --gc`: the package store of `run --fetch` (fetch/store.h): its entries with their size and
// the cached plans that use them, and removing those no cached plan uses.
#include "fetch/store.h"

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "run/plan_cache.h"

namespace elfrun::cli {

namespace {

struct StoreOptions {
  bool list = false;
  bool gc = false;
};

// The programs of the cached plans whose exec or argv names a path inside `entry`.
std::vector<std::string> users_of(const fetch::StoreEntry& entry, const std::vector<run::CachedPlan>& plans) {
  std::vector<std::string> users;
  std::string prefix = entry.path + "/";
  for (const run::CachedPlan& plan : plans) {
    bool uses = plan.exec_path.rfind(prefix, 0) == 0;
    for (const std::string& arg : plan.argv) uses = uses || arg.find(prefix) != std::string::npos;
    if (!uses) continue;
    // The program is the last word of the plan's argv (the arguments are not stored).
    const std::string& program = plan.argv.empty() ? plan.exec_path : plan.argv.back();
    if (std::find(users.begin(), users.end(), program) == users.end()) users.push_back(program);
  }
  return users;
}

std::string human_size(uint64_t bytes) {
  if (bytes >= 1024 * 1024) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024.0);
}

int run_store(const StoreOptions& options) {
  if (options.list == options.gc) {
    print_error("store: give one of --list and --gc");
    return 2;
  }
  fetch::Store store = fetch::Store::for_user();
  if (store.directory().empty()) {
    print_error("store: no data directory (HOME and XDG_DATA_HOME unset)");
    return 2;
  }
  store.remove_leftovers();
  std::vector<run::CachedPlan> plans = run::PlanCache::for_user().all_plans();
  std::vector<fetch::StoreEntry> entries = store.entries();
  if (options.list) {
    prepare_stdout();
    if (entries.empty()) {
      out(fmt::format("{}: empty\n", printable(store.directory())));
      return 0;
    }
    for (const fetch::StoreEntry& entry : entries) {
      auto users = users_of(entry, plans);
      std::string used = users.empty() ? std::string("unused") : "used by " + std::to_string(users.size()) + ":";
      for (const std::string& user : users) used += " " + user;
      out(fmt::format("{} {} {} {} {}\n", printable(entry.name.package), printable(entry.name.version),
                      printable(entry.name.arch), human_size(fetch::tree_size(entry.path)), printable(used)));
    }
    return 0;
  }
  int status = 0;
  size_t removed = 0;
  uint64_t freed = 0;
  for (const fetch::StoreEntry& entry : entries) {
    if (!users_of(entry, plans).empty()) continue;
    uint64_t size = fetch::tree_size(entry.path);
    if (auto gone = store.remove(entry); !gone) {
      print_error(gone.error().message);
      status = 1;
      continue;
    }
    ++removed;
    freed += size;
    out(fmt::format("removed {}\n", printable(entry.path)));
  }
  out(fmt::format("{} entries removed ({}), {} kept\n", removed, human_size(freed), entries.size() - removed));
  return status;
}

}  // namespace

Runner add_store_command(CLI::App& app) {
  auto options = std::make_shared<StoreOptions>();
  CLI::App* command = app.add_subcommand(
      "store", "The package store of `run --fetch`: list its entries, or remove those no cached plan uses.");
  command->add_flag("--list", options->list, "List the entries: package, version, architecture, size, used by");
  command->add_flag("--gc", options->gc, "Remove the entries no cached run plan uses");
  return [options]() { return run_store(*options); };
}

}  // namespace elfrun::cli
