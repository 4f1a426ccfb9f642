#include "app/sync.hpp"

#include <algorithm>

#include "app/progress.hpp"
#include "app/remote.hpp"
#include "base/clock.hpp"
#include "ledger/sync_state.hpp"
#include "sync/ignore.hpp"
#include "sync/tree.hpp"

namespace gpunb::app {

namespace {

using sync::ActionKind;

void fill_remote_hashes(std::vector<sync::Entry>& remote,
                        const std::map<std::string, std::string>& hashes) {
  for (auto& entry : remote) {
    auto found = hashes.find(entry.path);
    if (found != hashes.end()) entry.sha256 = found->second;
  }
}

sync::SyncInput gather(Context& context, const core::Machine& machine, SyncTransport& transport,
                       const sync::Ignore& ignore) {
  sync::SyncInput input;
  input.local = core::value_or_throw(sync::scan_local(machine.workspace, ignore));
  input.remote = core::value_or_throw(transport.list());
  sync::drop_ignored(input.remote, ignore);
  ledger::SyncState state(context.ledger().database());
  input.base = core::value_or_throw(state.load(machine.name));
  auto wanted = sync::needs_hash(input, ignore);
  core::value_or_throw(sync::hash_entries(machine.workspace, input.local, wanted.local));
  if (!wanted.remote.empty())
    fill_remote_hashes(input.remote, core::value_or_throw(transport.hash(wanted.remote)));
  return input;
}

struct Work {
  std::vector<Copy> uploads, downloads;
  std::vector<std::string> delete_remote, delete_local;
};

Work work_of(const sync::Plan& plan) {
  Work work;
  for (const auto& action : plan.actions) {
    bool from_local = action.side == sync::Side::local;
    if (action.transfers())
      (from_local ? work.uploads : work.downloads).push_back({action.path, action.target});
    if (action.kind == ActionKind::delete_remote) work.delete_remote.push_back(action.path);
    if (action.kind == ActionKind::delete_local) work.delete_local.push_back(action.path);
  }
  return work;
}

void delete_locally(const std::filesystem::path& root, const std::vector<std::string>& paths) {
  for (const auto& path : paths) std::filesystem::remove(root / path);
}

// The new base: each action's own rule, given what the receiving side now holds.
void record_base(Context& context, const core::Machine& machine, const sync::Plan& plan,
                 const std::map<std::string, sync::Entry>& written) {
  auto now = base::unix_seconds(context.clock().now());
  std::vector<ledger::SyncRecord> put;
  std::vector<std::string> erase;
  for (const auto& action : plan.actions) {
    auto found = action.transfers() ? written.find(action.target) : written.end();
    if (action.transfers() && found == written.end()) continue;  // did not make it: base unchanged
    auto update = sync::base_after(action, found == written.end() ? nullptr : &found->second, now);
    if (update.op == sync::BaseOp::put) put.push_back(update.record);
    if (update.op == sync::BaseOp::erase) erase.push_back(action.path);
  }
  ledger::SyncState state(context.ledger().database());
  core::value_or_throw(state.apply(machine.name, put, erase));
}

}  // namespace

std::string remote_workspace(const core::Machine& machine) {
  return "~/work/" + machine.name;
}

namespace {

// Nothing on the machine was left behind: no conflict, no file skipped for its size.
bool pulled_whole(const sync::Plan& plan) {
  if (plan.direction == sync::Direction::push) return false;
  return std::none_of(plan.actions.begin(), plan.actions.end(), [](const sync::Action& action) {
    return action.kind == sync::ActionKind::conflict || action.kind == sync::ActionKind::skip_large;
  });
}

void tell_pulled(Context& context, SyncTransport& transport,
                 std::chrono::steady_clock::time_point listed_at) {
  auto ago = std::chrono::ceil<std::chrono::seconds>(context.clock().monotonic() - listed_at);
  if (auto told = transport.pulled(ago.count()); !told)
    context.log().warn("the machine was not told of this pull ({})", told.error().message);
}

}  // namespace

SyncResult run_sync(Context& context, const core::Machine& machine, SyncTransport& transport,
                    const SyncRequest& request) {
  if (machine.workspace.empty() || !std::filesystem::is_directory(machine.workspace)) {
    throw core::Fatal({core::ErrorKind::usage, "no workspace folder for " + machine.name,
                       "run `gpunb up " + machine.name + " --workspace DIR` once"});
  }
  auto ignore = core::value_or_throw(sync::Ignore::load(machine.workspace));
  auto listed_at = context.clock().monotonic();
  auto input = gather(context, machine, transport, ignore);
  auto plan =
      sync::make_plan(input, ignore, request.direction, request.options, context.clock().now());
  SyncResult result{plan, plan.has_conflicts()};
  if (request.dry_run) return result;
  auto work = work_of(plan);
  std::map<std::string, sync::Entry> written;
  if (!work.uploads.empty()) written = core::value_or_throw(transport.upload(work.uploads));
  if (!work.downloads.empty())
    written.merge(core::value_or_throw(transport.download(work.downloads)));
  if (!work.delete_remote.empty()) core::value_or_throw(transport.remove(work.delete_remote));
  delete_locally(machine.workspace, work.delete_local);
  record_base(context, machine, plan, written);
  if (pulled_whole(plan)) tell_pulled(context, transport, listed_at);
  return result;
}

SyncResult sync_machine(Context& context, const core::Machine& machine,
                        const SyncRequest& request) {
  auto session = open_session(context, machine);
  auto agent = start_agent(context, session);
  ProgressLine progress(context);
  auto transport =
      agent_transport(session, agent, remote_workspace(machine), machine.workspace,
                      agent_path(context), [&](const std::string& what) { progress.update(what); });
  auto result = run_sync(context, machine, *transport, request);
  progress.done();
  return result;
}

}  // namespace gpunb::app
