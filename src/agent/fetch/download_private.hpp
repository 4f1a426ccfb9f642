// The Downloader behind agent/fetch/download.hpp's download(), shared by its two halves:
// download.cpp (attempts, response heads and bodies, retries) and download_part.cpp (the part file
// and its state, the digest, and the final check and rename).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/fetch/download.hpp"
#include "agent/fetch/download_state.hpp"

namespace gpunb::data {

class Downloader {
 public:
  Downloader(HttpClient& client, const DownloadSpec& spec, Progress& progress)
      : client_(client), spec_(spec), progress_(progress) {}

  Result<Downloaded> run();

 private:
  enum class Next { kDone, kRanged, kAgain };

  Result<Next> attempt();
  Result<Next> fetch_ranged();
  Result<bool> on_head(const HttpHead& head);
  Result<bool> accept_head(const HttpHead& head);
  Status on_body(const char* data, size_t size);
  // Takes NAME's part file and state when they are of this URL; others are removed (unless
  // PROVISIONAL: the URL's name before the server's head confirms it).
  Status adopt(const std::string& name, bool provisional = false);
  Status open_file();
  Status open_single(std::uint64_t from);
  Status open_ranged();
  Status replay(std::uint64_t to);
  Status extend(std::uint64_t to);
  Status restart();
  void persist(bool now);
  Result<Downloaded> finish();
  Status place(Downloaded& out);
  Error discard(Error failure);

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

}  // namespace gpunb::data
