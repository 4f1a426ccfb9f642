#include "agent/watch/settings.hpp"

#include "agent/host/files.hpp"
#include "base/expected.hpp"
#include "base/files.hpp"

namespace gpunb::agent {
namespace {

using Json = nlohmann::json;

template <typename T>
void take(const Json& json, const char* key, T& into) {
  if (json.contains(key) && !json[key].is_null()) into = json[key].get<T>();
}

Status check(const WatchSettings& s) {
  const auto& idle = s.idle;
  if (idle.autostop < 0 || idle.autostop > 366LL * 24 * 3600)
    return fail(ErrorKind::usage, "autostop_s out of range");
  if (idle.window < 1 || idle.interval < 1 || idle.interval > 3600)
    return fail(ErrorKind::usage,
                "window_s and interval_s must be positive (interval at most 3600)");
  if (idle.max_running < 0 || idle.max_running > 720LL * 3600)
    return fail(ErrorKind::usage, "max_running_s must be within 0..720 h");
  if (idle.gpu_busy_percent < 0 || idle.gpu_busy_percent > 100)
    return fail(ErrorKind::usage, "gpu_busy_percent must be within 0..100");
  if (!s.imds_endpoint.empty() && !s.imds_endpoint.starts_with("http://"))
    return fail(ErrorKind::usage, "imds_endpoint must be http://IP[:PORT]");
  return {};
}

}  // namespace

WatchFiles watch_files(const std::filesystem::path& state_dir) {
  return {state_dir / "watch.json", state_dir / "watch.state.json",    state_dir / "watch.lock",
          state_dir / "spot.json",  state_dir / "bin" / "gpunb-agent", state_dir / "self.json"};
}

Json settings_json(const WatchSettings& s) {
  return {{"autostop_s", s.idle.autostop},
          {"autodown", s.idle.autodown},
          {"window_s", s.idle.window},
          {"interval_s", s.idle.interval},
          {"gpu_busy_percent", s.idle.gpu_busy_percent},
          {"max_running_s", s.idle.max_running},
          {"running_since", s.idle.running_since},
          {"workspace", s.workspace},
          {"power", s.power},
          {"terminate_on_shutdown", s.terminate_on_shutdown},
          {"spot", s.spot},
          {"imds_endpoint", s.imds_endpoint},
          {"configured_at", s.configured_at}};
}

Result<WatchSettings> settings_from_json(const Json& json, WatchSettings s) {
  try {
    take(json, "autostop_s", s.idle.autostop);
    take(json, "autodown", s.idle.autodown);
    take(json, "window_s", s.idle.window);
    take(json, "interval_s", s.idle.interval);
    take(json, "gpu_busy_percent", s.idle.gpu_busy_percent);
    take(json, "max_running_s", s.idle.max_running);
    take(json, "running_since", s.idle.running_since);
    take(json, "workspace", s.workspace);
    take(json, "power", s.power);
    take(json, "terminate_on_shutdown", s.terminate_on_shutdown);
    take(json, "spot", s.spot);
    take(json, "imds_endpoint", s.imds_endpoint);
    take(json, "configured_at", s.configured_at);
  } catch (const Json::exception&) {
    return fail(ErrorKind::usage, "a watch setting has the wrong type");
  }
  TRY(check(s));
  return s;
}

std::optional<WatchSettings> read_settings(const WatchFiles& files) {
  auto text = base::read_file(files.settings);
  if (!text) return std::nullopt;
  auto json = Json::parse(*text, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  auto settings = settings_from_json(json);
  return settings ? std::optional(*settings) : std::nullopt;
}

Status write_settings(const WatchFiles& files, const WatchSettings& settings) {
  return base::write_atomic(files.settings, settings_json(settings).dump(2) + "\n", 0600);
}

Json state_json(const WatchState& s) {
  return {{"pid", s.pid},         {"version", s.version}, {"now", s.now},
          {"busy", s.busy},       {"reasons", s.reasons}, {"idle_since", s.idle_since},
          {"stop_at", s.stop_at}, {"cap_at", s.cap_at},   {"note", s.note}};
}

std::optional<WatchState> read_state(const WatchFiles& files) {
  auto text = base::read_file(files.state);
  auto json = text ? Json::parse(*text, nullptr, false) : Json();
  if (!json.is_object()) return std::nullopt;
  WatchState s;
  try {
    take(json, "pid", s.pid);
    take(json, "version", s.version);
    take(json, "now", s.now);
    take(json, "busy", s.busy);
    take(json, "reasons", s.reasons);
    take(json, "idle_since", s.idle_since);
    take(json, "stop_at", s.stop_at);
    take(json, "cap_at", s.cap_at);
    take(json, "note", s.note);
  } catch (const Json::exception&) {
    return std::nullopt;
  }
  return s;
}

Status write_state(const WatchFiles& files, const WatchState& state) {
  return base::write_atomic(files.state, state_json(state).dump() + "\n", 0600);
}

}  // namespace gpunb::agent
