// A fetch job's progress, as the laptop sees it: ~/.gpunb/fetch/ID.json on the machine, rewritten
// (atomically) about twice a second by the job, or JSON lines on stdout for `gpunb fetch --local`.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/error.hpp"

namespace gpunb::agent {

struct FetchStatus {
  std::string id, source, dir;
  std::string state = "running";  // running, done, failed
  pid_t pid = 0;
  std::string started, updated;        // UTC, ISO 8601
  std::uint64_t bytes = 0, total = 0;  // total 0 while unknown
  std::uint64_t files = 0, files_total = 0;
  std::uint64_t extracted_entries = 0, extracted_bytes = 0;
  double rate = 0;                             // bytes per second over the last few seconds
  std::string error;                           // one line when failed
  ErrorKind error_kind = ErrorKind::internal;  // when failed; by name in the JSON
  std::vector<std::string> paths;              // what landed, relative to dir (the first 100)
  std::vector<std::string> notes;  // for humans: a server's name that was taken, and so on
};

nlohmann::json status_json(const FetchStatus& status);
std::optional<FetchStatus> status_from_json(const nlohmann::json& json);

std::filesystem::path fetch_dir(const std::filesystem::path& state);  // ~/.gpunb/fetch
// The status of job ID, with a "running" job whose process is gone reported as failed.
std::optional<FetchStatus> read_fetch_status(const std::filesystem::path& state,
                                             const std::string& id);
// Every job's status, newest first.
std::vector<FetchStatus> read_fetch_statuses(const std::filesystem::path& state);

using StatusSink = std::function<void(const FetchStatus& status)>;

}  // namespace gpunb::agent
