#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "base/files.hpp"
#include "base/hash.hpp"
#include "ssh_fixture.hpp"

namespace gpunb::testing {

namespace fs = std::filesystem;
using Ms = std::chrono::milliseconds;

std::filesystem::path make_temp_dir(const std::string& prefix) {
  auto dir = fs::temp_directory_path() / (prefix + "-" + base::random_hex(6));
  fs::create_directories(dir);
  return dir;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string command_output(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, count);
  ::pclose(pipe);
  return out;
}

int connect_local(int port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
      int on = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      return fd;
    }
    ::close(fd);
    std::this_thread::sleep_for(Ms(20));
  }
  return -1;
}

std::string echo_through(int fd, const std::string& data) {
  std::thread writer([fd, &data] {
    size_t at = 0;
    while (at < data.size()) {
      auto sent = ::send(fd, data.data() + at, data.size() - at, MSG_NOSIGNAL);
      if (sent <= 0) return;
      at += static_cast<size_t>(sent);
    }
  });
  std::string back;
  std::vector<char> buffer(65536);
  while (back.size() < data.size()) {
    auto count = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (count <= 0) break;
    back.append(buffer.data(), static_cast<size_t>(count));
  }
  writer.join();
  return back;
}

// ---- Sshd ----

Sshd::Sshd(fs::path dir, std::string authorized)
    : dir_(std::move(dir)), authorized_(std::move(authorized)), port_(free_port()) {
  fs::create_directories(dir_);
  fs::create_directories("/run/sshd");
  std::ofstream(dir_ / "authorized_keys") << authorized_ << "\n";
}

Sshd::~Sshd() {
  stop();
}

namespace {

void write_config(const fs::path& dir, int port, const std::string& host_key) {
  std::ofstream config(dir / "sshd_config");
  config << "ListenAddress 127.0.0.1:" << port << "\n"
         << "HostKey " << (dir / host_key).string() << "\n"
         << "PidFile " << (dir / "sshd.pid").string() << "\n"
         << "AuthorizedKeysFile " << (dir / "authorized_keys").string() << "\n"
         << "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
         << "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
         << "Subsystem sftp " << (dir / "sftp-server.sh").string() << "\n"
         << "AllowTcpForwarding yes\nLogLevel VERBOSE\n";
  // sftp-server logging its requests (open, rename) to a file the tests can read.
  std::ofstream script(dir / "sftp-server.sh");
  script << "#!/bin/sh\nexec /usr/lib/openssh/sftp-server -e -l VERBOSE 2>>"
         << (dir / "sftp.log").string() << "\n";
  script.close();
  fs::permissions(dir / "sftp-server.sh", fs::perms(0755));
}

bool greets(int port) {
  int fd = connect_local(port, Ms(50));
  if (fd < 0) return false;
  pollfd entry{fd, POLLIN, 0};
  char banner[8] = {};
  bool ok = ::poll(&entry, 1, 1000) == 1 && ::recv(fd, banner, 4, 0) == 4 &&
            std::string(banner, 4) == "SSH-";
  ::close(fd);
  return ok;
}

std::map<pid_t, pid_t> parents() {
  std::map<pid_t, pid_t> parent_of;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto stat = base::read_file(entry.path() / "stat").value_or("");  // gone by now: skipped
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (state != 'Z') parent_of[std::stoi(name)] = ppid;
  }
  return parent_of;
}

}  // namespace

void Sshd::start(const std::string& host_key) {
  if (!fs::exists(dir_ / host_key)) {
    std::system(("ssh-keygen -q -t ed25519 -N '' -f " + (dir_ / host_key).string()).c_str());
  }
  write_config(dir_, port_, host_key);
  auto config = (dir_ / "sshd_config").string();
  auto log = (dir_ / "sshd.log").string();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-f", config.c_str(), "-E", log.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!greets(port_) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(Ms(10));
  }
}

std::vector<pid_t> Sshd::connection_pids() const {
  auto parent_of = parents();
  std::vector<pid_t> found;
  for (auto [pid, ppid] : parent_of) {
    for (pid_t up = ppid; up > 1; up = parent_of.count(up) ? parent_of[up] : 0) {
      if (up == pid_) {
        found.push_back(pid);
        break;
      }
    }
  }
  return found;
}

void Sshd::kill_connections(int signal) {
  for (pid_t pid : connection_pids()) ::kill(pid, signal);
}

void Sshd::stop() {
  if (pid_ <= 0) return;
  kill_connections(SIGKILL);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string Sshd::fingerprint(const std::string& host_key) const {
  auto line = command_output("ssh-keygen -lf " + (dir_ / (host_key + ".pub")).string());
  auto start = line.find("SHA256:");
  return line.substr(start, line.find(' ', start) - start);
}

std::string Sshd::log() const {
  return sshd_log() + base::read_file(dir_ / "sftp.log").value_or("");
}

std::string Sshd::sshd_log() const {
  return base::read_file(dir_ / "sshd.log").value_or("");
}

// ---- TcpServer ----

TcpServer::TcpServer(size_t source_bytes) : source_bytes_(source_bytes) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int on = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::listen(listener_, 64);
  socklen_t length = sizeof address;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TcpServer::~TcpServer() {
  stop_ = true;
  acceptor_.join();
  ::close(listener_);
  std::lock_guard lock(mutex_);
  for (auto& worker : workers_) worker.join();
}

void TcpServer::accept_loop() {
  while (!stop_) {
    pollfd entry{listener_, POLLIN, 0};
    if (::poll(&entry, 1, 50) != 1) continue;
    int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    std::lock_guard lock(mutex_);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void TcpServer::serve(int fd) {
  std::vector<char> buffer(256 * 1024);
  if (source_bytes_ > 0) {
    for (size_t left = source_bytes_; left > 0;) {
      auto sent = ::send(fd, buffer.data(), std::min(left, buffer.size()), MSG_NOSIGNAL);
      if (sent <= 0) break;
      left -= static_cast<size_t>(sent);
    }
  } else {
    while (true) {
      pollfd entry{fd, POLLIN, 0};
      if (stop_) break;
      if (::poll(&entry, 1, 100) == 0) continue;
      auto count = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (count <= 0) break;
      if (::send(fd, buffer.data(), static_cast<size_t>(count), MSG_NOSIGNAL) != count) break;
    }
  }
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

// ---- SshFixture ----

fs::path SshFixture::root_;
std::unique_ptr<Sshd> SshFixture::sshd_;
ssh::KeyPair SshFixture::key_;

void SshFixture::SetUpTestSuite() {
  root_ = make_temp_dir("gpunb-ssh-test");
  fs::create_directories(root_ / "home");
  ::setenv("HOME", (root_ / "home").c_str(), 1);
  ::unsetenv("SSH_AUTH_SOCK");
  key_ = ssh::load_or_create_key(root_ / "client" / "id_ed25519").value();
  sshd_ = std::make_unique<Sshd>(root_ / "sshd", key_.public_openssh);
  sshd_->start();
}

void SshFixture::TearDownTestSuite() {
  sshd_.reset();
  fs::remove_all(root_);
}

void SshFixture::SetUp() {
  dir_ = root_ / ::testing::UnitTest::GetInstance()->current_test_info()->name();
  fs::create_directories(dir_);
}

ssh::ConnectOptions SshFixture::options(const std::string& alias) const {
  ssh::ConnectOptions options;
  options.host = "127.0.0.1";
  options.port = sshd_->port();
  options.user = "root";
  options.identities = {key_.private_path};
  options.host_key.known_hosts = dir_ / "state" / "known_hosts";
  options.host_key.alias = alias;
  options.host_key.trust_first_use = true;  // the tests that judge first contact say otherwise
  options.connect_timeout = std::chrono::seconds(5);
  return options;
}

}  // namespace gpunb::testing
