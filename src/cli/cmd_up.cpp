#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string_view>

#include "app/autostop.hpp"
#include "app/up.hpp"
#include "base/strings.hpp"
#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "core/config.hpp"

namespace gpunb::cli {

namespace {

struct UpOptions {
  app::UpRequest request;
  std::string types;
  bool no_browser = false;
  app::HostKeyPolicy host_key;
};

std::vector<std::string> split_types(const std::string& types) {
  std::vector<std::string> out;
  for (const auto& type : base::split(types, ',')) {
    if (!base::trim(type).empty()) out.push_back(base::trim(type));
  }
  return out;
}

int run_up(app::Context& context, const UpOptions& options) {
  context.set_host_key_policy(options.host_key);
  auto request = options.request;
  request.types = split_types(options.types);
  request.connect.open_browser = !options.no_browser;
  request.connect.ssh_cidr = request.ssh_cidr;
  request.connect.push_first = true;
  auto machine = app::up(context, request);
  fmt::print(context.output().out, "{}\n", summary(machine));
  std::fflush(context.output().out);
  if (request.no_connect) return 0;
  return app::connect(context, machine, request.connect);
}

// OpenSSH's form: SHA256: and 43 characters of unpadded base64.
bool is_sha256_fingerprint(const std::string& text) {
  constexpr std::string_view kPrefix = "SHA256:";
  if (text.size() != kPrefix.size() + 43 || text.rfind(kPrefix, 0) != 0) return false;
  return std::all_of(text.begin() + kPrefix.size(), text.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '/'; });
}

}  // namespace

void add_host_key_options(CLI::App& command, app::HostKeyPolicy& policy) {
  command
      .add_option_function<std::string>(
          "--host-key-wait",
          [&policy](const std::string& text) { policy.wait_s = core::parse_duration_s(text); },
          "How long to wait for the host key fingerprints in an EC2 machine's console output "
          "(e.g. 10m; default: config's host_key_wait, or 5m)")
      ->check([](const std::string& text) {
        auto seconds = core::parse_duration_s(text);
        return seconds && *seconds > 0 ? std::string() : "a duration such as 5m or 90s";
      });
  command.add_flag("--trust-first-use", policy.trust_first_use,
                   "Accept a host key nothing verifies on first contact (it is pinned after)");
  command
      .add_option_function<std::string>(
          "--host-key", [&policy](const std::string& text) { policy.fingerprint = text; },
          "The host key you checked, SHA256:... (as `ssh-keygen -lf` prints it)")
      ->check([](const std::string& text) {
        return is_sha256_fingerprint(text) ? std::string() : "a fingerprint such as SHA256:AbC...";
      });
}

void add_connect_options(CLI::App& command, app::ConnectRequest& request, bool& no_browser) {
  command
      .add_option("--port", request.port,
                  "Local port of the tunnel (default 9999, or the next free)")
      ->check(CLI::Range(0, 65535));
  command.add_flag("--detach", request.detach, "Keep the tunnel in the background and return");
  command.add_flag("--no-browser", no_browser, "Do not open a browser");
  command
      .add_option("--expose", request.expose_port,
                  "Serve Jupyter over HTTPS on the machine's address at this port instead of the "
                  "tunnel (discouraged; open to --ssh-cidr only)")
      ->expected(0, 1)
      ->default_str("8443");
  command
      .add_option("--autopull", request.autopull_minutes,
                  "While connected, pull the notebooks this often (e.g. 5m, 1h; default off)")
      ->transform([](std::string text) {
        auto minutes = core::parse_autostop(text);
        if (!minutes) throw CLI::ValidationError("--autopull", "a duration such as 5m or 1h");
        return std::to_string(*minutes);
      });
  command
      .add_option_function<std::string>(
          "--autostop",
          [&request](const std::string& text) { request.autostop_s = app::parse_duration_s(text); },
          "Stop the machine after this long idle (e.g. 30m, 2h, off; default: config's, or 60m)")
      ->check([](const std::string& text) {
        return app::parse_duration_s(text) ? std::string() : "a duration such as 30m, 2h or off";
      });
  command.add_flag("--autodown", request.autodown,
                   "With --autostop: terminate instead of stop, only once the workspace is pulled");
  command
      .add_option_function<std::string>(
          "--max-hours",
          [&request](const std::string& text) {
            request.max_running_s = app::parse_max_hours_s(text);
          },
          "Stop the machine after this many hours running, busy or not (0.01-720, off; default: "
          "config's max_hours, else none)")
      ->check([](const std::string& text) {
        return app::parse_max_hours_s(text) ? std::string() : "hours from 0.01 to 720, or off";
      });
  command.add_option("--cert", request.certfile, "With --expose: certificate file on the machine");
  command.add_option("--key", request.keyfile, "With --expose: its private key, on the machine");
}

void add_up(CLI::App& app, CommandTable& table) {
  auto options = std::make_shared<UpOptions>();
  auto& request = options->request;
  auto* command = table.add(
      app, "up", "Launch a GPU machine (or reuse/start it), start Jupyter, open the tunnel",
      [=](app::Context& context) { return run_up(context, *options); });
  command->add_option("NAME", request.name, "Machine name")->required();
  command->add_option("--type", options->types,
                      "Instance type, then fallbacks: g5.xlarge,g4dn.xlarge");
  command->add_option("--ami", request.ami,
                      "Image id (default: newest Deep Learning AMI, PyTorch, Ubuntu)");
  command->add_option("--user", request.user, "Login user (default: from the image)");
  command->add_option("--disk", request.disk_gb, "Root volume size in GB (default 100)")
      ->check(CLI::Range(8, 16384));
  command->add_option("--ssh-cidr", request.ssh_cidr,
                      "Who may reach SSH (default: your public address /32)");
  command->add_option("--workspace", request.workspace,
                      "The folder to mirror to ~/work/NAME (default: here)");
  command->add_option("--host", request.host,
                      "An existing machine, user@address[:port]: no cloud involved");
  command->add_flag("--spot", request.spot, "Use a spot instance");
  command->add_flag("--allow-cpu", request.allow_cpu, "Allow an instance type without a GPU");
  command->add_flag("--no-connect", request.no_connect,
                    "Return as soon as the machine runs (no Jupyter)");
  add_connect_options(*command, request.connect, options->no_browser);
  add_host_key_options(*command, options->host_key);
}

}  // namespace gpunb::cli
