// Tunnel against OpenSSH `ssh -N -L` on the same sshd. Disabled by default (slow); run with
// unit_tests --gtest_also_run_disabled_tests --gtest_filter='*TunnelBench*'
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "ssh/tunnel.hpp"
#include "ssh_fixture.hpp"

namespace gpunb::testing {

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kBulk = size_t{1} << 30;

double download_mb_per_s(int port) {
  int fd = connect_local(port);
  if (fd < 0) return 0;
  std::vector<char> buffer(256 * 1024);
  size_t total = 0;
  auto start = Clock::now();
  for (ssize_t n; (n = ::recv(fd, buffer.data(), buffer.size(), 0)) > 0;)
    total += static_cast<size_t>(n);
  std::chrono::duration<double> took = Clock::now() - start;
  ::close(fd);
  return total == kBulk ? static_cast<double>(total) / 1e6 / took.count() : 0;
}

double round_trip_ms(int port, int count) {
  int fd = connect_local(port);
  if (fd < 0) return 0;
  std::string request(100, 'r');
  char buffer[256];
  auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    ::send(fd, request.data(), request.size(), 0);
    size_t got = 0;
    while (got < request.size()) got += static_cast<size_t>(::recv(fd, buffer, sizeof buffer, 0));
  }
  std::chrono::duration<double, std::milli> took = Clock::now() - start;
  ::close(fd);
  return took.count() / count;
}

pid_t openssh_forward(int local, int remote, int sshd_port, const std::string& key,
                      const std::string& cipher) {
  pid_t pid = ::fork();
  if (pid == 0) {
    auto forward = std::to_string(local) + ":127.0.0.1:" + std::to_string(remote);
    auto port = std::to_string(sshd_port);
    ::execlp("ssh", "ssh", "-N", "-L", forward.c_str(), "-p", port.c_str(), "-i", key.c_str(), "-c",
             cipher.c_str(), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
             "-o", "LogLevel=ERROR", "root@127.0.0.1", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

}  // namespace

class TunnelBench : public SshFixture {};

TEST_F(TunnelBench, DISABLED_LatencyOnly) {
  TcpServer echo;
  std::atomic<bool> stop{false};
  ssh::TunnelOptions options;
  options.local_port = 0;
  options.remote_port = echo.port();
  auto small = ssh::Tunnel::bind(options).value();
  std::thread runner(
      [&] { (void)small.run(ssh::Session::connect(this->options()).value(), stop); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::printf("gpunb latency %.3f ms/request\n", round_trip_ms(small.local_port(), 5000));
  stop = true;
  runner.join();
}

TEST_F(TunnelBench, DISABLED_AgainstOpenSsh) {
  TcpServer source(kBulk);
  TcpServer echo;
  for (int round = 0; round < 3; ++round) {
    for (auto cipher : {"aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com"}) {
      int local = free_port(), local_echo = free_port();
      pid_t bulk = openssh_forward(local, source.port(), sshd_->port(), key_.private_path, cipher);
      pid_t small =
          openssh_forward(local_echo, echo.port(), sshd_->port(), key_.private_path, cipher);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      std::printf("openssh %-30s %7.1f MB/s  %.3f ms/request\n", cipher, download_mb_per_s(local),
                  round_trip_ms(local_echo, 1000));
      ::kill(bulk, SIGTERM);
      ::kill(small, SIGTERM);
      ::waitpid(bulk, nullptr, 0);
      ::waitpid(small, nullptr, 0);
    }
    std::atomic<bool> stop{false};
    ssh::TunnelOptions options;
    options.local_port = 0;
    options.remote_port = source.port();
    auto bulk = ssh::Tunnel::bind(options).value();
    options.remote_port = echo.port();
    auto small = ssh::Tunnel::bind(options).value();
    std::thread t1([&] { (void)bulk.run(ssh::Session::connect(this->options()).value(), stop); });
    std::thread t2([&] { (void)small.run(ssh::Session::connect(this->options()).value(), stop); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::printf("gpunb   %-30s %7.1f MB/s  %.3f ms/request\n", "(negotiated)",
                download_mb_per_s(bulk.local_port()), round_trip_ms(small.local_port(), 1000));
    stop = true;
    t1.join();
    t2.join();
  }
}

}  // namespace gpunb::testing
