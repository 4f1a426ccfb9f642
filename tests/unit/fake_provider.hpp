// A scripted Provider and the Services that hand it to app::Context, so the app layer's launch
// rules run in milliseconds as ninja's Builder runs over a fake disk and command runner. The fake
// behaves as EC2 does where the rules depend on it: what it launched is listed under its
// gpunb:name tag, and a client token it has seen returns the same instance again.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/services.hpp"
#include "net/http.hpp"
#include "providers/provider.hpp"

namespace gpunb::app::testing {

// One call of launch(), as the provider saw it.
struct LaunchCall {
  std::string name;                // the gpunb:name tag its instance gets
  std::vector<std::string> types;  // the candidates, in order
  std::string client_token;
  bool spot = false;
};

class FakeProvider : public providers::Provider {
 public:
  // What the next launch() does, in order; a launch with no answer left fails (internal).
  void launch_succeeds(std::string id) { script_.push_back({std::move(id), std::nullopt}); }
  void launch_fails(core::ErrorKind kind, std::string message) {
    script_.push_back({std::nullopt, core::Error{kind, std::move(message), {}}});
  }
  // RunInstances reached the cloud, which made the instance, but its reply was lost.
  void launch_made_but_reply_lost(std::string id) {
    script_.push_back({std::move(id), core::Error{core::ErrorKind::network, "timed out", {}}});
  }

  std::string name() const override { return "fake"; }
  bool supports(providers::Feature) const override { return true; }

  core::Result<providers::Prepared> prepare(const core::MachineSpec& spec,
                                            const providers::Progress&) override {
    calls.push_back("prepare");
    providers::Prepared prepared;
    prepared.image_id = "ami-0fake";
    prepared.image_name = "Fake Deep Learning AMI";
    prepared.user = "ubuntu";
    prepared.types = spec.types;
    prepared.key_name = "gpunb-key";
    prepared.security_group_id = "sg-0fake";
    return prepared;
  }

  core::Result<core::Machine> launch(const core::MachineSpec& spec,
                                     const providers::Prepared& prepared,
                                     const std::string& client_token,
                                     const providers::Progress&) override {
    calls.push_back("launch");
    launches.push_back({spec.name, prepared.types, client_token, spec.spot});
    if (before_launch) before_launch();
    // EC2's idempotency: the same token answers with the instance it made, launching nothing.
    if (auto* made = find_token(client_token)) return *made;
    if (script_.empty()) return core::fail(core::ErrorKind::internal, "no scripted launch left");
    auto next = std::move(script_.front());
    script_.pop_front();
    if (next.id) cloud.push_back(instance(spec, prepared, client_token, *next.id));
    if (next.error) return tl::unexpected(*next.error);
    return cloud.back();
  }

  core::Result<core::Machine> query(const core::Machine& machine) override {
    calls.push_back("query " + machine.id);
    if (auto* found = find_id(machine.id)) return *found;
    return core::fail(core::ErrorKind::not_found, machine.id + " is unknown");
  }
  core::Result<std::vector<core::Machine>> list() override {
    calls.push_back("list");
    return cloud;
  }
  core::Result<std::vector<std::string>> regions() override {
    return std::vector<std::string>{"us-east-1"};
  }
  core::Status start(const core::Machine& machine) override {
    return set_state(machine, "start", core::MachineState::running);
  }
  core::Status stop(const core::Machine& machine) override {
    return set_state(machine, "stop", core::MachineState::stopped);
  }
  core::Status terminate(const core::Machine& machine) override {
    return set_state(machine, "terminate", core::MachineState::terminated);
  }
  core::Result<bool> allow_inbound(const core::Machine&, int, const std::string&) override {
    return false;
  }
  core::Result<std::string> console_output(const core::Machine&) override { return ""; }
  core::Status release(const core::Machine&) override { return {}; }

  std::function<void()> before_launch;  // what the test looks at as the launch begins
  std::vector<std::string> calls;       // every verb, in order ("prepare", "launch", "query i-1")
  std::vector<LaunchCall> launches;     // each launch() in detail
  std::vector<core::Machine> cloud;     // the instances that exist; list() answers with them

 private:
  struct Outcome {
    std::optional<std::string> id;     // the instance the cloud made, if it made one
    std::optional<core::Error> error;  // what launch() answers instead of it
  };

  static core::Machine instance(const core::MachineSpec& spec, const providers::Prepared& prepared,
                                const std::string& client_token, const std::string& id) {
    core::Machine machine;
    machine.name = spec.name;  // read back from the gpunb:name tag, as EC2's list does
    machine.region = spec.region;
    machine.id = id;
    machine.type = prepared.types.front();
    machine.state = core::MachineState::running;
    machine.public_ip = "192.0.2.10";
    machine.user = prepared.user;
    machine.client_token = client_token;
    machine.zone = spec.region + "a";
    return machine;
  }
  core::Machine* find_token(const std::string& token) {
    for (auto& machine : cloud)
      if (machine.client_token == token) return &machine;
    return nullptr;
  }
  core::Machine* find_id(const std::string& id) {
    for (auto& machine : cloud)
      if (machine.id == id) return &machine;
    return nullptr;
  }
  core::Status set_state(const core::Machine& machine, const std::string& verb,
                         core::MachineState state) {
    calls.push_back(verb + " " + machine.id);
    auto* found = find_id(machine.id);
    if (!found) return core::fail(core::ErrorKind::not_found, machine.id + " is unknown");
    found->state = state;
    return {};
  }

  std::deque<Outcome> script_;
};

// No network in unit tests: every request fails.
class OfflineHttp : public net::Http {
 public:
  core::Result<net::HttpResponse> send(const net::HttpRequest& request) override {
    return core::fail(core::ErrorKind::network, "no network in unit tests: " + request.url);
  }
};

// One FakeProvider for every region; SSH connections are refused and their options kept.
class FakeServices : public Services {
 public:
  std::unique_ptr<net::Http> make_http() override { return std::make_unique<OfflineHttp>(); }
  providers::Provider& provider(Context&, const std::string& region) override {
    regions.push_back(region);
    return fake;
  }
  core::Result<ssh::Session> connect_ssh(const ssh::ConnectOptions& options) override {
    ssh_connects.push_back(options);
    return core::fail(core::ErrorKind::network, "no SSH in unit tests");
  }

  FakeProvider fake;
  std::vector<std::string> regions;  // each provider() call's region
  std::vector<ssh::ConnectOptions> ssh_connects;
};

}  // namespace gpunb::app::testing
