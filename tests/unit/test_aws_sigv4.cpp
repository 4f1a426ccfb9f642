// SigV4 against AWS's published test vectors (tests/unit/data/sigv4, sources in its README) and
// against botocore, run as /usr/bin/python3 tests/unit/sigv4_botocore.py.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "aws/sigv4.hpp"
#include "aws/url.hpp"
#include "base/hash.hpp"
#include "base/strings.hpp"
#include "botocore_script.hpp"

namespace gpunb::aws {
namespace {

const std::filesystem::path kData =
    std::filesystem::path(GPUNB_SOURCE_DIR) / "tests/unit/data/sigv4";
const Credentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const Credentials kS3DocCredentials{"AKIAIOSFODNN7EXAMPLE",
                                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
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
  auto lines = base::split(text.substr(0, head_end), '\n');
  auto request_line = lines.front();
  auto first_space = request_line.find(' ');
  auto last_space = request_line.rfind(' ');
  net::HttpRequest request;
  request.method = request_line.substr(0, first_space);
  request.url = "https://" + host_for_url +
                request_line.substr(first_space + 1, last_space - first_space - 1);
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    if (lines[i].front() == ' ') {
      request.headers.emplace_back(request.headers.back().first, base::trim(lines[i]));
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
  std::sort(cases.begin(), cases.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return cases;
}

struct Signed {
  std::string canonical_request;
  std::string string_to_sign;
  std::string authorization;
};

// Signs with the detail:: steps, for what sign() does not offer: the suite's "-unnormalized" cases
// (S3's as-sent path under service "service") and botocore's 2011 cases (signed Date, no
// X-Amz-Date).
Signed sign_by_hand(const net::HttpRequest& request, const Credentials& credentials,
                    const std::string& amz_date, const SigningScope& scope, bool as_sent) {
  std::set<std::string> names;
  for (const auto& header : request.headers) names.insert(base::to_lower(header.first));
  auto signed_headers = base::join({names.begin(), names.end()}, ";");
  auto date = amz_date.substr(0, 8);
  auto scope_text = date + "/" + scope.region + "/" + scope.service + "/aws4_request";
  Signed out;
  out.canonical_request = detail::canonical_request(request, signed_headers,
                                                    base::hex(base::sha256(request.body)), as_sent);
  out.string_to_sign = detail::string_to_sign(amz_date, scope_text, out.canonical_request);
  auto key = base::hmac_sha256("AWS4" + credentials.secret_access_key, date);
  for (const auto& part : {scope.region, scope.service, std::string("aws4_request")})
    key = base::hmac_sha256(key, part);
  out.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" +
                      scope_text + ", SignedHeaders=" + signed_headers +
                      ", Signature=" + base::hex(base::hmac_sha256(key, out.string_to_sign));
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
      request.url = "https://" + parts.host + base::uri_encode(parts.path, true);
      auto by_hand =
          sign_by_hand(request, credentials, "20150830T123600Z", {"us-east-1", "service"}, true);
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
    auto by_hand =
        sign_by_hand(request, credentials, "20110909T233600Z", {"us-east-1", "host"}, false);
    EXPECT_EQ(by_hand.canonical_request, read_text(kData / (name + ".creq")));
    EXPECT_EQ(by_hand.string_to_sign, read_text(kData / (name + ".sts")));
    EXPECT_EQ(by_hand.authorization, read_text(kData / (name + ".authz")));
  }
}

TEST(Sigv4Suite, FormBodyCanonicalRequestAndStringToSign) {
  auto request =
      parse_request(read_text(kData / "post-x-www-form-urlencoded.req"), "example.amazonaws.com");
  auto canonical = detail::canonical_request(request, "content-type;host;x-amz-date",
                                             base::hex(base::sha256(request.body)), false);
  EXPECT_EQ(
      canonical,
      "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  auto to_sign = detail::string_to_sign("20150830T123600Z",
                                        "20150830/us-east-1/service/aws4_request", canonical);
  EXPECT_EQ(to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" +
                base::hex(base::sha256(canonical)));
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
      {"GET",
       host + "/test.txt",
       {{"Range", "bytes=0-9"}},
       "",
       "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
      {"PUT",
       host + "/test%24file.text",
       {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
       "Welcome to Amazon S3.",
       "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
      {"GET",
       host + "/?lifecycle",
       {},
       "",
       "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
      {"GET",
       host + "/?max-keys=2&prefix=J",
       {},
       "",
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
  auto url = presign("GET", "https://examplebucket.s3.amazonaws.com/test.txt", kS3DocCredentials,
                     {"us-east-1", "s3"}, kS3DocTime, 86400);
  EXPECT_EQ(url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

// EC2 checks a presigned Query API call against the hash of its (empty) body, not S3's
// UNSIGNED-PAYLOAD; the expected URL is botocore's SigV4QueryAuth with that payload hash.
TEST(Ec2Presign, SignsTheEmptyBodyHashAsEc2Requires) {
  auto url = presign("GET",
                     "https://ec2.us-east-1.amazonaws.com/?Action=TerminateInstances&Version="
                     "2016-11-15&InstanceId.1=i-0123456789abcdef0",
                     {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""},
                     {"us-east-1", "ec2"}, kSuiteTime, 604800);
  auto at = url.find("&X-Amz-Signature=");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(url.substr(at + 17),
            "4e4cc4d2d32b892653b82076f7fe884d79e62ac0b3a59c0e945ed111b741a8ca");
  EXPECT_NE(url.find("X-Amz-Expires=604800&"), std::string::npos);
}

TEST(Sigv4Sign, AddsHostDateTokenAndPayloadHeaders) {
  net::HttpRequest request{"GET", "https://Bucket.s3.amazonaws.com:443/k", {}, {}, {}};
  sign(request, {"AKID", "secret", "token/+="}, {"us-east-1", "s3"}, kSuiteTime, true);
  std::map<std::string, std::string> headers(request.headers.begin(), request.headers.end());
  EXPECT_EQ(headers["Host"], "bucket.s3.amazonaws.com");
  EXPECT_EQ(headers["X-Amz-Date"], "20150830T123600Z");
  EXPECT_EQ(headers["X-Amz-Security-Token"], "token/+=");
  EXPECT_EQ(headers["X-Amz-Content-SHA256"], kEmptyHash);
  EXPECT_NE(headers["Authorization"].find(
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
            std::string::npos);
}

// ---- botocore cross-check ----------------------------------------------------------------

bool botocore_available() {
  return std::system("/usr/bin/python3 -c 'import botocore.auth' >/dev/null 2>&1") == 0;  // NOLINT
}

struct BotoCase {
  net::HttpRequest request;  // unsigned
  Credentials credentials;
  SigningScope scope;
  std::int64_t timestamp = 0;
  int expires = 0;  // presign only
};

// Requests as a correct client sends them: paths and queries percent-encoded (queries with
// SigV4's own encoding, paths sometimes leaving RFC 3986 sub-delimiters raw), deterministic.
class RequestMaker {
 public:
  explicit RequestMaker(std::uint32_t seed) : rng_(seed) {}
  BotoCase make(bool s3, bool unique_keys = false);
  BotoCase make_presign();

 private:
  size_t pick(size_t count) { return rng_() % count; }
  bool chance(unsigned percent) { return rng_() % 100 < percent; }
  template <typename T>
  const T& choose(const std::vector<T>& items) {
    return items[pick(items.size())];
  }
  std::string text(std::string_view alphabet, size_t length);
  std::string path_segment();
  std::string path(size_t max_segments);
  std::string query(bool unique_keys);
  net::Headers headers(bool s3);
  std::string origin(bool s3, const std::string& region);
  Credentials credentials();
  void body(BotoCase& out, bool s3);

  std::mt19937 rng_;
};

std::string RequestMaker::text(std::string_view alphabet, size_t length) {
  std::string out;
  for (size_t i = 0; i < length; ++i) out += alphabet[pick(alphabet.size())];
  return out;
}

// Leaves sub-delimiters (allowed raw in a path) as they are, encodes the rest.
std::string encode_path_lightly(const std::string& segment) {
  std::string out;
  for (char c : segment) {
    std::string one(1, c);
    out += std::string_view("!$&'()*+,;=:@").find(c) != std::string_view::npos
               ? one
               : base::uri_encode(one);
  }
  return out;
}

std::string RequestMaker::path_segment() {
  static const std::vector<std::string> raw = {"a",
                                               "Key",
                                               "photos",
                                               "\xC3\xA9t\xC3\xA9 2013",
                                               "\xE1\x88\xB4",
                                               "with space",
                                               "a+b",
                                               "x=y",
                                               "50%",
                                               "semi;c",
                                               "comma,",
                                               "at@",
                                               "colon:",
                                               "bang!",
                                               "dollar$",
                                               "paren(1)",
                                               "star*",
                                               "q'uote",
                                               "tilde~",
                                               "under_score",
                                               "dot.ext",
                                               ".",
                                               "..",
                                               "",
                                               "\xE6\x97\xA5\xE6\x9C\xAC",
                                               "%41",
                                               "q?#",
                                               "a/b",
                                               "-._~",
                                               "UPPER"};
  const auto& segment = choose(raw);
  if (segment == "." || segment == "..") return segment;
  return chance(50) ? base::uri_encode(segment) : encode_path_lightly(segment);
}

std::string RequestMaker::path(size_t max_segments) {
  std::string out;
  auto count = pick(max_segments + 1);
  for (size_t i = 0; i < count; ++i) out += "/" + path_segment();
  if (out.empty() || chance(20)) out += "/";
  return out;
}

// Repeated keys, empty values and bare keys ("?acl") included; botocore's presigner keeps only the
// first of repeated keys, so presign cases ask for unique ones.
std::string RequestMaker::query(bool unique_keys) {
  static const std::vector<std::string> keys = {"Action",
                                                "Version",
                                                "Filter.1.Name",
                                                "key with space",
                                                "\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87",
                                                "a+b",
                                                "x=y",
                                                "&amp",
                                                "",
                                                "UPPER",
                                                "lower",
                                                "\xC3\xA9",
                                                "~t",
                                                "slash/",
                                                "q?"};
  static const std::vector<std::string> values = {
      "",     "v",     "value with space", "a&b=c",  "+plus+", "\xE1\x88\xB4",
      "100%", "a/b/c", "Value1",           "value1", "~-._",   "*"};
  std::vector<std::string> items;
  std::set<std::string> used;
  auto count = pick(6);
  for (size_t i = 0; i < count; ++i) {
    auto key = base::uri_encode(choose(keys));
    if (unique_keys && !used.insert(key).second) continue;
    if (!key.empty() && chance(15)) {
      items.push_back(key);  // a key alone, as S3's "?acl"
    } else {
      items.push_back(key + "=" + base::uri_encode(choose(values)));
    }
  }
  return base::join(items, "&");
}

net::Headers RequestMaker::headers(bool s3) {
  static const std::vector<std::string> names = {
      "Content-Type", "X-Amz-Meta-Color", "x-amz-meta-color", "X-Custom",
      "Range",        "Cache-Control",    "X-Amz-Target",     "Content-Language"};
  static const std::vector<std::string> values = {
      "text/plain",         "  padded  ", "a   b\tc",           "",     "bytes=0-9",
      "no-cache, no-store", "tab\there",  "\"quoted   value\"", "UPPER"};
  net::Headers out;
  auto count = pick(s3 ? 5 : 3);
  for (size_t i = 0; i < count; ++i) out.emplace_back(choose(names), choose(values));
  return out;
}

std::string RequestMaker::origin(bool s3, const std::string& region) {
  if (s3) {
    const std::vector<std::string> hosts = {
        "https://my-bucket.s3." + region + ".amazonaws.com",
        "https://s3." + region + ".amazonaws.com/path.style.bucket", "http://localhost:9000/bucket",
        "https://My-Bucket.S3.amazonaws.com:443"};
    return choose(hosts);
  }
  const std::vector<std::string> hosts = {"https://ec2." + region + ".amazonaws.com",
                                          "http://localhost:4566", "https://EC2.Example.COM:8443",
                                          "http://[::1]:8080", "https://127.0.0.1"};
  return choose(hosts);
}

Credentials RequestMaker::credentials() {
  constexpr std::string_view upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  constexpr std::string_view base64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  Credentials out{"AKIA" + text(upper, 16), text(base64, 40), ""};
  if (chance(40)) out.session_token = text(base64, 40 + pick(200)) + "==";
  return out;
}

void RequestMaker::body(BotoCase& out, bool s3) {
  auto& request = out.request;
  if (!s3 && request.method == "POST") {
    request.headers.emplace_back("Content-Type",
                                 "application/x-www-form-urlencoded; charset=utf-8");
    request.body =
        "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=" +
        base::uri_encode(text("ab c+/=\xC3\xA9", pick(20)));
  } else if (request.method == "PUT" || request.method == "POST" || chance(10)) {
    for (auto length = pick(64); length > 0; --length)
      request.body += static_cast<char>(rng_() & 0xFFU);
  }
}

BotoCase RequestMaker::make(bool s3, bool unique_keys) {
  static const std::vector<std::string> methods = {"GET", "POST", "PUT", "DELETE", "HEAD"};
  static const std::vector<std::string> regions = {"us-east-1", "eu-west-2", "ap-southeast-1",
                                                   "us-gov-west-1", "cn-north-1"};
  BotoCase out;
  out.scope = {choose(regions), s3 ? "s3" : "ec2"};
  out.request.method = choose(methods);
  auto query_text = query(unique_keys);
  out.request.url = origin(s3, out.scope.region) + path(s3 ? 4 : 3) +
                    (query_text.empty() ? "" : "?" + query_text);
  out.request.headers = headers(s3);
  body(out, s3);
  out.credentials = credentials();
  out.timestamp = 1400000000 + static_cast<std::int64_t>(pick(500000000));
  return out;
}

BotoCase RequestMaker::make_presign() {
  auto out = make(true, true);
  out.request.method = chance(70) ? "GET" : "PUT";
  out.request.headers.clear();
  out.request.body.clear();
  out.expires = static_cast<int>(1 + pick(604800));
  return out;
}

nlohmann::json to_json(const BotoCase& test) {
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [name, value] : test.request.headers) headers.push_back({name, value});
  return {{"method", test.request.method},
          {"url", test.request.url},
          {"headers", headers},
          {"body_hex", base::hex(test.request.body)},
          {"region", test.scope.region},
          {"service", test.scope.service},
          {"timestamp", test.timestamp},
          {"access_key", test.credentials.access_key_id},
          {"secret_key", test.credentials.secret_access_key},
          {"token", test.credentials.session_token},
          {"expires", test.expires}};
}

// Runs the script on `input`; the JSON it prints.
nlohmann::json run_botocore(const nlohmann::json& input) {
  return botocore_test::run_botocore_script("sigv4_botocore.py", input);
}

// Our canonical request for a request sign() has signed, to show next to botocore's on mismatch.
std::string our_canonical_request(const net::HttpRequest& signed_request,
                                  const SigningScope& scope) {
  auto authorization = authorization_of(signed_request);
  auto names_start = authorization.find("SignedHeaders=") + 14;
  auto names =
      authorization.substr(names_start, authorization.find(',', names_start) - names_start);
  std::string payload = base::hex(base::sha256(signed_request.body));
  return detail::canonical_request(signed_request, names, payload, scope.service == "s3");
}

TEST(Sigv4Botocore, AuthorizationMatchesBotocoreForGeneratedRequests) {
  if (!botocore_available())
    GTEST_SKIP() << "/usr/bin/python3 cannot import botocore (apt install python3-botocore)";
  RequestMaker maker(20150830);
  std::vector<BotoCase> cases;
  nlohmann::json input = {{"sign", nlohmann::json::array()}};
  for (int i = 0; i < 400; ++i) {
    cases.push_back(maker.make(i % 2 == 1));
    input["sign"].push_back(to_json(cases.back()));
  }
  auto output = run_botocore(input);
  ASSERT_TRUE(output.is_object() && output["sign"].size() == cases.size())
      << "botocore script failed";
  int matched = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    auto request = cases[i].request;
    sign(request, cases[i].credentials, cases[i].scope, at_unix(cases[i].timestamp),
         cases[i].scope.service == "s3");
    const auto& expected = output["sign"][i];
    EXPECT_EQ(authorization_of(request), expected["authorization"].get<std::string>())
        << "case " << i << ": " << cases[i].request.method << " " << cases[i].request.url
        << "\nours:\n"
        << our_canonical_request(request, cases[i].scope) << "\nbotocore:\n"
        << expected["canonical_request"].get<std::string>();
    matched += authorization_of(request) == expected["authorization"].get<std::string>() ? 1 : 0;
  }
  EXPECT_EQ(matched, static_cast<int>(cases.size()));
}

std::multiset<std::string> query_items(const std::string& url) {
  std::multiset<std::string> items;
  for (const auto& item : base::split(split_url(url).query, '&')) {
    auto equals = item.find('=');
    auto key = base::uri_decode(item.substr(0, equals), false);
    auto value =
        equals == std::string::npos ? "" : base::uri_decode(item.substr(equals + 1), false);
    items.insert(key + "=" + value);
  }
  return items;
}

TEST(Sigv4Botocore, PresignMatchesBotocoreS3QueryAuth) {
  if (!botocore_available())
    GTEST_SKIP() << "/usr/bin/python3 cannot import botocore (apt install python3-botocore)";
  RequestMaker maker(1369353600);
  std::vector<BotoCase> cases;
  nlohmann::json input = {{"presign", nlohmann::json::array()}};
  for (int i = 0; i < 60; ++i) {
    cases.push_back(maker.make_presign());
    input["presign"].push_back(to_json(cases.back()));
  }
  auto output = run_botocore(input);
  ASSERT_TRUE(output.is_object() && output["presign"].size() == cases.size())
      << "botocore script failed";
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& test = cases[i];
    auto ours = presign(test.request.method, test.request.url, test.credentials, test.scope,
                        at_unix(test.timestamp), test.expires);
    auto theirs = output["presign"][i].get<std::string>();
    EXPECT_EQ(query_items(ours), query_items(theirs))
        << "case " << i << "\nours:     " << ours << "\nbotocore: " << theirs;
    EXPECT_EQ(ours.substr(0, ours.find('?')), theirs.substr(0, theirs.find('?')));
  }
}

}  // namespace
}  // namespace gpunb::aws
