// data::download against tests/tools/http_origin.py: single and ranged downloads, resuming after
// a cut (in the same run and in a rerun), a file changed between runs, digest and head refusals,
// streaming; and the file-name helpers.
#include <gtest/gtest.h>

#include "agent/fetch/download.hpp"
#include "agent/fetch/download_place.hpp"
#include "agent/fetch/download_state.hpp"
#include "base/hash.hpp"
#include "test_data_origin.hpp"

namespace gpunb::data {
namespace {

using gpunb::testing::Origin;
using gpunb::testing::random_bytes;
using gpunb::testing::read_file;
using gpunb::testing::TempDir;
using gpunb::testing::write_file;
namespace fs = std::filesystem;

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class DataDownload : public ::testing::Test {
 protected:
  void put(const std::string& name, size_t size, unsigned seed) {
    body_ = random_bytes(size, seed);
    write_file(origin_.www() / name, body_);
  }
  DownloadSpec spec(const std::string& path) {
    DownloadSpec out;
    out.request.url = origin_.parsed(path);
    out.dir = dest_.path() / "out";
    out.retry_delay = std::chrono::milliseconds(10);
    return out;
  }
  std::uint64_t body_bytes() { return origin_.stats()["body_bytes"].get<std::uint64_t>(); }

  Origin origin_;
  TempDir dest_;
  HttpClient client_;
  Progress progress_;
  std::string body_;
};

TEST_F(DataDownload, SingleConnection) {
  put("data.bin", 3'000'001, 1);
  auto s = spec("/data.bin");
  s.sha256 = base::sha256_hex(body_);
  auto got = download(client_, s, progress_);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->path, s.dir / "data.bin");
  EXPECT_EQ(got->size, body_.size());
  EXPECT_EQ(got->sha256, *s.sha256);
  EXPECT_FALSE(got->resumed);
  EXPECT_TRUE(read_file(got->path) == body_);
  EXPECT_EQ(listing(s.dir), std::vector<std::string>{"data.bin"});
  EXPECT_EQ(progress_.done, body_.size());
  EXPECT_EQ(progress_.total, body_.size());
}

TEST_F(DataDownload, ParallelRanges) {
  put("big.bin", (24 << 20) + 12345, 2);
  auto s = spec("/big.bin");
  s.connections = 4;
  s.min_split = 1 << 20;
  s.chunk_size = 1 << 20;
  s.sha256 = base::sha256_hex(body_);
  origin_.reset();
  auto got = download(client_, s, progress_);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->sha256, *s.sha256);
  EXPECT_EQ(listing(s.dir), std::vector<std::string>{"big.bin"});
  auto stats = origin_.stats();
  EXPECT_GE(stats["ranged"].get<int>(), 25);
  EXPECT_GE(stats["connections"].get<int>(), 4);
  EXPECT_LT(stats["body_bytes"].get<std::uint64_t>(), body_.size() + (4u << 20));
}

TEST_F(DataDownload, CutThenRerunResumes) {
  put("cut.bin", 4 << 20, 3);
  auto s = spec("/cut.bin");
  s.connections = 1;
  s.retries = 0;
  s.sha256 = base::sha256_hex(body_);
  origin_.configure({{"cut_after", 1500000}, {"cut_count", 1}});
  auto first = download(client_, s, progress_);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().kind, ErrorKind::network) << first.error().message;
  EXPECT_EQ(progress_.done, 1500000u) << first.error().message;
  EXPECT_EQ(listing(s.dir),
            (std::vector<std::string>{".cut.bin.gpunb-part", ".cut.bin.gpunb-part.json"}));
  origin_.reset();
  auto second = download(client_, s, progress_);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->resumed);
  EXPECT_EQ(second->sha256, *s.sha256);
  EXPECT_EQ(body_bytes(), body_.size() - 1500000) << origin_.stats().dump();
  EXPECT_EQ(listing(s.dir), std::vector<std::string>{"cut.bin"});
}

TEST_F(DataDownload, CutsAreRetriedInTheSameRun) {
  put("flaky.bin", 6 << 20, 4);
  for (int connections : {1, 3}) {
    auto s = spec("/flaky.bin");
    s.connections = connections;
    s.min_split = s.chunk_size = 1 << 20;
    s.sha256 = base::sha256_hex(body_);
    origin_.configure({{"cut_after", 300000}, {"cut_count", 3}});
    origin_.reset();
    auto got = download(client_, s, progress_);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->sha256, *s.sha256);
    EXPECT_EQ(origin_.stats()["cuts"], 3);
    EXPECT_LT(body_bytes(), body_.size() + 4 * 300000);
    fs::remove(got->path);
  }
}

TEST_F(DataDownload, ParallelRerunFetchesOnlyMissingChunks) {
  put("many.bin", 8 << 20, 5);
  auto s = spec("/many.bin");
  s.connections = 2;
  s.min_split = s.chunk_size = 1 << 20;
  s.retries = 0;
  s.sha256 = base::sha256_hex(body_);
  // Every response is cut once 4.5 MiB were sent: with two connections, at least 3 chunks are done.
  origin_.configure({{"cut_total", 4718592}, {"cut_count", -1}});
  auto first = download(client_, s, progress_);
  ASSERT_FALSE(first);
  origin_.configure({{"cut_total", 0}, {"cut_count", 0}});
  origin_.reset();
  auto second = download(client_, s, progress_);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->resumed);
  EXPECT_EQ(second->sha256, *s.sha256);
  EXPECT_LE(body_bytes(), (5u << 20));
}

TEST_F(DataDownload, FileChangedBetweenRunsStartsOver) {
  put("v.bin", 3 << 20, 6);
  auto s = spec("/v.bin");
  s.retries = 0;
  origin_.configure({{"cut_after", 1000000}, {"cut_count", 1}});
  ASSERT_FALSE(download(client_, s, progress_));
  put("v.bin", 3 << 20, 7);  // same size, other bytes, other ETag
  for (int connections : {1, 4}) {
    auto again = s;
    again.connections = connections;
    again.min_split = again.chunk_size = 1 << 20;
    auto got = download(client_, again, progress_);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_FALSE(got->resumed);
    EXPECT_EQ(got->sha256, base::sha256_hex(body_));
    EXPECT_TRUE(read_file(got->path) == body_);
    if (connections == 1) {  // a second cut part, for the ranged rerun
      fs::remove(got->path);
      put("v.bin", 3 << 20, 8);
      origin_.configure({{"cut_after", 1000000}, {"cut_count", 1}});
      ASSERT_FALSE(download(client_, s, progress_));
      put("v.bin", 3 << 20, 9);
    }
  }
}

TEST_F(DataDownload, WrongDigestLeavesNothing) {
  put("bad.bin", 100000, 10);
  auto s = spec("/bad.bin");
  s.sha256 = std::string(64, '0');
  auto got = download(client_, s, progress_);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::refused);
  EXPECT_NE(got.error().message.find("SHA-256"), std::string::npos);
  EXPECT_TRUE(listing(s.dir).empty());
  s.sha256.reset();
  s.md5 = std::string(32, '0');
  got = download(client_, s, progress_);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("MD5"), std::string::npos);
  EXPECT_TRUE(listing(s.dir).empty());
  s.size = 5;
  got = download(client_, s, progress_);
  ASSERT_FALSE(got);
  EXPECT_TRUE(listing(s.dir).empty());
}

TEST_F(DataDownload, RightMd5AndNameFromContentDisposition) {
  write_file(origin_.www() / "x.bin", "abc");
  auto s = spec("/x.bin?cd=r%C3%A9sultats%20final.csv");
  s.md5 = "900150983cd24fb0d6963f7d28e17f72";
  auto got = download(client_, s, progress_);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->path.filename(), "r\xc3\xa9sultats final.csv");
  EXPECT_EQ(got->sha256, base::sha256_hex("abc"));
}

TEST_F(DataDownload, HeadCheckRefusalKeepsNoFile) {
  put("page", 5000, 11);
  auto s = spec("/page?type=text/html");
  s.check_head = [](const HttpHead& head) -> Status {
    if (header(head.headers, "content-type") == "text/html") {
      return fail(ErrorKind::refused, "an HTML page, not the file");
    }
    return {};
  };
  auto got = download(client_, s, progress_);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().message, "an HTML page, not the file");
  EXPECT_TRUE(listing(s.dir).empty());
  auto missing = download(client_, spec("/nothing-here"), progress_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

TEST_F(DataDownload, ASecondWriterOfTheSameFileIsRefused) {
  put("data.bin", 100'000, 12);
  auto s = spec("/data.bin");
  fs::create_directories(s.dir);
  {
    auto first = PartLock::take(PartPaths(s.dir, "data.bin"));  // a download under way
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_FALSE(PartLock::take(PartPaths(s.dir, "data.bin")));
    auto got = download(client_, s, progress_);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().kind, ErrorKind::refused);
    EXPECT_NE(got.error().message.find("another fetch is writing"), std::string::npos);
    EXPECT_EQ(listing(s.dir), std::vector<std::string>{".data.bin.gpunb-part.lock"});
    write_file(origin_.www() / "other.bin", random_bytes(1000, 13));
    auto other = download(client_, spec("/other.bin"), progress_);  // other files go on
    ASSERT_TRUE(other) << other.error().message;
  }
  auto got = download(client_, s, progress_);  // the first let go: its lock file is gone
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(read_file(got->path) == body_);
  EXPECT_FALSE(fs::exists(s.dir / ".data.bin.gpunb-part.lock"));
}

TEST_F(DataDownload, StreamToGetsEveryByteInOrderAfterAResume) {
  put("s.bin", 2 << 20, 12);
  auto s = spec("/s.bin");
  s.retries = 0;
  std::string streamed;
  s.stream_to = [&](const char* data, size_t size) -> Status {
    streamed.append(data, size);
    return {};
  };
  origin_.configure({{"cut_after", 700000}, {"cut_count", 1}});
  ASSERT_FALSE(download(client_, s, progress_));
  EXPECT_EQ(streamed.size(), 700000u);
  streamed.clear();
  auto got = download(client_, s, progress_);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(got->resumed);
  EXPECT_EQ(streamed.size(), body_.size());
  EXPECT_TRUE(streamed == body_);
  streamed.clear();
  fs::remove(got->path);
  auto chunked = spec("/s.bin?chunked=1");
  chunked.stream_to = s.stream_to;
  ASSERT_TRUE(download(client_, chunked, progress_));
  EXPECT_TRUE(streamed == body_);
}

TEST_F(DataDownload, AServerChosenNameNeverReplacesAFileThatIsThere) {
  write_file(origin_.www() / "x.bin", "the server's bytes");
  auto s = spec("/x.bin?cd=report.csv");
  write_file(s.dir / "report.csv", "my own report");
  auto got = download(client_, s, progress_);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->path, s.dir / "report (1).csv");
  EXPECT_EQ(got->note,
            "report.csv was there already: this download is report (1).csv (nothing "
            "replaced)");
  EXPECT_EQ(read_file(s.dir / "report.csv"), "my own report");
  EXPECT_EQ(read_file(got->path), "the server's bytes");
  auto again = download(client_, s, progress_);  // a rerun: the same bytes are there
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->path, s.dir / "report (1).csv");
  EXPECT_NE(again->note.find("with the same bytes: kept"), std::string::npos) << again->note;
  EXPECT_EQ(listing(s.dir), (std::vector<std::string>{"report (1).csv", "report.csv"}));
  write_file(origin_.www() / "x.bin", "newer bytes");  // the URL's own name, taken too
  auto by_url = download(client_, spec("/x.bin"), progress_);
  write_file(origin_.www() / "x.bin", "newest bytes");
  auto newer = download(client_, spec("/x.bin"), progress_);
  ASSERT_TRUE(by_url && newer);
  EXPECT_EQ(read_file(s.dir / "x.bin"), "newer bytes");
  EXPECT_EQ(newer->path, s.dir / "x (1).bin");
  auto given = spec("/x.bin");  // a name the caller gives (an S3 key) is the caller's to replace
  given.name = "report.csv";
  ASSERT_TRUE(download(client_, given, progress_));
  EXPECT_EQ(read_file(s.dir / "report.csv"), "newest bytes");
}

TEST(DataDownloadTls, ABodyCutWithoutCloseNotifyIsResumedNotKeptShort) {
  Origin origin({"--tls"});
  TempDir dest;
  auto body = random_bytes(3 << 20, 21);
  write_file(origin.www() / "noframe.bin", body);
  HttpClient client(HttpOptions{.ca_file = origin.cert()});
  DownloadSpec s;
  s.request.url = origin.parsed("/noframe.bin?close=1", "localhost");  // no length: ends by a close
  s.dir = dest.path();
  s.retry_delay = std::chrono::milliseconds(10);
  s.connections = 1;
  origin.configure({{"cut_after", 1000000}, {"cut_count", 1}});
  Progress progress;
  auto got = download(client, s, progress);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->size, body.size());
  EXPECT_EQ(got->sha256, base::sha256_hex(body));
  EXPECT_EQ(origin.stats()["cuts"], 1);
}

TEST(DataDownloadNames, NumberedNamesKeepTheExtension) {
  EXPECT_EQ(numbered_name("a.csv", 1), "a (1).csv");
  EXPECT_EQ(numbered_name("data.tar.gz", 2), "data (2).tar.gz");
  EXPECT_EQ(numbered_name("README", 3), "README (3)");
  EXPECT_EQ(numbered_name(".hidden", 1), ".hidden (1)");
  EXPECT_EQ(numbered_name("v1.2.weights", 1), "v1.2 (1).weights");
}

TEST(DataDownloadNames, SanitizeAndContentDisposition) {
  EXPECT_EQ(sanitize_file_name("../../etc/passwd"), "passwd");
  EXPECT_EQ(sanitize_file_name("a\\b\\..hidden"), "hidden");
  EXPECT_EQ(sanitize_file_name(std::string("x\0y\n\x7fz", 6)), "xyz");
  EXPECT_EQ(sanitize_file_name("..."), "download");
  EXPECT_EQ(sanitize_file_name(""), "download");
  EXPECT_EQ(sanitize_file_name("dir/"), "download");
  EXPECT_EQ(sanitize_file_name(std::string(300, 'a')).size(), 200u);
  std::string accents;
  for (int i = 0; i < 150; ++i) accents += "\xc3\xa9";  // 2 bytes each: no half character
  EXPECT_EQ(sanitize_file_name(accents).size(), 200u);
  EXPECT_EQ(content_disposition_name("attachment; filename=\"a \\\"b\\\".txt\""), "a \"b\".txt");
  EXPECT_EQ(content_disposition_name("attachment; filename=plain.zip"), "plain.zip");
  EXPECT_EQ(content_disposition_name(
                "attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt"),
            "\xe2\x82\xac rates.txt");
  EXPECT_EQ(content_disposition_name("inline"), std::nullopt);
}

}  // namespace
}  // namespace gpunb::data
