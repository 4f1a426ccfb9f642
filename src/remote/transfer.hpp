// Notebook sync's bulk transfer (laptop folder <-> ROOT on the machine, e.g. "~/work/NAME"):
// one stream per direction on its own exec channel of the session (`AGENT receive|send ROOT`,
// format in src/agent/fs/send.hpp), no round trip per file. Every file is checked by SHA-256 on
// both ends, and lands atomically (temp file, batch flush, rename) on either side: an interrupted
// transfer leaves no partial file under its final name, and running it again finishes the job.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "remote/agent.hpp"
#include "remote/agent_binary.hpp"
#include "remote/files.hpp"

namespace gpunb::ssh {
class Session;
}

namespace gpunb::remote {

struct FileResult {
  std::string path;
  bool ok = false;     // it arrived whole and is under its final name
  std::string sha256;  // of the content that arrived (both ends agree)
  // As sent: the local file's (push) or the remote file's (pull, and set on the local copy).
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint32_t mode = 0;
  std::string error;  // why not, when !ok
};

struct TransferResult {
  std::vector<FileResult> files;  // one per requested path, in the order asked
  std::uint64_t bytes = 0;        // of the files that made it
  // Set when the stream broke (connection lost, disk full on the other side): files without
  // `ok` may or may not have arrived; a rerun finishes the job.
  std::optional<core::Error> error;
  size_t ok_count() const;
};

struct TransferProgress {
  size_t files_done = 0, files_total = 0;
  std::uint64_t bytes_done = 0, bytes_total = 0;  // bytes_total: known for push only
};
using ProgressFn = std::function<void(const TransferProgress&)>;

// Raw bytes both ways to a command running `gpunb-agent receive|send ROOT` (an SSH exec channel
// in production, pipes to a local agent in tests).
class ByteChannel {
 public:
  virtual ~ByteChannel() = default;
  virtual core::Status write(std::string_view data) = 0;
  // Up to MAX bytes; 0 when nothing came within TIMEOUT; a network error at end of stream.
  virtual core::Result<size_t> read(char* buffer, size_t max,
                                    std::chrono::milliseconds timeout) = 0;
  virtual core::Status send_eof() = 0;
};

// Local files under LOCAL_ROOT -> REMOTE_ROOT (made when missing). AGENT_PATH: the deployed agent
// ("~/..." allowed), see AgentBinary::remote_path().
core::Result<TransferResult> push_files(ssh::Session& session, const std::string& agent_path,
                                        const std::filesystem::path& local_root,
                                        const std::string& remote_root,
                                        const std::vector<std::string>& paths,
                                        const ProgressFn& progress = {});
// Remote files -> LOCAL_ROOT, with the remote mode and mtime.
core::Result<TransferResult> pull_files(ssh::Session& session, const std::string& agent_path,
                                        const std::filesystem::path& local_root,
                                        const std::string& remote_root,
                                        const std::vector<std::string>& paths,
                                        const ProgressFn& progress = {});

inline core::Result<TransferResult> push_files(ssh::Session& session, const AgentBinary& agent,
                                               const std::filesystem::path& local_root,
                                               const std::string& remote_root,
                                               const std::vector<std::string>& paths,
                                               const ProgressFn& progress = {}) {
  return push_files(session, agent.remote_path(), local_root, remote_root, paths, progress);
}
inline core::Result<TransferResult> pull_files(ssh::Session& session, const AgentBinary& agent,
                                               const std::filesystem::path& local_root,
                                               const std::string& remote_root,
                                               const std::vector<std::string>& paths,
                                               const ProgressFn& progress = {}) {
  return pull_files(session, agent.remote_path(), local_root, remote_root, paths, progress);
}

// The streams themselves, on a channel already running the agent.
TransferResult push_stream(ByteChannel& channel, const std::filesystem::path& local_root,
                           const std::vector<std::string>& paths, const ProgressFn& progress = {});
TransferResult pull_stream(ByteChannel& channel, const std::filesystem::path& local_root,
                           const std::vector<std::string>& paths, const ProgressFn& progress = {});

}  // namespace gpunb::remote
