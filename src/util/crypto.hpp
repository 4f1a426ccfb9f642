// Hashes and MACs (OpenSSL). Results are raw bytes; use util::hex for text.
#pragma once

#include <string>
#include <string_view>

namespace gpunb::util {

std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string random_hex(size_t bytes);  // cryptographically random

}  // namespace gpunb::util
