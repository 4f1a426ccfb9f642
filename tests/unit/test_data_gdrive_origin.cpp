// Google Drive end to end against tests/tools/gdrive_origin.py with the agent's HttpClient: the
// small file straight away, the large file through the virus-scan form (action rewritten from
// drive.usercontent.google.com to the emulator), and each refusal page.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "data/gdrive.hpp"
#include "data/http.hpp"
#include "test_origin_process.hpp"

namespace gpunb::data {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSmall = "1SmallFileAbCdEfGhIjK";
constexpr const char* kLarge = "1LargeFileAbCdEfGhIjK";

class GdriveOriginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gpunb-gdrive-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    small_ = write(kSmall, 1000);
    large_ = write(kLarge, 300000);
    origin_ = std::make_unique<testing::OriginProcess>(std::vector<std::string>{
        "/usr/bin/python3", std::string(GPUNB_SOURCE_DIR) + "/tests/tools/gdrive_origin.py",
        "--dir", dir_.string(), "--large", kLarge, "--quota", "1QuotaFileAbCdEfGhIj", "--private",
        "1PrivateFileAbCdEfGh", "--no-access", "1NoAccessFileAbCdEf", "--name",
        std::string(kSmall) + "=données.csv"});
    ASSERT_NE(origin_->port(), 0) << "gdrive_origin.py did not start";
    endpoint_.drive = endpoint_.usercontent = "http://127.0.0.1:" + std::to_string(origin_->port());
  }
  void TearDown() override {
    origin_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string write(const std::string& id, size_t size) {
    std::string bytes;
    for (size_t i = 0; i < size; ++i) bytes += static_cast<char>((i * 131 + 7) % 251);
    std::ofstream(dir_ / id, std::ios::binary) << bytes;
    return bytes;
  }

  // Follows pages until the file comes (or a failure), as the fetcher does; at most 3 requests.
  Outcome<std::pair<HttpHead, std::string>> fetch(const std::string& id) {
    HttpClient client;
    auto request = gdrive_request(endpoint_, id);
    for (int step = 0; step < 3; ++step) {
      auto answer = client.get_text(request);
      if (!answer) return tl::unexpected(answer.error());
      auto type = header(answer->first.headers, "content-type").value_or("");
      if (type.find("text/html") == std::string::npos) return answer;
      auto next =
          gdrive_follow_page(endpoint_, answer->first.url, answer->second, answer->first.status);
      if (!next) return tl::unexpected(next.error());
      request = *next;
    }
    return failure("internal", "too many pages");
  }

  fs::path dir_;
  std::string small_, large_;
  GdriveEndpoint endpoint_;
  std::unique_ptr<testing::OriginProcess> origin_;
};

TEST_F(GdriveOriginTest, SmallFileComesStraightWithItsName) {
  auto file = fetch(kSmall);
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->first.status, 200);
  EXPECT_EQ(file->second, small_);
  auto disposition = header(file->first.headers, "content-disposition").value_or("");
  EXPECT_NE(disposition.find("filename*=UTF-8''donn%C3%A9es.csv"), std::string::npos);
}

TEST_F(GdriveOriginTest, LargeFileNeedsTheFormsConfirmation) {
  HttpClient client;
  auto first = client.get_text(gdrive_request(endpoint_, kLarge));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_NE(first->second.find("id=\"download-form\""), std::string::npos);
  auto file = fetch(kLarge);
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->second, large_);
}

TEST_F(GdriveOriginTest, RefusalsAndMissingFiles) {
  for (const auto& [id, kind] :
       std::vector<std::pair<std::string, std::string>>{{"1QuotaFileAbCdEfGhIj", "refused"},
                                                        {"1PrivateFileAbCdEfGh", "refused"},
                                                        {"1NoAccessFileAbCdEf", "refused"},
                                                        {"1MissingFileAbCdEfGh", "not_found"}}) {
    auto file = fetch(id);
    ASSERT_FALSE(file) << id;
    EXPECT_EQ(file.error().kind, kind) << id << ": " << file.error().message;
  }
  EXPECT_NE(fetch("1QuotaFileAbCdEfGhIj").error().message.find("Too many users"),
            std::string::npos);
  EXPECT_NE(fetch("1PrivateFileAbCdEfGh").error().message.find("not shared publicly"),
            std::string::npos);
}

}  // namespace
}  // namespace gpunb::data
