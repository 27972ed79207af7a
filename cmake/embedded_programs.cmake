# elfrun_embed_programs: small static programs built with clang at elfrun build time, one per target, and compiled
# into elfrun_lib as byte arrays (cmake/embed.cmake writes them as C++; GCC 12 has no #embed), so that every elfrun
# (default, i386, static) carries them with no compiler needed where it runs. The bundle launchers
# (src/bundle/launcher/launchers.cmake) and the kernel probes (src/loader/kernel_probe/probes.cmake) are built this
# way.
#
#   elfrun_embed_programs(WHAT "bundle launcher"      (the build's messages: "Building the x86_64 bundle launcher")
#     SOURCE file.c                                   (one source, built once per target)
#     DIRECTORY name                                  (under the build directory: the programs and the .cc)
#     FILE_PREFIX launcher-                           (each program is DIRECTORY/FILE_PREFIX<abi>)
#     NAMESPACE elfrun::bundle::embedded SYMBOL_PREFIX launcher_   (NAMESPACE::SYMBOL_PREFIX<abi>, and _size)
#     GENERATED embedded_launchers.cc
#     TARGETS x86_64=x86_64-linux-gnu i386=i386-linux-gnu      (abi=clang target triple)
#     FLAGS -ffreestanding ...)                       (clang's flags besides --target, -o and the source)
#
# Included from the top CMakeLists.txt (not add_subdirectory): a generated source must be produced in the directory
# of the target that compiles it.
include_guard(GLOBAL)
find_program(ELFRUN_LAUNCHER_CLANG NAMES clang clang-14 REQUIRED)
set(ELFRUN_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed.cmake)

function(elfrun_embed_programs)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "WHAT;SOURCE;DIRECTORY;FILE_PREFIX;NAMESPACE;SYMBOL_PREFIX;GENERATED"
                        "TARGETS;FLAGS")
  foreach(required WHAT SOURCE DIRECTORY FILE_PREFIX NAMESPACE SYMBOL_PREFIX GENERATED TARGETS)
    if(NOT arg_${required})
      message(FATAL_ERROR "elfrun_embed_programs: ${required} is missing")
    endif()
  endforeach()
  set(directory ${CMAKE_BINARY_DIR}/${arg_DIRECTORY})
  set(inputs)
  set(files)
  foreach(pair ${arg_TARGETS})
    string(REPLACE "=" ";" parts "${pair}")
    list(GET parts 0 abi)
    list(GET parts 1 triple)
    set(output ${directory}/${arg_FILE_PREFIX}${abi})
    add_custom_command(
      OUTPUT ${output}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${directory}
      COMMAND ${ELFRUN_LAUNCHER_CLANG} --target=${triple} ${arg_FLAGS} -o ${output} ${arg_SOURCE}
      DEPENDS ${arg_SOURCE}
      COMMENT "Building the ${abi} ${arg_WHAT}"
      VERBATIM)
    list(APPEND inputs "${abi}=${output}")
    list(APPEND files ${output})
  endforeach()
  set(generated ${directory}/${arg_GENERATED})
  string(REPLACE ";" "," inputs_arg "${inputs}")
  add_custom_command(
    OUTPUT ${generated}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${generated} -DINPUTS=${inputs_arg} -DNAMESPACE=${arg_NAMESPACE}
            -DPREFIX=${arg_SYMBOL_PREFIX} -P ${ELFRUN_EMBED_SCRIPT}
    DEPENDS ${files} ${ELFRUN_EMBED_SCRIPT}
    COMMENT "Embedding the ${arg_WHAT}s"
    VERBATIM)
  target_sources(elfrun_lib PRIVATE ${generated})
endfunction()
