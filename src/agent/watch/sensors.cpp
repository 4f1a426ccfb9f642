#include "agent/watch/sensors.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "agent/host/files.hpp"
#include "agent/host/http.hpp"
#include "agent/host/transfer_mark.hpp"
#include "agent/watch/power.hpp"
#include "base/files.hpp"

namespace gpunb::agent {

HostSensors::HostSensors(std::filesystem::path state_dir)
    : state_dir_(std::move(state_dir)), imds_(imds_endpoint("")) {}

void HostSensors::configure(const WatchSettings& settings) {
  imds_ = imds_endpoint(settings.imds_endpoint);
  spot_.reset();  // a new setting asks afresh
  if (settings.spot) spot_.emplace(imds_);
}

JupyterActivity HostSensors::jupyter() {
  return sample_jupyter(state_dir_);
}

std::optional<double> HostSensors::gpu_percent() {
  return sample_gpu();
}

bool HostSensors::transfer_running() {
  return running_transfers(state_dir_) > 0;
}

std::optional<Seconds> HostSensors::last_ssh_traffic(Seconds now,
                                                     const std::set<int>& jupyter_ports) {
  std::set<int> excluded = jupyter_ports;
  excluded.merge(kernel_ports());
  if (auto imds = parse_endpoint(imds_)) excluded.insert(imds->port);
  if (auto sockets = tcp_sockets(); sockets && tcp_.moved(*sockets, excluded)) last_forward_ = now;
  auto last = sample_ptys();
  if (last_forward_ && (!last || *last_forward_ > *last)) last = last_forward_;
  return last;
}

std::optional<nlohmann::json> HostSensors::spot_notice(Seconds now) {
  return spot_ ? spot_->poll(now) : std::nullopt;
}

std::vector<std::string> HostSensors::checkpoint(const std::vector<OpenNotebook>& notebooks) {
  return checkpoint_notebooks(notebooks);
}

std::optional<std::string> HostSensors::unpulled_change(const std::string& workspace) {
  return agent::unpulled_change(state_dir_, workspace);
}

// PID 1's start (/proc/1/stat, in clock ticks after the kernel's btime), so neither a restart of
// the agent nor a new setting restarts the cap's count.
Seconds HostSensors::boot_time() {
  auto stat = base::read_file("/proc/stat");
  auto at = stat ? stat->find("\nbtime ") : std::string::npos;
  if (at == std::string::npos) return 0;
  Seconds btime = std::atoll(stat->c_str() + at + 7);
  auto init = base::read_file("/proc/1/stat");
  auto close = init ? init->rfind(')') : std::string::npos;
  if (close == std::string::npos) return btime;
  std::istringstream fields(init->substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {  // field 22: starttime
    if (i == 22) return btime + std::atoll(field.c_str()) / std::max(1L, ::sysconf(_SC_CLK_TCK));
  }
  return btime;
}

}  // namespace gpunb::agent
