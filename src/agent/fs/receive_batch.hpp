// The batches of `gpunb-agent receive` (fs_receive.hpp): complete temp files waiting for their
// commit, and the commit itself (flush, renames, folders' flush). Private to fs_receive*.cpp.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/fs/path.hpp"
#include "base/error.hpp"

namespace gpunb::agent {

struct Pending {
  int dir_fd;
  std::string temp, name, path, sha256;
  std::uint64_t size;
};

// Complete temp files waiting for their commit, and the folders they are in (held open until then).
struct Batch {
  RootDir dirs;
  std::vector<Pending> files;
  std::uint64_t bytes = 0;
};

// What a commit did: the replies for its files, and the folders, closed, for another batch.
struct Committed {
  RootDir dirs;
  std::vector<nlohmann::json> replies;
  size_t files = 0;
  std::uint64_t bytes = 0;
  Status status;
};

// One flush for the batch, then the renames, then the folders' flush. The replies count only
// when all of it worked. Runs on a thread of its own while the next batch arrives.
Committed commit_batch(Batch batch);

}  // namespace gpunb::agent
