// The marker of a running gpunb transfer (a sync stream, a fetch job), which keeps the idle
// watcher from stopping the machine under it: each holds a shared flock on its own file in
// ~/.gpunb/transfers/ for as long as it lives. The watcher counts the files it cannot lock
// exclusively and removes the others (left by a killed process, whose lock died with it).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace gpunb::agent {

class TransferMark {
 public:
  // WHAT names the transfer in the file ("send", "receive", "fetch"); a mark that cannot be
  // made (no home, a full disk) is silent: the transfer goes on unmarked.
  explicit TransferMark(const std::string& what);
  TransferMark(const TransferMark&) = delete;
  TransferMark& operator=(const TransferMark&) = delete;
  ~TransferMark();

  // `send ROOT` finished whole: records in ~/.gpunb/pulls.json that the laptop has ROOT as it
  // was when this mark was made (what --autodown checks before terminating). Returns OK.
  bool record_pull(const std::string& root, bool ok) const;

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  long long started_ = 0;  // seconds since the epoch
};

// Records in ~/.gpunb/pulls.json that the laptop had ROOT whole as it was at WHEN (seconds since
// the epoch): a complete pull, even one that had nothing to bring (the watch.pulled op).
void record_pull_at(const std::string& root, long long when);

// Transfers running now, as counted by their locks; stale mark files are removed.
int running_transfers(const std::filesystem::path& state_dir);

// When ROOT (absolute or "~/...") was last pulled whole, from ~/.gpunb/pulls.json.
std::optional<long long> last_pull(const std::filesystem::path& state_dir, const std::string& root);

}  // namespace gpunb::agent
