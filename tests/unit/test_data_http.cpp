// The agent's HTTP client against tests/tools/http_origin.py (plain and TLS), and its pieces:
// URLs, /etc/hosts and resolv.conf parsing, DNS messages (and a DNS server on loopback).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "data/net/http.hpp"
#include "data/net/resolver.hpp"
#include "data/net/socket.hpp"
#include "test_data_origin.hpp"

namespace gpunb::data {
namespace {

using gpunb::testing::Origin;
using gpunb::testing::random_bytes;
using gpunb::testing::write_file;

HttpRequest get(const Url& url, const std::string& method = "GET") {
  HttpRequest request;
  request.method = method;
  request.url = url;
  return request;
}

TEST(DataUrl, ParsesAndResolves) {
  auto url = Url::parse("HTTPS://Example.COM/a/b/../c?x=1#frag");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "example.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/a/c?x=1");
  EXPECT_EQ(url->redacted(), "https://example.com/a/c");
  auto v6 = Url::parse("http://[::1]:8080");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
  EXPECT_EQ(v6->str(), "http://[::1]:8080/");
  EXPECT_EQ(url->resolve("d?y").str(), "https://example.com/a/d?y");
  EXPECT_EQ(url->resolve("/z").str(), "https://example.com/z");
  EXPECT_EQ(url->resolve("//other:81/p").str(), "https://other:81/p");
  EXPECT_EQ(url->resolve("http://h/q").str(), "http://h/q");
  for (const char* bad : {"ftp://x/", "example.com/x", "http://", "http://h:0/", "http://h:99999/",
                          "http://u:p@h/", "http://h/a b", "http://[::1/"}) {
    auto parsed = Url::parse(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().kind, ErrorKind::usage) << bad;
  }
}

TEST(DataResolver, HostsFileAndResolvConf) {
  std::string hosts =
      "# comment\n127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n"
      "10.0.0.5 data.internal Data # trailing\nnot-an-ip name\n10.0.0.6 other\n";
  auto found = hosts_lookup(hosts, "DATA");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].str(), "10.0.0.5");
  auto local = hosts_lookup(hosts, "localhost");
  ASSERT_EQ(local.size(), 2u);
  EXPECT_EQ(local[1].family, AF_INET6);
  EXPECT_TRUE(hosts_lookup(hosts, "name").empty());
  auto conf = parse_resolv_conf(
      "; c\nsearch corp\nnameserver 10.255.255.53\nnameserver fe80::1%eth0\n"
      "nameserver bad\nnameserver 1.1.1.1\nnameserver 8.8.8.8\noptions ndots:2 timeout:1 "
      "attempts:3\n");
  ASSERT_EQ(conf.nameservers.size(), 3u);
  EXPECT_EQ(conf.nameservers[0].str(), "10.255.255.53");
  EXPECT_EQ(conf.nameservers[1].str(), "fe80::1");
  EXPECT_EQ(conf.timeout, std::chrono::seconds(1));
  EXPECT_EQ(conf.attempts, 3);
  EXPECT_EQ(parse_resolv_conf("").nameservers[0].str(), "127.0.0.1");
}

TEST(DataResolver, LiteralsAndLocalhostWithoutFiles) {
  ResolverFiles none{"/nonexistent/hosts", "/nonexistent/resolv.conf"};
  EXPECT_EQ((*resolve_host("192.0.2.1", none))[0].str(), "192.0.2.1");
  EXPECT_EQ((*resolve_host("::1", none))[0].family, AF_INET6);
  EXPECT_EQ((*resolve_host("localhost", none))[0].str(), "127.0.0.1");
}

// A reply to QUERY: a CNAME, then an address of TYPE (192.0.2.7 or ::1), as a recursive server
// would give.
std::string fake_reply(const std::string& query, std::uint16_t type) {
  std::string reply = query;
  reply[2] = static_cast<char>(0x81);
  reply[3] = static_cast<char>(0x80);
  reply[7] = 2;  // answers
  auto record = [&](char rtype, const std::string& data) {
    reply +=
        std::string("\xc0\x0c\x00", 3) + rtype + std::string("\x00\x01\x00\x00\x00\x3c\x00", 7);
    reply += static_cast<char>(data.size()) + data;
  };
  record(5, std::string("\x03"
                        "cdn"
                        "\xc0\x0c",
                        6));
  record(static_cast<char>(type),
         type == kTypeA ? std::string("\xc0\x00\x02\x07", 4) : std::string(15, '\0') + "\x01");
  return reply;
}

TEST(DataResolver, DnsMessages) {
  auto query = dns_query(0x1234, "files.example.", kTypeA);
  ASSERT_TRUE(query);
  EXPECT_EQ(query->substr(12), std::string("\x05"
                                           "files"
                                           "\x07"
                                           "example"
                                           "\x00\x00\x01\x00\x01",
                                           19));
  auto answers = dns_answers(fake_reply(*query, kTypeA), 0x1234, "Files.Example", kTypeA);
  ASSERT_TRUE(answers) << answers.error().message;
  ASSERT_EQ(answers->size(), 1u);
  EXPECT_EQ((*answers)[0].str(), "192.0.2.7");
  EXPECT_FALSE(dns_answers(fake_reply(*query, kTypeA), 0x9999, "files.example", kTypeA));
  EXPECT_FALSE(
      dns_answers(fake_reply(*query, kTypeA).substr(0, 40), 0x1234, "files.example", kTypeA));
  EXPECT_FALSE(dns_query(1, "a..b", kTypeA));
}

TEST(DataResolver, OnlyARepliesToTheQuestionAskedCounts) {
  auto query = dns_query(0x1234, "files.example", kTypeA);
  ASSERT_TRUE(query);
  auto reply = fake_reply(*query, kTypeA);
  EXPECT_TRUE(dns_replies_to(reply, 0x1234, "files.example.", kTypeA));
  EXPECT_FALSE(dns_replies_to(reply, 0x1235, "files.example", kTypeA));     // another id
  EXPECT_FALSE(dns_replies_to(reply, 0x1234, "files.exampla", kTypeA));     // another name
  EXPECT_FALSE(dns_replies_to(reply, 0x1234, "files.example", kTypeAaaa));  // another type
  auto other_name = fake_reply(*dns_query(0x1234, "evil.example", kTypeA), kTypeA);
  EXPECT_FALSE(dns_answers(other_name, 0x1234, "files.example", kTypeA));
  auto chaos = reply;  // the question's class CH (3), not IN
  chaos[12 + 15 + 3] = 3;
  EXPECT_FALSE(dns_answers(chaos, 0x1234, "files.example", kTypeA));
  auto no_question = reply;
  no_question[5] = 0;
  EXPECT_FALSE(dns_answers(no_question, 0x1234, "files.example", kTypeA));
  // An answer record of class CH, or for a name outside the CNAME chain, is not an address.
  auto chaos_record = reply;
  chaos_record[chaos_record.size() - 11] = 3;  // the A record's class (16 bytes, the last)
  auto none = dns_answers(chaos_record, 0x1234, "files.example", kTypeA);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(dns_truncated(reply));
  reply[2] = static_cast<char>(reply[2] | 0x02);
  EXPECT_TRUE(dns_truncated(reply));
}

TEST(DataResolver, AsksANameserverOverUdp) {
  Fd server(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(53);
  if (::bind(server.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    GTEST_SKIP() << "cannot bind 127.0.0.1:53 here";
  }
  std::thread answer([&] {
    char buffer[512];
    sockaddr_in from{};
    socklen_t length = sizeof from;
    ssize_t n = ::recvfrom(server.get(), buffer, sizeof buffer, 0,
                           reinterpret_cast<sockaddr*>(&from), &length);
    auto reply = fake_reply(std::string(buffer, static_cast<size_t>(n)), kTypeA);
    ::sendto(server.get(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from),
             length);
  });
  auto found =
      dns_resolve(parse_resolv_conf("nameserver 127.0.0.1\noptions timeout:2\n"), "x.test");
  answer.join();
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ((*found)[0].str(), "192.0.2.7");
}

// A DNS server on loopback (UDP and TCP on one port): to each UDP query it first sends replies
// that answer another question (another id, another name), then a truncated reply to the right
// one; the full reply comes over TCP only.
class FakeDns {
 public:
  FakeDns() {
    for (int tries = 0; tries < 20 && port_ == 0; ++tries) bind_both();
    if (port_ != 0) thread_ = std::thread([this] { serve(); });
  }
  ~FakeDns() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  int tcp_queries() const { return tcp_queries_; }

 private:
  void bind_both() {
    udp_ = Fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    tcp_ = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(udp_.get(), reinterpret_cast<sockaddr*>(&address), length) != 0) return;
    ::getsockname(udp_.get(), reinterpret_cast<sockaddr*>(&address), &length);
    if (::bind(tcp_.get(), reinterpret_cast<sockaddr*>(&address), length) != 0) return;
    if (::listen(tcp_.get(), 4) != 0) return;
    port_ = ntohs(address.sin_port);
  }
  void serve() {
    while (!stop_) {
      pollfd fds[2] = {{udp_.get(), POLLIN, 0}, {tcp_.get(), POLLIN, 0}};
      if (::poll(fds, 2, 50) <= 0) continue;
      if (fds[0].revents & POLLIN) answer_udp();
      if (fds[1].revents & POLLIN) answer_tcp();
    }
  }
  void answer_udp() {
    char buffer[512];
    sockaddr_in from{};
    socklen_t length = sizeof from;
    ssize_t n = ::recvfrom(udp_.get(), buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from),
                           &length);
    if (n < 12) return;
    std::string query(buffer, static_cast<size_t>(n));
    auto send = [&](const std::string& reply) {
      ::sendto(udp_.get(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from),
               length);
    };
    auto stray = fake_reply(query, kTypeA);
    stray[1] = static_cast<char>(stray[1] ^ 0x5a);  // another id
    send(stray);
    auto other = fake_reply(*dns_query(0, "evil.example", kTypeA), kTypeA);
    other[0] = query[0];
    other[1] = query[1];  // our id, another question
    send(other);
    std::string truncated = query;  // our question, no answers, TC set
    truncated[2] = static_cast<char>(0x83);
    truncated[3] = static_cast<char>(0x80);
    send(truncated);
  }
  void answer_tcp() {
    Fd client(::accept4(tcp_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) return;
    char size[2];
    if (::recv(client.get(), size, 2, MSG_WAITALL) != 2) return;
    std::string query(static_cast<size_t>((static_cast<std::uint8_t>(size[0]) << 8) |
                                          static_cast<std::uint8_t>(size[1])),
                      '\0');
    if (::recv(client.get(), query.data(), query.size(), MSG_WAITALL) !=
        static_cast<ssize_t>(query.size()))
      return;
    ++tcp_queries_;
    auto reply = fake_reply(query, kTypeA);
    std::string framed{static_cast<char>(reply.size() >> 8), static_cast<char>(reply.size())};
    framed += reply;
    ::send(client.get(), framed.data(), framed.size(), MSG_NOSIGNAL);
  }

  Fd udp_, tcp_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> tcp_queries_{0};
  std::thread thread_;
};

TEST(DataResolver, StrayRepliesAreIgnoredAndATruncatedOneIsAskedAgainOverTcp) {
  FakeDns server;
  ASSERT_NE(server.port(), 0) << "cannot bind UDP and TCP on one loopback port";
  auto conf = parse_resolv_conf("nameserver 127.0.0.1\noptions timeout:2 attempts:1\n");
  conf.port = server.port();
  auto found = dns_resolve(conf, "x.test");
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].str(), "192.0.2.7");
  EXPECT_EQ(server.tcp_queries(), 1);
}

class DataHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    body_ = random_bytes(3 << 20, 1);
    write_file(origin_.www() / "f.bin", body_);
  }
  Origin origin_;
  std::string body_;
};

TEST_F(DataHttp, PlainGet) {
  HttpClient client;
  auto reply = client.get_text(get(origin_.parsed("/f.bin")), 8 << 20);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->first.status, 200);
  EXPECT_EQ(reply->first.content_length, body_.size());
  EXPECT_EQ(header(reply->first.headers, "accept-RANGES"), "bytes");
  EXPECT_TRUE(reply->second == body_);
  auto missing = client.get_text(get(origin_.parsed("/nope")));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->first.status, 404);
  auto small = client.get_text(get(origin_.parsed("/f.bin")), 1000);
  EXPECT_FALSE(small);
}

TEST_F(DataHttp, Chunked) {
  HttpClient client;
  auto reply = client.get_text(get(origin_.parsed("/f.bin?chunked=1")), 8 << 20);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_FALSE(reply->first.content_length);
  EXPECT_TRUE(reply->second == body_);
  auto closed = client.get_text(get(origin_.parsed("/f.bin?close=1")), 8 << 20);  // until EOF
  ASSERT_TRUE(closed) << closed.error().message;
  EXPECT_TRUE(closed->second == body_);
}

TEST_F(DataHttp, RedirectChain) {
  HttpClient client;
  std::string target = "/f.bin";
  for (const char* code : {"301", "302", "307", "308"}) {
    std::string encoded;
    for (char c : target) {
      encoded += c == '%'   ? "%25"
                 : c == '&' ? "%26"
                 : c == '?' ? "%3F"
                 : c == '=' ? "%3D"
                            : std::string(1, c);
    }
    target = "/redirect?code=" + std::string(code) + "&to=" + encoded;
  }
  auto reply = client.get_text(get(origin_.parsed(target)), 8 << 20);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->first.url.target, "/f.bin");
  EXPECT_TRUE(reply->second == body_);
  auto post = get(origin_.parsed("/redirect?code=303&to=/_echo"), "POST");
  post.body = "data";
  auto echoed = client.get_text(post);
  ASSERT_TRUE(echoed);
  EXPECT_EQ(nlohmann::json::parse(echoed->second)["method"], "GET");
  post.url = origin_.parsed("/redirect?code=307&to=/_echo");
  echoed = client.get_text(post);
  ASSERT_TRUE(echoed);
  EXPECT_EQ(nlohmann::json::parse(echoed->second)["method"], "POST");
  EXPECT_EQ(nlohmann::json::parse(echoed->second)["body"], "data");
  HttpClient limited(HttpOptions{.max_redirects = 2});
  EXPECT_FALSE(limited.get_text(get(origin_.parsed(target))));
}

TEST_F(DataHttp, KeepAliveReusesOneConnection) {
  HttpClient client;
  origin_.reset();
  for (int i = 0; i < 3; ++i) {
    auto reply =
        client.get_text(get(origin_.parsed(i == 1 ? "/f.bin?chunked=1" : "/f.bin")), 8 << 20);
    ASSERT_TRUE(reply) << reply.error().message;
  }
  auto stats = origin_.stats();  // its own connection
  EXPECT_EQ(stats["connections"], 2);
  EXPECT_EQ(stats["requests"], 4);
  // A body refused by the head check is not drained: that connection is closed, not reused.
  auto refused = client.send(
      get(origin_.parsed("/f.bin")), [](const HttpHead&) -> Result<bool> { return false; },
      [](const char*, size_t) -> Status { return {}; });
  ASSERT_TRUE(refused);
  ASSERT_TRUE(client.get_text(get(origin_.parsed("/f.bin")), 8 << 20));
  EXPECT_EQ(origin_.stats()["connections"], 4);
}

TEST_F(DataHttp, IdleTimeoutAndRefusedConnection) {
  HttpClient client(HttpOptions{.idle_timeout = std::chrono::milliseconds(300)});
  auto start = std::chrono::steady_clock::now();
  auto reply = client.get_text(get(origin_.parsed("/f.bin?stall=5000")), 8 << 20);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().kind, ErrorKind::timeout);
  EXPECT_NE(reply.error().message.find("timed out"), std::string::npos) << reply.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  auto refused = client.get_text(get(*Url::parse("http://127.0.0.1:1/")));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::network);
}

// A body that trickles (a block every 0.5 s) never trips the idle timeout; the request's own
// timeout ends it all the same.
TEST(DataHttpDeadline, TheRequestTimeoutBoundsTheWholeExchange) {
  Origin slow({"--rate", "128KiB"});
  write_file(slow.www() / "f.bin", random_bytes(768 << 10, 3));
  HttpClient client(HttpOptions{.idle_timeout = std::chrono::seconds(10)});
  auto request = get(slow.parsed("/f.bin"));
  request.timeout = std::chrono::milliseconds(1500);
  auto start = std::chrono::steady_clock::now();
  auto reply = client.get_text(request, 8 << 20);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(reply) << "the whole body came in " << reply->second.size() << " bytes";
  EXPECT_EQ(reply.error().kind, ErrorKind::timeout);
  EXPECT_NE(reply.error().message.find("the request's time is up"), std::string::npos)
      << reply.error().message;
  EXPECT_GE(took, std::chrono::milliseconds(1400));
  EXPECT_LT(took, std::chrono::seconds(4));
  request.url = slow.parsed("/_echo");  // a small answer well within the timeout
  ASSERT_TRUE(client.get_text(request));
}

TEST_F(DataHttp, RedirectsCanBeReturnedAsTheyCame) {
  HttpClient client(HttpOptions{.follow_redirects = false});
  auto reply = client.get_text(get(origin_.parsed("/redirect?code=307&to=/f.bin")));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->first.status, 307);
  EXPECT_EQ(header(reply->first.headers, "Location"), "/f.bin");
  EXPECT_EQ(reply->second, "moved\n");
  EXPECT_EQ(reply->first.url.target, "/redirect?code=307&to=/f.bin");
}

TEST(DataHttpTls, NeverFollowsARedirectFromHttpsToHttp) {
  Origin secure({"--tls"});
  Origin plain;
  write_file(secure.www() / "f.txt", "over TLS\n");
  write_file(plain.www() / "f.txt", "in the clear\n");
  HttpClient client(HttpOptions{.ca_file = secure.cert()});
  auto same = client.get_text(get(secure.parsed("/redirect?to=/f.txt", "localhost")));
  ASSERT_TRUE(same) << same.error().message;  // https to https is followed
  EXPECT_EQ(same->second, "over TLS\n");
  std::string to = "http://127.0.0.1:" + std::to_string(plain.port()) + "/f.txt";
  auto down = client.get_text(get(secure.parsed("/redirect?to=" + to, "localhost")));
  ASSERT_FALSE(down) << "followed to " << down->first.url.str();
  EXPECT_EQ(down.error().kind, ErrorKind::refused);
  EXPECT_NE(down.error().message.find("redirects to plain http"), std::string::npos)
      << down.error().message;
  EXPECT_EQ(plain.stats()["requests"], 1);  // only the stats request itself
}

TEST(DataHttpTls, ABodyThatEndsWithoutCloseNotifyIsACutNotTheEnd) {
  Origin origin({"--tls"});
  std::string body = random_bytes(2 << 20, 5);
  write_file(origin.www() / "f.bin", body);
  HttpClient client(HttpOptions{.ca_file = origin.cert()});
  auto whole = client.get_text(get(origin.parsed("/f.bin?close=1", "localhost")), 8 << 20);
  ASSERT_TRUE(whole) << whole.error().message;  // close_notify, then the close: the end
  EXPECT_TRUE(whole->second == body);
  origin.configure({{"cut_after", 500000}, {"cut_count", 1}});
  auto cut = client.get_text(get(origin.parsed("/f.bin?close=1", "localhost")), 8 << 20);
  ASSERT_FALSE(cut) << "a cut body of " << cut->second.size() << " bytes taken as the file";
  EXPECT_EQ(cut.error().kind, ErrorKind::network);
  EXPECT_NE(cut.error().message.find("close_notify"), std::string::npos) << cut.error().message;
}

TEST(DataHttpTls, VerifiesTheCertificateAndTheHostName) {
  Origin origin({"--tls"});
  write_file(origin.www() / "f.txt", "hello over TLS\n");
  HttpClient client(HttpOptions{.ca_file = origin.cert()});
  auto reply = client.get_text(get(origin.parsed("/f.txt", "localhost")));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->second, "hello over TLS\n");
  auto again = client.get_text(get(origin.parsed("/f.txt", "localhost")));  // kept alive
  ASSERT_TRUE(again) << again.error().message;

  HttpClient wrong_ca(HttpOptions{.ca_file = "/etc/ssl/certs/ca-certificates.crt"});
  auto refused = wrong_ca.get_text(get(origin.parsed("/f.txt", "localhost")));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::refused);
  EXPECT_NE(refused.error().message.find("not trusted"), std::string::npos)
      << refused.error().message;

  auto wrong_name = client.get_text(get(origin.parsed("/f.txt", "127.0.0.1")));
  ASSERT_FALSE(wrong_name);
  EXPECT_EQ(wrong_name.error().kind, ErrorKind::refused);
  EXPECT_NE(wrong_name.error().message.find("not trusted"), std::string::npos)
      << wrong_name.error().message;

  HttpClient no_bundle(HttpOptions{.ca_file = "/nonexistent/bundle.pem"});
  auto unloaded = no_bundle.get_text(get(origin.parsed("/f.txt", "localhost")));
  ASSERT_FALSE(unloaded);
  EXPECT_EQ(unloaded.error().kind, ErrorKind::refused);
}

}  // namespace
}  // namespace gpunb::data
