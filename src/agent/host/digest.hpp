// Streaming hashes for the agent over OpenSSL's EVP (libcrypto is linked anyway, for TLS): SHA-256
// for files and downloads, MD5 for S3's single-part ETags. util/crypto is the CLI's; the agent
// cannot link util/ (fmt), so this is the agent's one wrapper.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace gpunb::agent {

class Hash {
 public:
  enum class Kind { sha256, md5 };
  explicit Hash(Kind kind = Kind::sha256);
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Finishes the hash: call once. "" for an MD5 that OpenSSL refused (see digest.cpp).
  std::string hex_digest();

 private:
  void fail();

  struct Free {
    void operator()(EVP_MD_CTX* context) const;
  };
  Kind kind_;
  std::unique_ptr<EVP_MD_CTX, Free> context_;
};

std::string sha256_hex(std::string_view data);
std::string md5_hex(std::string_view data);

}  // namespace gpunb::agent
