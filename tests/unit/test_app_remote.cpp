// open_session connects through the context's Services (the seam a fake SSH replaces), with the
// machine's pinned key and gpunb's own known_hosts.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "app/remote.hpp"
#include "fake_provider.hpp"
#include "test_app_context.hpp"

namespace gpunb::app {

namespace {

// A loopback port that greets its first caller as sshd would, so wait_for_ssh passes.
class Greeter {
 public:
  Greeter() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    auto* raw = reinterpret_cast<sockaddr*>(&address);
    EXPECT_EQ(::bind(fd_, raw, size), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    EXPECT_EQ(::getsockname(fd_, raw, &size), 0);
    port = ntohs(address.sin_port);
    thread_ = std::thread([this] { greet(); });
  }
  ~Greeter() {
    thread_.join();
    ::close(fd_);
  }
  Greeter(const Greeter&) = delete;
  Greeter& operator=(const Greeter&) = delete;

  int port = 0;

 private:
  void greet() const {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, 10000) != 1) return;  // nobody came: the test fails on its own
    int client = ::accept(fd_, nullptr, nullptr);
    if (client < 0) return;
    const char banner[] = "SSH-2.0-OpenSSH_9.2 fake\r\n";
    EXPECT_GT(::write(client, banner, sizeof(banner) - 1), 0);
    ::close(client);
  }

  int fd_ = -1;
  std::thread thread_;
};

class OpenSessionTest : public AppTempDirTest {
 protected:
  core::Machine machine(int port) {
    core::Machine machine;
    machine.name = "box";
    machine.region = "us-east-1";
    machine.id = "i-1";
    machine.state = core::MachineState::running;
    machine.public_ip = "127.0.0.1";
    machine.ssh_port = port;
    machine.user = "ubuntu";
    machine.launched_at = kT0 - kHour;  // long booted: no wait for a first boot
    return machine;
  }
  void pin(const core::Machine& machine) {
    std::filesystem::create_directories(known_hosts_path(context_).parent_path());
    std::ofstream(known_hosts_path(context_))
        << host_alias(machine) << " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFake\n";
  }

  util::MapEnv env_{{{"HOME", dir_.string()},
                     {"XDG_STATE_HOME", (dir_ / "state").string()},
                     {"XDG_CONFIG_HOME", (dir_ / "config").string()}}};
  base::Logger log_{stderr, base::LogLevel::quiet};
  SettableClock clock_;
  testing::FakeServices services_;
  Context context_{env_, log_, clock_, Output{}, GlobalOptions{}, services_};
};

}  // namespace

TEST_F(OpenSessionTest, ConnectsThroughTheServicesWithThePinnedKey) {
  Greeter greeter;
  auto box = machine(greeter.port);
  pin(box);
  try {
    open_session(context_, box);
    FAIL() << "the fake SSH connected";
  } catch (const core::Fatal& fatal) {
    EXPECT_EQ(fatal.error().message, "no SSH in unit tests");
  }
  ASSERT_EQ(services_.ssh_connects.size(), 1u);
  const auto& options = services_.ssh_connects.front();
  EXPECT_EQ(options.host, "127.0.0.1");
  EXPECT_EQ(options.port, greeter.port);
  EXPECT_EQ(options.user, "ubuntu");
  EXPECT_EQ(options.host_key.alias, "gpunb-i-1");
  EXPECT_EQ(options.host_key.known_hosts, known_hosts_path(context_));
  EXPECT_EQ(options.identities, (std::vector<std::filesystem::path>{context_.key_path()}));
}

}  // namespace gpunb::app
