// The agent-backed SyncTransport: listing, hashing and deleting through the agent's JSON ops,
// bulk copies through remote/transfer's streams on their own channels of the same session.
#include <fmt/format.h>
#include <unistd.h>

#include "app/sync.hpp"
#include "base/expected.hpp"
#include "remote/agent_binary.hpp"
#include "remote/files.hpp"
#include "remote/transfer.hpp"
#include "sync/report.hpp"

namespace gpunb::app {

namespace {

// Copies under another name (conflict copies) pass through a staging folder inside the
// workspace's .ipynb_checkpoints/, which sync never looks at, so renames stay on one filesystem.
std::filesystem::path staging(const std::filesystem::path& local_root) {
  return local_root / ".ipynb_checkpoints" / ".gpunb-staging";
}

sync::Entry written_entry(const std::string& target, const remote::FileResult& file) {
  return {target, file.size, file.mtime_ns, file.mode, file.sha256, false};
}

// Keeps what made it; a broken stream is an error once what arrived has been counted.
core::Result<std::map<std::string, sync::Entry>> collect(
    const core::Result<remote::TransferResult>& result, const std::vector<Copy>& copies) {
  TRY(result);
  std::map<std::string, sync::Entry> written;
  const remote::FileResult* failed = nullptr;
  for (size_t i = 0; i < result->files.size() && i < copies.size(); ++i) {
    const auto& file = result->files[i];
    if (file.ok) written.emplace(copies[i].target, written_entry(copies[i].target, file));
    if (!file.ok && failed == nullptr) failed = &file;
  }
  if (result->error) return tl::unexpected(*result->error);
  if (failed != nullptr) {
    return core::fail(
        core::ErrorKind::internal,
        fmt::format("{} of {} files were not copied; first: {}: {}", copies.size() - written.size(),
                    copies.size(), failed->path, failed->error),
        "run the command again; what arrived is kept");
  }
  return written;
}

void link_or_copy(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::create_directories(to.parent_path());
  std::filesystem::remove(to);
  std::error_code error;
  std::filesystem::create_hard_link(from, to, error);
  if (error) std::filesystem::copy_file(from, to);
}

class AgentTransport : public SyncTransport {
 public:
  AgentTransport(ssh::Session& session, remote::Agent& agent, std::string agent_path,
                 std::string remote_root, std::filesystem::path local_root,
                 std::function<void(const std::string&)> progress)
      : session_(session),
        agent_(agent),
        agent_path_(std::move(agent_path)),
        remote_root_(std::move(remote_root)),
        local_root_(std::move(local_root)),
        progress_(std::move(progress)) {}

  core::Status pulled(std::int64_t ago_s) override {
    auto done = agent_.call("watch.pulled", {{"root", remote_root_}, {"ago_s", ago_s}});
    TRY(done);
    return {};
  }

  core::Result<std::vector<sync::Entry>> list() override {
    auto listed = remote::list_remote(agent_, remote_root_);
    TRY(listed);
    std::vector<sync::Entry> entries;
    entries.reserve(listed->size());
    for (const auto& file : *listed) {
      entries.push_back(
          {file.path, file.size, file.mtime_ns, file.mode, std::nullopt, file.is_symlink});
    }
    return entries;
  }

  core::Result<std::map<std::string, std::string>> hash(
      const std::vector<std::string>& paths) override {
    return remote::hash_remote(agent_, remote_root_, paths);
  }

  core::Result<std::map<std::string, sync::Entry>> upload(
      const std::vector<Copy>& copies) override {
    auto root = renamed(copies) ? stage_uploads(copies) : local_root_;
    auto result = remote::push_files(session_, agent_path_, root, remote_root_, targets(copies),
                                     reporter("push"));
    if (root != local_root_) std::filesystem::remove_all(root);
    return collect(result, copies);
  }

  core::Result<std::map<std::string, sync::Entry>> download(
      const std::vector<Copy>& copies) override {
    if (!renamed(copies)) {
      return collect(remote::pull_files(session_, agent_path_, local_root_, remote_root_,
                                        sources(copies), reporter("pull")),
                     copies);
    }
    auto root = staging(local_root_);
    std::filesystem::create_directories(root);
    auto result = collect(remote::pull_files(session_, agent_path_, root, remote_root_,
                                             sources(copies), reporter("pull")),
                          copies);
    for (const auto& copy : copies) {
      if (result && result->count(copy.target)) {
        std::filesystem::create_directories((local_root_ / copy.target).parent_path());
        std::filesystem::rename(root / copy.source, local_root_ / copy.target);
      }
    }
    std::filesystem::remove_all(root);
    return result;
  }

  core::Status remove(const std::vector<std::string>& paths) override {
    auto removed = remote::delete_remote(agent_, remote_root_, paths);
    TRY(removed);
    return {};
  }

 private:
  // "push: 120/10000 files, 52.0 MiB, 210.3 MiB/s" for the progress line (a terminal only).
  remote::ProgressFn reporter(const std::string& verb) {
    if (!progress_) return {};
    auto started = std::chrono::steady_clock::now();
    return [this, verb, started](const remote::TransferProgress& done) {
      auto seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      auto rate = seconds > 0 ? static_cast<double>(done.bytes_done) / seconds : 0.0;
      progress_(fmt::format("{}: {}/{} files, {}, {}/s", verb, done.files_done, done.files_total,
                            sync::human_bytes(done.bytes_done),
                            sync::human_bytes(static_cast<std::uint64_t>(rate))));
    };
  }

  static bool renamed(const std::vector<Copy>& copies) {
    return std::any_of(copies.begin(), copies.end(),
                       [](const Copy& c) { return c.source != c.target; });
  }
  static std::vector<std::string> sources(const std::vector<Copy>& copies) {
    std::vector<std::string> out;
    for (const auto& copy : copies) out.push_back(copy.source);
    return out;
  }
  static std::vector<std::string> targets(const std::vector<Copy>& copies) {
    std::vector<std::string> out;
    for (const auto& copy : copies) out.push_back(copy.target);
    return out;
  }
  // Each file linked under its target name, so one stream sends them all.
  std::filesystem::path stage_uploads(const std::vector<Copy>& copies) {
    auto root = staging(local_root_) / "out";
    std::filesystem::remove_all(root);
    for (const auto& copy : copies) link_or_copy(local_root_ / copy.source, root / copy.target);
    return root;
  }

  ssh::Session& session_;
  remote::Agent& agent_;
  std::string agent_path_;
  std::string remote_root_;
  std::filesystem::path local_root_;
  std::function<void(const std::string&)> progress_;
};

}  // namespace

std::unique_ptr<SyncTransport> agent_transport(ssh::Session& session, remote::Agent& agent,
                                               const std::string& remote_root,
                                               const std::filesystem::path& local_root,
                                               const std::string& agent_path,
                                               std::function<void(const std::string&)> progress) {
  return std::make_unique<AgentTransport>(session, agent, agent_path, remote_root, local_root,
                                          std::move(progress));
}

}  // namespace gpunb::app
