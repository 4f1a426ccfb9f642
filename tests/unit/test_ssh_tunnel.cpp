#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "ssh/tunnel.hpp"
#include "ssh/tunnel_socket.hpp"
#include "ssh_fixture.hpp"

namespace gpunb::testing {

namespace {

using Clock = std::chrono::steady_clock;

std::string pattern(size_t size, int seed) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 31 + seed) % 253);
  return data;
}

// Echoes one message through a new connection to the tunnel; false on any failure.
bool echo_ok(int port, const std::string& message) {
  int fd = connect_local(port);
  if (fd < 0) return false;
  bool ok = echo_through(fd, message) == message;
  ::close(fd);
  return ok;
}

}  // namespace

// Runs a tunnel on its own thread for the length of a test.
class TunnelTest : public SshFixture {
 protected:
  ssh::TunnelOptions tunnel_options(int remote_port) {
    ssh::TunnelOptions options;
    options.local_port = 0;
    options.remote_port = remote_port;
    options.keepalive_interval = std::chrono::milliseconds(200);
    auto connect = this->options();
    options.reconnect = [connect] { return ssh::Session::connect(connect); };
    options.on_status = [this](const ssh::TunnelStatus& status) {
      std::lock_guard lock(mutex_);
      statuses_.push_back(status);
    };
    return options;
  }
  void start(ssh::TunnelOptions options) {
    auto tunnel = ssh::Tunnel::bind(options);
    ASSERT_TRUE(tunnel) << tunnel.error().message;
    tunnel_.emplace(std::move(*tunnel));
    port_ = tunnel_->local_port();
    auto session = ssh::Session::connect(this->options());
    ASSERT_TRUE(session) << session.error().message;
    thread_ = std::thread(
        [this, s = std::move(*session)]() mutable { result_ = tunnel_->run(std::move(s), stop_); });
  }
  void TearDown() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int reconnects() {
    std::lock_guard lock(mutex_);
    return statuses_.empty() ? 0 : statuses_.back().reconnects;
  }
  bool saw(ssh::TunnelState state) {
    std::lock_guard lock(mutex_);
    for (auto& status : statuses_) {
      if (status.state == state) return true;
    }
    return false;
  }
  // Retries ECHO until it works or the deadline passes; the time it took.
  std::chrono::milliseconds until_echo_works(std::chrono::seconds deadline) {
    auto start = Clock::now();
    while (!echo_ok(port_, "ping") && Clock::now() - start < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  }

  std::optional<ssh::Tunnel> tunnel_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  core::Status result_;
  std::mutex mutex_;
  std::vector<ssh::TunnelStatus> statuses_;
};

TEST_F(TunnelTest, RoundTripsAMegabyteEachWayOnSeveralClients) {
  TcpServer echo;
  start(tunnel_options(echo.port()));
  std::vector<std::thread> clients;
  std::atomic<int> good{0};
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] {
      int fd = connect_local(port_);
      auto data = pattern(1024 * 1024, i);
      if (fd >= 0 && echo_through(fd, data) == data) ++good;
      ::close(fd);
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(good.load(), 4);
  auto asked = Clock::now();
  stop_ = true;
  thread_.join();
  EXPECT_LT(Clock::now() - asked, std::chrono::milliseconds(300));
  EXPECT_TRUE(result_);
  EXPECT_TRUE(saw(ssh::TunnelState::stopped));
  std::lock_guard lock(mutex_);
  EXPECT_GE(statuses_.back().bytes_up, 4u * 1024 * 1024);
  EXPECT_GE(statuses_.back().bytes_down, 4u * 1024 * 1024);
}

TEST_F(TunnelTest, HalfCloseDeliversEverythingThenEof) {
  TcpServer echo;
  start(tunnel_options(echo.port()));
  int fd = connect_local(port_);
  ASSERT_GE(fd, 0);
  auto data = pattern(300000, 5);
  ASSERT_EQ(::send(fd, data.data(), data.size(), 0), static_cast<ssize_t>(data.size()));
  ::shutdown(fd, SHUT_WR);
  std::string back;
  char buffer[65536];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
    back.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_EQ(back, data);
}

TEST_F(TunnelTest, RefusedRemotePortClosesTheClient) {
  start(tunnel_options(free_port()));
  int fd = connect_local(port_);
  ASSERT_GE(fd, 0);
  char byte = 0;
  EXPECT_LE(::recv(fd, &byte, 1, 0), 0);
  ::close(fd);
  EXPECT_TRUE(echo_ok(port_, "x") == false);
}

TEST_F(TunnelTest, TakesTheNextPortAndAvoidsJupytersDefault) {
  auto taken = ssh::listen_local("127.0.0.1", 0, false, {});
  ASSERT_TRUE(taken);
  ssh::TunnelOptions options;
  options.remote_port = 1;
  options.local_port = taken->port;
  auto next = ssh::Tunnel::bind(options);
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_GT(next->local_port(), taken->port);
  options.next_free_port = false;
  auto strict = ssh::Tunnel::bind(options);
  ASSERT_FALSE(strict);
  options.next_free_port = true;
  options.local_port = 8888;
  auto avoided = ssh::Tunnel::bind(options);
  ASSERT_TRUE(avoided);
  EXPECT_NE(avoided->local_port(), 8888);
  options.bind_host = "0.0.0.0";
  EXPECT_FALSE(ssh::Tunnel::bind(options));
}

TEST_F(TunnelTest, ReconnectsAfterTheServingSshdDies) {
  TcpServer echo;
  start(tunnel_options(echo.port()));
  ASSERT_TRUE(echo_ok(port_, "before"));
  sshd_->kill_connections(SIGKILL);
  auto took = until_echo_works(std::chrono::seconds(5));
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_TRUE(echo_ok(port_, "after"));
  EXPECT_TRUE(saw(ssh::TunnelState::reconnecting));
  EXPECT_GE(reconnects(), 1);
}

TEST_F(TunnelTest, KeepalivesDetectASilentServer) {
  TcpServer echo;
  start(tunnel_options(echo.port()));
  ASSERT_TRUE(echo_ok(port_, "before"));
  sshd_->kill_connections(SIGSTOP);  // the connection goes silent, as on a cut network
  auto took = until_echo_works(std::chrono::seconds(6));
  sshd_->kill_connections(SIGKILL);  // the stopped ones (and the new one: harmless at the end)
  EXPECT_LT(took, std::chrono::seconds(3));  // 3 x 200 ms of silence, then a new session
  EXPECT_TRUE(saw(ssh::TunnelState::reconnecting));
}

TEST_F(TunnelTest, WaitsForAWholeSshdRestart) {
  TcpServer echo;
  start(tunnel_options(echo.port()));
  ASSERT_TRUE(echo_ok(port_, "before"));
  sshd_->stop();
  std::thread restart([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    sshd_->start();
  });
  auto took = until_echo_works(std::chrono::seconds(8));  // a client waits during the outage
  restart.join();
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_TRUE(echo_ok(port_, "after"));
}

}  // namespace gpunb::testing
