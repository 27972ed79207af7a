// The environment in the order this process was given it: see given_environment.h.
#include "util/given_environment.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace elfrun::util {

char** environment_as_given(char** envp) {
#if defined(__i386__)
  if (envp == nullptr) return envp;
  size_t count = 0;
  while (envp[count] != nullptr) ++count;
  if (count < 2) return envp;
  int fd = ::open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return envp;
  size_t size = 0, capacity = 4096;
  char* text = static_cast<char*>(std::malloc(capacity));
  while (text != nullptr) {
    if (size == capacity) {
      char* grown = static_cast<char*>(std::realloc(text, capacity * 2));
      if (grown == nullptr) break;
      text = grown;
      capacity *= 2;
    }
    ssize_t got = ::read(fd, text + size, capacity - size);
    if (got <= 0) break;
    size += static_cast<size_t>(got);
  }
  ::close(fd);
  if (text == nullptr) return envp;
  // The kernel's strings, in order, must be envp's from last to first.
  size_t offset = 0, index = 0;
  bool reversed = true, same_order = true;
  while (offset < size && index < count) {
    const char* entry = text + offset;
    size_t length = ::strnlen(entry, size - offset);
    if (length == size - offset) break;  // no NUL: cut short
    if (std::strcmp(entry, envp[count - 1 - index]) != 0) reversed = false;
    if (std::strcmp(entry, envp[index]) != 0) same_order = false;
    offset += length + 1;
    ++index;
  }
  std::free(text);
  if (!reversed || same_order || index != count || offset != size) return envp;
  char** given = static_cast<char**>(std::malloc((count + 1) * sizeof(char*)));
  if (given == nullptr) return envp;
  for (size_t i = 0; i < count; ++i) given[i] = envp[count - 1 - i];
  given[count] = nullptr;
  return given;
#else
  return envp;
#endif
}

}  // namespace elfrun::util
