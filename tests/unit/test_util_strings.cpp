#include <gtest/gtest.h>

#include "util/strings.hpp"

namespace gpunb::util {

TEST(Strings, UriEncodeKeepsUnreservedOnly) {
  EXPECT_EQ(uri_encode("a b/c~d_e-f.g*"), "a%20b%2Fc~d_e-f.g%2A");
  EXPECT_EQ(uri_encode("a b/c", true), "a%20b/c");
  EXPECT_EQ(uri_encode("\xc3\xa9"), "%C3%A9");
}

TEST(Strings, UriDecodeRoundTrips) {
  EXPECT_EQ(uri_decode("a%20b%2Fc+d"), "a b/c d");
  EXPECT_EQ(uri_decode("100%"), "100%");
}

TEST(Strings, Base64Decode) {
  EXPECT_EQ(base64_decode("aGVsbG8gd29ybGQ=\n"), "hello world");
}

TEST(Strings, SplitAndTrim) {
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(trim("  x y \n"), "x y");
}

}  // namespace gpunb::util
