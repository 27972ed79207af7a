// Running the archive tools (apt-get, apt-cache, dpkg-deb) as child processes: fork and exec with an argv, never a
// shell, with stdin from /dev/null, and what they print kept for the message when they fail.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace elfrun::fetch {

struct ChildResult {
  int status = -1;     // the exit status; 128+N for a signal N; -1 when it could not be started
  std::string output;  // stdout and stderr together, at most 64 KiB (the end kept)
  bool ok() const { return status == 0; }
};

// Runs argv[0] (looked up in PATH when it has no '/') with `argv`, in `directory` when not empty.
ChildResult run_child(const std::vector<std::string>& argv, const std::string& directory = {});

// The same, with the tool's stdout handed to `sink` as it comes (a large output such as apt-helper cat-file's is never
// held whole) and only its stderr kept in the result's output.
ChildResult run_child_streaming(const std::vector<std::string>& argv,
                                const std::function<void(std::string_view)>& sink);

// The last `lines` non-empty lines of a tool's output, joined with "; " (for a one-line message).
std::string last_lines(const std::string& output, size_t lines);

}  // namespace elfrun::fetch
