// What the watcher reads of the world behind one seam: the samples IdlePolicy judges (Jupyter,
// the GPUs, transfers, interactive and forwarded SSH traffic), the spot interruption notice and
// the checkpoint it calls for, whether the workspace was pulled, and when the machine booted.
// HostSensors reads the machine (signals.hpp, tcp.hpp, spot.hpp, power.hpp); tests fake it.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/watch/idle_policy.hpp"
#include "agent/watch/settings.hpp"
#include "agent/watch/signals.hpp"
#include "agent/watch/spot.hpp"
#include "agent/watch/tcp.hpp"

namespace gpunb::agent {

class Sensors {
 public:
  virtual ~Sensors() = default;
  // Every new setting: where the instance metadata is, and whether to ask it for a spot notice.
  virtual void configure(const WatchSettings& settings) = 0;
  virtual JupyterActivity jupyter() = 0;
  virtual std::optional<double> gpu_percent() = 0;  // the busiest GPU; nullopt: no GPU
  virtual bool transfer_running() = 0;
  // The newest interactive SSH or forwarded traffic, NOW being the time of this sample; the
  // traffic of JUPYTER_PORTS is judged by jupyter() instead.
  virtual std::optional<Seconds> last_ssh_traffic(Seconds now,
                                                  const std::set<int>& jupyter_ports) = 0;
  // EC2's interruption notice when one was seen at this sample (only with settings.spot).
  virtual std::optional<nlohmann::json> spot_notice(Seconds now) = 0;
  // Checkpoints NOTEBOOKS through their Jupyter; the paths that were saved.
  virtual std::vector<std::string> checkpoint(const std::vector<OpenNotebook>& notebooks) = 0;
  // As unpulled_change (power.hpp): nullopt when WORKSPACE was pulled whole since its last change.
  virtual std::optional<std::string> unpulled_change(const std::string& workspace) = 0;
  virtual Seconds boot_time() = 0;  // when this machine booted (where --max-hours counts from)
};

class HostSensors : public Sensors {
 public:
  explicit HostSensors(std::filesystem::path state_dir);
  void configure(const WatchSettings& settings) override;
  JupyterActivity jupyter() override;
  std::optional<double> gpu_percent() override;
  bool transfer_running() override;
  std::optional<Seconds> last_ssh_traffic(Seconds now, const std::set<int>& jupyter_ports) override;
  std::optional<nlohmann::json> spot_notice(Seconds now) override;
  std::vector<std::string> checkpoint(const std::vector<OpenNotebook>& notebooks) override;
  std::optional<std::string> unpulled_change(const std::string& workspace) override;
  Seconds boot_time() override;

 private:
  std::filesystem::path state_dir_;
  std::string imds_;  // its port is the watcher's own polling, never the user's traffic
  std::optional<SpotWatch> spot_;
  TcpTraffic tcp_;
  std::optional<Seconds> last_forward_;
};

}  // namespace gpunb::agent
