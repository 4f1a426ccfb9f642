// The ranged half of agent/fetch/download.cpp: the chunks of a file not yet done, fetched over
// several connections at once into a preallocated part file. Each connection takes the next chunk
// from a shared queue, so a slow one holds up at most the chunk it has.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "agent/fetch/download.hpp"
#include "agent/fetch/download_state.hpp"

namespace gpunb::data {

struct RangedJob {
  HttpClient& client;
  const DownloadSpec& spec;
  Progress& progress;
  PartFile& file;    // preallocated to STATE.size
  PartState& state;  // its done ranges grow; saved to STATE_PATH now and then
  std::filesystem::path state_path;
  // Called on a thread of its own with the end of the downloaded prefix as it grows (hashing).
  std::function<Status(std::uint64_t prefix_end)> follow_prefix;
};

struct RangedResult {
  Status done;
  bool changed = false;  // the server's file changed under us: start again from zero
};

RangedResult fetch_ranges(RangedJob& job);

}  // namespace gpunb::data
