// Downloading one file into a folder, safely: bytes go to DIR/.NAME.gpunb-part (with a small
// .NAME.gpunb-part.json beside it: URL, validator (ETag/Last-Modified), size, ranges done), and the
// file appears under NAME only once it is complete and checked (length always, SHA-256 when given,
// the S3 single-part ETag (MD5) when given). A rerun resumes with Range + If-Range; a 200 instead
// of 206, or a changed validator, restarts from zero. Large files are fetched over N ranged
// connections into a preallocated file. A network failure is retried (resuming) SPEC.retries
// times before the download fails with kind "network"; the part file then stays for a rerun.
// A wrong length or digest fails with kind "refused" and removes the part file.
// A name the server chose (SPEC.name empty: Content-Disposition, Google Drive, the final URL's
// last segment) never replaces a file that is there: the same bytes keep the file and drop the
// download; other bytes land under the first free "NAME (1).EXT", "NAME (2).EXT"... and
// Downloaded::note says so. A name the caller gives (S3 keys) replaces the file, as aws s3 cp.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "data/net/http.hpp"

namespace gpunb::data {

struct Progress {  // shared with the status reporter; updated as bytes arrive
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> total{0};  // 0 while unknown
};

struct DownloadSpec {
  HttpRequest request;                // usually a GET of the URL
  std::filesystem::path dir;          // where the file lands (made if absent)
  std::string name;                   // empty: from Content-Disposition, else the URL path
  std::string fallback_name;          // with NAME empty: used instead of the URL path's (exports)
  std::optional<std::string> sha256;  // lowercase hex
  std::optional<std::string> md5;     // lowercase hex (an S3 single-part ETag)
  std::optional<std::uint64_t> size;  // expected length when known beforehand
  int connections = 4;                // ranged connections for one large file
  std::uint64_t min_split = 16ull << 20;  // files smaller than this use one connection
  // Flush the file and its folder before it appears under its name. False: the caller flushes
  // once when a whole batch is in (many small files; a crash then may lose them, never mix them).
  bool durable = true;
  std::uint64_t chunk_size = 8ull << 20;       // the unit of work of a ranged download
  int retries = 5;                             // network failures in a row before giving up
  std::chrono::milliseconds retry_delay{500};  // the first wait; doubled each time up to 16x
  // Refuses a response before any byte is kept (Google Drive's HTML pages, wrong types).
  std::function<Status(const HttpHead& head)> check_head;
  // Also hands the bytes in order to SINK as they are written (streaming extraction); single
  // connection only, and a resumed download replays the part file into it first.
  BodySink stream_to;
};

struct Downloaded {
  std::filesystem::path path;  // the final file
  std::uint64_t size = 0;
  std::string sha256;    // always computed
  bool resumed = false;  // some bytes came from an earlier, interrupted run
  std::string note;      // for humans: the server's name was taken, what was done instead
};

// File names from the server are cut to their last component and cleaned: no '/', no NUL or
// control characters, no leading dots, at most 200 bytes; "download" when nothing is left.
std::string sanitize_file_name(std::string_view name);
// The file name of a Content-Disposition header (filename*=UTF-8'' first, then filename=).
std::optional<std::string> content_disposition_name(std::string_view value);

Result<Downloaded> download(HttpClient& client, const DownloadSpec& spec, Progress& progress);

}  // namespace gpunb::data
