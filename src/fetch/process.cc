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

ChildResult run_child(const std::vector<std::string>& argv, const std::string& directory) {
  ChildResult result;
  if (argv.empty()) return result;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.output = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    result.output = std::string("fork: ") + std::strerror(errno);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return result;
  }
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    if (!directory.empty() && ::chdir(directory.c_str()) != 0) _exit(126);
    ::execvp(args[0], args.data());
    const char* message = "cannot execute the tool: ";
    (void)!::write(2, message, std::strlen(message));
    (void)!::write(2, std::strerror(errno), std::strlen(std::strerror(errno)));
    _exit(errno == ENOENT ? 127 : 126);
  }
  ::close(pipe_fds[1]);
  char buffer[4096];
  for (;;) {
    ssize_t got = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    result.output.append(buffer, static_cast<size_t>(got));
    if (result.output.size() > 65536) result.output.erase(0, result.output.size() - 65536);
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    result.output = std::string("fork: ") + std::strerror(errno);
    for (int fd : {out_fds[0], out_fds[1], err_fds[0], err_fds[1]}) ::close(fd);
    return result;
  }
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(out_fds[1], 1);
    ::dup2(err_fds[1], 2);
    ::execvp(args[0], args.data());
    const char* message = "cannot execute the tool: ";
    (void)!::write(2, message, std::strlen(message));
    (void)!::write(2, std::strerror(errno), std::strlen(std::strerror(errno)));
    _exit(errno == ENOENT ? 127 : 126);
  }
  ::close(out_fds[1]);
  ::close(err_fds[1]);
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
      if (p.fd == out_fds[0]) {
        sink(std::string_view(buffer.data(), static_cast<size_t>(got)));
      } else {
        result.output.append(buffer.data(), static_cast<size_t>(got));
        if (result.output.size() > 65536) result.output.erase(0, result.output.size() - 65536);
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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
