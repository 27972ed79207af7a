// The environment in the order this process was given it. qemu-user before 8.0 hands a program its environment
// reversed (linux-user's envlist builds it back to front), so an i386 elfrun under qemu-i386 — on a kernel with IA32
// emulation off, or in the emulated reference root — would pass the program it runs its variables in the wrong
// order, which a program run directly never sees. The kernel's copy, /proc/self/environ, has the order the parent
// gave; it is used only when it is exactly the reverse of what the process holds (the same variables, nothing
// added, removed or changed), so a real change of the environment is never undone.
//
// Nothing here needs a static constructor: run's fast path calls it before main() (cli/run_fast.cc).
#pragma once

namespace elfrun::util {

// `envp`, or an array (allocated once, never freed: the caller execs next) of the same strings in the kernel's
// order. Only i386 builds look (the only ones qemu-i386 runs); elsewhere `envp` as it is.
char** environment_as_given(char** envp);

}  // namespace elfrun::util
