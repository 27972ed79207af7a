#!/bin/sh
# ctest-labels: slow
# ctest-timeout: 1800
# The reference case (why_reference_i386_root.sh) with the root entered the emulated way on any kernel
# (ELFRUN_I386_VIA_QEMU=1): a user namespace whose binfmt_misc hands i386 programs to qemu-i386-static, as on a
# kernel with IA32 emulation off, so that this path stays tested on kernels that run i386 natively.
ELFRUN_I386_VIA_QEMU=1
export ELFRUN_I386_VIA_QEMU
exec sh "$(dirname "$0")/why_reference_i386_root.sh" "$@"
