#include "app/host_keys.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "app/autostop.hpp"

namespace gpunb::app {

namespace {

using namespace std::chrono_literals;

constexpr long long kDefaultWaitS = 300;

std::chrono::seconds console_wait(Context& context) {
  const auto& policy = context.host_key_policy();
  return std::chrono::seconds(
      policy.wait_s.value_or(context.config().host_key_wait_s.value_or(kDefaultWaitS)));
}

// What EC2's console said: the fingerprints cloud-init printed, or why there are none.
struct ConsoleFingerprints {
  std::vector<std::string> fingerprints;
  std::string why_none;
};

// The console output lags the boot by minutes on EC2 (less with Latest=true): polled, with
// pauses growing from 1 s to 5 s, until the fingerprints appear or the wait is over.
ConsoleFingerprints read_console(Context& context, const core::Machine& machine,
                                 ProgressLine& progress, std::chrono::seconds wait) {
  auto& provider = context.provider_for(machine);
  auto deadline = context.clock().monotonic() + wait;
  std::chrono::milliseconds pause = 1s;
  while (true) {
    auto console = provider.console_output(machine);
    if (!console) {
      return {{},
              "EC2 did not give " + machine.name + "'s console output (" + console.error().message +
                  ")"};
    }
    auto found = ssh::fingerprints_from_console(*console);
    if (!found.empty()) return {std::move(found), ""};
    if (context.clock().monotonic() + pause > deadline) {
      return {{},
              fmt::format("no host key fingerprints appeared in {}'s console output within {}",
                          machine.name, human_duration(wait.count()))};
    }
    progress.update("waiting for " + machine.name +
                    "'s host key fingerprints in its console output");
    throw_if_interrupted("the machine keeps running; `gpunb connect " + machine.name +
                         "` waits again");
    context.clock().sleep_for(pause);
    pause = std::min<std::chrono::milliseconds>(pause * 3 / 2, 5s);
  }
}

void prepare_ec2(Context& context, const core::Machine& machine, ProgressLine& progress,
                 ssh::HostKeyCheck& check) {
  // --trust-first-use still takes the fingerprints when they are there, but does not wait.
  auto wait = check.trust_first_use ? 0s : console_wait(context);
  if (wait > 0s) {
    context.log().info("waiting up to {} for {}'s host key fingerprints in its console output",
                       human_duration(wait.count()), machine.name);
  }
  auto console = read_console(context, machine, progress, wait);
  progress.done();
  check.expected_fingerprints = std::move(console.fingerprints);
  check.unverified_reason = console.why_none;
  check.unverified_hint = fmt::format(
      "wait longer (--host-key-wait 15m), or compare it with `aws ec2 get-console-output "
      "--latest --instance-id {}` and pass --host-key SHA256:...; --trust-first-use accepts it "
      "unverified",
      machine.id);
}

std::string key_kind(const std::string& type) {  // as OpenSSH names it at its prompt
  if (type == "ssh-ed25519") return "ED25519";
  if (type.rfind("ecdsa-", 0) == 0) return "ECDSA";
  if (type == "ssh-rsa" || type.rfind("rsa-", 0) == 0) return "RSA";
  return type;
}

// OpenSSH's question, and its answers: yes, or the fingerprint itself pasted.
bool ask_about_key(Context& context, const ssh::HostKey& key, const std::string& target) {
  fmt::print(context.output().err,
             "The authenticity of host '{}' can't be established.\n{} key fingerprint is {}.\n"
             "Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
             target, key_kind(key.type), key.fingerprint);
  std::fflush(context.output().err);
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "yes" || answer == key.fingerprint;
}

void prepare_box(Context& context, const core::Machine& machine, ssh::HostKeyCheck& check) {
  check.consult_user_known_hosts = true;
  if (context.output().tty && context.output().stdin_tty) {
    check.confirm = [&context](const ssh::HostKey& key, const std::string& target) {
      return ask_about_key(context, key, target);
    };
  }
  check.unverified_reason = "it is not in your ~/.ssh/known_hosts";
  check.unverified_hint = "if it is the key of " + machine.name +
                          " (on the box: `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`), "
                          "pass it with --host-key; --trust-first-use accepts it unverified";
}

}  // namespace

void prepare_first_contact(Context& context, const core::Machine& machine, ProgressLine& progress,
                           ssh::HostKeyCheck& check) {
  const auto& policy = context.host_key_policy();
  check.trust_first_use = policy.trust_first_use;
  if (policy.fingerprint) {
    check.expected_fingerprints = {*policy.fingerprint};
    check.vouched_by = "--host-key";
    return;
  }
  if (context.provider_for(machine).supports(providers::Feature::console_host_keys)) {
    prepare_ec2(context, machine, progress, check);
  } else {
    prepare_box(context, machine, check);
  }
}

void report_first_contact(Context& context, const core::Machine& machine,
                          const ssh::Session& session) {
  auto fingerprint = session.host_fingerprint();
  switch (session.host_key_trust()) {
    case ssh::HostKeyTrust::pinned:
      return;
    case ssh::HostKeyTrust::first_use:
      context.log().warn(
          "trusted {}'s host key {} without verifying it (--trust-first-use); it is "
          "pinned from now on",
          machine.name, fingerprint);
      return;
    case ssh::HostKeyTrust::user_known_hosts:
      context.log().info("{}'s host key {} is the one in your known_hosts; pinned", machine.name,
                         fingerprint);
      return;
    case ssh::HostKeyTrust::vouched:
    case ssh::HostKeyTrust::confirmed:
      context.log().info("{}'s host key {} verified and pinned", machine.name, fingerprint);
      return;
  }
}

}  // namespace gpunb::app
