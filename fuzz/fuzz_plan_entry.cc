// libFuzzer target over run's plan cache entries (src/run/plan_cache.h): an entry is a file in the user's cache
// directory, which a crash, a full disk or another program can leave in any state, and elfrun reads it before every
// cached exec. The input is an entry whose key is its own text up to "key-end\n"; whatever parses must survive the
// round trip (format, parse again: the same plan, the same text), and a parse with any other key must fail.
// The same entry point is linked into fuzz_replay_plan_entry, which runs fuzz/corpus-plan-entry under ctest.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "run/plan_cache.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kKeyEnd = "key-end\n";
  size_t end = text.find(kKeyEnd);
  std::string_view key = end == std::string_view::npos ? std::string_view() : text.substr(0, end + kKeyEnd.size());
  auto plan = elfrun::run::parse_plan_entry(text, key);
  if (!plan) return 0;
  require(!plan->exec_path.empty() && !plan->argv.empty());
  std::string again = elfrun::run::format_plan_entry(key, *plan);
  auto reparsed = elfrun::run::parse_plan_entry(again, key);
  require(reparsed.has_value());
  require(reparsed->exec_path == plan->exec_path && reparsed->argv == plan->argv &&
          reparsed->observations == plan->observations);
  require(elfrun::run::format_plan_entry(key, *reparsed) == again);
  // Another key (one byte off) never matches.
  std::string other(key);
  other[0] = static_cast<char>(other[0] ^ 1);
  require(!elfrun::run::parse_plan_entry(text, other).has_value());
  return 0;
}
