#include "base/hash.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cstdlib>
#include <stdexcept>

#include "base/strings.hpp"

namespace gpunb::base {
namespace {

const EVP_MD* algorithm(Hash::Kind kind) {
  return kind == Hash::Kind::md5 ? EVP_md5() : EVP_sha256();
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
// two hashes, so the process stops. MD5 may be forbidden by the machine's OpenSSL configuration
// (FIPS): its hash is then "", which no expected ETag equals, so that download is refused.
void Hash::fail() {
  if (kind_ == Kind::sha256) std::abort();
  context_.reset();
}

void Hash::update(const void* data, size_t size) {
  if (context_ && EVP_DigestUpdate(context_.get(), data, size) != 1) fail();
}

std::string Hash::digest() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> bytes{};
  unsigned int size = 0;
  if (!context_ || EVP_DigestFinal_ex(context_.get(), bytes.data(), &size) != 1) fail();
  context_.reset();  // a second call fails as above, never giving the hash of nothing
  return {reinterpret_cast<const char*>(bytes.data()), size};
}

std::string Hash::hex_digest() {
  return hex(digest());
}

std::string sha256(std::string_view data) {
  Hash hash;
  hash.update(data);
  return hash.digest();
}

std::string sha256_hex(std::string_view data) {
  return hex(sha256(data));
}

std::string md5_hex(std::string_view data) {
  Hash hash(Hash::Kind::md5);
  hash.update(data);
  return hash.hex_digest();
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string mac(EVP_MAX_MD_SIZE, '\0');
  unsigned length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(mac.data()), &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  mac.resize(length);
  return mac;
}

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  // No randomness: never fall back to a weak token or temp name.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    std::abort();
  return hex(raw);
}

}  // namespace gpunb::base
