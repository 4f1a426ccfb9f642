// The watch.* ops: configure (the autostop setting, written to ~/.gpunb/watch.json, and the
// presigned URLs for the watcher's own instance, to ~/.gpunb/self.json; the watcher started and
// armed at boot) and status (the setting and the watcher's last sample).
#include <ctime>

#include "agent/host/files.hpp"
#include "agent/host/transfer_mark.hpp"
#include "agent/serve/dispatcher.hpp"
#include "agent/watch/boot.hpp"
#include "agent/watch/self.hpp"
#include "agent/watch/watch.hpp"
#include "base/expected.hpp"
#include "base/files.hpp"

namespace gpunb::agent {
namespace {

// ~/.gpunb/bin/gpunb-agent, a link to this agent: a stable path for systemd and crontab.
Result<std::filesystem::path> link_agent(const WatchFiles& files) {
  auto exe = self_exe();
  if (exe.empty()) return fail(ErrorKind::internal, "cannot tell where this agent is");
  TRY(base::make_dirs(files.bin.parent_path(), 0700));
  auto staged = files.bin;
  staged += ".new";
  std::error_code error;
  std::filesystem::remove(staged, error);
  std::filesystem::create_symlink(exe, staged, error);
  if (!error) std::filesystem::rename(staged, files.bin, error);
  if (error)
    return fail(ErrorKind::internal, "cannot link " + files.bin.string() + ": " + error.message());
  return files.bin;
}

Json status_of(const WatchFiles& files) {
  Json reply;
  auto settings = read_settings(files);
  reply["settings"] = settings ? settings_json(*settings) : Json(nullptr);
  auto pid = running_watcher(files);
  reply["running"] = pid.has_value();
  reply["pid"] = pid.value_or(0);
  auto state = read_state(files);
  reply["state"] = state && pid ? state_json(*state) : Json(nullptr);
  auto spot = base::read_file(files.spot);
  auto notice = spot ? Json::parse(*spot, nullptr, false) : Json(nullptr);
  reply["spot"] = notice.is_object() ? notice : Json(nullptr);
  reply["now"] = static_cast<Seconds>(std::time(nullptr));
  return reply;
}

// keep_existing: a machine set up before keeps its idle setting; only an explicit cap and the
// start of its run change. A cap from the laptop's config (default_max_running_s) applies only
// to a machine that has no setting yet.
Result<WatchSettings> wanted_settings(const WatchFiles& files, const Json& request) {
  auto current = read_settings(files);
  bool keep = current && request.value("keep_existing", false);
  Json patch = request;
  if (keep) {
    patch = Json::object();
    for (const char* key : {"max_running_s", "running_since"})
      if (request.contains(key)) patch[key] = request[key];
  }
  if (!current && !patch.contains("max_running_s") && request.contains("default_max_running_s"))
    patch["max_running_s"] = request["default_max_running_s"];
  auto settings = settings_from_json(patch, current.value_or(WatchSettings{}));
  if (settings && !keep) settings->configured_at = static_cast<Seconds>(std::time(nullptr));
  return settings;
}

Result<Json> configure_op(Context& context, const Json& request) {
  auto files = watch_files(context.state);
  auto settings = wanted_settings(files, request);
  TRY(settings);
  TRY(write_settings(files, *settings));
  if (auto urls = self_urls_from(request, static_cast<Seconds>(std::time(nullptr)))) {
    TRY(write_self_urls(files.self, *urls));
  }
  auto bin = link_agent(files);
  TRY(bin);
  auto pid = ensure_watcher(files, *bin);
  TRY(pid);
  auto armed = arm_at_boot(*bin, context.state);
  if (!armed) context.log->write("watch: " + armed.error().message);
  Json reply = status_of(files);
  reply["armed"] = armed ? *armed : std::string("none");
  return reply;
}

// The laptop pulled ROOT whole AGO_S seconds ago (when it listed it): what --autodown checks.
Result<Json> pulled_op(Context&, const Json& request) {
  auto root = request.value("root", std::string());
  auto ago = request.value("ago_s", Seconds{0});
  if (root.empty() || ago < 0)
    return fail(ErrorKind::usage, "watch.pulled needs root and ago_s >= 0");
  auto when = static_cast<Seconds>(std::time(nullptr)) - ago;
  record_pull_at(root, when);
  return Json{{"root", root}, {"pulled_at", when}};
}

Result<Json> status_op(Context& context, const Json&) {
  return status_of(watch_files(context.state));
}

}  // namespace

void register_watch_ops(Dispatcher& dispatcher) {
  dispatcher.add("watch.configure", configure_op);
  dispatcher.add("watch.status", status_op);
  dispatcher.add("watch.pulled", pulled_op);
}

}  // namespace gpunb::agent
