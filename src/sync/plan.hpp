// The sync engine's decisions, free of I/O: from the two sides' listings and the base (the state
// at the last sync), what to transfer, delete, record, or leave and report. Two phases:
// needs_hash() names the files whose SHA-256 must be fetched first; make_plan() then decides.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/sync_state.hpp"
#include "sync/ignore.hpp"
#include "sync/tree.hpp"

namespace gpunb::sync {

enum class Direction { push, pull, both };
enum class Side { local, remote };
// How one side differs from the base. absent: neither there nor in the base.
enum class Change { absent, none, created, modified, deleted };

struct Options {
  bool delete_ = false;  // propagate deletions
  std::uint64_t size_limit = 100ULL * 1024 * 1024;
  bool include_large = false;  // download files above size_limit too
};

struct SyncInput {
  std::vector<Entry> local;
  std::vector<Entry> remote;
  std::vector<ledger::SyncRecord> base;
};

struct HashRequest {
  std::vector<std::string> local;  // sorted paths
  std::vector<std::string> remote;
  bool empty() const { return local.empty() && remote.empty(); }
};

enum class ActionKind {
  upload,         // local PATH to remote TARGET
  download,       // remote PATH to local TARGET
  delete_remote,  // deleted locally, --delete
  delete_local,   // deleted on the remote, --delete
  conflict,       // changed on both sides: both kept, SIDE's version copied over as TARGET
  adopt,          // both sides already equal: only the base is recorded
  forget,         // deleted on both sides: only the base goes
  skip_large,     // above the size limit: listed, not downloaded
  skip_newer,     // SIDE changed, but this direction does not carry it
  keep_deleted,   // deleted on SIDE, not propagated (no --delete, or changed on the other side)
  skip_symlink,   // a symlink on SIDE: never synced
};

struct Action {
  ActionKind kind = ActionKind::adopt;
  std::string path;
  std::string target;  // transfers: where the receiving side gets the file (PATH or a copy's name)
  Side side = Side::local;  // transfers: the source; otherwise the side the action concerns
  Change local = Change::none;
  Change remote = Change::none;
  std::uint64_t size = 0;            // bytes transferred, or the file's size
  bool large = false;                // above the size limit
  std::string note;                  // for the report, e.g. "remote newer; pull to get it"
  std::optional<Entry> local_entry;  // as listed
  std::optional<Entry> remote_entry;

  bool transfers() const;
};

struct Plan {
  Direction direction = Direction::both;
  std::vector<Action> actions;  // by path
  std::size_t unchanged = 0;
  bool has_conflicts() const;
};

// Paths excluded by IGNORE are left out of both phases, base records included (a newly ignored
// file must not read as deleted).
HashRequest needs_hash(const SyncInput& input, const Ignore& ignore);
Plan make_plan(const SyncInput& input, const Ignore& ignore, Direction direction,
               const Options& options, std::chrono::system_clock::time_point now);

// "dir/a.ipynb" -> "dir/a.conflict-remote-20240131T235959Z.ipynb" (UTC).
std::string conflict_name(std::string_view path, Side side,
                          std::chrono::system_clock::time_point time);

// What becomes of the base once an action has been carried out.
enum class BaseOp { keep, put, erase };
struct BaseUpdate {
  BaseOp op = BaseOp::keep;
  ledger::SyncRecord record;
};
// WRITTEN: for a transfer, the receiving side's entry of what was written (its new mtime).
BaseUpdate base_after(const Action& action, const Entry* written, std::int64_t synced_at);

const char* to_string(ActionKind kind);
const char* to_string(Side side);
const char* to_string(Change change);
const char* to_string(Direction direction);

}  // namespace gpunb::sync
