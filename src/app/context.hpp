// What every use case gets: the process's environment, output, clock and lazily made services.
#pragma once

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "app/services.hpp"
#include "aws/ec2_client.hpp"
#include "base/clock.hpp"
#include "base/log.hpp"
#include "core/config.hpp"
#include "ledger/ledger.hpp"
#include "net/http.hpp"
#include "providers/provider.hpp"
#include "remote/agent_binary.hpp"
#include "ssh/keys.hpp"
#include "util/env.hpp"

namespace gpunb::app {

struct GlobalOptions {
  std::optional<std::string> profile;
  std::optional<std::string> region;
};

// Human-facing output: results on stdout, progress on stderr only when it is a terminal.
struct Output {
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  bool tty = false;  // stderr is a terminal: show progress, ask questions
  bool stdin_tty = false;
};

// How a first SSH contact settles a host key nothing has pinned yet (up, start, connect).
struct HostKeyPolicy {
  std::optional<long long> wait_s;         // --host-key-wait; else config's host_key_wait, or 5 min
  bool trust_first_use = false;            // --trust-first-use: accept a key nothing vouches for
  std::optional<std::string> fingerprint;  // --host-key SHA256:...: the key the user checked
};

class Context {
 public:
  // With RealServices (libcurl, EC2, libssh).
  Context(const util::Env& env, base::Logger& log, base::Clock& clock, Output output,
          GlobalOptions global);
  // With the caller's services (fakes in unit tests), which must outlive the context.
  Context(const util::Env& env, base::Logger& log, base::Clock& clock, Output output,
          GlobalOptions global, Services& services);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const util::Env& env() const { return env_; }
  base::Logger& log() { return log_; }
  base::Clock& clock() { return clock_; }
  const Output& output() const { return output_; }
  const GlobalOptions& global() const { return global_; }
  const core::Config& config();
  const HostKeyPolicy& host_key_policy() const { return host_key_policy_; }
  void set_host_key_policy(HostKeyPolicy policy) { host_key_policy_ = std::move(policy); }

  std::filesystem::path state_dir() const;   // $XDG_STATE_HOME/gpunb
  std::filesystem::path config_dir() const;  // $XDG_CONFIG_HOME/gpunb
  std::filesystem::path key_path() const;    // config_dir/keys/id_ed25519

  ledger::Ledger& ledger();
  const ssh::KeyPair& key();
  // The region a new machine goes to: --region, env, config, AWS profile. Throws when none.
  std::string default_region();
  std::optional<std::string> region_if_known();
  // EC2 in that region. Made on first use (not thread-safe); once made, providers of different
  // regions share nothing and may be used on different threads.
  providers::Provider& provider(const std::string& region);
  providers::Provider& provider_for(const core::Machine& machine);  // the one that made it
  std::string owner() const;                                        // user@host
  // Credentials, region and endpoints (secrets registered with the log's redactor).
  aws::AwsContext aws_context(std::optional<std::string> region = std::nullopt);
  net::Http& http();  // the process's one HTTP client (libcurl)
  // The gpunb-agent to run or upload, found and hashed once per process.
  const remote::AgentBinary& agent_binary();
  // What reaches the network: HTTP clients, the cloud's providers, SSH connections.
  Services& services() { return services_; }

 private:
  aws::AwsOptions aws_options();

  const util::Env& env_;
  base::Logger& log_;
  base::Clock& clock_;
  Output output_;
  GlobalOptions global_;
  std::optional<core::Config> config_;
  HostKeyPolicy host_key_policy_;
  std::optional<ledger::Ledger> ledger_;
  std::optional<ssh::KeyPair> key_;
  std::unique_ptr<Services> own_services_;  // RealServices unless the caller brought its own
  Services& services_;
  std::unique_ptr<net::Http> http_;
  std::optional<remote::AgentBinary> agent_binary_;
  std::unique_ptr<providers::Provider> ssh_provider_;
};

}  // namespace gpunb::app
