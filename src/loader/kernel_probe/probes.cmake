# The kernel probes (probe.c), built at elfrun build time for x86-64, i386 and x32 with clang as static programs of a
# few hundred bytes, and embedded in elfrun_lib (../../bundle/launcher/embed.cmake) as
# elfrun::loader::embedded::probe_<abi>, so that every elfrun can ask the running kernel which x86 ABIs it starts
# (src/loader/kernel_machines.h). Included from the top CMakeLists.txt, after launchers.cmake.
set(probe_source ${CMAKE_CURRENT_LIST_DIR}/probe.c)
# -N: one segment, no page alignment (368 bytes instead of 8 KiB); no build ID and stripped: the same bytes always.
set(probe_flags -ffreestanding -nostdlib -static -fuse-ld=lld -Wl,--build-id=none -Wl,-s -Wl,-N -Wl,-z,noexecstack
    -Wall -Wextra -Werror)
set(probe_inputs)
set(probe_files)
foreach(pair x86_64:x86_64-linux-gnu i386:i386-linux-gnu x32:x86_64-linux-gnux32)
  string(REPLACE ":" ";" parts "${pair}")
  list(GET parts 0 abi)
  list(GET parts 1 target)
  set(output ${CMAKE_BINARY_DIR}/kernel-probe/probe-${abi})
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/kernel-probe
    COMMAND ${ELFRUN_LAUNCHER_CLANG} --target=${target} ${probe_flags} -o ${output} ${probe_source}
    DEPENDS ${probe_source}
    COMMENT "Building the ${abi} kernel probe"
    VERBATIM)
  list(APPEND probe_inputs "${abi}=${output}")
  list(APPEND probe_files ${output})
endforeach()
set(embedded_probes ${CMAKE_BINARY_DIR}/kernel-probe/embedded_probes.cc)
string(REPLACE ";" "," probe_inputs_arg "${probe_inputs}")
add_custom_command(
  OUTPUT ${embedded_probes}
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${embedded_probes} -DINPUTS=${probe_inputs_arg}
          -DNAMESPACE=elfrun::loader::embedded -DPREFIX=probe_ -P ${CMAKE_CURRENT_LIST_DIR}/../../bundle/launcher/embed.cmake
  DEPENDS ${probe_files} ${CMAKE_CURRENT_LIST_DIR}/../../bundle/launcher/embed.cmake
  COMMENT "Embedding the kernel probes"
  VERBATIM)
target_sources(elfrun_lib PRIVATE ${embedded_probes})
