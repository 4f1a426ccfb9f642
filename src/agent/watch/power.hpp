// The end of an idle machine: an instance-initiated shutdown (EC2 stops the instance, or
// terminates it when InstanceInitiatedShutdownBehavior=terminate, which an older laptop set for
// --autodown), termination through the presigned URL (self.hpp), and the check that keeps
// --autodown from losing unpulled work. The watcher acts through the Power seam, so tests can
// watch it try without powering anything off.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "agent/watch/idle_policy.hpp"
#include "base/error.hpp"

namespace gpunb::agent {

class Power {
 public:
  virtual ~Power() = default;
  // Shuts the machine down; the command that was accepted ("sudo -n shutdown -h now").
  virtual Result<std::string> power_off() = 0;
  // Terminates the instance through its presigned URL; the failure says why it cannot, in one
  // line ("the terminate URL expired"). NOW: the machine's clock, which the URL's expiry is on.
  virtual Status terminate(Seconds now) = 0;
  // Tags the instance gpunb:stopped-by=WHAT through its presigned URL; success when the laptop
  // gave none for WHAT (nothing to tag).
  virtual Status tag_stopped_by(const std::string& what) = 0;
};

// The real thing: power_off() below, and the URLs kept in SELF_URLS (~/.gpunb/self.json).
class HostPower : public Power {
 public:
  explicit HostPower(std::filesystem::path self_urls) : self_urls_(std::move(self_urls)) {}
  Result<std::string> power_off() override;
  Status terminate(Seconds now) override;
  Status tag_stopped_by(const std::string& what) override;

 private:
  std::filesystem::path self_urls_;
};

// `sudo -n shutdown -h now`, else `shutdown -h now`, else `systemctl poweroff` (each looked up
// on $PATH, then /usr/sbin:/sbin). Returns the command that was accepted.
Result<std::string> power_off();

// Nullopt when WORKSPACE has not changed since its last complete pull (no file newer than the
// pull, .ipynb_checkpoints aside); else why not ("never pulled", "a.ipynb changed after ...").
std::optional<std::string> unpulled_change(const std::filesystem::path& state_dir,
                                           const std::string& workspace);

}  // namespace gpunb::agent
