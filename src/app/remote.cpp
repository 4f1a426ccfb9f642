#include "app/remote.hpp"

#include "app/host_keys.hpp"
#include "app/machines.hpp"
#include "app/progress.hpp"
#include "base/clock.hpp"
#include "base/files.hpp"
#include "base/strings.hpp"
#include "remote/agent_binary.hpp"

namespace gpunb::app {

std::string host_alias(const core::Machine& machine) {
  if (machine.provider == "ssh") {
    return "gpunb-ssh-" + machine.public_ip + "-" + std::to_string(machine.ssh_port);
  }
  return "gpunb-" + machine.id;
}

std::filesystem::path known_hosts_path(Context& context) {
  return context.config_dir() / "known_hosts";
}

bool is_pinned(Context& context, const core::Machine& machine) {
  auto content = base::read_file(known_hosts_path(context));
  if (!content) return false;
  auto prefix = host_alias(machine) + " ";
  for (const auto& line : base::split(*content, '\n')) {
    if (line.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

ssh::ConnectOptions connect_options(Context& context, const core::Machine& machine) {
  ssh::ConnectOptions options;
  options.host = machine.public_ip;
  options.port = machine.ssh_port;
  options.user = machine.user;
  options.identities = {context.key_path()};
  options.host_key.known_hosts = known_hosts_path(context);
  options.host_key.alias = host_alias(machine);
  options.host_key.forget_name = machine.name;
  return options;
}

ssh::Session open_session(Context& context, const core::Machine& machine) {
  context.key();  // made (or its permissions checked) before anything connects
  ProgressLine progress(context);
  bool first_contact = !is_pinned(context, machine);
  // A machine started in the last minutes may still be booting; any other answers at once or is
  // unreachable, which must not keep `down` waiting for minutes.
  auto age = base::unix_seconds(context.clock().now()) - machine.launched_at;
  bool booting = machine.provider == "ec2" && age >= 0 && age < 300 && first_contact;
  wait_for_ssh(context, machine, progress,
               booting ? std::chrono::seconds(180) : std::chrono::seconds(15));
  progress.done();
  auto options = connect_options(context, machine);
  if (first_contact) prepare_first_contact(context, machine, progress, options.host_key);
  auto session = core::value_or_throw(context.services().connect_ssh(options));
  if (first_contact) report_first_contact(context, machine, session);
  return session;
}

remote::Agent start_agent(Context& context, ssh::Session& session) {
  const auto& binary = context.agent_binary();
  bool uploaded = false;
  auto agent = core::value_or_throw(remote::Agent::start(session, binary, &uploaded));
  context.log().info("agent {} {}", binary.hash, uploaded ? "uploaded" : "already on the machine");
  return agent;
}

std::string agent_path(Context& context) {
  return context.agent_binary().remote_path();
}

std::string jupyter_workdir(const core::Machine& machine) {
  return "~/work/" + machine.name;
}

}  // namespace gpunb::app
