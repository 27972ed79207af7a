// The C++ probe of fetch_trixie_programs.sh: linked against trixie's libstdc++ it needs GLIBCXX_3.4.32 (GCC 13's
// std::ios_base_library_init), which bookworm's libstdc++ (GCC 12, up to GLIBCXX_3.4.30) lacks.
#include <cstring>
#include <iostream>

namespace std {
void ios_base_library_init();
}

int main(int argc, char** argv) {
  void (*volatile init)() = &std::ios_base_library_init;  // a reference, not a call: the version need is the point
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::cout << "cxx-probe 1.0 (" << (init ? "GLIBCXX_3.4.32" : "none") << ")\n";
  }
  return 0;
}
