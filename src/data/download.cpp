// download(): one attempt at a time (a single stream, or the decision to go ranged), retried with
// backoff on network failures; the part file and its JSON state carry progress between attempts
// and between runs. The ranged half is in download_parallel.cpp.
#include "data/download.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "data/download_head.hpp"
#include "data/download_names.hpp"
#include "data/download_parallel.hpp"
#include "data/download_state.hpp"

namespace gpunb::data {
namespace {

constexpr std::uint64_t kProbeBytes = 256 * 1024;

namespace fs = std::filesystem;
using agent::Failure;

constexpr auto kSaveEvery = std::chrono::seconds(1);

void trim_ranges(Ranges& ranges, std::uint64_t size) {
  Ranges kept;
  for (auto [start, end] : ranges) {
    if (start < size) kept.emplace_back(start, std::min(end, size));
  }
  ranges = std::move(kept);
}

Done sync_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) ::fsync(fd.get());
  return {};
}

class Downloader {
 public:
  Downloader(HttpClient& client, const DownloadSpec& spec, Progress& progress)
      : client_(client), spec_(spec), progress_(progress) {}

  Outcome<Downloaded> run();

 private:
  enum class Next { kDone, kRanged, kAgain };

  Outcome<Next> attempt();
  Outcome<Next> fetch_ranged();
  Outcome<bool> on_head(const HttpHead& head);
  Outcome<bool> accept_head(const HttpHead& head);
  Done on_body(const char* data, size_t size);
  // Takes NAME's part file and state when they are of this URL; others are removed (unless
  // PROVISIONAL: the URL's name before the server's head confirms it).
  Done adopt(const std::string& name, bool provisional = false);
  Done open_file();
  Done open_single(std::uint64_t from);
  Done open_ranged();
  Done replay(std::uint64_t to);
  Done extend(std::uint64_t to);
  Done restart();
  void persist(bool now);
  Outcome<Downloaded> finish();
  Failure discard(Failure failure);

  HttpClient& client_;
  const DownloadSpec& spec_;
  Progress& progress_;
  std::optional<PartPaths> paths_;
  std::optional<PartLock> lock_;  // of paths_'s file
  PartState state_;
  std::optional<PartFile> file_;
  std::optional<Digest> digest_;
  std::uint64_t from_ = 0;      // where the current response's body starts
  std::uint64_t offset_ = 0;    // bytes of the part file done from 0 (single stream)
  std::uint64_t hashed_ = 0;    // bytes in digest_
  std::uint64_t streamed_ = 0;  // bytes handed to spec_.stream_to
  std::optional<std::uint64_t> total_;
  std::uint64_t carried_ = 0;  // bytes from an earlier run still valid
  bool provisional_ = false;   // the name is the URL's until the server's head says
  bool probe_range_ = true;
  bool ranged_ = false;  // the current response is the first chunk of a ranged download
  bool no_retry_ = false;
  Next next_ = Next::kDone;
  std::chrono::steady_clock::time_point saved_;
};

Outcome<Downloaded> Downloader::run() {
  std::error_code ec;
  fs::create_directories(spec_.dir, ec);
  if (ec) return failure("internal", "cannot make " + spec_.dir.string() + ": " + ec.message());
  // Without a name, the URL's is tried first: the server may name the file otherwise.
  provisional_ = spec_.name.empty();
  auto name = provisional_ ? name_from_url(spec_.request.url) : sanitize_file_name(spec_.name);
  if (auto done = adopt(name, provisional_); !done) return tl::unexpected(done.error());
  // A file known to be small is asked for whole: one request.
  probe_range_ =
      spec_.connections > 1 && !spec_.stream_to && (!spec_.size || *spec_.size >= spec_.min_split);
  int failures = 0, agains = 0;
  for (;;) {
    std::uint64_t before = progress_.done;
    auto next = attempt();
    if (next && *next == Next::kRanged) next = fetch_ranged();
    if (next && *next == Next::kDone) return finish();
    if (progress_.done > before) agains = 0;
    if (next && ++agains <= spec_.retries + 3) continue;
    if (next)
      return failure("network",
                     "the download of " + spec_.request.url.redacted() + " keeps starting over");
    if (next.error().kind != "network" || no_retry_) return tl::unexpected(next.error());
    if (progress_.done > before) failures = 0;
    if (++failures > spec_.retries) return tl::unexpected(next.error());
    std::this_thread::sleep_for(spec_.retry_delay * (1 << std::min(failures - 1, 4)));
  }
}

Outcome<Downloader::Next> Downloader::attempt() {
  from_ = prefix_end(state_.done);
  if (state_.size > 0 && covers(state_.done, 0, state_.size)) {  // done before a crash
    if (auto done = open_single(state_.size); !done) return tl::unexpected(done.error());
    total_ = state_.size;
    return Next::kDone;
  }
  // Ranged downloads ask for a small first range: its head tells the size (its body is kept),
  // and the other connections start as soon as it is in.
  std::optional<std::uint64_t> end;
  if (probe_range_) end = from_ + std::min<std::uint64_t>(spec_.chunk_size, kProbeBytes);
  HttpRequest request = spec_.request;
  if (from_ > 0 || end) request = ranged(request, from_, end, from_ > 0 ? state_.validator : "");
  next_ = Next::kDone;
  ranged_ = false;
  auto head = client_.send(
      request, [this](const HttpHead& h) { return on_head(h); },
      [this](const char* data, size_t size) { return on_body(data, size); });
  persist(true);
  if (!head) return tl::unexpected(head.error());
  if (next_ != Next::kDone) return next_;
  if (ranged_) return Next::kRanged;
  if (total_ && offset_ < *total_) return Next::kAgain;  // a range of a small file: the next one
  if (total_ && offset_ != *total_) return failure("network", "the body ended early");
  return Next::kDone;
}

Outcome<bool> Downloader::on_head(const HttpHead& head) {
  if (head.status == 416) {  // an empty file (bytes=0- cannot be met), or a stale part file
    if (from_ == 0) probe_range_ = false;
    if (auto done = restart(); !done) return tl::unexpected(done.error());
    next_ = Next::kAgain;
    return false;
  }
  if (head.status != 200 && head.status != 206) {
    return tl::unexpected(status_failure(head.status, head.url));
  }
  if (spec_.check_head) {
    if (auto done = spec_.check_head(head); !done) return tl::unexpected(done.error());
  }
  if (provisional_) {
    provisional_ = false;
    auto disposition = header(head.headers, "Content-Disposition");
    auto named = disposition ? content_disposition_name(*disposition) : std::nullopt;
    auto name = named ? sanitize_file_name(*named) : name_from_url(head.url);
    if (name != paths_->final.filename().string()) {
      state_ = PartState{};
      carried_ = 0;
      if (auto done = adopt(name); !done) return tl::unexpected(done.error());
      if (!state_.done.empty() || from_ > 0) {  // ask again from where this file stopped
        next_ = Next::kAgain;
        return false;
      }
    }
  }
  return accept_head(head);
}

Outcome<bool> Downloader::accept_head(const HttpHead& head) {
  std::string validator = validator_of(head);
  auto range = content_range(head);
  if (head.status == 206 && (!range || range->start != from_)) {
    return failure("network", "the server sent another range than the one asked");
  }
  total_ = head.status == 206 ? range->total : head.content_length;
  bool same = validator == state_.validator && total_.value_or(0) == state_.size;
  if (!state_.done.empty() && (!same || head.status == 200)) {
    if (auto done = restart(); !done) return tl::unexpected(done.error());
    if (head.status == 206 && from_ > 0) {
      next_ = Next::kAgain;  // this body starts in the middle of a file that changed
      return false;
    }
  }
  if (head.status == 200) from_ = 0;
  if (spec_.size && total_ && *total_ != *spec_.size) {
    return failure("refused", head.url.redacted() + " is " + std::to_string(*total_) +
                                  " bytes, not the " + std::to_string(*spec_.size) + " expected");
  }
  progress_.total = total_.value_or(0);
  state_ = PartState{spec_.request.url.redacted(), validator, total_.value_or(0), state_.done};
  bool can_range = head.status == 206 || header(head.headers, "Accept-Ranges") == "bytes";
  ranged_ = can_range && total_ && *total_ >= spec_.min_split && probe_range_;
  if (!ranged_) probe_range_ = false;  // the rest in one request
  auto done = ranged_ ? open_ranged() : open_single(from_);
  if (!done) return tl::unexpected(done.error());
  return true;
}

Done Downloader::on_body(const char* data, size_t size) {
  if (auto done = file_->write_at(data, size, offset_); !done) return done;
  if (!ranged_) {
    digest_->update(data, size);
    hashed_ += size;
  }
  if (spec_.stream_to) {
    if (auto done = spec_.stream_to(data, size); !done) {
      no_retry_ = true;
      return done;
    }
    streamed_ += size;
  }
  add_range(state_.done, offset_, offset_ + size);
  offset_ += size;
  progress_.done += size;
  persist(false);
  return {};
}

Done Downloader::adopt(const std::string& name, bool provisional) {
  PartPaths paths(spec_.dir, name);
  auto lock = PartLock::take(paths);
  if (!lock) return tl::unexpected(lock.error());
  lock_ = std::move(*lock);  // the previous name's, if any, goes
  paths_.emplace(std::move(paths));
  auto loaded = load_state(paths_->state);
  std::error_code ec;
  auto size = fs::file_size(paths_->part, ec);
  if (!loaded || ec || loaded->url != spec_.request.url.redacted() || loaded->validator.empty()) {
    if (provisional) return {};
    fs::remove(paths_->part, ec);
    fs::remove(paths_->state, ec);
    return {};
  }
  trim_ranges(loaded->done, size);
  state_ = *loaded;
  carried_ = range_bytes(state_.done);
  return {};
}

Done Downloader::open_file() {
  if (file_) return {};
  auto opened = PartFile::open(paths_->part);
  if (!opened) return tl::unexpected(opened.error());
  file_.emplace(std::move(*opened));
  return {};
}

// The part file at its full size, its done ranges kept; the digest is made at the end.
Done Downloader::open_ranged() {
  if (auto done = open_file(); !done) return done;
  if (auto done = file_->preallocate(state_.size); !done) return done;
  digest_.reset();
  hashed_ = 0;
  offset_ = from_;
  progress_.done = range_bytes(state_.done);
  return {};
}

Done Downloader::open_single(std::uint64_t from) {
  if (auto done = open_file(); !done) return done;
  if (auto done = file_->truncate(from); !done) return done;
  if (!digest_ || hashed_ != from) {
    if (auto done = replay(from); !done) return done;
  }
  offset_ = from;
  progress_.done = from;
  state_.done.clear();
  add_range(state_.done, 0, from);
  return {};
}

// Reads the part file's first TO bytes again into a fresh digest (and into stream_to, from
// where it stopped).
Done Downloader::replay(std::uint64_t to) {
  digest_.emplace(spec_.md5.has_value());
  hashed_ = 0;
  return extend(to);
}

// Hashes (and streams) the part file from where the digest stopped up to TO.
Done Downloader::extend(std::uint64_t to) {
  std::vector<char> buffer(1 << 20);
  while (hashed_ < to) {
    auto got = file_->read_at(buffer.data(), std::min<std::uint64_t>(buffer.size(), to - hashed_),
                              hashed_);
    if (!got) return tl::unexpected(got.error());
    if (*got == 0) return failure("internal", "the part file is shorter than recorded");
    digest_->update(buffer.data(), *got);
    if (spec_.stream_to && hashed_ + *got > streamed_) {
      size_t skip = static_cast<size_t>(streamed_ - std::min(streamed_, hashed_));
      if (auto done = spec_.stream_to(buffer.data() + skip, *got - skip); !done) return done;
      streamed_ = hashed_ + *got;
    }
    hashed_ += *got;
  }
  return {};
}

Done Downloader::restart() {
  if (spec_.stream_to && streamed_ > 0) {
    no_retry_ = true;
    return failure("network", "the file changed on the server while it was streamed; run again");
  }
  state_.done.clear();
  offset_ = hashed_ = carried_ = 0;
  digest_.reset();
  progress_.done = 0;
  if (file_) return file_->truncate(0);
  return {};
}

void Downloader::persist(bool now) {
  if (!paths_ || !file_) return;
  if (!ranged_ && total_ && offset_ == *total_) return;  // complete: nothing to resume
  auto at = std::chrono::steady_clock::now();
  if (!now && at - saved_ < kSaveEvery) return;
  saved_ = at;
  if (file_->sync(true)) (void)save_state(paths_->state, state_);
}

Outcome<Downloader::Next> Downloader::fetch_ranged() {
  // The digest follows the downloaded prefix on a thread of the ranged fetch, so little is left
  // to hash once the last chunk is in.
  if (auto done = replay(0); !done) return tl::unexpected(done.error());
  RangedJob job{client_, spec_, progress_, *file_, state_, paths_->state, [this](std::uint64_t to) {
                  return extend(to);
                }};
  auto result = fetch_ranges(job);
  if (result.changed) {
    if (auto done = restart(); !done) return tl::unexpected(done.error());
    return Next::kAgain;
  }
  if (!result.done) return tl::unexpected(result.done.error());
  offset_ = state_.size;
  if (auto done = extend(state_.size); !done) return tl::unexpected(done.error());
  return Next::kDone;
}

Outcome<Downloaded> Downloader::finish() {
  Downloaded out{paths_->final, offset_, digest_->sha256_hex(), carried_ > 0};
  if (total_ && out.size != *total_) {
    return tl::unexpected(discard({"refused", "the download is " + std::to_string(out.size) +
                                                  " bytes, not " + std::to_string(*total_)}));
  }
  if (spec_.size && out.size != *spec_.size) {
    return tl::unexpected(
        discard({"refused", "the download is " + std::to_string(out.size) + " bytes, not the " +
                                std::to_string(*spec_.size) + " expected"}));
  }
  if (spec_.sha256 && *spec_.sha256 != out.sha256) {
    return tl::unexpected(
        discard({"refused", "the SHA-256 of " + paths_->final.filename().string() + " is " +
                                out.sha256 + ", not " + *spec_.sha256}));
  }
  if (spec_.md5) {
    if (auto md5 = digest_->md5_hex(); md5 != *spec_.md5) {
      return tl::unexpected(discard({"refused", "the MD5 of " + paths_->final.filename().string() +
                                                    " is " + md5 + ", not " + *spec_.md5}));
    }
  }
  if (spec_.durable) {
    if (auto done = file_->sync(false); !done) return tl::unexpected(done.error());
  }
  std::error_code ec;
  fs::rename(paths_->part, paths_->final, ec);
  if (ec)
    return failure("internal", "cannot rename to " + paths_->final.string() + ": " + ec.message());
  if (spec_.durable) sync_dir(spec_.dir);
  fs::remove(paths_->state, ec);
  return out;
}

Failure Downloader::discard(Failure failure) {
  file_.reset();
  std::error_code ec;
  fs::remove(paths_->part, ec);
  fs::remove(paths_->state, ec);
  return failure;
}

}  // namespace

Outcome<Downloaded> download(HttpClient& client, const DownloadSpec& spec, Progress& progress) {
  return Downloader(client, spec, progress).run();
}

}  // namespace gpunb::data
