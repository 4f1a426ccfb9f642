#include "agent/fetch/download_parallel.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/fetch/download_head.hpp"
#include "base/expected.hpp"

namespace gpunb::data {
namespace {

constexpr auto kSaveEvery = std::chrono::seconds(1);

struct Chunk {
  std::uint64_t start = 0, end = 0;
};

class RangedFetch {
 public:
  explicit RangedFetch(RangedJob& job) : job_(job) {
    // Chunks small enough that every connection takes several (the last ones then end close
    // together), large enough that a request per chunk costs nothing.
    auto connections = static_cast<std::uint64_t>(std::max(job.spec.connections, 1));
    std::uint64_t step =
        std::clamp<std::uint64_t>(job.state.size / (connections * 4), 1 << 20,
                                  std::max<std::uint64_t>(job.spec.chunk_size, 64 * 1024));
    std::uint64_t at = 0;
    for (auto [start, end] : job.state.done) {  // the gaps between done ranges, in chunks
      queue_gap(at, std::min(start, job.state.size), step);
      at = std::max(at, end);
    }
    queue_gap(at, job.state.size, step);
  }

  void queue_gap(std::uint64_t start, std::uint64_t end, std::uint64_t step) {
    for (std::uint64_t at = start; at < end; at += step)
      queue_.push_back({at, std::min(at + step, end)});
  }

  RangedResult run() {
    size_t count = std::min<size_t>(std::max(job_.spec.connections, 1), queue_.size());
    std::thread follower([this] { follow(); });
    std::vector<std::thread> workers;
    for (size_t i = 0; i < count; ++i) workers.emplace_back([this] { work(); });
    for (auto& worker : workers) worker.join();
    {
      std::lock_guard lock(mutex_);
      workers_done_ = true;
    }
    prefix_grew_.notify_all();
    follower.join();
    save(true);
    if (error_) return {tl::unexpected(*error_), changed_};
    if (!queue_.empty())
      return {fail(ErrorKind::network, "the ranged download stopped early"), changed_};
    return {Status{}, false};
  }

 private:
  void work() {
    while (!stop_) {
      auto chunk = take();
      if (!chunk) return;
      std::uint64_t got = 0;
      auto done = fetch(*chunk, got);
      if (done) {
        finished(*chunk);
      } else if (!failed(*chunk, got, done.error())) {
        return;
      }
    }
  }

  // Hands the downloaded prefix to job_.follow_prefix as it grows; a failure there only stops
  // the following (the caller finishes the rest and reports it).
  void follow() {
    std::uint64_t followed = 0;
    for (;;) {
      std::uint64_t end = 0;
      {
        std::unique_lock lock(mutex_);
        prefix_grew_.wait(lock,
                          [&] { return workers_done_ || prefix_end(job_.state.done) > followed; });
        end = prefix_end(job_.state.done);
        if (end <= followed) return;  // the workers are done and nothing new came
      }
      if (!job_.follow_prefix || !job_.follow_prefix(end)) return;
      followed = end;
    }
  }

  std::optional<Chunk> take() {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return std::nullopt;
    Chunk chunk = queue_.front();
    queue_.pop_front();
    return chunk;
  }

  Result<bool> check(const HttpHead& head, const Chunk& chunk) {
    if (head.status != 200 && head.status != 206) {
      return tl::unexpected(status_failure(head.status, job_.spec.request.url));
    }
    auto range = content_range(head);
    if (head.status == 200 || !range || range->start != chunk.start || range->end != chunk.end ||
        range->total.value_or(job_.state.size) != job_.state.size ||
        validator_of(head) != job_.state.validator) {
      changed_ = true;
      return fail(ErrorKind::network, "the file changed on the server during the download");
    }
    return true;
  }

  Status fetch(const Chunk& chunk, std::uint64_t& got) {
    auto request = ranged(job_.spec.request, chunk.start, chunk.end, job_.state.validator);
    auto check_head = [&](const HttpHead& head) { return check(head, chunk); };
    auto sink = [&](const char* data, size_t size) -> Status {
      if (stop_) return fail(ErrorKind::network, "stopped");
      if (got + size > chunk.end - chunk.start) return fail(ErrorKind::network, "a range too long");
      if (auto done = job_.file.write_at(data, size, chunk.start + got); !done) return done;
      got += size;
      job_.progress.done += size;
      return {};
    };
    auto head = job_.client.send(request, check_head, sink);
    TRY(head);
    if (got != chunk.end - chunk.start) return fail(ErrorKind::network, "a range cut short");
    return {};
  }

  void finished(const Chunk& chunk) {
    {
      std::lock_guard lock(mutex_);
      add_range(job_.state.done, chunk.start, chunk.end);
      failures_ = 0;
    }
    prefix_grew_.notify_all();
    save(false);
  }

  // Keeps the GOT bytes of CHUNK that arrived (they passed the head's checks) and puts the rest
  // back; false when the download stops (too many failures, or not a network one).
  bool failed(const Chunk& chunk, std::uint64_t got, const Error& error) {
    std::unique_lock lock(mutex_);
    if (changed_) {
      job_.progress.done -= got;
      got = 0;
    }
    if (got > 0) add_range(job_.state.done, chunk.start, chunk.start + got);
    if (chunk.start + got < chunk.end) queue_.push_front({chunk.start + got, chunk.end});
    ++failures_;
    if (changed_ || !base::is_transient(error.kind) || failures_ > job_.spec.retries) {
      if (!error_) error_ = error;
      stop_ = true;
      wake_.notify_all();
      return false;
    }
    auto delay = job_.spec.retry_delay * (1 << std::min(failures_ - 1, 4));
    wake_.wait_for(lock, delay, [this] { return stop_.load(); });
    return !stop_;
  }

  // The state claims only ranges done before the flush began, so it never claims bytes that are
  // not on the disk. The flush runs outside the lock: the other connections go on meanwhile.
  void save(bool now) {
    PartState snapshot;
    {
      std::lock_guard lock(mutex_);
      auto at = std::chrono::steady_clock::now();
      if (saving_ || (!now && at - saved_ < kSaveEvery)) return;
      saving_ = true;
      saved_ = at;
      snapshot = job_.state;
    }
    if (job_.file.sync(true)) (void)save_state(job_.state_path, snapshot);
    std::lock_guard lock(mutex_);
    saving_ = false;
  }

  RangedJob& job_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Chunk> queue_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> changed_{false};
  int failures_ = 0;
  bool saving_ = false;
  bool workers_done_ = false;
  std::condition_variable prefix_grew_;
  std::optional<Error> error_;
  std::chrono::steady_clock::time_point saved_ = std::chrono::steady_clock::now();
};

}  // namespace

RangedResult fetch_ranges(RangedJob& job) {
  return RangedFetch(job).run();
}

}  // namespace gpunb::data
