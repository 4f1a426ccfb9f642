// base's hashes (OpenSSL EVP), used by both binaries: published vectors, and a stream fed in odd
// pieces gives the digest of the whole.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <random>
#include <string>

#include "base/hash.hpp"

namespace gpunb::base {
namespace {

const std::string kMillionA(1'000'000, 'a');

// Feeds DATA to HASH in pieces of the sizes in turn: none a multiple of the 64-byte block.
std::string hex_in_pieces(Hash hash, std::string_view data) {
  static constexpr size_t kPieces[] = {1, 3, 7, 55, 63, 65, 127, 4097, 65537};
  for (size_t at = 0, i = 0; at < data.size(); ++i) {
    size_t take = std::min(kPieces[i % std::size(kPieces)], data.size() - at);
    hash.update(data.data() + at, take);
    at += take;
  }
  return hash.hex_digest();
}

TEST(BaseHash, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(kMillionA),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(BaseHash, Md5KnownVectors) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_hex(kMillionA), "7707d6ae4e027c70eea2a935c2296f21");
}

TEST(BaseHash, AMegabyteFedInOddPiecesHashesAsTheWhole) {
  EXPECT_EQ(hex_in_pieces(Hash(), kMillionA),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(hex_in_pieces(Hash(Hash::Kind::md5), kMillionA), "7707d6ae4e027c70eea2a935c2296f21");
  std::mt19937 random(7);
  std::string data(1 << 20, '\0');
  for (char& c : data) c = static_cast<char>(random());
  EXPECT_EQ(hex_in_pieces(Hash(), data), sha256_hex(data));
  EXPECT_EQ(hex_in_pieces(Hash(Hash::Kind::md5), data), md5_hex(data));
  EXPECT_NE(sha256_hex(data), sha256_hex(data.substr(1)));
}

// A finished SHA-256 has nothing more to give: "" would pass a check that compares two hashes.
TEST(AgentDigestDeathTest, Sha256FinishedTwiceStopsInsteadOfGivingAnEmptyHash) {
  Hash hash;
  EXPECT_EQ(hash.hex_digest(), sha256_hex(""));
  EXPECT_DEATH(hash.hex_digest(), "");
}

}  // namespace
}  // namespace gpunb::base
