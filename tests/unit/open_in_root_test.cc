// open_in_root (loader/open_in_root.h): chroot semantics with openat2 and, where there is none, by walking the path.
// Without openat2 is what an i386 elfrun sees under qemu-user 7.2 (on a kernel without IA32 emulation): here a
// seccomp filter in a child makes openat2 fail with ENOSYS, so that the walk is what answers.
#include "loader/open_in_root.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <string>

#include "diagnose/walk.h"
#include "gtest/gtest.h"
#include "loader_test_support.h"

namespace elfrun::loader {
namespace {

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

// A root with /usr/x/lib/file, /lib64/link -> /usr/x/lib/file (absolute, as the reference case's loader symlink),
// /lib64/up -> ../../../../usr/x/lib/file ("..": stops at the root). The host has no /usr/x: resolving a link on
// the host instead of in the root fails.
struct Tree {
  test::TempDir dir;
  std::string root = dir / "root";
  ino_t file_inode = 0;
  Tree() {
    test::write_file(root + "/usr/x/lib/file", "inside\n");
    std::filesystem::create_directories(root + "/lib64");
    std::filesystem::create_symlink("/usr/x/lib/file", root + "/lib64/link");
    std::filesystem::create_symlink("../../../../usr/x/lib/file", root + "/lib64/up");
    struct stat st {};
    if (::stat((root + "/usr/x/lib/file").c_str(), &st) == 0) file_inode = st.st_ino;
  }
};

// 0 when both links open the root's file; else the number of the first check that failed.
int check_links(const Tree& tree) {
  int root_fd = ::open(tree.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) return 10;
  int step = 0;
  for (const char* path : {"/lib64/link", "/lib64/up", "lib64/../lib64/link"}) {
    ++step;
    int fd = open_in_root(root_fd, path[0] == '/' ? path : std::string("/") + path, O_RDONLY | O_CLOEXEC);
    struct stat st {};
    bool same = fd >= 0 && ::fstat(fd, &st) == 0 && st.st_ino == tree.file_inode;
    if (fd >= 0) ::close(fd);
    if (!same) {
      ::close(root_fd);
      return step;
    }
  }
  // A missing file is ENOENT, not something on the host.
  int fd = open_in_root(root_fd, "/usr/x/lib/missing", O_RDONLY | O_CLOEXEC);
  int error = errno;
  ::close(root_fd);
  if (fd >= 0 || error != ENOENT) return 4;
  // why's walk (elfrun why --root) finds the loader behind the absolute link in the root, not on the host.
  diagnose::DiagnoseOptions options;
  options.root = tree.root;
  diagnose::Walk walk(options);
  std::error_code ignored;
  std::string real_file = std::filesystem::canonical(tree.root + "/usr/x/lib/file", ignored).string();
  if (walk.real_host_path("/lib64/link") != real_file) return 5;
  if (walk.real_host_path("/usr/x/lib/missing")) return 6;
  return 0;
}

// Makes openat2 fail with ENOSYS in this process (seccomp, after PR_SET_NO_NEW_PRIVS). False when it cannot.
bool without_openat2() {
#if defined(__x86_64__) && !defined(__ILP32__)
  constexpr unsigned arch = AUDIT_ARCH_X86_64;
#elif defined(__i386__)
  constexpr unsigned arch = AUDIT_ARCH_I386;
#else
  return false;
#endif
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program {};
  program.len = sizeof filter / sizeof filter[0];
  program.filter = filter;
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

TEST(OpenInRoot, AbsoluteLinksAndDotDotStayInTheRoot) {
  Tree tree;
  ASSERT_NE(tree.file_inode, 0u);
  EXPECT_EQ(check_links(tree), 0);
}

TEST(OpenInRoot, WithoutOpenat2TheWalkGivesTheSameAnswers) {
  Tree tree;
  ASSERT_NE(tree.file_inode, 0u);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Under qemu-user the filter may not be installable; openat2 is missing there anyway (qemu 7.2).
    if (!without_openat2()) {
      struct open_how how {};
      if (::syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how) >= 0 || errno != ENOSYS) ::_exit(20);
    }
    struct open_how how {};
    how.flags = O_RDONLY;
    if (::syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how) >= 0 || errno != ENOSYS) ::_exit(21);
    ::_exit(check_links(tree));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_NE(WEXITSTATUS(status), 20) << "no seccomp filter here, and openat2 is there";
  EXPECT_NE(WEXITSTATUS(status), 21) << "the filter did not take openat2 away";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "check " << WEXITSTATUS(status) << " failed without openat2";
}

}  // namespace
}  // namespace elfrun::loader
