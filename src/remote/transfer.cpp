#include "remote/transfer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "ssh/session.hpp"

namespace gpunb::remote {
namespace {

using Json = nlohmann::json;
using Ms = std::chrono::milliseconds;
namespace fs = std::filesystem;

constexpr size_t kBlock = size_t{1} << 20;
constexpr Ms kStall = std::chrono::minutes(2);  // no byte from the other side for this long
constexpr std::uint64_t kBatchBytes = std::uint64_t{256} << 20;
constexpr size_t kBatchFiles = 2048;

std::int64_t mtime_ns(const struct stat& info) {
  return std::int64_t{info.st_mtim.tv_sec} * 1000000000 + info.st_mtim.tv_nsec;
}

tl::unexpected<core::Error> protocol_error(const std::string& what) {
  return core::fail(core::ErrorKind::internal, "gpunb-agent sync stream: " + what);
}

std::map<std::string, size_t> index_of(const std::vector<FileResult>& files) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < files.size(); ++i) index.emplace(files[i].path, i);
  return index;
}

TransferResult start_result(const std::vector<std::string>& paths) {
  TransferResult result;
  for (const std::string& path : paths) result.files.push_back(FileResult{path});
  return result;
}

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
  if (!got) return tl::unexpected(got.error());
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
    if (auto ok = fill(); !ok) return tl::unexpected(ok.error());
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

// ---- push: local files -> `agent receive` ----

// What goes to the channel next: headers, file bytes read straight in (no zero-fill first: a
// std::string would clear every byte of 500 MB before read() overwrites it), trailers.
class OutBuffer {
 public:
  OutBuffer() : data_(2 * kBlock) {}
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {data_.data(), size_}; }
  void clear() { size_ = 0; }
  OutBuffer& operator+=(std::string_view text) {
    std::memcpy(grow(text.size()), text.data(), text.size());
    return *this;
  }
  OutBuffer& operator+=(char c) { return *this += std::string_view(&c, 1); }
  // SIZE more bytes at the end, uninitialized: write into them, then shrink() what is unused.
  char* grow(size_t size) {
    if (size_ + size > data_.size()) data_.resize(std::max(size_ + size, 2 * data_.size()));
    size_ += size;
    return data_.data() + size_ - size;
  }
  void shrink(size_t by) { size_ -= by; }

 private:
  std::vector<char> data_;
  size_t size_ = 0;
};

class Pusher {
 public:
  Pusher(ByteChannel& channel, const fs::path& root, const std::vector<std::string>& paths,
         const ProgressFn& progress)
      : channel_(channel), root_(root), result_(start_result(paths)), progress_(progress) {
    index_ = index_of(result_.files);
  }
  TransferResult run();

 private:
  core::Status send(FileResult& file);
  core::Status stream(int fd, FileResult& file);
  core::Status flush();
  core::Status drain(Ms timeout);  // handles the replies that came
  void reply(const Json& json);

  ByteChannel& channel_;
  fs::path root_;
  TransferResult result_;
  const ProgressFn& progress_;
  std::map<std::string, size_t> index_;
  OutBuffer out_;
  std::string in_;
  bool done_ = false;
  TransferProgress sent_;
};

TransferResult Pusher::run() {
  sent_.files_total = result_.files.size();
  for (const FileResult& file : result_.files) {
    struct stat info {};
    if (::lstat((root_ / file.path).c_str(), &info) == 0)
      sent_.bytes_total += static_cast<std::uint64_t>(info.st_size);
  }
  core::Status status;
  for (size_t i = 0; status && !result_.error && i < result_.files.size(); ++i) {
    status = send(result_.files[i]);
  }
  if (status) {
    out_ += "{\"end\":true}\n";
    status = flush().and_then([&] { return channel_.send_eof(); });
  }
  while (status && !done_ && !result_.error) status = drain(kStall);
  if (!status && !result_.error) {
    (void)drain(Ms(200));  // the agent's own {"error":...} says more than a broken pipe
    if (!result_.error) result_.error = status.error();
  }
  for (const FileResult& file : result_.files) result_.bytes += file.ok ? file.size : 0;
  return std::move(result_);
}

core::Status Pusher::send(FileResult& file) {
  if (auto ok = check_relative_path(file.path); !ok) {
    file.error = ok.error().message;
    return {};
  }
  int fd = ::open((root_ / file.path).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat info {};
  if (fd < 0 || ::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    file.error =
        fd < 0 ? std::string("cannot open: ") + std::strerror(errno) : "not a regular file";
    if (fd >= 0) ::close(fd);
    return {};
  }
  file.size = static_cast<std::uint64_t>(info.st_size);
  file.mtime_ns = mtime_ns(info);
  file.mode = info.st_mode & 0777;
  out_ += Json{{"path", file.path},
               {"size", file.size},
               {"mode", file.mode},
               {"mtime_ns", file.mtime_ns}}
              .dump();
  out_ += '\n';
  auto status = stream(fd, file);
  ::close(fd);
  ++sent_.files_done;
  if (progress_) progress_(sent_);
  return status;
}

// Exactly FILE.size bytes (zeros if it shrank), then the trailer: the hash, or an error when the
// file changed while it was read, so the agent drops it.
core::Status Pusher::stream(int fd, FileResult& file) {
  Sha256Stream hash;
  bool short_read = false;
  for (std::uint64_t left = file.size; left > 0;) {
    if (out_.size() >= kBlock) {
      if (auto ok = flush(); !ok) return ok;
    }
    size_t want = static_cast<size_t>(std::min<std::uint64_t>(left, kBlock));
    char* at = out_.grow(want);
    ssize_t n = short_read ? 0 : ::read(fd, at, want);
    if (n < 0 && errno == EINTR) {
      out_.shrink(want);
      continue;
    }
    if (n <= 0) {
      short_read = true;  // zeros for the rest
      std::memset(at, 0, want);
      n = static_cast<ssize_t>(want);
    } else {
      out_.shrink(want - static_cast<size_t>(n));
      hash.update(at, static_cast<size_t>(n));
    }
    left -= static_cast<std::uint64_t>(n);
    sent_.bytes_done += static_cast<std::uint64_t>(n);
  }
  struct stat after {};
  bool changed = short_read || ::fstat(fd, &after) != 0 ||
                 static_cast<std::uint64_t>(after.st_size) != file.size ||
                 mtime_ns(after) != file.mtime_ns;
  file.sha256 = changed ? "" : hash.hex_digest();
  if (changed) file.error = "changed while it was read; not sent";
  out_ += changed ? Json{{"error", file.error}}.dump() : Json{{"sha256", file.sha256}}.dump();
  out_ += '\n';
  return {};
}

core::Status Pusher::flush() {
  if (out_.empty()) return {};
  auto ok = channel_.write(out_.view());
  out_.clear();
  return ok ? drain(Ms(0)) : ok;
}

core::Status Pusher::drain(Ms timeout) {
  char buffer[65536];
  for (;;) {
    auto got = channel_.read(buffer, sizeof buffer, timeout);
    if (!got) return done_ ? core::Status() : tl::unexpected(got.error());
    if (*got == 0)
      return timeout.count() == 0
                 ? core::Status()
                 : core::fail(core::ErrorKind::network, "the machine stopped answering");
    in_.append(buffer, *got);
    size_t start = 0;
    for (size_t nl; (nl = in_.find('\n', start)) != std::string::npos; start = nl + 1) {
      reply(Json::parse(in_.substr(start, nl - start), nullptr, false));
    }
    in_.erase(0, start);
    if (timeout.count() > 0) return {};
  }
}

void Pusher::reply(const Json& json) {
  if (!json.is_object()) return void(result_.error = protocol_error("malformed reply").value());
  if (json.value("done", false)) return void(done_ = true);
  auto at = json["path"].is_string() ? index_.find(json["path"].get<std::string>()) : index_.end();
  if (at == index_.end()) {
    std::string why = json.value("error", "unexpected reply: " + json.dump().substr(0, 120));
    return void(result_.error =
                    core::Error{core::ErrorKind::internal, "gpunb-agent receive: " + why, {}});
  }
  FileResult& file = result_.files[at->second];
  std::string sha = json.value("sha256", "");
  file.ok = !sha.empty() && sha == file.sha256;
  file.error = file.ok ? "" : json.value("error", "checksum mismatch on the machine");
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
  file.mode = header.value("mode", 0644u) & 0777;
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
  Sha256Stream hash;
  auto status = reader_.bytes(file.size, [&](const char* data, size_t size) -> core::Status {
    hash.update(data, size);
    progress_state_.bytes_done += size;
    return local ? local->write(data, size) : core::Status();
  });
  auto trailer = status ? reader_.line() : tl::unexpected(status.error());
  if (!trailer) return tl::unexpected(trailer.error());
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
  if (!channel) return tl::unexpected(channel.error());
  SshByteChannel bytes(std::move(*channel));
  return push_stream(bytes, local_root, paths, progress);
}

core::Result<TransferResult> pull_files(ssh::Session& session, const std::string& agent_path,
                                        const fs::path& local_root, const std::string& remote_root,
                                        const std::vector<std::string>& paths,
                                        const ProgressFn& progress) {
  auto channel = session.exec(stream_command(agent_path, "send", remote_root));
  if (!channel) return tl::unexpected(channel.error());
  SshByteChannel bytes(std::move(*channel));
  return pull_stream(bytes, local_root, paths, progress);
}

TransferResult push_stream(ByteChannel& channel, const fs::path& local_root,
                           const std::vector<std::string>& paths, const ProgressFn& progress) {
  return Pusher(channel, local_root, paths, progress).run();
}

TransferResult pull_stream(ByteChannel& channel, const fs::path& local_root,
                           const std::vector<std::string>& paths, const ProgressFn& progress) {
  return Puller(channel, local_root, paths, progress).run(channel);
}

}  // namespace gpunb::remote
