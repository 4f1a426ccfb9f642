#include <fmt/format.h>

#include <memory>

#include "app/up.hpp"
#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "util/strings.hpp"

namespace gpunb::cli {

namespace {

std::vector<std::string> split_types(const std::string& types) {
  std::vector<std::string> out;
  for (const auto& type : util::split(types, ',')) {
    if (!util::trim(type).empty()) out.push_back(util::trim(type));
  }
  return out;
}

int run_up(app::Context& context, const app::UpRequest& request, const std::string& types) {
  auto effective = request;
  effective.types = split_types(types);
  auto machine = app::up(context, effective);
  fmt::print(context.output().out, "{}\n", summary(machine));
  if (!effective.no_connect) {
    fmt::print(context.output().out, "ssh: ssh -i {} {}@{}\n", context.key_path().string(),
               machine.user, machine.public_ip);
  }
  return 0;
}

}  // namespace

void add_up(CLI::App& app, CommandTable& table) {
  auto request = std::make_shared<app::UpRequest>();
  auto types = std::make_shared<std::string>();
  auto* command =
      table.add(app, "up", "Launch a GPU machine, or start/reuse the one of that name",
                [=](app::Context& context) { return run_up(context, *request, *types); });
  command->add_option("NAME", request->name, "Machine name")->required();
  command->add_option("--type", *types, "Instance type, then fallbacks: g5.xlarge,g4dn.xlarge");
  command->add_option("--ami", request->ami,
                      "Image id (default: newest Deep Learning AMI, PyTorch, Ubuntu)");
  command->add_option("--user", request->user, "Login user (default: from the image)");
  command->add_option("--disk", request->disk_gb, "Root volume size in GB (default 100)")
      ->check(CLI::Range(8, 16384));
  command->add_option("--ssh-cidr", request->ssh_cidr,
                      "Who may reach SSH (default: your public address /32)");
  command->add_flag("--spot", request->spot, "Use a spot instance");
  command->add_flag("--allow-cpu", request->allow_cpu, "Allow an instance type without a GPU");
  command->add_flag("--no-connect", request->no_connect, "Return as soon as the machine runs");
}

}  // namespace gpunb::cli
