/* The kernel probe: the smallest program of one x86 ABI (x86-64, i386 or x32). It makes one system call, exit(0).
 * elfrun carries it (embedded by probes.cmake) and execs it in a child to learn whether the running kernel starts
 * programs of that ABI (src/loader/kernel_machines.h): an x86-64 kernel without IA32 emulation refuses the i386 one
 * with ENOEXEC, one without the x32 ABI refuses the x32 one, and uname cannot tell either (nor, under qemu-i386,
 * whether the kernel is 64-bit at all). No C code, no stack, no libc: only the entry point. */
#if defined(__x86_64__) && defined(__ILP32__)
/* x32 system calls are the x86-64 ones with __X32_SYSCALL_BIT (0x40000000) set: exit is 0x40000000 + 60. */
__asm__(".text\n.global _start\n_start:\n  mov $0x4000003c, %eax\n  xor %edi, %edi\n  syscall\n  hlt\n");
#elif defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n  mov $60, %eax\n  xor %edi, %edi\n  syscall\n  hlt\n");
#elif defined(__i386__)
__asm__(".text\n.global _start\n_start:\n  mov $1, %eax\n  xor %ebx, %ebx\n  int $0x80\n  hlt\n");
#else
#error "the kernel probe is for x86 ABIs only"
#endif
