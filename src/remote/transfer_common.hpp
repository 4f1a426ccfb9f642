// What push (transfer_push.cpp) and pull (transfer.cpp) share: block size, stall limit, errors and
// the per-path result table. Private to transfer*.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "remote/transfer.hpp"

namespace gpunb::remote {

inline constexpr size_t kBlock = size_t{1} << 20;
// no byte from the other side for this long
inline constexpr std::chrono::milliseconds kStall = std::chrono::minutes(2);

// A header or reply line of the stream (a file's path, size, hash) is far shorter; a longer one is
// an error, never unbounded memory.
inline constexpr size_t kMaxLine = size_t{1} << 20;

inline tl::unexpected<core::Error> protocol_error(const std::string& what) {
  return core::fail(core::ErrorKind::internal, "gpunb-agent sync stream: " + what);
}

inline std::map<std::string, size_t> index_of(const std::vector<FileResult>& files) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < files.size(); ++i) index.emplace(files[i].path, i);
  return index;
}

inline TransferResult start_result(const std::vector<std::string>& paths) {
  TransferResult result;
  for (const std::string& path : paths) result.files.push_back(FileResult{path});
  return result;
}

}  // namespace gpunb::remote
