# The bundle launchers (launcher.c), built at elfrun build time for x86-64 and i386 with clang as freestanding static
# programs, and embedded in elfrun_lib as byte arrays (embed.cmake; GCC 12 has no #embed), so that every elfrun
# (default, i386, static) can bundle x86-64 and i386 programs alike with no compiler at bundle time.
# Included from the top CMakeLists.txt (not add_subdirectory): a generated source must be produced in the directory
# of the target that compiles it.
find_program(ELFRUN_LAUNCHER_CLANG NAMES clang clang-14 REQUIRED)
set(launcher_source ${CMAKE_CURRENT_LIST_DIR}/launcher.c)
# -Os and no unwind tables keep it at about 7 KiB (mostly page alignment); --build-id=none and -s keep the bytes
# the same from build to build and free of any build path.
set(launcher_flags -ffreestanding -nostdlib -static -Os -fno-stack-protector -fno-asynchronous-unwind-tables
    -fno-unwind-tables -fno-pie -fuse-ld=lld -Wl,--build-id=none -Wl,-s -Wl,-z,norelro -Wl,-z,noexecstack
    -Wall -Wextra -Werror)
set(launcher_inputs)
set(launcher_files)
foreach(arch x86_64 i386)
  set(output ${CMAKE_BINARY_DIR}/bundle-launcher/launcher-${arch})
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/bundle-launcher
    COMMAND ${ELFRUN_LAUNCHER_CLANG} --target=${arch}-linux-gnu ${launcher_flags} -o ${output} ${launcher_source}
    DEPENDS ${launcher_source}
    COMMENT "Building the ${arch} bundle launcher"
    VERBATIM)
  list(APPEND launcher_inputs "${arch}=${output}")
  list(APPEND launcher_files ${output})
endforeach()
set(embedded_launchers ${CMAKE_BINARY_DIR}/bundle-launcher/embedded_launchers.cc)
string(REPLACE ";" "," launcher_inputs_arg "${launcher_inputs}")
add_custom_command(
  OUTPUT ${embedded_launchers}
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${embedded_launchers} -DINPUTS=${launcher_inputs_arg}
          -P ${CMAKE_CURRENT_LIST_DIR}/embed.cmake
  DEPENDS ${launcher_files} ${CMAKE_CURRENT_LIST_DIR}/embed.cmake
  COMMENT "Embedding the bundle launchers"
  VERBATIM)
target_sources(elfrun_lib PRIVATE ${embedded_launchers})
