#include "app/fetch.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "app/fetch_job.hpp"
#include "app/machines.hpp"
#include "app/progress.hpp"
#include "app/remote.hpp"
#include "base/files.hpp"
#include "remote/agent.hpp"
#include "sync/ignore.hpp"
#include "sync/report.hpp"

namespace gpunb::app {
namespace {

using Json = nlohmann::json;
constexpr auto kPollEvery = std::chrono::milliseconds(500);

std::string remote_dir(const core::Machine& machine, const std::string& to) {
  if (to.starts_with("/") || to.starts_with("~")) return to;
  return jupyter_workdir(machine) + "/" + to;
}

std::string eta(const Json& status) {
  double rate = status.value("rate", 0.0);
  auto total = status.value("total", std::uint64_t{0}),
       bytes = status.value("bytes", std::uint64_t{0});
  if (rate <= 0 || total <= bytes) return "";
  auto seconds = static_cast<std::uint64_t>(static_cast<double>(total - bytes) / rate);
  if (seconds >= 3600) return fmt::format(", {}h{:02}m left", seconds / 3600, seconds / 60 % 60);
  if (seconds >= 60) return fmt::format(", {}m{:02}s left", seconds / 60, seconds % 60);
  return fmt::format(", {}s left", seconds);
}

// Data fetched into the workspace stays on the machine: its folder goes into the workspace's
// .gpunbignore (said once), so `pull` leaves it there. Removing the line syncs it again.
void keep_on_machine(Context& context, const core::Machine& machine, const std::string& to) {
  auto rel = std::filesystem::path(to).lexically_normal().generic_string();
  while (rel.ends_with("/")) rel.pop_back();
  if (machine.workspace.empty() || rel.empty() || rel == "." || rel.starts_with("/") ||
      rel.starts_with("~") || rel.starts_with(".."))
    return;
  std::filesystem::path workspace(machine.workspace);
  auto ignore = sync::Ignore::load(workspace);
  if (!ignore || ignore->excludes(rel, true)) return;
  auto file = workspace / sync::kIgnoreFile;
  auto text = base::read_file(file).value_or("");
  if (!text.empty() && !text.ends_with("\n")) text += '\n';
  core::value_or_throw(base::write_atomic(file, text + "/" + rel + "/\n"));
  fmt::print(context.output().err, "gpunb: added /{}/ to {}: fetched data stays on the machine\n",
             rel, file.string());
}

void follow(Context& context, remote::Agent& agent, const std::string& name, Json& status) {
  ProgressLine progress(context);
  auto id = status.value("id", "");
  while (status.value("state", "") == "running") {
    if (interrupted()) {
      progress.done();
      throw core::Fatal({core::ErrorKind::interrupted, "stopped following fetch " + id,
                         "it goes on on the machine: `gpunb fetch " + name + " --status`"});
    }
    progress.update("fetching " + status.value("source", "") + ": " + fetch_progress_text(status));
    std::this_thread::sleep_for(kPollEvery);
    auto reply = core::value_or_throw(agent.call("fetch.status", {{"job", id}}));
    status = reply.at("jobs").at(0);
  }
  progress.done();
}

}  // namespace

FetchReport fetch_remote(Context& context, const std::string& name, const FetchRequest& request) {
  auto machine = require_running(context, name);
  auto job = fetch_job(context, request, remote_dir(machine, request.to));
  keep_on_machine(context, machine, request.to);
  auto session = open_session(context, machine);
  auto agent = start_agent(context, session);
  auto status = core::value_or_throw(agent.call("fetch.start", {{"job", job}})).at("job");
  if (!request.detach) follow(context, agent, name, status);
  return {status};
}

Json fetch_status(Context& context, const std::string& name) {
  auto machine = require_running(context, name);
  auto session = open_session(context, machine);
  auto agent = start_agent(context, session);
  return core::value_or_throw(agent.call("fetch.status"));
}

std::string fetch_progress_text(const Json& status) {
  auto bytes = status.value("bytes", std::uint64_t{0}),
       total = status.value("total", std::uint64_t{0});
  std::string text = sync::human_bytes(bytes);
  if (total > 0) text += fmt::format(" of {} ({}%)", sync::human_bytes(total), bytes * 100 / total);
  double rate = status.value("rate", 0.0);
  if (rate > 0) text += fmt::format(", {}/s", sync::human_bytes(static_cast<std::uint64_t>(rate)));
  text += eta(status);
  auto files_total = status.value("files_total", std::uint64_t{0});
  if (files_total > 1) text += fmt::format(", {}/{} files", status.value("files", 0), files_total);
  return text;
}

void throw_if_failed(const Json& status) {
  if (status.value("state", "") != "failed") return;
  const auto& error = status.value("error", Json::object());
  auto kind = base::kind_from_name(error.value("kind", "")).value_or(core::ErrorKind::internal);
  std::string hint = base::is_transient(kind) || kind == core::ErrorKind::interrupted
                         ? "run the same command again: it resumes where it stopped"
                         : "";
  throw core::Fatal({kind, "fetch failed: " + error.value("message", "unknown error"), hint});
}

}  // namespace gpunb::app
