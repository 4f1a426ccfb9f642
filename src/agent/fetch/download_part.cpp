// The part-file half of agent/fetch/download.cpp's Downloader: taking a name's part file and state,
// opening it for one stream or for ranges, hashing (and streaming) it again, saving the state
// now and then, and the final check and rename.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "agent/fetch/download_place.hpp"
#include "agent/fetch/download_private.hpp"
#include "base/expected.hpp"

namespace gpunb::data {
namespace {

namespace fs = std::filesystem;

constexpr auto kSaveEvery = std::chrono::seconds(1);

void trim_ranges(Ranges& ranges, std::uint64_t size) {
  Ranges kept;
  for (auto [start, end] : ranges) {
    if (start < size) kept.emplace_back(start, std::min(end, size));
  }
  ranges = std::move(kept);
}

Status sync_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) ::fsync(fd.get());
  return {};
}

}  // namespace

Status Downloader::adopt(const std::string& name, bool provisional) {
  PartPaths paths(spec_.dir, name);
  auto lock = PartLock::take(paths);
  TRY(lock);
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

Status Downloader::open_file() {
  if (file_) return {};
  auto opened = PartFile::open(paths_->part);
  TRY(opened);
  file_.emplace(std::move(*opened));
  return {};
}

// The part file at its full size, its done ranges kept; the digest is made at the end.
Status Downloader::open_ranged() {
  if (auto done = open_file(); !done) return done;
  if (auto done = file_->preallocate(state_.size); !done) return done;
  digest_.reset();
  hashed_ = 0;
  offset_ = from_;
  progress_.done = range_bytes(state_.done);
  return {};
}

Status Downloader::open_single(std::uint64_t from) {
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
Status Downloader::replay(std::uint64_t to) {
  digest_.emplace(spec_.md5.has_value());
  hashed_ = 0;
  return extend(to);
}

// Hashes (and streams) the part file from where the digest stopped up to TO.
Status Downloader::extend(std::uint64_t to) {
  std::vector<char> buffer(1 << 20);
  while (hashed_ < to) {
    auto got = file_->read_at(buffer.data(), std::min<std::uint64_t>(buffer.size(), to - hashed_),
                              hashed_);
    TRY(got);
    if (*got == 0) return fail(ErrorKind::internal, "the part file is shorter than recorded");
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

Status Downloader::restart() {
  if (spec_.stream_to && streamed_ > 0) {
    no_retry_ = true;
    return fail(ErrorKind::network,
                "the file changed on the server while it was streamed; run again");
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

Result<Downloaded> Downloader::finish() {
  Downloaded out{paths_->final, offset_, digest_->sha256_hex(), carried_ > 0};
  if (total_ && out.size != *total_) {
    return tl::unexpected(
        discard({ErrorKind::refused, "the download is " + std::to_string(out.size) +
                                         " bytes, not " + std::to_string(*total_)}));
  }
  if (spec_.size && out.size != *spec_.size) {
    return tl::unexpected(discard(
        {ErrorKind::refused, "the download is " + std::to_string(out.size) + " bytes, not the " +
                                 std::to_string(*spec_.size) + " expected"}));
  }
  if (spec_.sha256 && *spec_.sha256 != out.sha256) {
    return tl::unexpected(
        discard({ErrorKind::refused, "the SHA-256 of " + paths_->final.filename().string() +
                                         " is " + out.sha256 + ", not " + *spec_.sha256}));
  }
  if (spec_.md5) {
    if (auto md5 = digest_->md5_hex(); md5 != *spec_.md5) {
      return tl::unexpected(
          discard({ErrorKind::refused, "the MD5 of " + paths_->final.filename().string() + " is " +
                                           md5 + ", not " + *spec_.md5}));
    }
  }
  if (spec_.durable) {
    TRY(file_->sync(false));
  }
  TRY(place(out));
  if (spec_.durable) sync_dir(spec_.dir);
  std::error_code ec;
  fs::remove(paths_->state, ec);
  return out;
}

// The part file under its final name: the caller's name replaces what is there, the server's
// never does (agent/fetch/download_place.hpp).
Status Downloader::place(Downloaded& out) {
  if (spec_.name.empty()) {
    auto placed = place_without_replacing(paths_->part, paths_->final, out.size, out.sha256);
    TRY(placed);
    out.path = placed->path;
    out.note = placed->note;
    return {};
  }
  std::error_code ec;
  fs::rename(paths_->part, paths_->final, ec);
  if (ec)
    return fail(ErrorKind::internal,
                "cannot rename to " + paths_->final.string() + ": " + ec.message());
  return {};
}

Error Downloader::discard(Error failure) {
  file_.reset();
  std::error_code ec;
  fs::remove(paths_->part, ec);
  fs::remove(paths_->state, ec);
  return failure;
}

}  // namespace gpunb::data
