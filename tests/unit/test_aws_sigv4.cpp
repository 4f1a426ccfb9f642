// SigV4 against AWS's published test vectors (tests/unit/data/sigv4, sources in its README) and
// against botocore, run as /usr/bin/python3 tests/unit/sigv4_botocore.py.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "aws/sigv4.hpp"
#include "aws/url.hpp"
#include "util/crypto.hpp"
#include "util/strings.hpp"

namespace gpunb::aws {
namespace {

const std::filesystem::path kData = std::filesystem::path(GPUNB_SOURCE_DIR) / "tests/unit/data/sigv4";
const Credentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const Credentials kS3DocCredentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const std::string kEmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::chrono::system_clock::time_point at_unix(std::int64_t seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}
const auto kSuiteTime = at_unix(1440938160);  // 2015-08-30T12:36:00Z
const auto kS3DocTime = at_unix(1369353600);  // 2013-05-24T00:00:00Z

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A request as the suite writes it: "METHOD PATH HTTP/1.1", "Name:value" lines, a blank line, the
// body. An indented line continues the header above; it is kept as one more value of that header,
// which is how the suite's get-header-value-multiline canonicalises ("value1,value2,value3").
net::HttpRequest parse_request(const std::string& text, const std::string& host_for_url) {
  auto head_end = text.find("\n\n");
  auto lines = util::split(text.substr(0, head_end), '\n');
  auto request_line = lines.front();
  auto first_space = request_line.find(' ');
  auto last_space = request_line.rfind(' ');
  net::HttpRequest request;
  request.method = request_line.substr(0, first_space);
  request.url = "https://" + host_for_url + request_line.substr(first_space + 1, last_space - first_space - 1);
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    if (lines[i].front() == ' ') {
      request.headers.emplace_back(request.headers.back().first, util::trim(lines[i]));
      continue;
    }
    auto colon = lines[i].find(':');
    request.headers.emplace_back(lines[i].substr(0, colon), lines[i].substr(colon + 1));
  }
  if (head_end != std::string::npos) request.body = text.substr(head_end + 2);
  return request;
}

std::string authorization_of(const net::HttpRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (name == "Authorization") return value;
  }
  return {};
}

struct SuiteCase {
  std::string name;
  std::string token;  // session token from the case's context
};

// Every case of the suite that a signer which always signs X-Amz-Security-Token can reproduce
// (post-sts-header-after adds the token after signing; post-vanilla-query-space and
// -nonunreserved are not valid HTTP; get-vanilla-query and post-header-key-case are copies).
std::vector<SuiteCase> suite_cases() {
  std::vector<SuiteCase> cases;
  for (const auto& entry : std::filesystem::directory_iterator(kData)) {
    auto path = entry.path();
    if (path.extension() != ".req" || path.stem().string().starts_with("botocore-")) continue;
    cases.push_back({path.stem().string(), ""});
    if (cases.back().name == "get-vanilla-with-session-token") {
      cases.back().token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    }
  }
  std::sort(cases.begin(), cases.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return cases;
}

struct Signed {
  std::string canonical_request;
  std::string string_to_sign;
  std::string authorization;
};

// Signs with the detail:: steps, for what sign() does not offer: the suite's "-unnormalized" cases
// (S3's as-sent path under service "service") and botocore's 2011 cases (signed Date, no X-Amz-Date).
Signed sign_by_hand(const net::HttpRequest& request, const Credentials& credentials, const std::string& amz_date,
                    const SigningScope& scope, bool as_sent) {
  std::set<std::string> names;
  for (const auto& header : request.headers) names.insert(util::to_lower(header.first));
  auto signed_headers = util::join({names.begin(), names.end()}, ";");
  auto date = amz_date.substr(0, 8);
  auto scope_text = date + "/" + scope.region + "/" + scope.service + "/aws4_request";
  Signed out;
  out.canonical_request =
      detail::canonical_request(request, signed_headers, util::hex(util::sha256(request.body)), as_sent);
  out.string_to_sign = detail::string_to_sign(amz_date, scope_text, out.canonical_request);
  auto key = util::hmac_sha256("AWS4" + credentials.secret_access_key, date);
  for (const auto& part : {scope.region, scope.service, std::string("aws4_request")}) key = util::hmac_sha256(key, part);
  out.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope_text +
                      ", SignedHeaders=" + signed_headers +
                      ", Signature=" + util::hex(util::hmac_sha256(key, out.string_to_sign));
  return out;
}

TEST(Sigv4Suite, AuthorizationMatchesEveryPublishedVector) {
  auto cases = suite_cases();
  ASSERT_GE(cases.size(), 30U);
  for (const auto& test : cases) {
    SCOPED_TRACE(test.name);
    auto request = parse_request(read_text(kData / (test.name + ".req")), "example.amazonaws.com");
    auto credentials = kSuiteCredentials;
    credentials.session_token = test.token;
    auto expected = read_text(kData / (test.name + ".authz"));
    if (test.name.ends_with("-unnormalized")) {
      // Signed as S3 signs: the path as sent, which a client sends percent-encoded once.
      auto parts = split_url(request.url);
      request.url = "https://" + parts.host + util::uri_encode(parts.path, true);
      auto by_hand = sign_by_hand(request, credentials, "20150830T123600Z", {"us-east-1", "service"}, true);
      EXPECT_EQ(by_hand.authorization, expected);
      continue;
    }
    sign(request, credentials, {"us-east-1", "service"}, kSuiteTime);
    EXPECT_EQ(authorization_of(request), expected);
  }
}

TEST(Sigv4Suite, BotocoreDoubleEncodingCasesMatchCanonicalRequestStringToSignAndAuthorization) {
  const Credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  for (const std::string name : {"botocore-get-space", "botocore-get-utf8"}) {
    SCOPED_TRACE(name);
    auto request = parse_request(read_text(kData / (name + ".req")), "host.foo.com");
    auto by_hand = sign_by_hand(request, credentials, "20110909T233600Z", {"us-east-1", "host"}, false);
    EXPECT_EQ(by_hand.canonical_request, read_text(kData / (name + ".creq")));
    EXPECT_EQ(by_hand.string_to_sign, read_text(kData / (name + ".sts")));
    EXPECT_EQ(by_hand.authorization, read_text(kData / (name + ".authz")));
  }
}

TEST(Sigv4Suite, FormBodyCanonicalRequestAndStringToSign) {
  auto request = parse_request(read_text(kData / "post-x-www-form-urlencoded.req"), "example.amazonaws.com");
  auto canonical = detail::canonical_request(request, "content-type;host;x-amz-date",
                                             util::hex(util::sha256(request.body)), false);
  EXPECT_EQ(canonical,
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  auto to_sign = detail::string_to_sign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", canonical);
  EXPECT_EQ(to_sign, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" +
                         util::hex(util::sha256(canonical)));
}

TEST(Sigv4Suite, AmzDateIsUtcBasicFormat) {
  EXPECT_EQ(detail::amz_date(kSuiteTime), "20150830T123600Z");
  EXPECT_EQ(detail::amz_date(kS3DocTime), "20130524T000000Z");
}

// The examples of the S3 documentation ("Signature Calculations for the Authorization Header").
struct S3DocCase {
  std::string method, url;
  net::Headers headers;
  std::string body, signature;
};

TEST(Sigv4S3Docs, HeaderExamplesMatch) {
  const std::string host = "https://examplebucket.s3.amazonaws.com";
  const std::vector<S3DocCase> cases = {
      {"GET", host + "/test.txt", {{"Range", "bytes=0-9"}}, "",
       "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
      {"PUT", host + "/test%24file.text",
       {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
       "Welcome to Amazon S3.", "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
      {"GET", host + "/?lifecycle", {}, "", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
      {"GET", host + "/?max-keys=2&prefix=J", {}, "",
       "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
  };
  for (const auto& doc : cases) {
    SCOPED_TRACE(doc.method + " " + doc.url);
    net::HttpRequest request{doc.method, doc.url, doc.headers, doc.body, {}};
    sign(request, kS3DocCredentials, {"us-east-1", "s3"}, kS3DocTime, true);
    auto authorization = authorization_of(request);
    EXPECT_EQ(authorization.substr(authorization.rfind('=') + 1), doc.signature);
  }
}

TEST(Sigv4S3Docs, PresignedGetMatchesTheDocumentedUrl) {
  auto url = presign("GET", "https://examplebucket.s3.amazonaws.com/test.txt", kS3DocCredentials, {"us-east-1", "s3"},
                     kS3DocTime, 86400);
  EXPECT_EQ(url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(Sigv4Sign, AddsHostDateTokenAndPayloadHeaders) {
  net::HttpRequest request{"GET", "https://Bucket.s3.amazonaws.com:443/k", {}, {}, {}};
  sign(request, {"AKID", "secret", "token/+="}, {"us-east-1", "s3"}, kSuiteTime, true);
  std::map<std::string, std::string> headers(request.headers.begin(), request.headers.end());
  EXPECT_EQ(headers["Host"], "bucket.s3.amazonaws.com");
  EXPECT_EQ(headers["X-Amz-Date"], "20150830T123600Z");
  EXPECT_EQ(headers["X-Amz-Security-Token"], "token/+=");
  EXPECT_EQ(headers["X-Amz-Content-SHA256"], kEmptyHash);
  EXPECT_NE(headers["Authorization"].find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
            std::string::npos);
}

}  // namespace
}  // namespace gpunb::aws
