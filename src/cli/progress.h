// A one-line progress report on stderr for commands that work through many files (deps over a whole /usr/bin):
// shown only when stderr is a terminal, only once the run has lasted a while, redrawn at most ten times a second,
// and erased before anything else is printed and at the end, so that it never ends up in a log or a pipe.
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

namespace elfrun::cli {

class Progress {
 public:
  // `total` files; `enabled` is the caller's decision on top of the terminal check (e.g. not when stdout is the
  // same terminal and already shows each result as it comes). The delay before the first report is 500 ms, or
  // ELFRUN_PROGRESS_AFTER_MS milliseconds (for tests).
  Progress(std::string_view command, size_t total, bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // File number `done` (0-based count of files finished before it) is being worked on; `problems` files so far had
  // something missing.
  void update(size_t done, size_t problems, std::string_view current);
  // Erases the line, if one is shown; the next update() draws it again. Call before printing to stderr.
  void clear();

 private:
  using Clock = std::chrono::steady_clock;
  std::string_view command_;
  size_t total_;
  bool active_;
  bool shown_ = false;
  Clock::time_point start_;
  Clock::time_point last_draw_;
  std::chrono::milliseconds delay_{500};
};

}  // namespace elfrun::cli
