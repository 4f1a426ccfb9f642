#include <gtest/gtest.h>

#include "base/strings.hpp"
#include "base/text.hpp"

namespace gpunb::base {

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

TEST(Strings, FormEncodeWritesASpaceAsPlusAndEveryOtherReservedBytePercentEncoded) {
  EXPECT_EQ(form_encode("a b/c:d*e~f+g=h&i_j-k.l"), "a+b%2Fc%3Ad%2Ae~f%2Bg%3Dh%26i_j-k.l");
  EXPECT_EQ(form_encode("\xc3\xa9\xe2\x82\xac"), "%C3%A9%E2%82%AC");
  EXPECT_EQ(form_encode(""), "");
}

TEST(Strings, PrintableEscapesTerminalControlsAndKeepsUtf8Names) {
  EXPECT_EQ(printable("plain caf\xc3\xa9 \xe6\x97\xa5.ipynb"),
            "plain caf\xc3\xa9 \xe6\x97\xa5.ipynb");
  EXPECT_EQ(printable("a\x1b]0;pwned\x07z"), "a\\x1b]0;pwned\\x07z");
  EXPECT_EQ(printable("x\ny\r\tz\x7f"), "x\\x0ay\\x0d\\x09z\\x7f");
  EXPECT_EQ(printable("x\ny\tz", true), "x\ny\tz");
  EXPECT_EQ(printable("\xc2\x9b"
                      "2J"),
            "\\u009b2J");                                               // C1 CSI
  EXPECT_EQ(printable("abc\xe2\x80\xaegpj.exe"), "abc\\u202egpj.exe");  // right-to-left override
  EXPECT_EQ(printable("\xff\xc3(\xed\xa0\x80"), "\\xff\\xc3(\\xed\\xa0\\x80");  // not UTF-8
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");                               // overlong '/'
  EXPECT_EQ(printable("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
}

TEST(Strings, HtmlEscapeLeavesNoMarkup) {
  EXPECT_EQ(html_escape("a\"><script>x('y')</script>&"),
            "a&quot;&gt;&lt;script&gt;x(&#39;y&#39;)&lt;/script&gt;&amp;");
}

}  // namespace gpunb::base
