// The agent's fetch job: the job's JSON, the status file, and the pipe that feeds extraction.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/fetch/byte_pipe.hpp"
#include "agent/fetch/spec.hpp"
#include "agent/fetch/status.hpp"
#include "agent/host/files.hpp"
#include "base/files.hpp"
#include "base/hash.hpp"

namespace gpunb::agent {
namespace {

using Json = nlohmann::json;

TEST(AgentFetchSpec, ReadsItemsLimitsAndSha) {
  auto spec = parse_fetch_spec(Json::parse(R"({"id":"f1","dir":"/data/x","extract":true,
    "sha256":"ab","connections":200,"limits":{"max_ratio":50},
    "items":[{"url":"http://127.0.0.1:1/a","name":"sub/a.bin","size":5,"md5":"cd"}]})"));
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->dir, "/data/x");
  EXPECT_TRUE(spec->extract);
  EXPECT_EQ(spec->connections, 64);  // clamped
  EXPECT_EQ(spec->limits.max_ratio, 50);
  ASSERT_EQ(spec->items.size(), 1u);
  EXPECT_EQ(spec->items[0].name, "sub/a.bin");
  EXPECT_EQ(spec->items[0].size, 5u);
  EXPECT_EQ(spec->items[0].md5, "cd");
  EXPECT_EQ(spec->sha256, "ab");
}

TEST(AgentFetchSpec, ClassifiesOneUrl) {
  auto drive = parse_fetch_spec(Json::parse(
      R"({"id":"f2","dir":"/d","url":"https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view"})"));
  ASSERT_TRUE(drive) << drive.error().message;
  EXPECT_EQ(drive->gdrive_id, "1AbCdEfGhIjKlMnOpQrStUvWxYz012345");
  EXPECT_TRUE(drive->items.empty());
  auto http =
      parse_fetch_spec(Json::parse(R"({"id":"f3","dir":"/d","url":"https://example.org/x.zip"})"));
  ASSERT_TRUE(http);
  ASSERT_EQ(http->items.size(), 1u);
  EXPECT_EQ(http->items[0].url, "https://example.org/x.zip");
}

TEST(AgentFetchSpec, RefusesUnsafeNamesAndBadJobs) {
  EXPECT_FALSE(parse_fetch_spec(Json::parse(
      R"({"id":"f4","dir":"/d","items":[{"url":"http://127.0.0.1/a","name":"../x"}]})")));
  EXPECT_FALSE(parse_fetch_spec(Json::parse(
      R"({"id":"f5","dir":"/d","items":[{"url":"http://127.0.0.1/a","name":"/etc/x"}]})")));
  EXPECT_FALSE(parse_fetch_spec(Json::parse(R"({"id":"../x","dir":"/d","url":"http://h/a"})")));
  EXPECT_FALSE(parse_fetch_spec(Json::parse(R"({"id":"f6","dir":"relative","url":"http://h/a"})")));
  EXPECT_FALSE(parse_fetch_spec(Json::parse(R"({"id":"f7","dir":"/d"})")));  // nothing to fetch
  EXPECT_FALSE(parse_fetch_spec(Json::parse(R"({"id":"f8","dir":"/d","url":"ftp://h/a"})")));
}

TEST(AgentFetchStatus, RoundTripsAndReportsADeadJobAsFailed) {
  auto state =
      std::filesystem::temp_directory_path() / ("gpunb-fetch-status-" + base::random_hex(4));
  ASSERT_TRUE(base::make_dirs(fetch_dir(state), 0700));
  FetchStatus status{"f9", "http://h/a", "/d"};
  status.pid = ::getpid();
  status.bytes = 10;
  status.total = 20;
  ASSERT_TRUE(base::write_atomic(fetch_dir(state) / "f9.json", status_json(status).dump(), 0600));
  auto read = read_fetch_status(state, "f9");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->state, "running");  // our own PID is alive
  EXPECT_EQ(read->total, 20u);
  status.pid = 999999999;  // no such process
  ASSERT_TRUE(base::write_atomic(fetch_dir(state) / "f9.json", status_json(status).dump(), 0600));
  read = read_fetch_status(state, "f9");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->state, "failed");
  EXPECT_EQ(read->error_kind, ErrorKind::interrupted);
  EXPECT_EQ(read_fetch_statuses(state).size(), 1u);
  std::filesystem::remove_all(state);
}

TEST(AgentBytePipe, CarriesBytesInOrderAndEnds) {
  BytePipe pipe(64);  // small: the writer must wait for the reader
  std::string sent;
  for (int i = 0; i < 1000; ++i) sent += std::to_string(i) + ",";
  std::thread writer([&] {
    for (size_t at = 0; at < sent.size(); at += 7) {
      ASSERT_TRUE(pipe.write(sent.data() + at, std::min<size_t>(7, sent.size() - at)));
    }
    pipe.close_write();
  });
  std::string got;
  char buffer[13];
  for (;;) {
    auto n = pipe.read(buffer, sizeof buffer);
    ASSERT_TRUE(n);
    if (*n == 0) break;
    got.append(buffer, *n);
  }
  writer.join();
  EXPECT_EQ(got, sent);
}

TEST(AgentBytePipe, AWriterFailsOnceTheReaderStopped) {
  BytePipe pipe(4);
  pipe.close_read();
  EXPECT_FALSE(pipe.write("abcdef", 6));
}

}  // namespace
}  // namespace gpunb::agent
