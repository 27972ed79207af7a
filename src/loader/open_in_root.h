// Opening a path inside another root with chroot semantics (absolute symlinks restart at the root, ".." stops
// there): openat2(RESOLVE_IN_ROOT) where the kernel has it, a component-by-component walk where it does not (Linux
// before 5.6, a seccomp filter, or qemu-user 7.2, which has no openat2: an i386 elfrun on a kernel without IA32
// emulation). RootedFs (loader/filesystem.h) and diagnose/walk.cc both open through it.
#pragma once

#include <string>

namespace elfrun::loader {

// path is absolute inside the root whose directory is root_fd; flags as for openat. Returns the fd, or -1 and errno.
int open_in_root(int root_fd, const std::string& path, int flags);

}  // namespace elfrun::loader
