#include "app/context.hpp"

#include <unistd.h>

#include "providers/sshhost/ssh_provider.hpp"
#include "util/fs.hpp"

namespace gpunb::app {

Context::Context(const util::Env& env, base::Logger& log, base::Clock& clock, Output output,
                 GlobalOptions global)
    : env_(env),
      log_(log),
      clock_(clock),
      output_(output),
      global_(std::move(global)),
      own_services_(std::make_unique<RealServices>()),
      services_(*own_services_) {}

Context::Context(const util::Env& env, base::Logger& log, base::Clock& clock, Output output,
                 GlobalOptions global, Services& services)
    : env_(env),
      log_(log),
      clock_(clock),
      output_(output),
      global_(std::move(global)),
      services_(services) {}

Context::~Context() = default;

const core::Config& Context::config() {
  if (!config_) {
    config_ = core::value_or_throw(core::load_config(core::config_path(env_)));
    for (const auto& key : config_->unknown_keys)
      log_.warn("config: unknown key '{}' ignored", key);
  }
  return *config_;
}

std::filesystem::path Context::state_dir() const {
  return env_.state_home() / "gpunb";
}
std::filesystem::path Context::config_dir() const {
  return env_.config_home() / "gpunb";
}
std::filesystem::path Context::key_path() const {
  return config_dir() / "keys" / "id_ed25519";
}

ledger::Ledger& Context::ledger() {
  if (!ledger_) {
    util::ensure_private_dir(state_dir());
    ledger_.emplace(core::value_or_throw(ledger::Ledger::open(state_dir() / "ledger.db")));
  }
  return *ledger_;
}

const ssh::KeyPair& Context::key() {
  if (!key_) key_ = core::value_or_throw(ssh::load_or_create_key(key_path()));
  return *key_;
}

aws::AwsOptions Context::aws_options() {
  aws::AwsOptions options;
  options.profile = global_.profile ? global_.profile : config().profile;
  options.region = global_.region;
  options.config_region = config().region;
  return options;
}

std::optional<std::string> Context::region_if_known() {
  return aws::resolve_region(aws_options(), env_);
}

std::string Context::default_region() {
  auto region = region_if_known();
  if (!region) {
    throw core::Fatal(
        {core::ErrorKind::credentials, "no AWS region",
         "pass --region, set AWS_REGION, or add region to config.toml or your AWS profile"});
  }
  return *region;
}

providers::Provider& Context::provider(const std::string& region) {
  return services_.provider(*this, region);
}

aws::AwsContext Context::aws_context(std::optional<std::string> region) {
  auto options = aws_options();
  if (region) options.region = std::move(region);
  auto aws = core::value_or_throw(aws::resolve_context(options, env_));
  log_.redactor().add_secret(aws.credentials.secret_access_key);
  log_.redactor().add_secret(aws.credentials.session_token);
  return aws;
}

const remote::AgentBinary& Context::agent_binary() {
  if (!agent_binary_) agent_binary_ = core::value_or_throw(remote::find_agent_binary(env_));
  return *agent_binary_;
}

net::Http& Context::http() {
  if (!http_) http_ = services_.make_http();
  return *http_;
}

providers::Provider& Context::provider_for(const core::Machine& machine) {
  if (machine.provider != "ssh") return provider(machine.region);
  if (!ssh_provider_) ssh_provider_ = providers::sshhost::make_ssh_provider();
  return *ssh_provider_;
}

std::string Context::owner() const {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  return env_.get_or("USER", "user") + "@" + host;
}

}  // namespace gpunb::app
