// Progress on a terminal's stderr: see progress.h.
#include "cli/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "cli/output.h"

namespace elfrun::cli {

namespace {

// The terminal's width in columns, 80 when it does not say.
size_t terminal_columns() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

void write_stderr(std::string_view text) {
  while (!text.empty()) {
    ssize_t written = ::write(STDERR_FILENO, text.data(), text.size());
    if (written <= 0) return;  // a closed or broken terminal: progress is not worth an error
    text.remove_prefix(static_cast<size_t>(written));
  }
}

}  // namespace

Progress::Progress(std::string_view command, size_t total, bool enabled)
    : command_(command),
      total_(total),
      active_(enabled && total > 1 && ::isatty(STDERR_FILENO) == 1),
      start_(Clock::now()) {
  if (const char* after = std::getenv("ELFRUN_PROGRESS_AFTER_MS")) {
    char* end = nullptr;
    long value = std::strtol(after, &end, 10);
    if (end != after && *end == '\0' && value >= 0) delay_ = std::chrono::milliseconds(value);
  }
}

Progress::~Progress() { clear(); }

void Progress::update(size_t done, size_t problems, std::string_view current) {
  if (!active_) return;
  auto now = Clock::now();
  if (now - start_ < delay_) return;
  if (shown_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  std::string line = fmt::format("elfrun {}: {}/{} files", command_, done, total_);
  if (problems > 0) line += fmt::format(", {} with problems", problems);
  line += ": ";
  // The current file's name, cut from the left so that its end shows, and the line kept within the terminal:
  // a line that wraps cannot be erased with a carriage return.
  size_t columns = terminal_columns();
  std::string name = printable(current);
  if (line.size() + 1 >= columns) {
    line.resize(columns > 1 ? columns - 1 : 0);
  } else {
    size_t room = columns - 1 - line.size();
    if (name.size() > room) {
      if (room > 3) {
        size_t cut = name.size() - (room - 3);
        // Not in the middle of a UTF-8 sequence: skip its continuation bytes.
        while (cut < name.size() && (static_cast<unsigned char>(name[cut]) & 0xc0) == 0x80) ++cut;
        name = "..." + name.substr(cut);
      } else {
        name.clear();
      }
    }
    line += name;
  }
  std::fflush(stdout);
  write_stderr("\r" + line + "\x1b[K");
  shown_ = true;
}

void Progress::clear() {
  if (!shown_) return;
  write_stderr("\r\x1b[K");
  shown_ = false;
}

}  // namespace elfrun::cli
