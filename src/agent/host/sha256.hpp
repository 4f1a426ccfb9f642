// SHA-256 (FIPS 180-4) for the agent: a portable implementation, and the x86 SHA extensions when
// the CPU has them (checked once at run time). It predates the agent's OpenSSL (now linked for TLS
// and MD5) and is kept: it is as fast and needs no EVP context per file.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gpunb::agent {

class Sha256 {
 public:
  // USE_CPU_EXTENSIONS false: the portable code only (tests compare both).
  explicit Sha256(bool use_cpu_extensions = true);
  static bool has_cpu_extensions();
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  std::string hex_digest();  // finishes the hash: call once

 private:
  void blocks(const std::uint8_t* data, size_t count);  // COUNT whole 64-byte blocks

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  std::uint64_t length_ = 0;  // bytes hashed so far
  bool accelerated_ = false;
};

std::string sha256_hex(std::string_view data);

}  // namespace gpunb::agent
