#include "app/tunnel_state.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "base/text.hpp"
#include "util/fs.hpp"
#include "util/platform.hpp"

extern char** environ;  // NOLINT: POSIX

namespace gpunb::app {

namespace {

std::filesystem::path tunnels_dir(Context& context) {
  return context.state_dir() / "tunnels";
}

std::filesystem::path record_path(Context& context, const std::string& name) {
  return tunnels_dir(context) / (name + ".json");
}

// True when PID is alive and is a gpunb process (not a recycled PID).
bool is_our_tunnel(int pid) {
  return util::platform::process_running(pid, "gpunb");
}

}  // namespace

void save_detached(Context& context, const std::string& name, const DetachedTunnel& tunnel) {
  util::ensure_private_dir(tunnels_dir(context));
  nlohmann::json record = {{"pid", tunnel.pid}, {"port", tunnel.port}};
  core::value_or_throw(base::write_atomic(record_path(context, name), record.dump() + "\n", 0600));
}

void redirect_to_log(Context& context, const std::string& name) {
  auto log = (tunnels_dir(context) / (name + ".log")).string();
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null >= 0) ::dup2(null, STDIN_FILENO);
  if (fd >= 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
  }
}

std::optional<DetachedTunnel> detached_tunnel(Context& context, const std::string& name) {
  auto text = base::read_file(record_path(context, name));
  if (!text) return std::nullopt;
  auto record = nlohmann::json::parse(*text, nullptr, false);
  if (record.is_discarded()) return std::nullopt;
  DetachedTunnel tunnel{record.value("pid", 0), record.value("port", 0)};
  if (!is_our_tunnel(tunnel.pid)) {
    std::filesystem::remove(record_path(context, name));
    return std::nullopt;
  }
  return tunnel;
}

bool disconnect(Context& context, const std::string& name) {
  auto tunnel = detached_tunnel(context, name);
  if (!tunnel) return false;
  ::kill(tunnel->pid, SIGTERM);
  auto deadline = context.clock().monotonic() + std::chrono::seconds(5);
  while (is_our_tunnel(tunnel->pid) && context.clock().monotonic() < deadline) {
    context.clock().sleep_for(std::chrono::milliseconds(50));
  }
  if (is_our_tunnel(tunnel->pid)) ::kill(tunnel->pid, SIGKILL);
  std::filesystem::remove(record_path(context, name));
  return true;
}

std::string redirect_page(const std::string& url) {
  auto escaped = base::html_escape(url);
  return "<!DOCTYPE html><meta http-equiv=\"refresh\" content=\"0;url=" + escaped +
         "\"><a href=\"" + escaped + "\">Jupyter</a>\n";
}

void open_browser(Context& context, const std::string& name, const std::string& url) {
  auto opener = util::platform::url_opener();
  bool desktop = !opener.needs_display || !context.env().get_or("DISPLAY", "").empty() ||
                 !context.env().get_or("WAYLAND_DISPLAY", "").empty();
  if (!desktop) return;
  // The URL holds the token: hand the browser a private file that redirects, as Jupyter does.
  auto page = context.state_dir() / ("open-" + name + ".html");
  core::value_or_throw(base::write_atomic(page, redirect_page(url), 0600));
  std::string target = "file://" + page.string();
  char* argv[] = {const_cast<char*>(opener.program), target.data(), nullptr};
  pid_t pid = 0;
  if (::posix_spawnp(&pid, opener.program, nullptr, nullptr, argv, environ) != 0) {
    context.log().info("no browser opened ({} is missing)", opener.program);
  }
}

}  // namespace gpunb::app
