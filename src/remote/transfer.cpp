#include "remote/transfer.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "base/expected.hpp"
#include "base/hash.hpp"
#include "remote/transfer_common.hpp"
#include "ssh/session.hpp"

namespace gpunb::remote {
namespace {

using Json = nlohmann::json;
using Ms = std::chrono::milliseconds;
namespace fs = std::filesystem;

constexpr std::uint64_t kBatchBytes = std::uint64_t{256} << 20;
constexpr size_t kBatchFiles = 2048;

// Lines and exact byte counts from a ByteChannel, 1 MiB at a time.
class StreamReader {
 public:
  explicit StreamReader(ByteChannel& channel) : channel_(channel), buffer_(kBlock) {}
  core::Result<std::string> line();
  core::Status bytes(std::uint64_t size,
                     const std::function<core::Status(const char*, size_t)>& sink);

 private:
  core::Status fill();
  ByteChannel& channel_;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;
};

core::Status StreamReader::fill() {
  std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  auto got = channel_.read(buffer_.data() + end_, buffer_.size() - end_, kStall);
  TRY(got);
  if (*got == 0) return core::fail(core::ErrorKind::network, "the machine stopped sending");
  end_ += *got;
  return {};
}

core::Result<std::string> StreamReader::line() {
  for (size_t scanned = 0;;) {
    const char* start = buffer_.data() + begin_;
    if (const void* nl = std::memchr(start + scanned, '\n', end_ - begin_ - scanned)) {
      std::string text(start, static_cast<const char*>(nl));
      begin_ += text.size() + 1;
      return text;
    }
    scanned = end_ - begin_;
    if (scanned > kMaxLine) return protocol_error("a line of over 1 MiB with no end");
    TRY(fill());
  }
}

core::Status StreamReader::bytes(std::uint64_t size,
                                 const std::function<core::Status(const char*, size_t)>& sink) {
  while (size > 0) {
    if (begin_ == end_) {
      if (auto ok = fill(); !ok) return ok;
    }
    size_t take = static_cast<size_t>(std::min<std::uint64_t>(size, end_ - begin_));
    if (auto ok = sink(buffer_.data() + begin_, take); !ok) return ok;
    begin_ += take;
    size -= take;
  }
  return {};
}

class SshByteChannel : public ByteChannel {
 public:
  explicit SshByteChannel(ssh::Channel channel) : channel_(std::move(channel)) {}
  core::Status write(std::string_view data) override { return channel_.write(data); }
  core::Result<size_t> read(char* buffer, size_t max, Ms timeout) override {
    return channel_.read(buffer, max, timeout);
  }
  core::Status send_eof() override { return channel_.send_eof(); }

 private:
  ssh::Channel channel_;
};

std::string stream_command(const std::string& agent_path, const char* mode,
                           const std::string& root) {
  std::string quoted = "'";
  for (char c : root) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return agent_path + " " + mode + " " + quoted + "'";
}

// ---- pull: `agent send` -> local files ----

class Puller {
 public:
  Puller(ByteChannel& channel, const fs::path& root, const std::vector<std::string>& paths,
         const ProgressFn& progress)
      : reader_(channel),
        root_(root),
        batch_(root),
        result_(start_result(paths)),
        progress_(progress) {
    index_ = index_of(result_.files);
    progress_state_.files_total = paths.size();
  }
  TransferResult run(ByteChannel& channel);

 private:
  core::Status file(const Json& header);
  core::Status receive(FileResult& file, std::optional<IncomingFile>& local);
  void commit();

  StreamReader reader_;
  fs::path root_;
  IncomingBatch batch_;
  TransferResult result_;
  const ProgressFn& progress_;
  std::map<std::string, size_t> index_;
  TransferProgress progress_state_;
};

TransferResult Puller::run(ByteChannel& channel) {
  remove_stale_temps(root_);
  std::vector<std::string> paths;
  for (const FileResult& file : result_.files) paths.push_back(file.path);
  core::Status status = channel.write(Json{{"paths", paths}}.dump() + "\n");
  if (status) status = channel.send_eof();
  while (status) {
    auto line = reader_.line();
    if (!line) status = tl::unexpected(line.error());
    Json header = line ? Json::parse(*line, nullptr, false) : Json();
    if (line && header.is_object() && header.value("end", false)) break;
    if (line) status = file(header);
  }
  commit();
  if (!status) result_.error = status.error();
  for (const FileResult& file : result_.files) result_.bytes += file.ok ? file.size : 0;
  return std::move(result_);
}

core::Status Puller::file(const Json& header) {
  if (!header.is_object() || !header["path"].is_string()) return protocol_error("malformed header");
  if (header.contains("error") && !header.contains("size")) {
    if (!header["path"].is_string()) return protocol_error(header.value("error", "failed"));
    auto at = index_.find(header["path"].get<std::string>());
    if (at != index_.end()) result_.files[at->second].error = header.value("error", "failed");
    return {};
  }
  auto at = index_.find(header["path"].get<std::string>());
  if (at == index_.end() || !header["size"].is_number_unsigned() ||
      !header["mtime_ns"].is_number_integer()) {
    return protocol_error("unexpected header: " + header.dump().substr(0, 120));
  }
  FileResult& file = result_.files[at->second];
  file.size = header["size"].get<std::uint64_t>();
  file.mtime_ns = header["mtime_ns"].get<std::int64_t>();
  file.mode = header.value("mode", 0644u) & kPulledModeMask;
  auto local = IncomingFile::create(root_, file.path);
  std::optional<IncomingFile> incoming;
  if (local)
    incoming.emplace(std::move(*local));
  else
    file.error = local.error().message;
  return receive(file, incoming);
}

// The bytes (into the temp file when there is one) and the trailer; the file joins the batch.
core::Status Puller::receive(FileResult& file, std::optional<IncomingFile>& local) {
  base::Hash hash;
  auto status = reader_.bytes(file.size, [&](const char* data, size_t size) -> core::Status {
    hash.update(data, size);
    progress_state_.bytes_done += size;
    return local ? local->write(data, size) : core::Status();
  });
  auto trailer = status ? reader_.line() : tl::unexpected(status.error());
  TRY(trailer);
  Json end = Json::parse(*trailer, nullptr, false);
  std::string sha = hash.hex_digest();
  if (!end.is_object()) return protocol_error("malformed trailer");
  if (local && end.value("sha256", "") != sha) file.error = end.value("error", "checksum mismatch");
  if (local && file.error.empty()) {
    if (auto ok = local->finish(file.mode, file.mtime_ns); !ok) file.error = ok.error().message;
  }
  if (local && file.error.empty()) {
    file.sha256 = sha;
    batch_.add(std::move(*local), file.size);
  }
  ++progress_state_.files_done;
  if (progress_) progress_(progress_state_);
  if (batch_.files() >= kBatchFiles || batch_.bytes() >= kBatchBytes) commit();
  return {};
}

void Puller::commit() {
  for (Committed& done : batch_.commit()) {
    FileResult& file = result_.files[index_.at(done.path)];
    file.ok = bool(done.status);
    if (!file.ok) file.error = done.status.error().message;
  }
}

}  // namespace

size_t TransferResult::ok_count() const {
  size_t count = 0;
  for (const FileResult& file : files) count += file.ok ? 1 : 0;
  return count;
}

core::Result<TransferResult> push_files(ssh::Session& session, const std::string& agent_path,
                                        const fs::path& local_root, const std::string& remote_root,
                                        const std::vector<std::string>& paths,
                                        const ProgressFn& progress) {
  auto channel = session.exec(stream_command(agent_path, "receive", remote_root));
  TRY(channel);
  SshByteChannel bytes(std::move(*channel));
  return push_stream(bytes, local_root, paths, progress);
}

core::Result<TransferResult> pull_files(ssh::Session& session, const std::string& agent_path,
                                        const fs::path& local_root, const std::string& remote_root,
                                        const std::vector<std::string>& paths,
                                        const ProgressFn& progress) {
  auto channel = session.exec(stream_command(agent_path, "send", remote_root));
  TRY(channel);
  SshByteChannel bytes(std::move(*channel));
  return pull_stream(bytes, local_root, paths, progress);
}

TransferResult pull_stream(ByteChannel& channel, const fs::path& local_root,
                           const std::vector<std::string>& paths, const ProgressFn& progress) {
  return Puller(channel, local_root, paths, progress).run(channel);
}

}  // namespace gpunb::remote
