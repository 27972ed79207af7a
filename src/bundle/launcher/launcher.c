/* The bundle launcher: bin/NAME of every bundle. A tiny freestanding static program (no libc: raw system calls,
 * x86-64 and i386) so that a bundled program starts almost as fast as the program itself; a shell launcher would
 * cost a shell's start-up (about a millisecond) on every run.
 *
 * It finds its own location at run time (/proc/self/exe; without /proc, argv[0] as given or looked up in PATH, with
 * its symlinks followed), then execs the bundled loader:
 *     LOADER [--argv0 ARGV0] --library-path DIR[:DIR...] [--inhibit-cache] PROGRAM ARGS...
 * or, when the loader is qemu-user (flag "q", `elfrun fix --user` for a foreign program):
 *     QEMU -L ROOT -0 ARGV0 PROGRAM ARGS...
 * with every path made from the launcher's directory and the relative paths patched into elfrun_launcher_data at
 * bundle time (src/bundle/launcher_data.h describes the layout; an absolute path, as `elfrun fix --user` patches,
 * is taken as it is). ARGV0 is the launcher's own argv[0], the name it was invoked by, so that a symlink
 * `ls -> busybox` still dispatches. The environment is passed on unchanged, with one exception: ELFRUN_BUNDLE_ARGV0,
 * which the sh format's header sets to the name the .sh file was invoked by (POSIX sh has no `exec -a`), is taken as
 * argv[0] and removed. A program with no loader (static) is exec'd directly with that argv[0]. */

#define AREA_SIZE 4096
#define HEADER_SIZE 32
#define PATH_SIZE 4096

/* The data elfrun patches: the magic (so elfrun finds the area), then NUL-terminated fields at HEADER_SIZE.
 * Not const, and read through an opaque pointer, so that the compiler can neither fold nor drop it. */
__attribute__((used, aligned(16))) char elfrun_launcher_data[AREA_SIZE] = "ELFRUN-LAUNCHER-DATA-1";

#if defined(__x86_64__)
enum { SYS_write = 1, SYS_access = 21, SYS_execve = 59, SYS_exit = 60, SYS_readlink = 89 };
static long syscall3(long number, long a, long b, long c) {
  long result;
  __asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return result;
}
__asm__(".text\n.global _start\n_start:\n"
        "  xor %rbp, %rbp\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call launcher_main\n"
        "  mov %eax, %edi\n  mov $60, %eax\n  syscall\n  hlt\n");
#elif defined(__i386__)
enum { SYS_write = 4, SYS_access = 33, SYS_execve = 11, SYS_exit = 1, SYS_readlink = 85 };
static long syscall3(long number, long a, long b, long c) {
  long result;
  __asm__ volatile("int $0x80" : "=a"(result) : "a"(number), "b"(a), "c"(b), "d"(c) : "memory");
  return result;
}
__asm__(".text\n.global _start\n_start:\n"
        "  xor %ebp, %ebp\n  mov %esp, %eax\n  and $-16, %esp\n  sub $12, %esp\n  push %eax\n  call launcher_main\n"
        "  mov %eax, %ebx\n  mov $1, %eax\n  int $0x80\n  hlt\n");
#else
#error "the freestanding launcher is for x86-64 and i386; other machines get the sh launcher"
#endif

/* The compiler may emit calls to these even in freestanding code. */
void* memcpy(void* dest, const void* src, unsigned long n) {
  char* d = dest;
  const char* s = src;
  while (n--) *d++ = *s++;
  return dest;
}
void* memset(void* dest, int c, unsigned long n) {
  char* d = dest;
  while (n--) *d++ = (char)c;
  return dest;
}

static unsigned long length(const char* s) {
  unsigned long n = 0;
  while (s[n]) ++n;
  return n;
}

static int starts_with(const char* s, const char* prefix) {
  while (*prefix) {
    if (*s++ != *prefix++) return 0;
  }
  return 1;
}

static void say(const char* s) { syscall3(SYS_write, 2, (long)s, (long)length(s)); }

static void die(const char* what, const char* path, long error) {
  say("elfrun bundle launcher: ");
  say(what);
  if (path) {
    say(" ");
    say(path);
  }
  if (error == -2) say(": No such file or directory");
  if (error == -13) say(": Permission denied");
  if (error == -8) say(": Exec format error");
  say("\n");
  syscall3(SYS_exit, error == -2 ? 127 : 126, 0, 0);
  for (;;) {
  }
}

/* Appends s to buf (of PATH_SIZE) at *used; dies when it does not fit. */
static void append(char* buf, unsigned long* used, const char* s, unsigned long n) {
  if (n >= PATH_SIZE - *used) die("path too long:", s, 0);
  memcpy(buf + *used, s, n);
  *used += n;
  buf[*used] = 0;
}

/* A patched path: an absolute one as it is (the launchers of `elfrun fix --user`), a relative one from the
 * launcher's directory (bundles). */
static void append_path(char* buf, unsigned long* used, const char* self, unsigned long dir_length, const char* path,
                        unsigned long n) {
  if (n == 0 || path[0] != '/') append(buf, used, self, dir_length);
  append(buf, used, path, n);
}

/* Without /proc: the launcher's path from argv[0] (with a '/', as given; else the first executable PATH entry, as
 * the shell that ran it found it), symlinks followed so that its directory is the bundle's bin/. */
static unsigned long locate_without_proc(const char* argv0, char** envp, char* self) {
  unsigned long used = 0;
  const char* p = argv0;
  while (*p && *p != '/') ++p;
  if (*p == '/') {
    append(self, &used, argv0, length(argv0));
  } else {
    const char* path = "/usr/local/bin:/usr/bin:/bin";
    for (char** e = envp; *e; ++e) {
      if (starts_with(*e, "PATH=")) path = *e + 5;
    }
    for (;;) {
      const char* end = path;
      while (*end && *end != ':') ++end;
      used = 0;
      if (end == path) {
        append(self, &used, ".", 1);
      } else {
        append(self, &used, path, (unsigned long)(end - path));
      }
      append(self, &used, "/", 1);
      append(self, &used, argv0, length(argv0));
      if (syscall3(SYS_access, (long)self, 1 /* X_OK */, 0) == 0) break;
      if (!*end) die("cannot find its own location: no /proc and not in PATH:", argv0, 0);
      path = end + 1;
    }
  }
  for (int hops = 0; hops < 40; ++hops) {
    char target[PATH_SIZE];
    long n = syscall3(SYS_readlink, (long)self, (long)target, PATH_SIZE - 1);
    if (n <= 0) break;
    target[n] = 0;
    if (target[0] == '/') {
      used = 0;
    } else {
      while (used > 0 && self[used - 1] != '/') --used;
    }
    self[used] = 0;
    append(self, &used, target, (unsigned long)n);
  }
  return used;
}

int launcher_main(long* stack) {
  long argc = stack[0];
  char** argv = (char**)(stack + 1);
  char** envp = argv + argc + 1;
  const char* area = elfrun_launcher_data;
  __asm__("" : "+r"(area));
  const char* flags = area + HEADER_SIZE;
  const char* program = flags + length(flags) + 1;
  const char* loader = program + length(program) + 1;
  const char* library_dirs = loader + length(loader) + 1;
  int pass_argv0 = 0, inhibit_cache = 0, qemu_user = 0;
  for (const char* f = flags; *f; ++f) {
    if (*f == 'a') pass_argv0 = 1;
    if (*f == 'c') inhibit_cache = 1;
    if (*f == 'q') qemu_user = 1;
  }

  char self[PATH_SIZE];
  long n = syscall3(SYS_readlink, (long)"/proc/self/exe", (long)self, PATH_SIZE - 1);
  unsigned long dir_length;
  if (n > 0 && n < PATH_SIZE - 1) {
    self[n] = 0;
    dir_length = (unsigned long)n;
  } else {
    if (argc < 1) die("cannot find its own location: no /proc and no argv[0]", 0, 0);
    dir_length = locate_without_proc(argv[0], envp, self);
  }
  while (dir_length > 0 && self[dir_length - 1] != '/') --dir_length;
  if (dir_length == 0) {
    self[0] = '.';
    self[1] = '/';
    dir_length = 2;
  }

  /* argv[0] as invoked; the sh format's header passes its own through ELFRUN_BUNDLE_ARGV0 (removed). */
  long envc = 0;
  while (envp[envc]) ++envc;
  char* new_envp_storage[envc + 1];
  char** new_envp = envp;
  const char* argv0 = argc > 0 ? argv[0] : 0;
  for (long i = 0; i < envc; ++i) {
    if (starts_with(envp[i], "ELFRUN_BUNDLE_ARGV0=")) {
      argv0 = envp[i] + 20;
      long k = 0;
      for (long j = 0; j < envc; ++j) {
        if (j != i) new_envp_storage[k++] = envp[j];
      }
      new_envp_storage[k] = 0;
      new_envp = new_envp_storage;
      break;
    }
  }

  char program_path[PATH_SIZE], loader_path[PATH_SIZE], library_path[PATH_SIZE];
  unsigned long used = 0;
  append_path(program_path, &used, self, dir_length, program, length(program));
  if (!argv0) argv0 = program_path;

  char* new_argv[argc + 8];
  long k = 0;
  if (!*loader) {
    new_argv[k++] = (char*)argv0;
  } else {
    used = 0;
    append_path(loader_path, &used, self, dir_length, loader, length(loader));
    used = 0;
    library_path[0] = 0;
    for (const char* d = library_dirs; *d;) {
      const char* end = d;
      while (*end && *end != ':') ++end;
      if (used) append(library_path, &used, ":", 1);
      append_path(library_path, &used, self, dir_length, d, (unsigned long)(end - d));
      d = *end ? end + 1 : end;
    }
    new_argv[k++] = loader_path;
    if (qemu_user) {
      /* qemu-user (elfrun fix --user, a foreign program): QEMU -L ROOT -0 ARGV0 PROGRAM ARGS... */
      if (used) {
        new_argv[k++] = "-L";
        new_argv[k++] = library_path;
      }
      new_argv[k++] = "-0";
      new_argv[k++] = (char*)argv0;
    } else if (pass_argv0) {
      new_argv[k++] = "--argv0";
      new_argv[k++] = (char*)argv0;
    }
    if (used && !qemu_user) {
      new_argv[k++] = "--library-path";
      new_argv[k++] = library_path;
    }
    if (inhibit_cache && !qemu_user) new_argv[k++] = "--inhibit-cache";
    new_argv[k++] = program_path;
  }
  for (long i = 1; i < argc; ++i) new_argv[k++] = argv[i];
  new_argv[k] = 0;
  const char* target = *loader ? loader_path : program_path;
  long error = syscall3(SYS_execve, (long)target, (long)new_argv, (long)new_envp);
  die("cannot execute", target, error);
  return 127;
}
