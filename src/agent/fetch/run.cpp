#include "agent/fetch/run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/fetch/byte_pipe.hpp"
#include "agent/fetch/download.hpp"
#include "agent/fetch/drive_walk.hpp"
#include "agent/host/files.hpp"
#include "agent/host/transfer_mark.hpp"
#include "base/clock.hpp"
#include "base/expected.hpp"
#include "base/files.hpp"
#include "data/archive/extract_stage.hpp"

namespace gpunb::agent {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kListedPaths = 100;

bool is_html(const data::HttpHead& head) {
  auto type = data::header(head.headers, "content-type").value_or("");
  return type.rfind("text/html", 0) == 0;
}

void flush_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::syncfs(fd);
  ::close(fd);
}

bool is_tar_stream_name(const std::string& name) {
  return data::is_archive_name(name) && !(name.size() > 4 && name.ends_with(".zip"));
}

class FetchRun {
 public:
  FetchRun(const FetchSpec& spec, StatusSink sink);
  FetchStatus run();

 private:
  void worker();
  Status fetch_one(data::HttpClient& client, const FetchItem& item, data::Progress& progress);
  Result<GdriveTarget> request_for(data::HttpClient& client, const FetchItem& item);
  Result<data::Downloaded> download(data::HttpClient& client, data::DownloadSpec& download,
                                    data::Progress& progress, bool stream);
  void landed(const data::Downloaded& file, const data::Extracted& extracted);
  void record_failure(const Error& failure);
  void report_until_done();
  FetchStatus snapshot();

  const FetchSpec& spec_;
  StatusSink sink_;
  std::vector<FetchItem> items_;
  std::vector<std::unique_ptr<data::Progress>> progress_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false}, finished_{false};
  std::mutex mutex_;  // guards status_ and the rate samples
  FetchStatus status_;
  Clock::time_point last_time_ = Clock::now();
  std::uint64_t last_bytes_ = 0;
};

FetchRun::FetchRun(const FetchSpec& spec, StatusSink sink) : spec_(spec), sink_(std::move(sink)) {
  items_ = spec.items;
  if (spec.gdrive_id) items_.push_back({"gdrive:" + *spec.gdrive_id});
  if (spec.sha256 && items_.size() == 1) items_[0].sha256 = spec.sha256;
  for (size_t i = 0; i < items_.size(); ++i)
    progress_.push_back(std::make_unique<data::Progress>());
  for (size_t i = 0; i < items_.size(); ++i) {
    if (items_[i].size) progress_[i]->total = *items_[i].size;
  }
  status_ = {spec.id, spec.source, spec.dir.string()};
  status_.pid = ::getpid();
  status_.started = base::utc_now();
  status_.files_total = items_.size();
}

FetchStatus FetchRun::run() {
  if (auto made = base::make_dirs(spec_.dir, 0755); !made) {
    record_failure(made.error());
  } else {
    std::thread reporter([this] { report_until_done(); });
    size_t workers = std::min<size_t>(items_.size(), static_cast<size_t>(spec_.parallel));
    std::vector<std::thread> threads;
    for (size_t i = 0; i < workers; ++i) threads.emplace_back([this] { worker(); });
    for (auto& thread : threads) thread.join();
    finished_ = true;
    reporter.join();
  }
  auto final_status = snapshot();
  if (final_status.state == "running") {
    flush_dir(spec_.dir);  // every file on the disk before the job says done
    final_status.state = "done";
  }
  final_status.rate = 0;
  sink_(final_status);
  return final_status;
}

void FetchRun::worker() {
  data::HttpClient client({.ca_file = spec_.ca_file});
  for (size_t i = next_++; i < items_.size() && !failed_; i = next_++) {
    if (auto ok = fetch_one(client, items_[i], *progress_[i]); !ok) record_failure(ok.error());
  }
}

Result<GdriveTarget> FetchRun::request_for(data::HttpClient& client, const FetchItem& item) {
  if (item.url.rfind("gdrive:", 0) == 0) return resolve_gdrive(client, spec_);
  auto url = data::Url::parse(item.url);
  TRY(url);
  return GdriveTarget{data::HttpRequest{"GET", *url}, ""};
}

Status FetchRun::fetch_one(data::HttpClient& client, const FetchItem& item,
                           data::Progress& progress) {
  auto request = request_for(client, item);
  TRY(request);
  std::filesystem::path name(item.name);
  data::DownloadSpec download{request->request, spec_.dir / name.parent_path(),
                              name.filename().string()};
  download.fallback_name = request->fallback_name;
  download.sha256 = item.sha256;
  download.md5 = item.md5;
  download.size = item.size;
  download.connections = spec_.connections;
  download.durable = false;  // one flush of the whole folder at the end (see run())
  download.check_head = [](const data::HttpHead& head) -> Status {
    if (is_html(head) && head.url.host.find("google") != std::string::npos)
      return fail(ErrorKind::refused, "Google Drive answered with a page instead of the file");
    return {};
  };
  bool stream = spec_.extract && is_tar_stream_name(download.name);
  auto file = this->download(client, download, progress, stream);
  TRY(file);
  data::Extracted extracted;
  if (spec_.extract && !stream) {
    auto unpacked = data::extract_file(file->path, download.dir, spec_.limits);
    TRY(unpacked);
    extracted = *unpacked;
  }
  landed(*file, extracted);
  return {};
}

// With STREAM, the bytes also go through a pipe to an extraction thread as they arrive. It unpacks
// into a stage that joins the folder only once the download passed its checks (length, SHA-256,
// MD5): on a mismatch nothing of the archive's content remains.
Result<data::Downloaded> FetchRun::download(data::HttpClient& client, data::DownloadSpec& download,
                                            data::Progress& progress, bool stream) {
  if (!stream) return data::download(client, download, progress);
  auto stage = data::Stage::make(download.dir, download.name);
  TRY(stage);
  BytePipe pipe;
  Result<data::Extracted> unpacked = fail(ErrorKind::internal, "extraction did not run");
  std::thread extractor([&] {
    unpacked = data::extract_stream([&](char* b, size_t n) { return pipe.read(b, n); },
                                    stage->path(), spec_.limits);
    pipe.close_read();
  });
  download.stream_to = [&](const char* data, size_t size) { return pipe.write(data, size); };
  auto file = data::download(client, download, progress);
  pipe.close_write();
  extractor.join();
  TRY(unpacked);
  if (!file) return file;
  TRY(stage->commit());
  std::lock_guard lock(mutex_);
  status_.extracted_entries += unpacked->entries;
  status_.extracted_bytes += unpacked->bytes;
  return file;
}

void FetchRun::landed(const data::Downloaded& file, const data::Extracted& extracted) {
  std::lock_guard lock(mutex_);
  status_.files += 1;
  status_.extracted_entries += extracted.entries;
  status_.extracted_bytes += extracted.bytes;
  if (status_.paths.size() < kListedPaths) {
    status_.paths.push_back(file.path.lexically_relative(spec_.dir).string());
  }
  if (!file.note.empty() && status_.notes.size() < kListedPaths) status_.notes.push_back(file.note);
}

void FetchRun::record_failure(const Error& failure) {
  std::lock_guard lock(mutex_);
  if (failed_.exchange(true)) return;
  status_.state = "failed";
  status_.error = failure.message;
  status_.error_kind = failure.kind;
}

void FetchRun::report_until_done() {
  while (!finished_) {
    sink_(snapshot());
    for (int i = 0; i < 10 && !finished_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

FetchStatus FetchRun::snapshot() {
  std::uint64_t bytes = 0, total = 0;
  for (const auto& progress : progress_) {
    bytes += progress->done;
    total += progress->total;
  }
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  double seconds = std::chrono::duration<double>(now - last_time_).count();
  if (seconds >= 1.0) {
    status_.rate = static_cast<double>(bytes - std::min(bytes, last_bytes_)) / seconds;
    last_time_ = now;
    last_bytes_ = bytes;
  }
  status_.bytes = bytes;
  status_.total = total;
  status_.updated = base::utc_now();
  return status_;
}

}  // namespace

FetchStatus run_fetch(const FetchSpec& spec, const StatusSink& sink) {
  return FetchRun(spec, sink).run();
}

int fetch_run_main(const std::filesystem::path& state, const std::string& id) {
  if (!valid_fetch_id(id)) return 2;
  auto job_path = fetch_dir(state) / (id + ".job");
  auto text = base::read_file(job_path);
  std::filesystem::remove(job_path);  // it may hold presigned URLs: read once
  if (!text) return 5;
  auto spec = parse_fetch_spec(nlohmann::json::parse(*text, nullptr, false));
  if (!spec) return 2;
  auto status_path = fetch_dir(state) / (id + ".json");
  TransferMark mark("fetch");  // the machine's idle watcher keeps it running meanwhile
  auto final_status = run_fetch(*spec, [&](const FetchStatus& status) {
    (void)base::write_atomic(status_path, status_json(status).dump(), 0600);
  });
  return final_status.state == "done" ? 0 : base::exit_code(final_status.error_kind);
}

int fetch_local_main() {
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  auto spec = parse_fetch_spec(nlohmann::json::parse(text, nullptr, false));
  if (!spec) {  // said as a failed status, which gpunb reports like any other failure
    FetchStatus failed{"local"};
    failed.state = "failed";
    failed.error = spec.error().message;
    failed.error_kind = spec.error().kind;
    std::cout << status_json(failed).dump() << std::endl;
    return base::exit_code(failed.error_kind);
  }
  auto final_status = run_fetch(*spec, [](const FetchStatus& status) {
    std::cout << status_json(status).dump() << std::endl;
  });
  return final_status.state == "done" ? 0 : base::exit_code(final_status.error_kind);
}

}  // namespace gpunb::agent
