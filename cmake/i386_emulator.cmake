# The -m32 builds (presets i386 and static-i386) on a kernel that cannot run i386 programs (IA32 emulation off:
# ia32_emulation=0, CONFIG_IA32_EMULATION_DEFAULT_DISABLED, a hypervisor overriding it): their binaries (test
# discovery, the unit tests, the corpus replay, the cases' elfrun) run under qemu-i386, through
# CMAKE_CROSSCOMPILING_EMULATOR, which add_test and gtest_discover_tests put in front of every command they run.
#
# ELFRUN_I386_VIA_QEMU (environment at the first configure, or -D): 1 always runs them under qemu-i386 (so that the
# emulated path is tested on any kernel), 0 never does; unset, a probe decides: a trivial program built with the
# configured compiler (-m32) is run, and qemu-i386 is used when the kernel refuses it.
# Sets ELFRUN_I386_EMULATOR (the emulator, or empty), also in the cache for scripts that run the built binary
# (debian/rules). Included from the top CMakeLists.txt before any target.
set(ELFRUN_I386_EMULATOR "")
if(CMAKE_SIZEOF_VOID_P EQUAL 4 AND CMAKE_HOST_SYSTEM_PROCESSOR MATCHES "^(x86_64|amd64|AMD64)$")
  if(NOT DEFINED ELFRUN_I386_VIA_QEMU)
    set(ELFRUN_I386_VIA_QEMU "$ENV{ELFRUN_I386_VIA_QEMU}" CACHE STRING
        "Run the i386 binaries under qemu-i386: 1, 0, or empty (a probe decides)")
  endif()
  set(via "${ELFRUN_I386_VIA_QEMU}")
  if(via STREQUAL "")
    set(probe_dir ${CMAKE_BINARY_DIR}/i386-kernel-probe)
    file(WRITE ${probe_dir}/probe.c "int main(void) { return 0; }\n")
    try_run(probe_run probe_compiled ${probe_dir} ${probe_dir}/probe.c)
    if(probe_compiled AND NOT probe_run STREQUAL "0")
      message(STATUS "i386 programs: this kernel does not run them (the probe gave ${probe_run}): qemu-i386")
      set(via 1)
    endif()
  endif()
  if(via STREQUAL "1")
    find_program(ELFRUN_QEMU_I386 qemu-i386 REQUIRED)
    set(ELFRUN_I386_EMULATOR ${ELFRUN_QEMU_I386})
    set(CMAKE_CROSSCOMPILING_EMULATOR ${ELFRUN_QEMU_I386})
    message(STATUS "i386 programs: run under ${ELFRUN_QEMU_I386} (ELFRUN_I386_VIA_QEMU or the probe)")
  endif()
endif()
set(ELFRUN_I386_EMULATOR "${ELFRUN_I386_EMULATOR}" CACHE INTERNAL "What runs the built i386 binaries (empty: the kernel)" FORCE)
