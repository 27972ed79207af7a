# What `cmake --install BUILD [--prefix P]` (and DESTDIR) installs, in the GNUInstallDirs places: the binary, the man
# pages (rendered here from docs/man/*.md with pandoc), the bash, zsh and fish completions (generated here by the
# built elfrun from its own command definitions: `elfrun completion SHELL`), README.md and LICENSE.
include(GNUInstallDirs)
option(ELFRUN_MAN "Render the man pages from docs/man/*.md (needs pandoc)" ON)

install(TARGETS elfrun RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES README.md LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Man pages: one Markdown source each (docs/man/NAME.SECTION.md, readable on the forge as it is), one roff file each.
if(ELFRUN_MAN)
  find_program(PANDOC_EXECUTABLE pandoc)
  if(NOT PANDOC_EXECUTABLE)
    message(FATAL_ERROR "pandoc renders the man pages: install it (scripts/bootstrap), or configure with "
                        "-DELFRUN_MAN=OFF to build without them")
  endif()
  file(GLOB man_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/*.[1-9].md)
  set(man_pages)
  foreach(source ${man_sources})
    get_filename_component(page ${source} NAME)
    string(REGEX REPLACE "\\.md$" "" page "${page}")  # elfrun-deps.1
    string(REGEX MATCH "[1-9]$" section "${page}")
    set(output ${PROJECT_BINARY_DIR}/man/${page})
    add_custom_command(
      OUTPUT ${output}
      COMMAND ${PANDOC_EXECUTABLE} --standalone --from markdown --to man
              --metadata "footer=elfrun ${PROJECT_VERSION}" --metadata "header=elfrun manual" -o ${output} ${source}
      DEPENDS ${source}
      COMMENT "Rendering the man page ${page}"
      VERBATIM)
    list(APPEND man_pages ${output})
    install(FILES ${output} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(man_pages ALL DEPENDS ${man_pages})
endif()

# Completions: the names and places each shell's own completion loader looks for (bash-completion loads
# completions/COMMAND on demand; Debian's zsh has vendor-completions in its fpath; fish reads vendor_completions.d).
set(completion_dir ${PROJECT_BINARY_DIR}/completions)
set(completions)
foreach(shell_file bash:elfrun zsh:_elfrun fish:elfrun.fish)
  string(REPLACE ":" ";" shell_file "${shell_file}")
  list(GET shell_file 0 shell)
  list(GET shell_file 1 file)
  add_custom_command(
    OUTPUT ${completion_dir}/${shell}/${file}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${completion_dir}/${shell}
    COMMAND ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:elfrun> completion ${shell}
            > ${completion_dir}/${shell}/${file}
    DEPENDS elfrun
    COMMENT "Generating the ${shell} completion from elfrun's command definitions"
    VERBATIM)
  list(APPEND completions ${completion_dir}/${shell}/${file})
endforeach()
add_custom_target(completions ALL DEPENDS ${completions})
install(FILES ${completion_dir}/bash/elfrun DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${completion_dir}/zsh/_elfrun DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${completion_dir}/fish/elfrun.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
