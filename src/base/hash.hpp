// Hashes, MACs and random bytes, all through OpenSSL (EVP; libcrypto is in both binaries anyway).
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace gpunb::base {

// A streaming hash: SHA-256 for files and downloads, MD5 for S3's single-part ETags.
class Hash {
 public:
  enum class Kind { sha256, md5 };
  explicit Hash(Kind kind = Kind::sha256);
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Finishes the hash (call once): lower-case hex. "" for an MD5 that OpenSSL refused.
  std::string hex_digest();
  std::string digest();  // the same, raw bytes

 private:
  void fail();

  struct Free {
    void operator()(EVP_MD_CTX* context) const;
  };
  Kind kind_;
  std::unique_ptr<EVP_MD_CTX, Free> context_;
};

std::string sha256(std::string_view data);  // raw bytes; base::hex for text
std::string sha256_hex(std::string_view data);
std::string md5_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw bytes
std::string random_hex(size_t bytes);                                  // cryptographically random

}  // namespace gpunb::base
