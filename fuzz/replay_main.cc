// fuzz_replay: runs the fuzz entry point over every file of the given files and directories (fuzz/corpus under
// ctest), so that the corpus, the malformed cases and every past crash are replayed by each build, sanitized or not.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    std::error_code error;
    if (fs::is_directory(argv[i], error)) {
      for (const auto& entry : fs::recursive_directory_iterator(argv[i])) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else if (fs::is_regular_file(argv[i], error)) {
      files.emplace_back(argv[i]);
    } else {
      std::fprintf(stderr, "fuzz_replay: %s: no such file or directory\n", argv[i]);
      return 1;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "fuzz_replay: no input files (an empty corpus replays nothing)\n");
    return 1;
  }
  for (const fs::path& path : files) {
    std::ifstream stream(path, std::ios::binary);
    std::error_code error;
    uintmax_t size = fs::file_size(path, error);
    // A buffer of exactly the file's size, so that a sanitizer sees any read past its end.
    std::unique_ptr<uint8_t[]> bytes(new uint8_t[size == 0 ? 1 : size]);
    if (error || !stream.read(reinterpret_cast<char*>(bytes.get()), static_cast<std::streamsize>(size))) {
      std::fprintf(stderr, "fuzz_replay: %s: cannot be read\n", path.c_str());
      return 1;
    }
    LLVMFuzzerTestOneInput(bytes.get(), static_cast<size_t>(size));
  }
  std::printf("fuzz_replay: %zu inputs replayed\n", files.size());
  return 0;
}
