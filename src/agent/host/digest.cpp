#include "agent/host/digest.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdlib>

namespace gpunb::agent {

namespace {

const EVP_MD* algorithm(Hash::Kind kind) {
  return kind == Hash::Kind::md5 ? EVP_md5() : EVP_sha256();
}

std::string hex(const unsigned char* bytes, unsigned int size) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(size_t{size} * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

}  // namespace

void Hash::Free::operator()(EVP_MD_CTX* context) const {
  EVP_MD_CTX_free(context);
}

Hash::Hash(Kind kind) : kind_(kind), context_(EVP_MD_CTX_new()) {
  if (!context_ || EVP_DigestInit_ex(context_.get(), algorithm(kind), nullptr) != 1) fail();
}

// SHA-256 fails only without memory or with a broken libcrypto (every provider, FIPS included,
// has it): no file or download can be verified then, and "" would pass the checks that compare
// two hashes, so the agent stops. MD5 may be forbidden by the machine's OpenSSL configuration
// (FIPS): its hash is then "", which no expected ETag equals, so that download is refused.
void Hash::fail() {
  if (kind_ == Kind::sha256) std::abort();
  context_.reset();
}

void Hash::update(const void* data, size_t size) {
  if (context_ && EVP_DigestUpdate(context_.get(), data, size) != 1) fail();
}

std::string Hash::hex_digest() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (!context_ || EVP_DigestFinal_ex(context_.get(), digest.data(), &size) != 1) fail();
  context_.reset();  // a second call fails as above, never giving the hash of nothing
  return size > 0 ? hex(digest.data(), size) : std::string();
}

std::string sha256_hex(std::string_view data) {
  Hash hash;
  hash.update(data);
  return hash.hex_digest();
}

std::string md5_hex(std::string_view data) {
  Hash hash(Hash::Kind::md5);
  hash.update(data);
  return hash.hex_digest();
}

}  // namespace gpunb::agent
