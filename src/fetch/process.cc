// fork/exec of the archive tools, with their output captured through a pipe.
#include "fetch/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/text.h"

namespace elfrun::fetch {

namespace {

// What the tools' output is kept of: its last 64 KiB (apt's error is at the end).
void keep_tail(std::string& output, std::string_view more) {
  output.append(more);
  if (output.size() > 65536) output.erase(0, output.size() - 65536);
}

// fork/exec of ARGV (no shell; PATH searched) with stdin on /dev/null, stdout on OUT_FD and stderr on ERR_FD, in
// DIRECTORY when one is given. The pid, or -1 with `error` said. The child exits 127 when the tool is missing, 126
// when it cannot be executed, saying so on its stderr.
pid_t spawn(const std::vector<std::string>& argv, int out_fd, int err_fd, const std::string& directory,
            std::string& error) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    return -1;
  }
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    if (!directory.empty() && ::chdir(directory.c_str()) != 0) _exit(126);
    ::execvp(args[0], args.data());
    const char* message = "cannot execute the tool: ";
    (void)!::write(2, message, std::strlen(message));
    (void)!::write(2, std::strerror(errno), std::strlen(std::strerror(errno)));
    _exit(errno == ENOENT ? 127 : 126);
  }
  return pid;
}

// The child's status as the shell gives it: its exit status, or 128 + the signal that killed it.
int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

ChildResult run_child(const std::vector<std::string>& argv, const std::string& directory) {
  ChildResult result;
  if (argv.empty()) return result;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.output = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  pid_t pid = spawn(argv, pipe_fds[1], pipe_fds[1], directory, result.output);
  ::close(pipe_fds[1]);
  if (pid < 0) {
    ::close(pipe_fds[0]);
    return result;
  }
  char buffer[4096];
  for (;;) {
    ssize_t got = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    keep_tail(result.output, std::string_view(buffer, static_cast<size_t>(got)));
  }
  ::close(pipe_fds[0]);
  result.status = wait_for(pid);
  return result;
}

ChildResult run_child_streaming(const std::vector<std::string>& argv,
                                const std::function<void(std::string_view)>& sink) {
  ChildResult result;
  if (argv.empty()) return result;
  int out_fds[2], err_fds[2];
  if (::pipe2(out_fds, O_CLOEXEC) != 0) {
    result.output = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  if (::pipe2(err_fds, O_CLOEXEC) != 0) {
    result.output = std::string("pipe: ") + std::strerror(errno);
    ::close(out_fds[0]);
    ::close(out_fds[1]);
    return result;
  }
  pid_t pid = spawn(argv, out_fds[1], err_fds[1], "", result.output);
  ::close(out_fds[1]);
  ::close(err_fds[1]);
  if (pid < 0) {
    ::close(out_fds[0]);
    ::close(err_fds[0]);
    return result;
  }
  // Both pipes read as they fill (poll), so that a tool writing much to one never blocks on the other.
  pollfd fds[2] = {{out_fds[0], POLLIN, 0}, {err_fds[0], POLLIN, 0}};
  std::vector<char> buffer(1 << 16);
  int open_count = 2;
  while (open_count > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (pollfd& p : fds) {
      if (p.fd < 0 || (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t got = ::read(p.fd, buffer.data(), buffer.size());
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        ::close(p.fd);
        p.fd = -1;
        --open_count;
        continue;
      }
      std::string_view data(buffer.data(), static_cast<size_t>(got));
      if (p.fd == out_fds[0]) {
        sink(data);
      } else {
        keep_tail(result.output, data);
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  result.status = wait_for(pid);
  return result;
}

std::string last_lines(const std::string& output, size_t lines) {
  std::vector<std::string_view> kept;
  for (std::string_view line : util::split_lines(output)) {
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) kept.push_back(line);
  }
  std::string joined;
  for (size_t i = kept.size() > lines ? kept.size() - lines : 0; i < kept.size(); ++i) {
    joined += (joined.empty() ? "" : "; ") + std::string(kept[i]);
  }
  return joined;
}

}  // namespace elfrun::fetch
