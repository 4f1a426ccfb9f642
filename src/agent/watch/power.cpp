#include "agent/watch/power.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <vector>

#include "agent/host/files.hpp"
#include "agent/host/process.hpp"
#include "agent/host/transfer_mark.hpp"
#include "agent/watch/self.hpp"

namespace gpunb::agent {
namespace {

std::string search_path() {
  const char* path = std::getenv("PATH");
  return std::string(path != nullptr ? path : "/usr/bin:/bin") + ":/usr/sbin:/sbin:/usr/bin:/bin";
}

bool accepted(const std::vector<std::string>& argv) {
  auto program = find_program(argv[0], search_path());
  if (!program) return false;
  Command command{argv, {}, {}, std::chrono::milliseconds(30000)};
  command.argv[0] = *program;
  auto done = run_command(command);
  return done && done->exit_code == 0;
}

}  // namespace

Result<std::string> power_off() {
  const std::vector<std::vector<std::string>> tries = {
      {"sudo", "-n", "shutdown", "-h", "now"},
      {"shutdown", "-h", "now"},
      {"systemctl", "poweroff"},
  };
  for (const auto& argv : tries) {
    std::string text;
    for (const auto& part : argv) text += (text.empty() ? "" : " ") + part;
    if (accepted(argv)) return text;
  }
  return fail(ErrorKind::refused,
              "no shutdown command was accepted (sudo -n shutdown, shutdown, "
              "systemctl poweroff)");
}

Result<std::string> HostPower::power_off() {
  return agent::power_off();
}

Status HostPower::terminate(Seconds now) {
  auto urls = read_self_urls(self_urls_);
  if (!urls || urls->terminate.empty())
    return fail(ErrorKind::refused, "no terminate URL (the laptop gave none)");
  if (urls->expires_at > 0 && now >= urls->expires_at)
    return fail(ErrorKind::refused, "the terminate URL expired");
  return call_self_url(urls->terminate, "TerminateInstances");
}

Status HostPower::tag_stopped_by(const std::string& what) {
  auto urls = read_self_urls(self_urls_);
  auto url = urls ? urls->stopped_by[what] : std::string();
  if (url.empty()) return {};
  return call_self_url(url, "CreateTags");
}

std::optional<std::string> unpulled_change(const std::filesystem::path& state_dir,
                                           const std::string& workspace) {
  auto root = expand_home(workspace);
  auto pulled = last_pull(state_dir, workspace);
  if (!pulled) return workspace + " was never pulled whole";
  std::error_code error;
  auto options = std::filesystem::directory_options::skip_permission_denied;
  for (auto it = std::filesystem::recursive_directory_iterator(root, options, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it->path().filename() == ".ipynb_checkpoints") {
      it.disable_recursion_pending();
      continue;
    }
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
    if (st.st_mtime >= *pulled)
      return std::filesystem::relative(it->path(), root).string() + " changed after the last pull";
  }
  return std::nullopt;
}

}  // namespace gpunb::agent
