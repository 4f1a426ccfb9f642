// `gpunb push/pull/sync`: the workspace folder ⇄ ~/work/NAME, only what changed, atomically,
// conflicts kept on both sides and reported (exit 9).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/context.hpp"
#include "core/machine.hpp"
#include "remote/agent.hpp"
#include "ssh/session.hpp"
#include "sync/plan.hpp"

namespace gpunb::app {

// A file copied from one side to the other: SOURCE on the sending side, TARGET on the other.
struct Copy {
  std::string source;
  std::string target;
};

// What the sync needs from the machine. The real one talks to the agent over the session.
class SyncTransport {
 public:
  virtual ~SyncTransport() = default;
  virtual core::Result<std::vector<sync::Entry>> list() = 0;
  virtual core::Result<std::map<std::string, std::string>> hash(
      const std::vector<std::string>& paths) = 0;
  // Both return the entries written on the receiving side, keyed by target, with sha256.
  virtual core::Result<std::map<std::string, sync::Entry>> upload(
      const std::vector<Copy>& copies) = 0;
  virtual core::Result<std::map<std::string, sync::Entry>> download(
      const std::vector<Copy>& copies) = 0;
  virtual core::Status remove(const std::vector<std::string>& paths) = 0;
  // The workspace was pulled whole as listed AGO_S seconds ago (what --autodown checks).
  virtual core::Status pulled(std::int64_t ago_s) {
    (void)ago_s;
    return {};
  }
};

// AGENT_PATH: where the agent was deployed on the machine (AgentBinary::remote_path()).
std::unique_ptr<SyncTransport> agent_transport(
    ssh::Session& session, remote::Agent& agent, const std::string& remote_root,
    const std::filesystem::path& local_root, const std::string& agent_path,
    std::function<void(const std::string&)> progress = {});

struct SyncRequest {
  sync::Direction direction = sync::Direction::both;
  sync::Options options;
  bool dry_run = false;
};

struct SyncResult {
  sync::Plan plan;
  bool conflicts = false;
};

// Runs one sync of MACHINE's workspace over TRANSPORT and records the new base state.
SyncResult run_sync(Context& context, const core::Machine& machine, SyncTransport& transport,
                    const SyncRequest& request);

// Opens the connection and the agent itself.
SyncResult sync_machine(Context& context, const core::Machine& machine, const SyncRequest& request);

std::string remote_workspace(const core::Machine& machine);  // ~/work/NAME

}  // namespace gpunb::app
