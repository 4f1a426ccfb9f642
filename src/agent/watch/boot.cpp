#include "agent/watch/boot.hpp"

#include <unistd.h>

#include <cstdlib>

#include "agent/host/files.hpp"
#include "agent/host/process.hpp"
#include "base/files.hpp"
#include "base/strings.hpp"

namespace gpunb::agent {
namespace {

constexpr const char* kMarker = "gpunb-agent watch";

bool ok(std::vector<std::string> argv) {
  auto done = run_command({std::move(argv), {}, {}, std::chrono::milliseconds(20000)});
  return done && done->exit_code == 0;
}

std::string user_name() {
  for (const char* key : {"USER", "LOGNAME"}) {
    const char* value = std::getenv(key);
    if (value != nullptr && base::valid_name(value)) return value;
  }
  return "uid" + std::to_string(::getuid());
}

std::string unit_text(const std::filesystem::path& bin, const std::string& user) {
  std::string text = "[Unit]\nDescription=gpunb idle watch (autostop) for " + user +
                     "\nAfter=network.target\n\n[Service]\n";
  if (!user.empty()) text += "User=" + user + "\n";
  text += "ExecStart=" + bin.string() + " watch --foreground\nRestart=on-failure\n\n[Install]\n";
  return text + (user.empty() ? "WantedBy=default.target\n" : "WantedBy=multi-user.target\n");
}

bool system_unit(const std::filesystem::path& bin, const std::filesystem::path& state_dir) {
  if (!find_program("sudo")) return false;
  std::string user = user_name();
  std::string name = "gpunb-watch-" + user + ".service";
  auto staged = state_dir / name;
  if (!base::write_atomic(staged, unit_text(bin, user), 0644)) return false;
  return ok({"sudo", "-n", "install", "-m", "0644", staged.string(),
             "/etc/systemd/system/" + name}) &&
         ok({"sudo", "-n", "systemctl", "daemon-reload"}) &&
         ok({"sudo", "-n", "systemctl", "enable", name});
}

bool user_unit(const std::filesystem::path& bin) {
  auto dir = std::filesystem::path(home_dir()) / ".config/systemd/user";
  if (!base::make_dirs(dir, 0755) ||
      !base::write_atomic(dir / "gpunb-watch.service", unit_text(bin, ""), 0644))
    return false;
  (void)ok({"loginctl", "enable-linger"});  // without it the unit starts at login, not at boot
  return ok({"systemctl", "--user", "daemon-reload"}) &&
         ok({"systemctl", "--user", "enable", "gpunb-watch.service"});
}

bool crontab_entry(const std::filesystem::path& bin, const std::filesystem::path& state_dir) {
  if (!find_program("crontab")) return false;
  auto listed = run_command({{"crontab", "-l"}, {}, {}, std::chrono::milliseconds(10000)});
  if (!listed) return false;
  std::string current = listed->exit_code == 0 ? listed->output : "";
  std::string line = "@reboot " + base::shell_quote(bin.string()) + " watch";
  std::string wanted = crontab_with(current, line);
  if (wanted == current) return true;
  auto staged = state_dir / "crontab.new";
  if (!base::write_atomic(staged, wanted, 0600)) return false;
  bool installed = ok({"crontab", staged.string()});
  std::filesystem::remove(staged);
  return installed;
}

}  // namespace

std::string crontab_with(const std::string& current, const std::string& line) {
  std::string out;
  for (const auto& existing : base::split(current, '\n')) {
    if (existing.empty() || existing.find(kMarker) != std::string::npos) continue;
    out += existing + "\n";
  }
  return out + line + "\n";
}

Result<std::string> arm_at_boot(const std::filesystem::path& agent_bin,
                                const std::filesystem::path& state_dir) {
  if (std::filesystem::is_directory("/run/systemd/system")) {
    if (system_unit(agent_bin, state_dir)) return std::string("systemd");
    if (user_unit(agent_bin)) return std::string("systemd-user");
  }
  if (crontab_entry(agent_bin, state_dir)) return std::string("crontab");
  return fail(ErrorKind::refused, "neither systemd nor crontab can start the watcher at boot");
}

}  // namespace gpunb::agent
