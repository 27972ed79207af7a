# The kernel probes (probe.c), built at elfrun build time for x86-64, i386 and x32 with clang as static programs of a
# few hundred bytes and embedded in elfrun_lib (cmake/embedded_programs.cmake) as
# elfrun::loader::embedded::probe_<abi>, so that every elfrun can ask the running kernel which x86 ABIs it starts
# (src/loader/kernel_machines.h). Included from the top CMakeLists.txt.
include(${PROJECT_SOURCE_DIR}/cmake/embedded_programs.cmake)
# -N: one segment, no page alignment (368 bytes instead of 8 KiB); no build ID and stripped: the same bytes always.
elfrun_embed_programs(
  WHAT "kernel probe"
  SOURCE ${CMAKE_CURRENT_LIST_DIR}/probe.c
  DIRECTORY kernel-probe
  FILE_PREFIX probe-
  NAMESPACE elfrun::loader::embedded
  SYMBOL_PREFIX probe_
  GENERATED embedded_probes.cc
  TARGETS x86_64=x86_64-linux-gnu i386=i386-linux-gnu x32=x86_64-linux-gnux32
  FLAGS -ffreestanding -nostdlib -static -fuse-ld=lld -Wl,--build-id=none -Wl,-s -Wl,-N -Wl,-z,noexecstack -Wall
        -Wextra -Werror)
