#include <cstring>
#include <iostream>
namespace std { void ios_base_library_init(); }
int main(int argc, char** argv) {
  void (*volatile init)() = &std::ios_base_library_init;  // GLIBCXX_3.4.32 (GCC 13): bookworm's libstdc++ lacks it
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) std::cout << "cxx-probe 1.0 (" << (init ? "GLIBCXX_3.4.32" : "none") << ")\n";
  return 0;
}
