// SHA-256 (FIPS 180-4), for the bundle's content deduplication and the sh format's cache directory name.
// Our own ~100 lines rather than OpenSSL, nettle or gcrypt: any of those would be one more shared library to link
// statically (the static preset) and to install for i386 (the i386 preset), for one hash over a few megabytes.
// Checked against the NIST example vectors in tests/unit/bundle_sha256_test.cc.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace elfrun {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view bytes);
  std::array<uint8_t, 32> finish();  // the object is spent afterwards

 private:
  void compress(const uint8_t* block);
  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// The digest of `bytes` as 64 lower-case hex digits.
std::string sha256_hex(std::string_view bytes);

}  // namespace elfrun
