// `gpunb fetch`: data straight onto the machine (or, with --local, onto the laptop). The job runs
// in gpunb-agent, detached from the SSH session; gpunb follows its progress until it ends, and
// leaves it running when interrupted (`gpunb fetch NAME --status` shows it then).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "app/context.hpp"

namespace gpunb::app {

struct FetchRequest {
  std::string source;       // s3://bucket/key, s3://bucket/prefix/, a Google Drive link, http(s)://
  std::string to = "data";  // relative to the workspace (or the current folder with --local)
  bool extract = false;
  std::optional<std::string> sha256;
  std::optional<std::string> format;  // Google Docs/Sheets/Slides: the export format
  int connections = 8;
  bool no_sign_request = false;  // S3: anonymous
  bool detach = false;           // start it and return
  std::optional<std::uint64_t> max_extract_size, max_extract_entries;
  std::optional<double> max_extract_ratio;
};

// A job's status as the agent reports it (data of fetch_status.hpp).
struct FetchReport {
  nlohmann::json status;  // {"id","state","bytes","total","files",...}
  bool finished() const { return status.value("state", "") != "running"; }
};

FetchReport fetch_remote(Context& context, const std::string& name, const FetchRequest& request);
FetchReport fetch_local(Context& context, const FetchRequest& request);
// Every fetch job on the machine, newest first: {"jobs":[...]}.
nlohmann::json fetch_status(Context& context, const std::string& name);

// "2.1 GB of 4.0 GB (52%), 180 MB/s, 11s left, 3/10 files"
std::string fetch_progress_text(const nlohmann::json& status);
// Throws the job's error as a Fatal when it failed (with a hint to rerun, which resumes).
void throw_if_failed(const nlohmann::json& status);

}  // namespace gpunb::app
