// EC2 Query bodies byte for byte as botocore writes them (tests/unit/query_botocore.py, run with
// /usr/bin/python3): an EC2-compatible server that re-encodes the parameters it parsed before
// checking the signature must arrive at the very body gpunb signed.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "aws/query.hpp"
#include "base/strings.hpp"
#include "botocore_script.hpp"

namespace gpunb::aws {
namespace {

bool botocore_available() {
  return std::system("/usr/bin/python3 -c 'import botocore.awsrequest' >/dev/null 2>&1") ==
         0;  // NOLINT
}

// Values a user or gpunb may send: spaces, the characters forms and SigV4 treat specially,
// non-ASCII (2-, 3- and 4-byte UTF-8), and empty strings.
const std::vector<std::string> kPieces = {" ",
                                          "/",
                                          ":",
                                          "*",
                                          "~",
                                          "+",
                                          "=",
                                          "&",
                                          "%",
                                          "?",
                                          "#",
                                          "'",
                                          "\"",
                                          "!",
                                          "(",
                                          ")",
                                          ",",
                                          ";",
                                          "@",
                                          "$",
                                          "[",
                                          "]",
                                          "-",
                                          "_",
                                          ".",
                                          "\t",
                                          "é",
                                          "€",
                                          "日本",
                                          "😀",
                                          "Deep Learning AMI",
                                          "a",
                                          "Z",
                                          "0",
                                          "g5.xlarge",
                                          "ssh-ed25519 AAAA",
                                          "203.0.113.7/32",
                                          "gpunb:name",
                                          "%20",
                                          "+="};

class ParamMaker {
 public:
  explicit ParamMaker(unsigned seed) : random_(seed) {}
  Params make(int index) {
    Params params;
    int count = pick(6) + 1;
    for (int i = 0; i < count; ++i) {
      auto value = index % 7 == 0 && i == 0 ? std::string() : text(pick(5));
      params.emplace_back("Param." + std::to_string(i + 1) + (i == 2 ? ".Value" : ""), value);
    }
    if (index % 5 == 0) params.emplace_back("Tag.1.Key", "gpunb:" + text(2));
    return params;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }
  std::string text(int pieces) {
    std::string out;
    for (int i = 0; i < pieces; ++i)
      out += kPieces[static_cast<size_t>(pick(static_cast<int>(kPieces.size())))];
    return out;
  }
  std::mt19937 random_;
};

nlohmann::json pairs_json(const std::string& action, const Params& params) {
  auto pairs = nlohmann::json::array(
      {{base::hex("Action"), base::hex(action)}, {base::hex("Version"), base::hex("2016-11-15")}});
  for (const auto& [key, value] : params) pairs.push_back({base::hex(key), base::hex(value)});
  return pairs;
}

nlohmann::json run_botocore(const nlohmann::json& input) {
  return botocore_test::run_botocore_script("query_botocore.py", input);
}

}  // namespace

TEST(QueryBody, SpaceIsAPlusAndOtherBytesArePercentEncodedAsBotocoreDoes) {
  EXPECT_EQ(query_body("DescribeImages", {{"Filter.1.Value.1", "Deep Learning AMI*"},
                                          {"Owner.1", ""},
                                          {"K", "a+b=c&d/e:f~g é"}}),
            "Action=DescribeImages&Version=2016-11-15&Filter.1.Value.1=Deep+Learning+AMI%2A&"
            "Owner.1=&K=a%2Bb%3Dc%26d%2Fe%3Af~g+%C3%A9");
}

TEST(QueryBody, MatchesBotocoreByteForByteOnFourHundredParameterSets) {
  if (!botocore_available())
    GTEST_SKIP() << "/usr/bin/python3 cannot import botocore (apt install python3-botocore)";
  ParamMaker maker(20261204);
  std::vector<std::string> ours;
  auto input = nlohmann::json::array();
  for (int i = 0; i < 400; ++i) {
    auto params = maker.make(i);
    std::string action = i % 3 == 0 ? "DescribeInstances" : "RunInstances";
    ours.push_back(query_body(action, params));
    input.push_back(pairs_json(action, params));
  }
  auto theirs = run_botocore(input);
  ASSERT_TRUE(theirs.is_array() && theirs.size() == ours.size()) << "botocore script failed";
  int matched = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(ours[i], theirs[i].get<std::string>()) << "parameter set " << i;
    matched += ours[i] == theirs[i].get<std::string>() ? 1 : 0;
  }
  EXPECT_EQ(matched, 400);
}

}  // namespace gpunb::aws
