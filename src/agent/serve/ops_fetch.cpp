// Ops about data fetches: fetch.start runs a job detached from the SSH session (it goes on when the
// laptop disconnects), fetch.status reports it.
#include <unistd.h>

#include <chrono>
#include <thread>

#include "agent/fetch/spec.hpp"
#include "agent/fetch/status.hpp"
#include "agent/host/files.hpp"
#include "agent/host/process.hpp"
#include "agent/serve/dispatcher.hpp"
#include "base/expected.hpp"
#include "base/files.hpp"
#include "base/hash.hpp"

namespace gpunb::agent {
namespace {

Result<std::string> self_exe() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return fail(ErrorKind::internal, "cannot find the agent's own path: " + ec.message());
  return path.string();
}

// The job's status file appears once the detached process has started.
Result<FetchStatus> wait_started(const Context& context, const std::string& id) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto status = read_fetch_status(context.state, id)) return *status;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return fail(ErrorKind::internal, "the fetch did not start (see ~/.gpunb/agent.log)");
}

Result<Json> start_op(Context& context, const Json& request) {
  Json job = request.value("job", Json::object());
  job["id"] = "f" + base::random_hex(6);
  auto spec = parse_fetch_spec(job);
  TRY(spec);
  auto exe = self_exe();
  TRY(exe);
  auto dir = fetch_dir(context.state);
  TRY(base::make_dirs(dir, 0700));
  TRY(base::write_atomic(dir / (spec->id + ".job"), job.dump(), 0600));
  TRY(spawn_detached({{*exe, "fetch-run", spec->id}}));
  context.log->write("fetch " + spec->id + " started: " + spec->source + " -> " +
                     spec->dir.string());
  auto status = wait_started(context, spec->id);
  TRY(status);
  return Json{{"job", status_json(*status)}};  // nested: "id" at the top is the request's
}

Result<Json> status_op(Context& context, const Json& request) {
  Json jobs = Json::array();
  if (request.contains("job")) {  // "id" is the request's own
    auto id = required_string(request, "job");
    TRY(id);
    auto status = valid_fetch_id(*id) ? read_fetch_status(context.state, *id) : std::nullopt;
    if (!status) return fail(ErrorKind::not_found, "no fetch " + *id + " on this machine");
    jobs.push_back(status_json(*status));
  } else {
    for (const auto& status : read_fetch_statuses(context.state))
      jobs.push_back(status_json(status));
  }
  return Json{{"jobs", jobs}};
}

}  // namespace

void register_fetch_ops(Dispatcher& dispatcher) {
  dispatcher.add("fetch.start", start_op);
  dispatcher.add("fetch.status", status_op);
}

}  // namespace gpunb::agent
