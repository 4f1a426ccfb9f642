// S3 on the laptop: URIs, addressing, ListObjectsV2, the region redirect, errors, the fetch plan,
// and presigned URLs cross-checked against botocore (tests/unit/sigv4_botocore.py).
#include <gtest/gtest.h>

#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "aws/s3.hpp"
#include "aws/s3_client.hpp"
#include "aws/url.hpp"
#include "base/strings.hpp"

namespace gpunb::aws {
namespace {

using core::ErrorKind;

const Credentials kCredentials{"AKIDEXAMPLE7Q2W", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                               "FwoGZXIvYXdzSESSIONTOKEN"};
constexpr std::int64_t kNow = 1704067200;  // 2024-01-01T00:00:00Z

class FixedClock : public base::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point{std::chrono::seconds(kNow)};
  }
  std::chrono::steady_clock::time_point monotonic() const override { return {}; }
  void sleep_for(std::chrono::milliseconds duration) override { sleeps.push_back(duration); }
  std::vector<std::chrono::milliseconds> sleeps;
};

class ScriptedHttp : public net::Http {
 public:
  void reply(long status, std::string body, net::Headers headers = {}) {
    script_.push_back(net::HttpResponse{status, std::move(headers), std::move(body)});
  }
  core::Result<net::HttpResponse> send(const net::HttpRequest& request) override {
    requests.push_back(request);
    if (script_.empty()) return core::fail(ErrorKind::internal, "no scripted response");
    auto next = std::move(script_.front());
    script_.pop_front();
    return next;
  }
  std::vector<net::HttpRequest> requests;

 private:
  std::deque<net::HttpResponse> script_;
};

std::string header(const net::HttpRequest& request, const std::string& lower_name) {
  for (const auto& [name, value] : request.headers)
    if (base::to_lower(name) == lower_name) return value;
  return {};
}

std::string list_page(const std::vector<std::pair<std::string, std::uint64_t>>& keys,
                      const std::string& next_token = {}) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bkt</Name><Prefix>data/</Prefix>"
      "<KeyCount>" +
      std::to_string(keys.size()) + "</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>" +
      (next_token.empty() ? "false" : "true") + "</IsTruncated>";
  for (const auto& [key, size] : keys) {
    xml += "<Contents><Key>" + key +
           "</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>&quot;"
           "9b2cf535f27731c974343645a3985328&quot;</ETag><Size>" +
           std::to_string(size) + "</Size><StorageClass>STANDARD</StorageClass></Contents>";
  }
  if (!next_token.empty())
    xml += "<NextContinuationToken>" + next_token + "</NextContinuationToken>";
  return xml + "</ListBucketResult>";
}

const std::string kRedirectXml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PermanentRedirect</Code><Message>The "
    "bucket you are attempting to access must be addressed using the specified endpoint. Please "
    "send all future requests to this endpoint.</Message><Endpoint>bkt.s3.eu-west-1.amazonaws.com"
    "</Endpoint><Bucket>bkt</Bucket><RequestId>8RZ3G5D7XJ9Q</RequestId><HostId>aGVsbG8=</HostId>"
    "</Error>";

std::string error_xml(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" +
         message + "</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>";
}

S3FetchRequest fetch_request(ScriptedHttp& http, FixedClock& clock, const std::string& uri) {
  S3FetchRequest request;
  request.uri = uri;
  request.region = "us-east-1";
  request.credentials = kCredentials;
  request.http = &http;
  request.clock = &clock;
  return request;
}

std::map<std::string, std::string> query_of(const std::string& url) {
  std::map<std::string, std::string> out;
  for (const auto& item : base::split(split_url(url).query, '&')) {
    auto equals = item.find('=');
    out[base::uri_decode(item.substr(0, equals), false)] =
        equals == std::string::npos ? "" : base::uri_decode(item.substr(equals + 1), false);
  }
  return out;
}

void expect_no_secrets(const core::Error& error) {
  for (const auto& text : {error.message, error.hint}) {
    EXPECT_EQ(text.find(kCredentials.secret_access_key), std::string::npos) << text;
    EXPECT_EQ(text.find(kCredentials.session_token), std::string::npos) << text;
    EXPECT_EQ(text.find("Signature="), std::string::npos) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  }
}

TEST(S3Uri, BucketKeyAndPrefix) {
  auto key = parse_s3_uri("s3://my-bucket/data/train.csv");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->bucket, "my-bucket");
  EXPECT_EQ(key->key, "data/train.csv");
  EXPECT_FALSE(key->prefix);
  auto prefix = parse_s3_uri("s3://my-bucket/data/");
  ASSERT_TRUE(prefix);
  EXPECT_TRUE(prefix->prefix);
  EXPECT_EQ(prefix->key, "data/");
  for (const char* whole : {"s3://my-bucket", "s3://my-bucket/", "S3://my-bucket/"}) {
    auto bucket = parse_s3_uri(whole);
    ASSERT_TRUE(bucket) << whole;
    EXPECT_TRUE(bucket->prefix);
    EXPECT_EQ(bucket->key, "");
  }
  EXPECT_EQ(parse_s3_uri("s3://b.with.dots/a b/ü")->key, "a b/ü");
}

TEST(S3Uri, ErrorsAreUsageWithAHint) {
  for (const char* bad :
       {"", "s3:/b/k", "http://b/k", "s3://", "s3:///key", "s3://bad?b/k", "bucket/key"}) {
    auto uri = parse_s3_uri(bad);
    ASSERT_FALSE(uri) << bad;
    EXPECT_EQ(uri.error().kind, ErrorKind::usage);
    EXPECT_NE(uri.error().hint.find("s3://BUCKET/"), std::string::npos);
  }
}

TEST(S3Addressing, VirtualHostedPathStyleAndKeyEncoding) {
  ScriptedHttp http;
  FixedClock clock;
  S3Client aws(http, clock, {"eu-west-1", "", false, kCredentials});
  EXPECT_EQ(aws.object_url("bkt", "a b/c+d/é.csv"),
            "https://bkt.s3.eu-west-1.amazonaws.com/a%20b/c%2Bd/%C3%A9.csv");
  EXPECT_EQ(aws.object_url("bkt", ""), "https://bkt.s3.eu-west-1.amazonaws.com/");
  EXPECT_EQ(aws.object_url("my.dotted.bucket", "k"),
            "https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/k");
  S3Client custom(http, clock, {"us-east-1", "http://127.0.0.1:4568/", false, kCredentials});
  EXPECT_EQ(custom.object_url("bkt", "x/y"), "http://127.0.0.1:4568/bkt/x/y");
  EXPECT_EQ(custom.object_url("bkt", ""), "http://127.0.0.1:4568/bkt");
  EXPECT_TRUE(s3_path_style({"us-east-1", "http://minio:9000"}, "bkt"));
  EXPECT_FALSE(s3_path_style({"us-east-1", ""}, "bkt"));
}

TEST(S3Endpoint, EnvironmentOrder) {
  EXPECT_EQ(s3_endpoint(util::MapEnv(
                {{"AWS_ENDPOINT_URL_S3", "http://a"}, {"AWS_ENDPOINT_URL", "http://b"}})),
            "http://a");
  EXPECT_EQ(s3_endpoint(
                util::MapEnv(std::map<std::string, std::string>{{"AWS_ENDPOINT_URL", "http://b"}})),
            "http://b");
  EXPECT_EQ(s3_endpoint(util::MapEnv(std::map<std::string, std::string>{})), "");
}

TEST(S3List, ParsesPagesAndFollowsContinuationTokens) {
  ScriptedHttp http;
  FixedClock clock;
  http.reply(200,
             list_page({{"data/a.csv", 10}, {"data/sub/b.bin", 2000}}, "1ueGcxLPRx1Tr/XYEx+="));
  http.reply(200, list_page({{"data/c.txt", 0}}));
  S3Client client(http, clock, {"us-east-1", "", false, kCredentials});
  auto objects = client.list("bkt", "data/");
  ASSERT_TRUE(objects) << objects.error().message;
  ASSERT_EQ(objects->size(), 3u);
  EXPECT_EQ((*objects)[1].key, "data/sub/b.bin");
  EXPECT_EQ((*objects)[1].size, 2000u);
  EXPECT_EQ((*objects)[1].etag, "9b2cf535f27731c974343645a3985328");
  ASSERT_EQ(http.requests.size(), 2u);
  auto first = query_of(http.requests[0].url);
  EXPECT_EQ(first["list-type"], "2");
  EXPECT_EQ(first["max-keys"], "1000");
  EXPECT_EQ(first["prefix"], "data/");
  EXPECT_EQ(first.count("continuation-token"), 0u);
  EXPECT_EQ(query_of(http.requests[1].url)["continuation-token"], "1ueGcxLPRx1Tr/XYEx+=");
  EXPECT_NE(http.requests[1].url.find("continuation-token=1ueGcxLPRx1Tr%2FXYEx%2B%3D"),
            std::string::npos);
  EXPECT_EQ(split_url(http.requests[0].url).host, "bkt.s3.us-east-1.amazonaws.com");
  EXPECT_EQ(header(http.requests[0], "x-amz-content-sha256"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_NE(header(http.requests[0], "authorization").find("/us-east-1/s3/aws4_request"),
            std::string::npos);
}

TEST(S3List, UnreadableListingsAreErrors) {
  EXPECT_FALSE(detail::parse_list_page("not xml"));
  EXPECT_FALSE(detail::parse_list_page("<Other/>"));
  EXPECT_FALSE(detail::parse_list_page(
      "<ListBucketResult><Contents><Key>k</Key><Size>x</Size></Contents></ListBucketResult>"));
  ScriptedHttp http;
  FixedClock clock;
  http.reply(200, list_page({{"a", 1}}, "same"));
  http.reply(200, list_page({{"b", 1}}, "same"));
  S3Client client(http, clock, {"us-east-1", "", false, kCredentials});
  EXPECT_FALSE(client.list("bkt", ""));  // a token that does not move on would loop forever
}

TEST(S3Redirect, PermanentRedirectIsFollowedOnceSignedForTheRightRegion) {
  ScriptedHttp http;
  FixedClock clock;
  http.reply(301, kRedirectXml, {{"x-amz-bucket-region", "eu-west-1"}});
  http.reply(200, list_page({{"data/a.csv", 3}}));
  auto plan = plan_s3_fetch(fetch_request(http, clock, "s3://bkt/data/"));
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(http.requests.size(), 2u);
  EXPECT_EQ(split_url(http.requests[1].url).host, "bkt.s3.eu-west-1.amazonaws.com");
  EXPECT_NE(header(http.requests[1], "authorization").find("/eu-west-1/s3/aws4_request"),
            std::string::npos);
  ASSERT_EQ(plan->size(), 1u);
  EXPECT_NE((*plan)[0].url.find("https://bkt.s3.eu-west-1.amazonaws.com/data/a.csv?"),
            std::string::npos);
  EXPECT_NE(query_of((*plan)[0].url)["X-Amz-Credential"].find("/eu-west-1/s3/"), std::string::npos);
}

TEST(S3Redirect, RegionFromTheErrorBodyWithoutTheHeader) {
  net::HttpResponse malformed{400,
                              {},
                              error_xml("AuthorizationHeaderMalformed",
                                        "The authorization header is malformed; the "
                                        "region 'us-east-1' is wrong; expecting "
                                        "'ap-south-1'")};
  EXPECT_EQ(detail::redirect_region(malformed), "ap-south-1");
  malformed.body.insert(malformed.body.find("<RequestId>"), "<Region>eu-north-1</Region>");
  EXPECT_EQ(detail::redirect_region(malformed), "eu-north-1");
  EXPECT_EQ(detail::redirect_region({301, {}, kRedirectXml}), "eu-west-1");
  EXPECT_EQ(detail::redirect_region({301, {{"x-amz-bucket-region", "us-west-2"}}, ""}),
            "us-west-2");  // HEAD: no body
  EXPECT_FALSE(detail::redirect_region({400, {}, error_xml("InvalidArgument", "x")}));
  EXPECT_FALSE(detail::redirect_region({403, {}, error_xml("AccessDenied", "Access Denied")}));
}

TEST(S3Redirect, ASecondRedirectIsAnError) {
  ScriptedHttp http;
  FixedClock clock;
  http.reply(301, kRedirectXml, {{"x-amz-bucket-region", "eu-west-1"}});
  http.reply(301, kRedirectXml, {{"x-amz-bucket-region", "eu-west-2"}});
  auto plan = plan_s3_fetch(fetch_request(http, clock, "s3://bkt/data/"));
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().kind, ErrorKind::cloud);
  EXPECT_NE(plan.error().hint.find("--region"), std::string::npos);
  EXPECT_EQ(http.requests.size(), 2u);
  expect_no_secrets(plan.error());
}

TEST(S3Errors, CodesMapToKinds) {
  struct Case {
    long status;
    std::string code;
    ErrorKind kind;
    bool anonymous;
  };
  for (const auto& c :
       std::vector<Case>{{404, "NoSuchBucket", ErrorKind::not_found, false},
                         {404, "NoSuchKey", ErrorKind::not_found, false},
                         {403, "AccessDenied", ErrorKind::refused, false},
                         {403, "AccessDenied", ErrorKind::refused, true},
                         {403, "InvalidAccessKeyId", ErrorKind::credentials, false},
                         {403, "SignatureDoesNotMatch", ErrorKind::credentials, false},
                         {400, "ExpiredToken", ErrorKind::credentials, false},
                         {500, "InternalError", ErrorKind::cloud, false}}) {
    auto error = detail::s3_error({c.status, {}, error_xml(c.code, "Some\nmessage")}, "s3://bkt/k",
                                  c.anonymous);
    EXPECT_EQ(error.kind, c.kind) << c.code;
    EXPECT_NE(error.message.find("s3://bkt/k"), std::string::npos);
    expect_no_secrets(error);
  }
  EXPECT_NE(detail::s3_error({403, {}, ""}, "s3://b/k", true).hint.find("--no-sign-request"),
            std::string::npos);
  EXPECT_EQ(detail::s3_error({404, {}, ""}, "s3://b/k", false).kind, ErrorKind::not_found);
}

TEST(S3Errors, ServerErrorsAreRetriedThenReported) {
  ScriptedHttp http;
  FixedClock clock;
  for (int i = 0; i < 4; ++i)
    http.reply(503, error_xml("SlowDown", "Please reduce your request rate."));
  auto plan = plan_s3_fetch(fetch_request(http, clock, "s3://bkt/data/"));
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().kind, ErrorKind::cloud);
  EXPECT_EQ(http.requests.size(), 4u);
  EXPECT_EQ(clock.sleeps.size(), 3u);
}

TEST(S3Plan, SingleKeyIsHeadedAndNamedByItsLastComponent) {
  ScriptedHttp http;
  FixedClock clock;
  http.reply(200, "",
             {{"content-length", "1234"}, {"etag", "\"9B2CF535F27731C974343645A3985328\""}});
  auto plan = plan_s3_fetch(fetch_request(http, clock, "s3://bkt/data/sub/model.pt"));
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->size(), 1u);
  EXPECT_EQ(http.requests[0].method, "HEAD");
  EXPECT_EQ((*plan)[0].relative_name, "model.pt");
  EXPECT_EQ((*plan)[0].size, 1234u);
  EXPECT_EQ((*plan)[0].md5, "9b2cf535f27731c974343645a3985328");
  auto query = query_of((*plan)[0].url);
  EXPECT_EQ(query["X-Amz-Expires"], "43200");
  EXPECT_EQ(query["X-Amz-Security-Token"], kCredentials.session_token);
  EXPECT_EQ(query["X-Amz-SignedHeaders"], "host");
}

TEST(S3Plan, KeyThatIsAFolderIsListedAsOne) {
  ScriptedHttp http;
  FixedClock clock;
  http.reply(404, "");
  http.reply(200, list_page({{"data/", 0}, {"data/a.csv", 5}, {"data/x/b.csv", 6}}));
  auto plan = plan_s3_fetch(fetch_request(http, clock, "s3://bkt/data"));
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->size(), 2u);  // the folder marker "data/" is skipped
  EXPECT_EQ((*plan)[0].relative_name, "a.csv");
  EXPECT_EQ((*plan)[1].relative_name, "x/b.csv");
  EXPECT_EQ(query_of(http.requests[1].url)["prefix"], "data/");
}

TEST(S3Plan, MissingKeyAndEmptyPrefixAreNotFound) {
  ScriptedHttp http;
  FixedClock clock;
  http.reply(404, "");
  http.reply(200, list_page({}));
  auto missing = plan_s3_fetch(fetch_request(http, clock, "s3://bkt/nope.csv"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  http.reply(200, list_page({}));
  auto empty = plan_s3_fetch(fetch_request(http, clock, "s3://bkt/empty/"));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind, ErrorKind::not_found);
}

TEST(S3Plan, Md5OnlyForSinglePartEtags) {
  EXPECT_EQ(etag_md5("9b2cf535f27731c974343645a3985328"), "9b2cf535f27731c974343645a3985328");
  EXPECT_FALSE(etag_md5("9b2cf535f27731c974343645a3985328-12"));
  EXPECT_FALSE(etag_md5(""));
  EXPECT_FALSE(etag_md5("zb2cf535f27731c974343645a3985328"));
}

TEST(S3Plan, ExpiryIsCappedByTheCredentials) {
  ScriptedHttp http;
  FixedClock clock;
  http.reply(200, "", {{"content-length", "1"}, {"etag", "\"x-2\""}});
  auto request = fetch_request(http, clock, "s3://bkt/k");
  request.credentials_expire_at = clock.now() + std::chrono::minutes(50);
  auto plan = plan_s3_fetch(request);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(query_of((*plan)[0].url)["X-Amz-Expires"], "3000");
  EXPECT_FALSE((*plan)[0].md5);
  request.credentials_expire_at = clock.now() + std::chrono::seconds(10);
  auto expired = plan_s3_fetch(request);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().kind, ErrorKind::credentials);
}

TEST(S3Plan, AnonymousRequestsAreUnsignedAndUrlsPlain) {
  ScriptedHttp http;
  FixedClock clock;
  http.reply(200, list_page({{"data/a b.csv", 5}}));
  auto request = fetch_request(http, clock, "s3://bkt/data/");
  request.anonymous = true;
  request.credentials = {};
  auto plan = plan_s3_fetch(request);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(header(http.requests[0], "authorization"), "");
  EXPECT_EQ((*plan)[0].url, "https://bkt.s3.us-east-1.amazonaws.com/data/a%20b.csv");
  request.anonymous = false;
  auto unsigned_plan = plan_s3_fetch(request);
  ASSERT_FALSE(unsigned_plan);
  EXPECT_EQ(unsigned_plan.error().kind, ErrorKind::credentials);
}

TEST(S3Plan, DotDotKeysAreRefused) {
  ScriptedHttp http;
  FixedClock clock;
  http.reply(200, list_page({{"data/../../etc/passwd", 5}}));
  auto plan = plan_s3_fetch(fetch_request(http, clock, "s3://bkt/data/"));
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().kind, ErrorKind::refused);
}

// ---- botocore cross-check ----------------------------------------------------------------

const std::string kBotocore = std::string(GPUNB_SOURCE_DIR) + "/tests/unit/sigv4_botocore.py";

nlohmann::json run_botocore(const nlohmann::json& input) {
  auto path = std::filesystem::temp_directory_path() /
              ("gpunb-s3-presign-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << input.dump();
  std::string command = "/usr/bin/python3 '" + kBotocore + "' < '" + path.string() + "'";
  std::string output;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    while (auto got = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, got);
    ::pclose(pipe);
  }
  std::filesystem::remove(path);
  return nlohmann::json::parse(output, nullptr, false);
}

TEST(S3Botocore, PresignedUrlsMatchBotocore) {
  if (std::system("/usr/bin/python3 -c 'import botocore.auth' >/dev/null 2>&1") != 0)  // NOLINT
    GTEST_SKIP() << "/usr/bin/python3 cannot import botocore (apt install python3-botocore)";
  ScriptedHttp http;
  FixedClock clock;
  http.reply(200, list_page({{"data/a b+c.csv", 1}, {"data/ü/x~y.bin", 2}, {"data/(1)=*.txt", 3}}));
  http.reply(200, list_page({{"data/k", 1}}));
  auto aws = plan_s3_fetch(fetch_request(http, clock, "s3://bkt/data/"));
  auto custom_request = fetch_request(http, clock, "s3://my.bucket/data/");
  custom_request.endpoint = "http://127.0.0.1:4568";
  custom_request.region = "eu-central-1";
  auto custom = plan_s3_fetch(custom_request);
  ASSERT_TRUE(aws && custom);
  std::vector<S3Download> all = *aws;
  all.insert(all.end(), custom->begin(), custom->end());
  nlohmann::json input = {{"presign", nlohmann::json::array()}};
  for (const auto& download : all) {
    auto region =
        download.url.find("127.0.0.1") != std::string::npos ? "eu-central-1" : "us-east-1";
    input["presign"].push_back({{"method", "GET"},
                                {"url", download.url.substr(0, download.url.find('?'))},
                                {"headers", nlohmann::json::array()},
                                {"body_hex", ""},
                                {"region", region},
                                {"service", "s3"},
                                {"timestamp", kNow},
                                {"access_key", kCredentials.access_key_id},
                                {"secret_key", kCredentials.secret_access_key},
                                {"token", kCredentials.session_token},
                                {"expires", 43200}});
  }
  auto output = run_botocore(input);
  ASSERT_TRUE(output.is_object() && output["presign"].size() == all.size()) << "botocore failed";
  for (size_t i = 0; i < all.size(); ++i) {
    auto theirs = output["presign"][i].get<std::string>();
    EXPECT_EQ(query_of(all[i].url), query_of(theirs)) << all[i].url << "\n" << theirs;
    EXPECT_EQ(all[i].url.substr(0, all[i].url.find('?')), theirs.substr(0, theirs.find('?')));
  }
}

}  // namespace
}  // namespace gpunb::aws
