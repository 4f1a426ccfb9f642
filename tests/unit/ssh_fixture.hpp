// Test helpers for the ssh layer: a real OpenSSH sshd on 127.0.0.1 in a temp folder, a temp HOME,
// and small TCP servers to forward to.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ssh/keys.hpp"
#include "ssh/session.hpp"

namespace gpunb::testing {

std::filesystem::path make_temp_dir(const std::string& prefix);
int free_port();
std::string command_output(const std::string& command);  // popen, stdout only

class Sshd {
 public:
  // DIR holds keys, config and logs; AUTHORIZED is the public key line allowed in.
  Sshd(std::filesystem::path dir, std::string authorized);
  Sshd(const Sshd&) = delete;
  Sshd& operator=(const Sshd&) = delete;
  ~Sshd();

  // Starts (at the same port every time) with host key NAME, made on first use.
  void start(const std::string& host_key = "host_ed25519");
  void stop();                        // the listener and every connection it serves
  void kill_connections(int signal);  // only the processes serving connections
  int port() const { return port_; }
  std::string fingerprint(const std::string& host_key = "host_ed25519") const;
  std::string log() const;       // sshd's log, then sftp-server's
  std::string sshd_log() const;  // sshd's alone: grows only at its end

 private:
  std::vector<pid_t> connection_pids() const;

  std::filesystem::path dir_;
  std::string authorized_;
  int port_;
  pid_t pid_ = -1;
};

// A TCP server on 127.0.0.1: echoes, or sends `source_bytes` and closes when that is not 0.
class TcpServer {
 public:
  explicit TcpServer(size_t source_bytes = 0);
  ~TcpServer();
  int port() const { return port_; }

 private:
  void accept_loop();
  void serve(int fd);

  size_t source_bytes_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> workers_;
};

// Connects to 127.0.0.1:PORT (blocking socket, TCP_NODELAY); -1 on failure.
int connect_local(int port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
// Sends DATA and reads as many bytes back (a writer thread, so neither side stalls).
std::string echo_through(int fd, const std::string& data);

// One sshd per test suite, a client key, a temp HOME without ~/.ssh, no ssh-agent.
class SshFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  ssh::ConnectOptions options(const std::string& alias = "gpunb-test") const;

  static std::filesystem::path root_;
  static std::unique_ptr<Sshd> sshd_;
  static ssh::KeyPair key_;
  std::filesystem::path dir_;  // per test
};

}  // namespace gpunb::testing
