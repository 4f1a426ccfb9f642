// The Provider: a small verb set every place that can host a machine implements.
// Providers never open SSH themselves; the app layer does.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/machine.hpp"

namespace gpunb::providers {

// What a provider can do, checked up front by the app layer.
enum class Feature { stop_start, spot, firewall, console_host_keys, gpu_catalog };

// Everything resolved before a launch: image, login user, GPU, key pair, firewall.
struct Prepared {
  std::string image_id;
  std::string image_name;
  std::string user;
  std::vector<std::string> types;  // candidates in order, each checked to exist (and have a GPU)
  std::string gpu_summary;         // "1 x NVIDIA A10G (24 GiB)" or "no GPU"
  std::string key_name;
  std::string security_group_id;
};

// What the machine's own watcher may do to its instance without credentials: presigned URLs,
// valid a week, renewed whenever gpunb talks to the watcher. Empty on providers without them.
struct SelfService {
  std::string terminate;                          // terminates the machine
  std::map<std::string, std::string> stopped_by;  // "autodown"/"max-hours": tags it with why
};

// Called with a one-line description of each step ("launching g5.xlarge in us-east-1b").
// A notice is something the user should read even when no progress is drawn (a failover).
enum class Importance { step, notice };
using Progress = std::function<void(const std::string&, Importance)>;

class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::string name() const = 0;
  virtual bool supports(Feature feature) const = 0;

  // Idempotent: finds or creates the image choice, key pair and firewall for `spec`.
  virtual core::Result<Prepared> prepare(const core::MachineSpec& spec,
                                         const Progress& progress) = 0;
  // Starts one machine. `client_token` makes a repeated call return the same machine.
  // Tries zones, then the fallback types in `prepared.types`; says what it tried on failure.
  virtual core::Result<core::Machine> launch(const core::MachineSpec& spec,
                                             const Prepared& prepared,
                                             const std::string& client_token,
                                             const Progress& progress) = 0;
  // The current state of a known machine (by id); not_found when the cloud has forgotten it.
  virtual core::Result<core::Machine> query(const core::Machine& machine) = 0;
  // gpunb machines the cloud knows in the provider's region (any state but long-gone ones).
  virtual core::Result<std::vector<core::Machine>> list() = 0;
  // Every region this account can use, for sweeps.
  virtual core::Result<std::vector<std::string>> regions() = 0;
  virtual core::Status start(const core::Machine& machine) = 0;
  virtual core::Status stop(const core::Machine& machine) = 0;
  virtual core::Status terminate(const core::Machine& machine) = 0;
  // Whether a shutdown from inside the machine terminates it (autostop --autodown) or stops it.
  virtual core::Status set_terminate_on_shutdown(const core::Machine& machine, bool terminate) {
    (void)machine;
    (void)terminate;
    return core::fail(core::ErrorKind::usage, name() + " machines cannot terminate themselves");
  }
  // URLs for the machine's watcher (see SelfService); ENDPOINT: the cloud's API as the machine
  // reaches it (empty: the laptop's).
  virtual core::Result<SelfService> self_service(const core::Machine& machine,
                                                 const std::string& endpoint) {
    (void)machine;
    (void)endpoint;
    return SelfService{};
  }
  // Forgets why the watcher stopped the machine (the tag SelfService's URLs set), at a start.
  virtual core::Status clear_stopped_by(const core::Machine& machine) {
    (void)machine;
    return {};
  }
  // Lets CIDR reach TCP PORT of the machine (exposed Jupyter); false when the provider has no
  // firewall of its own (an ssh box: the user's network decides).
  virtual core::Result<bool> allow_inbound(const core::Machine& machine, int port,
                                           const std::string& cidr) = 0;
  // What the machine printed while booting (EC2: cloud-init's host key fingerprints); may be empty.
  virtual core::Result<std::string> console_output(const core::Machine& machine) = 0;
  // Deletes what prepare() made for `machine` once nothing uses it any more.
  virtual core::Status release(const core::Machine& machine) = 0;
};

}  // namespace gpunb::providers
