#include "providers/sshhost/ssh_provider.hpp"

#include <charconv>

#include "base/expected.hpp"
#include "net/tcp.hpp"

namespace gpunb::providers::sshhost {

namespace {

core::Result<int> parse_port(std::string_view text, const std::string& whole) {
  int port = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (error != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
    return core::fail(core::ErrorKind::usage, "invalid port in --host '" + whole + "'",
                      "write user@address or user@address:port");
  }
  return port;
}

class SshProvider : public Provider {
 public:
  std::string name() const override { return "ssh"; }
  bool supports(Feature /*feature*/) const override { return false; }

  core::Result<Prepared> prepare(const core::MachineSpec& spec,
                                 const Progress& /*progress*/) override {
    Prepared prepared;
    prepared.user = spec.user.value_or("");
    return prepared;
  }

  core::Result<core::Machine> launch(const core::MachineSpec& /*spec*/,
                                     const Prepared& /*prepared*/, const std::string& /*token*/,
                                     const Progress& /*progress*/) override {
    return core::fail(core::ErrorKind::usage,
                      "an ssh machine is not launched; give it with --host");
  }

  // Reachable means running; anything else is unknown (the box is not ours to judge).
  core::Result<core::Machine> query(const core::Machine& machine) override {
    auto seen = machine;
    bool up = net::probe_tcp(machine.public_ip, machine.ssh_port, std::chrono::seconds(3), "SSH-");
    seen.state = up ? core::MachineState::running : core::MachineState::unknown;
    return seen;
  }

  core::Result<std::vector<core::Machine>> list() override { return std::vector<core::Machine>{}; }
  core::Result<std::vector<std::string>> regions() override { return std::vector<std::string>{}; }
  core::Status start(const core::Machine& /*machine*/) override { return {}; }
  core::Status stop(const core::Machine& /*machine*/) override { return {}; }
  core::Status terminate(const core::Machine& /*machine*/) override { return {}; }
  core::Result<bool> allow_inbound(const core::Machine& /*machine*/, int /*port*/,
                                   const std::string& /*cidr*/) override {
    return false;
  }
  core::Result<std::string> console_output(const core::Machine& /*machine*/) override {
    return std::string();
  }
  core::Status release(const core::Machine& /*machine*/) override { return {}; }
};

}  // namespace

core::Result<HostAddress> parse_host(const std::string& text) {
  HostAddress address;
  std::string_view rest(text);
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    address.user = std::string(rest.substr(0, at));
    rest.remove_prefix(at + 1);
  }
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    auto close = rest.find(']');
    if (close == std::string_view::npos)
      return core::fail(core::ErrorKind::usage, "invalid --host '" + text + "'");
    address.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() == ':') rest.remove_prefix(1);
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    address.host = std::string(rest.substr(0, colon));
    rest.remove_prefix(colon + 1);
  } else {
    address.host = std::string(rest);
    rest = {};
  }
  if (address.host.empty()) {
    return core::fail(core::ErrorKind::usage, "invalid --host '" + text + "'",
                      "write user@address[:port]");
  }
  if (!rest.empty()) {
    auto port = parse_port(rest, text);
    TRY(port);
    address.port = *port;
  }
  return address;
}

core::Machine machine_for(const std::string& name, const HostAddress& address) {
  core::Machine machine;
  machine.name = name;
  machine.provider = "ssh";
  machine.id = address.host + ":" + std::to_string(address.port);
  machine.type = "ssh";
  machine.state = core::MachineState::running;
  machine.public_ip = address.host;
  machine.user = address.user;
  machine.ssh_port = address.port;
  return machine;
}

std::unique_ptr<Provider> make_ssh_provider() {
  return std::make_unique<SshProvider>();
}

}  // namespace gpunb::providers::sshhost
