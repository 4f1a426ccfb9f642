// The spot interruption notice: IMDSv2 (PUT /latest/api/token, then GET
// /latest/meta-data/spot/instance-action, 404 until EC2 decides to reclaim the instance), and
// what the watcher does about it: a checkpoint of every open notebook through Jupyter's API, and
// the notice recorded in ~/.gpunb/spot.json for `gpunb ls` and `gpunb pull`.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/host/http.hpp"
#include "agent/watch/idle_policy.hpp"
#include "agent/watch/signals.hpp"

namespace gpunb::agent {

// The endpoint to ask: SETTING when set, else $GPUNB_IMDS_ENDPOINT, else http://169.254.169.254.
std::string imds_endpoint(const std::string& setting);

class SpotWatch {
 public:
  explicit SpotWatch(std::string endpoint) : endpoint_(std::move(endpoint)) {}
  // Asks at most every 5 s (every 10 s while the service does not answer); the notice (EC2's
  // JSON: {"action": "terminate", "time": "..."}) the first time one is seen, then never again.
  std::optional<nlohmann::json> poll(Seconds now);

 private:
  std::optional<std::string> token(Seconds now, const Endpoint& endpoint);
  std::string endpoint_;
  std::string token_;
  Seconds token_until_ = 0, next_ = 0;
  bool noticed_ = false;
};

// POST /api/contents/PATH/checkpoints for each notebook; the paths that were saved.
std::vector<std::string> checkpoint_notebooks(const std::vector<OpenNotebook>& notebooks);
// %-encodes a notebook path for a URL, keeping '/'.
std::string url_path(const std::string& path);

}  // namespace gpunb::agent
