// Domain types shared by providers, the ledger and the app layer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gpunb::core {

enum class MachineState {
  intent,
  pending,
  running,
  stopping,
  stopped,
  shutting_down,
  terminated,
  unknown
};

const char* to_string(MachineState state);
MachineState machine_state_from(const std::string& ec2_state_name);
bool is_live(MachineState state);  // neither terminated nor a bare intent

// What the user asked for.
struct MachineSpec {
  std::string name;
  std::vector<std::string> types;  // first choice, then fallbacks
  std::string region;
  std::optional<std::string> ami;
  std::optional<std::string> user;  // login user override
  int disk_gb = 100;
  bool spot = false;
  bool allow_cpu = false;
  std::string ssh_cidr;
};

// What exists (or is being created) in a cloud.
struct Machine {
  std::string name;
  std::string provider = "ec2";
  std::string region;
  std::string id;  // instance id; empty while only an intent
  std::string type;
  MachineState state = MachineState::unknown;
  std::string public_ip;
  std::string user;
  std::int64_t launched_at = 0;  // unix seconds
  std::string client_token;
  std::optional<double> hourly_price;
  std::string zone;
  std::string image_id;
  bool spot = false;
  int ssh_port = 22;
  std::string workspace;         // the local folder mirrored to ~/work/NAME (absolute)
  std::string state_reason;      // the cloud's, e.g. "Server.SpotInstanceTermination"; not stored
  std::int64_t state_since = 0;  // when the cloud says this state began (0: unknown); not stored
  std::string stopped_by;        // why its watcher stopped it ("autodown", "max-hours"); not stored
};

}  // namespace gpunb::core
