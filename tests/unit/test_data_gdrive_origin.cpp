// Google Drive end to end against tests/tools/gdrive_origin.py with the agent's HttpClient: the
// small file straight away, the large file through the virus-scan form (action rewritten from
// drive.usercontent.google.com to the emulator), and each refusal page; Google Docs, Sheets and
// Slides exported by the agent's fetch job (docs.google.com links and Drive links to them).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "agent/fetch/gdrive.hpp"
#include "agent/fetch/run.hpp"
#include "base/expected.hpp"
#include "data/net/http.hpp"
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
  Result<std::pair<HttpHead, std::string>> fetch(const std::string& id) {
    HttpClient client;
    auto request = gdrive_request(endpoint_, id);
    for (int step = 0; step < 3; ++step) {
      auto answer = client.get_text(request);
      TRY(answer);
      auto type = header(answer->first.headers, "content-type").value_or("");
      if (type.find("text/html") == std::string::npos) return answer;
      auto next =
          gdrive_follow_page(endpoint_, answer->first.url, answer->second, answer->first.status);
      TRY(next);
      request = *next;
    }
    return fail(ErrorKind::internal, "too many pages");
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
  for (const auto& [id, kind] : std::vector<std::pair<std::string, ErrorKind>>{
           {"1QuotaFileAbCdEfGhIj", ErrorKind::refused},
           {"1PrivateFileAbCdEfGh", ErrorKind::refused},
           {"1NoAccessFileAbCdEf", ErrorKind::refused},
           {"1MissingFileAbCdEfGh", ErrorKind::not_found}}) {
    auto file = fetch(id);
    ASSERT_FALSE(file) << id;
    EXPECT_EQ(file.error().kind, kind) << id << ": " << file.error().message;
  }
  EXPECT_NE(fetch("1QuotaFileAbCdEfGhIj").error().message.find("Too many users"),
            std::string::npos);
  EXPECT_NE(fetch("1PrivateFileAbCdEfGh").error().message.find("not shared publicly"),
            std::string::npos);
}

constexpr const char* kDoc = "1DocumentIdAbCdEfGhIjKlMnOpQrStUv";
constexpr const char* kSheet = "1SheetIdAbCdEfGhIjKlMnOpQrStUvWx";
constexpr const char* kSlides = "1SlidesIdAbCdEfGhIjKlMnOpQrStUvW";
constexpr const char* kPrivateDoc = "1PrivateDocAbCdEfGhIjKlMnOpQrSt";
constexpr const char* kPlain = "1PlainDriveFileAbCdEfGhIjKlMn";

// The agent's fetch job (agent::run_fetch) against the emulator's docs.google.com routes.
class GdocsOriginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gpunb-gdocs-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "drive");
    std::ofstream(dir_ / "drive" / kPlain) << "plain bytes\n";
    origin_ = std::make_unique<testing::OriginProcess>(std::vector<std::string>{
        "/usr/bin/python3", std::string(GPUNB_SOURCE_DIR) + "/tests/tools/gdrive_origin.py",
        "--dir", (dir_ / "drive").string(), "--doc", std::string(kDoc) + "=document:Q3 report",
        "--doc", std::string(kSheet) + "=spreadsheets:Budget 2026", "--doc",
        std::string(kSlides) + "=presentation:Kick-off", "--doc",
        std::string(kPrivateDoc) + "=document:Secret", "--private", kPrivateDoc});
    ASSERT_NE(origin_->port(), 0) << "gdrive_origin.py did not start";
  }
  void TearDown() override {
    origin_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  agent::FetchStatus fetch(const std::string& url, const std::string& format = "") {
    nlohmann::json job{{"id", "docs"},
                       {"dir", (dir_ / "out").string()},
                       {"url", url},
                       {"gdrive_endpoint", "http://127.0.0.1:" + std::to_string(origin_->port())}};
    if (!format.empty()) job["format"] = format;
    auto spec = agent::parse_fetch_spec(job);
    if (!spec) {
      agent::FetchStatus failed;
      failed.state = "failed";
      failed.error = spec.error().message;
      failed.error_kind = spec.error().kind;
      return failed;
    }
    return agent::run_fetch(*spec, [](const agent::FetchStatus&) {});
  }
  std::string landed(const std::string& name) {
    std::ifstream in(dir_ / "out" / name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  bool out_is_empty() {
    std::error_code ec;
    return !fs::exists(dir_ / "out") || fs::is_empty(dir_ / "out", ec);
  }

  fs::path dir_;
  std::unique_ptr<testing::OriginProcess> origin_;
};

TEST_F(GdocsOriginTest, DocsLinkIsExportedAsDocxUnderTheDocumentsName) {
  auto status = fetch(std::string("https://docs.google.com/document/d/") + kDoc + "/edit");
  ASSERT_EQ(status.state, "done") << status.error;
  EXPECT_EQ(status.paths, std::vector<std::string>{"Q3 report.docx"});
  EXPECT_EQ(landed("Q3 report.docx"), "Q3 report exported as docx\n");
}

TEST_F(GdocsOriginTest, SheetsAndSlidesTakeTheirDefaultsOrTheFormatAsked) {
  auto xlsx = fetch(std::string("https://docs.google.com/spreadsheets/d/") + kSheet + "/edit");
  ASSERT_EQ(xlsx.state, "done") << xlsx.error;
  EXPECT_EQ(landed("Budget 2026.xlsx"), "Budget 2026 exported as xlsx\n");
  auto csv = fetch(std::string("https://docs.google.com/spreadsheets/d/") + kSheet + "/edit#gid=42",
                   "csv");
  ASSERT_EQ(csv.state, "done") << csv.error;
  EXPECT_EQ(landed("Budget 2026.csv"), "Budget 2026 exported as csv (gid 42)\n");
  auto pptx = fetch(std::string("https://docs.google.com/presentation/d/") + kSlides + "/view");
  ASSERT_EQ(pptx.state, "done") << pptx.error;
  EXPECT_EQ(landed("Kick-off.pptx"), "Kick-off exported as pptx\n");
  auto pdf =
      fetch(std::string("https://docs.google.com/presentation/d/") + kSlides + "/edit", "pdf");
  ASSERT_EQ(pdf.state, "done") << pdf.error;
  EXPECT_EQ(landed("Kick-off.pdf"), "Kick-off exported as pdf\n");
}

TEST_F(GdocsOriginTest, DriveLinkToADocumentIsExportedToo) {
  auto status = fetch(std::string("https://drive.google.com/file/d/") + kSheet + "/view");
  ASSERT_EQ(status.state, "done") << status.error;
  EXPECT_EQ(landed("Budget 2026.xlsx"), "Budget 2026 exported as xlsx\n");
  auto txt = fetch(std::string("https://drive.google.com/open?id=") + kDoc, "txt");
  ASSERT_EQ(txt.state, "done") << txt.error;
  EXPECT_EQ(landed("Q3 report.txt"), "Q3 report exported as txt\n");
}

TEST_F(GdocsOriginTest, AFormatTheKindCannotExportIsAClearUsageError) {
  auto status = fetch(std::string("https://docs.google.com/document/d/") + kDoc + "/edit", "csv");
  EXPECT_EQ(status.state, "failed");
  EXPECT_EQ(status.error_kind, ErrorKind::usage);
  EXPECT_EQ(status.error,
            "a Google Docs document cannot be exported as 'csv': --format takes docx, odt, rtf, "
            "pdf, txt, html, epub, md");
  auto drive = fetch(std::string("https://drive.google.com/file/d/") + kSlides + "/view", "xlsx");
  EXPECT_EQ(drive.error_kind, ErrorKind::usage) << drive.error;
  auto plain = fetch(std::string("https://drive.google.com/file/d/") + kPlain + "/view", "pdf");
  EXPECT_EQ(plain.error_kind, ErrorKind::usage) << plain.error;
  EXPECT_NE(plain.error.find("plain file"), std::string::npos) << plain.error;
  auto http = fetch("http://127.0.0.1:1/x.bin", "pdf");
  EXPECT_EQ(http.error_kind, ErrorKind::usage) << http.error;
  EXPECT_TRUE(out_is_empty());
}

TEST_F(GdocsOriginTest, APrivateDocumentIsSaidNotSharedAndNothingIsSaved) {
  for (const std::string& link :
       {std::string("https://docs.google.com/document/d/") + kPrivateDoc + "/edit",
        std::string("https://drive.google.com/file/d/") + kPrivateDoc + "/view"}) {
    auto status = fetch(link);
    EXPECT_EQ(status.state, "failed") << link;
    EXPECT_EQ(status.error_kind, ErrorKind::refused) << link;
    EXPECT_NE(status.error.find("not shared publicly"), std::string::npos) << status.error;
  }
  auto missing = fetch("https://drive.google.com/file/d/1MissingFileAbCdEfGhIjKlMn/view");
  EXPECT_EQ(missing.error_kind, ErrorKind::not_found) << missing.error;
  EXPECT_TRUE(out_is_empty());
}

}  // namespace
}  // namespace gpunb::data
