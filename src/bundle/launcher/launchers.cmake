# The bundle launchers (launcher.c), built at elfrun build time for x86-64 and i386 with clang as freestanding static
# programs and embedded in elfrun_lib (cmake/embedded_programs.cmake) as elfrun::bundle::embedded::launcher_<abi>
# (declared in src/bundle/launcher_data.h), so that every elfrun (default, i386, static) can bundle x86-64 and i386
# programs alike with no compiler at bundle time. Included from the top CMakeLists.txt.
include(${PROJECT_SOURCE_DIR}/cmake/embedded_programs.cmake)
# -Os and no unwind tables keep it at about 7 KiB (mostly page alignment); --build-id=none and -s keep the bytes
# the same from build to build and free of any build path.
elfrun_embed_programs(
  WHAT "bundle launcher"
  SOURCE ${CMAKE_CURRENT_LIST_DIR}/launcher.c
  DIRECTORY bundle-launcher
  FILE_PREFIX launcher-
  NAMESPACE elfrun::bundle::embedded
  SYMBOL_PREFIX launcher_
  GENERATED embedded_launchers.cc
  TARGETS x86_64=x86_64-linux-gnu i386=i386-linux-gnu
  FLAGS -ffreestanding -nostdlib -static -Os -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables
        -fno-pie -fuse-ld=lld -Wl,--build-id=none -Wl,-s -Wl,-z,norelro -Wl,-z,noexecstack -Wall -Wextra -Werror)
