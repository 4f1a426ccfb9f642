// download(): one attempt at a time (a single stream, or the decision to go ranged), retried with
// backoff on network failures; the part file and its JSON state carry progress between attempts
// and between runs. The ranged half is in download_parallel.cpp, the part file's handling (and
// the final check) in download_part.cpp.
#include "agent/fetch/download.hpp"

#include <thread>

#include "agent/fetch/download_head.hpp"
#include "agent/fetch/download_names.hpp"
#include "agent/fetch/download_parallel.hpp"
#include "agent/fetch/download_private.hpp"
#include "agent/fetch/download_state.hpp"
#include "base/expected.hpp"

namespace gpunb::data {
namespace {

constexpr std::uint64_t kProbeBytes = 256 * 1024;

namespace fs = std::filesystem;

}  // namespace

Result<Downloaded> Downloader::run() {
  std::error_code ec;
  fs::create_directories(spec_.dir, ec);
  if (ec)
    return fail(ErrorKind::internal, "cannot make " + spec_.dir.string() + ": " + ec.message());
  // Without a name, the URL's is tried first: the server may name the file otherwise.
  provisional_ = spec_.name.empty();
  auto name = !provisional_                  ? sanitize_file_name(spec_.name)
              : !spec_.fallback_name.empty() ? sanitize_file_name(spec_.fallback_name)
                                             : name_from_url(spec_.request.url);
  TRY(adopt(name, provisional_));
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
      return fail(ErrorKind::network,
                  "the download of " + spec_.request.url.redacted() + " keeps starting over");
    if (!base::is_transient(next.error().kind) || no_retry_) return tl::unexpected(next.error());
    if (progress_.done > before) failures = 0;
    if (++failures > spec_.retries) return tl::unexpected(next.error());
    std::this_thread::sleep_for(spec_.retry_delay * (1 << std::min(failures - 1, 4)));
  }
}

Result<Downloader::Next> Downloader::attempt() {
  from_ = prefix_end(state_.done);
  if (state_.size > 0 && covers(state_.done, 0, state_.size)) {  // done before a crash
    TRY(open_single(state_.size));
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
  TRY(head);
  if (next_ != Next::kDone) return next_;
  if (ranged_) return Next::kRanged;
  if (total_ && offset_ < *total_) return Next::kAgain;  // a range of a small file: the next one
  if (total_ && offset_ != *total_) return fail(ErrorKind::network, "the body ended early");
  return Next::kDone;
}

Result<bool> Downloader::on_head(const HttpHead& head) {
  if (head.status == 416) {  // an empty file (bytes=0- cannot be met), or a stale part file
    if (from_ == 0) probe_range_ = false;
    TRY(restart());
    next_ = Next::kAgain;
    return false;
  }
  if (head.status != 200 && head.status != 206) {
    return tl::unexpected(status_failure(head.status, head.url));
  }
  if (spec_.check_head) {
    TRY(spec_.check_head(head));
  }
  if (provisional_) {
    provisional_ = false;
    auto disposition = header(head.headers, "Content-Disposition");
    auto named = disposition ? content_disposition_name(*disposition) : std::nullopt;
    auto name = named                          ? sanitize_file_name(*named)
                : !spec_.fallback_name.empty() ? sanitize_file_name(spec_.fallback_name)
                                               : name_from_url(head.url);
    if (name != paths_->final.filename().string()) {
      state_ = PartState{};
      carried_ = 0;
      TRY(adopt(name));
      if (!state_.done.empty() || from_ > 0) {  // ask again from where this file stopped
        next_ = Next::kAgain;
        return false;
      }
    }
  }
  return accept_head(head);
}

Result<bool> Downloader::accept_head(const HttpHead& head) {
  std::string validator = validator_of(head);
  auto range = content_range(head);
  if (head.status == 206 && (!range || range->start != from_)) {
    return fail(ErrorKind::network, "the server sent another range than the one asked");
  }
  total_ = head.status == 206 ? range->total : head.content_length;
  bool same = validator == state_.validator && total_.value_or(0) == state_.size;
  if (!state_.done.empty() && (!same || head.status == 200)) {
    TRY(restart());
    if (head.status == 206 && from_ > 0) {
      next_ = Next::kAgain;  // this body starts in the middle of a file that changed
      return false;
    }
  }
  if (head.status == 200) from_ = 0;
  if (spec_.size && total_ && *total_ != *spec_.size) {
    return fail(ErrorKind::refused, head.url.redacted() + " is " + std::to_string(*total_) +
                                        " bytes, not the " + std::to_string(*spec_.size) +
                                        " expected");
  }
  progress_.total = total_.value_or(0);
  state_ = PartState{spec_.request.url.redacted(), validator, total_.value_or(0), state_.done};
  bool can_range = head.status == 206 || header(head.headers, "Accept-Ranges") == "bytes";
  ranged_ = can_range && total_ && *total_ >= spec_.min_split && probe_range_;
  if (!ranged_) probe_range_ = false;  // the rest in one request
  auto done = ranged_ ? open_ranged() : open_single(from_);
  TRY(done);
  return true;
}

Status Downloader::on_body(const char* data, size_t size) {
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

Result<Downloader::Next> Downloader::fetch_ranged() {
  // The digest follows the downloaded prefix on a thread of the ranged fetch, so little is left
  // to hash once the last chunk is in.
  TRY(replay(0));
  RangedJob job{client_, spec_, progress_, *file_, state_, paths_->state, [this](std::uint64_t to) {
                  return extend(to);
                }};
  auto result = fetch_ranges(job);
  if (result.changed) {
    TRY(restart());
    return Next::kAgain;
  }
  if (!result.done) return tl::unexpected(result.done.error());
  offset_ = state_.size;
  TRY(extend(state_.size));
  return Next::kDone;
}

Result<Downloaded> download(HttpClient& client, const DownloadSpec& spec, Progress& progress) {
  return Downloader(client, spec, progress).run();
}

}  // namespace gpunb::data
