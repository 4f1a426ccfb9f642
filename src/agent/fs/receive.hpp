// `gpunb-agent receive ROOT`: files from the laptop in one framed stream on stdin (see
// fs_send.hpp for the format). Each file is written to a temp file beside its final name; a batch
// of them is flushed with one syncfs(), then renamed into place and the folders fsynced, so no
// half-written file is ever seen under its final name. A batch commits on a thread of its own
// while the next one arrives (one commit at a time). Replies on stdout, one JSON line each, a
// batch's after its commit (a refused file's at once, so not in the order sent):
//   {"path":P,"sha256":HEX}            committed (hash of what was written)
//   {"path":P,"error":MSG}             refused or failed; the stream goes on
//   {"done":true,"files":N,"bytes":B}  after {"end":true}; or {"error":MSG} and exit status 1.
#pragma once

#include <cstdint>
#include <string>

namespace gpunb::agent {

struct ReceiveLimits {
  std::uint64_t batch_bytes = std::uint64_t{256} << 20;  // commit once this much is pending
  size_t batch_files =
      2048;                 // also bounds the replies of one commit, which the laptop may read late
  size_t open_dirs = 4096;  // folder descriptors held by one batch (two: at most half the fd limit)
  // With no commit running, a batch this big already goes: the batches stay as small as the
  // commits are fast, and so does the last one, which nothing overlaps.
  size_t idle_batch_files = 256;
  std::uint64_t idle_batch_bytes = std::uint64_t{32} << 20;
};

// Exit code: 0 after the end line, 1 on a stream or disk failure (complete files of the batch
// are still committed; the partial one is removed).
int receive_stream(int in_fd, int out_fd, const std::string& root, ReceiveLimits limits = {});

}  // namespace gpunb::agent
