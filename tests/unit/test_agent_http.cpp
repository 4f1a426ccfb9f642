// The agent's HTTP calls (agent/host/http.hpp) through the one data/net client: what they send
// (headers, a body, the method) as a real server sees it, how the client reads raw replies, and
// that the call's timeout and status come back as the callers expect; and the callers' own
// exchanges (IMDSv2 for the spot notice, Jupyter's checkpoints) over it.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "agent/host/http.hpp"
#include "agent/watch/spot.hpp"
#include "data/net/socket.hpp"
#include "test_data_origin.hpp"
#include "test_origin_process.hpp"

namespace gpunb::agent {
namespace {

using gpunb::testing::Origin;
using gpunb::testing::OriginProcess;
using gpunb::testing::random_bytes;
using gpunb::testing::TempDir;
using gpunb::testing::write_file;

// One connection on 127.0.0.1: reads the request's head, answers REPLY byte for byte, closes.
class CannedServer {
 public:
  explicit CannedServer(std::string reply) : listener_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    auto* raw = reinterpret_cast<sockaddr*>(&address);
    if (::bind(listener_.get(), raw, length) != 0 || ::listen(listener_.get(), 1) != 0 ||
        ::getsockname(listener_.get(), raw, &length) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this, reply = std::move(reply)] { serve(reply); });
  }
  CannedServer(const CannedServer&) = delete;
  CannedServer& operator=(const CannedServer&) = delete;
  ~CannedServer() {
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  // What the client sent (the head), once the exchange is over.
  std::string request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  void serve(const std::string& reply) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return;  // the client never came: request() stays empty
    Fd client(::accept(listener_.get(), nullptr, nullptr));
    char buffer[4096];
    while (request_.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(client.get(), buffer, sizeof buffer, 0);
      if (n <= 0) return;
      request_.append(buffer, static_cast<size_t>(n));
    }
    (void)::send(client.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
  }

  Fd listener_;
  int port_ = 0;
  std::string request_;
  std::thread thread_;
};

TEST(AgentHttp, ReadsRawRepliesWithTheOneParser) {
  CannedServer ok("HTTP/1.1 200 OK\r\nContent-Type: x\r\n\r\n{\"started\":1}");
  auto reply = http_get_local(ok.port(), "/api/status", "T0KEN", std::chrono::seconds(5));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "{\"started\":1}");  // no length: the body ends with the connection
  auto sent = ok.request();
  EXPECT_TRUE(sent.starts_with("GET /api/status HTTP/1.1\r\n")) << sent;
  EXPECT_NE(sent.find("\r\nHost: 127.0.0.1:" + std::to_string(ok.port()) + "\r\n"),
            std::string::npos)
      << sent;
  EXPECT_NE(sent.find("\r\nAuthorization: token T0KEN\r\n"), std::string::npos) << sent;

  CannedServer forbidden("HTTP/1.1 403 Forbidden\r\n\r\n");
  auto refused = http_get_local(forbidden.port(), "/api/status", "", std::chrono::seconds(5));
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(refused->body, "");
  EXPECT_EQ(forbidden.request().find("Authorization"), std::string::npos);

  for (const char* raw : {"SSH-2.0-OpenSSH\r\n", "HTTP/1.1 abc\r\n\r\n"}) {
    CannedServer wrong(raw);
    auto failed = http_get_local(wrong.port(), "/api/status", "", std::chrono::seconds(5));
    ASSERT_FALSE(failed) << raw;
    EXPECT_EQ(failed.error().kind, ErrorKind::network) << raw;
  }
}

TEST(AgentHttp, GetWithAHeaderAndPutWithABodyAsTheServerSeesThem) {
  Origin origin;
  auto got = http_get_local(origin.port(), "/_echo", "s3cret", std::chrono::seconds(5));
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->status, 200);
  auto echo = nlohmann::json::parse(got->body);
  EXPECT_EQ(echo["method"], "GET");
  EXPECT_EQ(echo["path"], "/_echo");
  EXPECT_EQ(echo["headers"]["Authorization"], "token s3cret");
  EXPECT_EQ(echo["body"], "");

  Endpoint endpoint{"127.0.0.1", origin.port()};
  HttpCall put{"PUT", "/_echo?x=1", {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}}, "payload"};
  auto stored = http_call(endpoint, put);
  ASSERT_TRUE(stored) << stored.error().message;
  echo = nlohmann::json::parse(stored->body);
  EXPECT_EQ(echo["method"], "PUT");
  EXPECT_EQ(echo["path"], "/_echo?x=1");
  EXPECT_EQ(echo["headers"]["X-aws-ec2-metadata-token-ttl-seconds"], "21600");
  EXPECT_EQ(echo["headers"]["Content-Length"], "7");
  EXPECT_EQ(echo["body"], "payload");

  put.body.clear();  // IMDSv2's token request: a PUT with no body still says its length
  auto token = http_call(endpoint, put);
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(nlohmann::json::parse(token->body)["headers"]["Content-Length"], "0");
}

TEST(AgentHttp, StatusesComeBackAndRedirectsAreNotFollowed) {
  Origin origin;
  Endpoint endpoint{"127.0.0.1", origin.port()};
  auto missing = http_call(endpoint, {"GET", "/_status/404"});
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_EQ(missing->status, 404);
  auto moved = http_call(endpoint, {"POST", "/redirect?code=302&to=/_echo"});
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(moved->status, 302);
  EXPECT_EQ(moved->body, "moved\n");
}

TEST(AgentHttp, ACallThatTakesTooLongFailsWithKindTimeout) {
  Origin origin;
  write_file(origin.www() / "f.bin", random_bytes(1000, 2));
  HttpCall call{"GET", "/f.bin?stall=5000"};
  call.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto reply = http_call({"127.0.0.1", origin.port()}, call);
  ASSERT_FALSE(reply) << "status " << reply->status;
  EXPECT_EQ(reply.error().kind, ErrorKind::timeout) << reply.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

// IMDSv2 as the fake service of the e2e suite plays it: without the token from the PUT, every GET
// is a 401 and no notice could ever be seen.
TEST(AgentHttpCallers, SpotWatchTakesATokenThenSeesTheNotice) {
  TempDir dir;
  auto notice = dir.path() / "notice.json";
  OriginProcess imds(
      {"/usr/bin/python3", GPUNB_SOURCE_DIR "/tests/e2e/tools/imds.py", "0", notice.string()});
  ASSERT_NE(imds.port(), 0);
  SpotWatch spot("http://127.0.0.1:" + std::to_string(imds.port()));
  EXPECT_FALSE(spot.poll(100));  // 404: no notice yet
  write_file(notice, R"({"action": "terminate", "time": "2030-01-01T00:02:00Z"})");
  EXPECT_FALSE(spot.poll(104));  // asked again only 5 s after an answer
  auto seen = spot.poll(105);
  ASSERT_TRUE(seen);
  EXPECT_EQ((*seen)["action"], "terminate");
  EXPECT_FALSE(spot.poll(200));  // once
}

TEST(AgentHttpCallers, CheckpointsPostToJupyterWithTheToken) {
  CannedServer jupyter("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}");
  auto saved = checkpoint_notebooks({{jupyter.port(), "T0KEN", "a b/n.ipynb"}});
  EXPECT_EQ(saved, std::vector<std::string>{"a b/n.ipynb"});
  auto sent = jupyter.request();
  EXPECT_TRUE(sent.starts_with("POST /api/contents/a%20b/n.ipynb/checkpoints HTTP/1.1\r\n"))
      << sent;
  EXPECT_NE(sent.find("\r\nAuthorization: token T0KEN\r\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("\r\nContent-Length: 0\r\n"), std::string::npos) << sent;
}

}  // namespace
}  // namespace gpunb::agent
