// The plan's small pieces: conflict names, the base after an action, names for the report.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "sync/plan.hpp"

namespace gpunb::sync {

namespace {

std::string utc_stamp(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &utc);
  return text.data();
}

ledger::SyncRecord record_of(const std::string& path, const Entry& local, const Entry& remote,
                             std::int64_t synced_at) {
  ledger::SyncRecord record;
  record.path = path;
  record.size = local.size;
  record.local_mtime_ns = local.mtime_ns;
  record.remote_mtime_ns = remote.mtime_ns;
  record.sha256 = local.sha256.value_or(remote.sha256.value_or(""));
  record.synced_at = synced_at;
  return record;
}

// After a conflict, the base is the version that kept the name on the side that got the copy:
// that side has seen both. The other side's mtime is unknown, so next time it is compared by
// hash: still different, it is a change there and travels on (both versions are kept already).
ledger::SyncRecord conflict_record(const Action& action, std::int64_t synced_at) {
  bool copied_local = action.side == Side::local;
  const Entry& kept = copied_local ? *action.local_entry : *action.remote_entry;
  ledger::SyncRecord record;
  record.path = action.path;
  record.size = kept.size;
  record.local_mtime_ns = copied_local ? kept.mtime_ns : ledger::kUnknownMtime;
  record.remote_mtime_ns = copied_local ? ledger::kUnknownMtime : kept.mtime_ns;
  record.sha256 = kept.sha256.value_or("");
  record.synced_at = synced_at;
  return record;
}

BaseUpdate put(ledger::SyncRecord record) {
  return BaseUpdate{BaseOp::put, std::move(record)};
}

}  // namespace

std::string conflict_name(std::string_view path, Side side,
                          std::chrono::system_clock::time_point time) {
  auto slash = path.rfind('/');
  size_t name_start = slash == std::string_view::npos ? 0 : slash + 1;
  auto dot = path.rfind('.');
  bool has_ext = dot != std::string_view::npos && dot > name_start;
  size_t stem_end = has_ext ? dot : path.size();
  return fmt::format("{}.conflict-{}-{}{}", path.substr(0, stem_end), to_string(side),
                     utc_stamp(time), path.substr(stem_end));
}

BaseUpdate base_after(const Action& action, const Entry* written, std::int64_t synced_at) {
  const auto& local = action.local_entry;
  const auto& remote = action.remote_entry;
  switch (action.kind) {
    case ActionKind::upload:
      if (written == nullptr || !local) return {};
      return put(record_of(action.path, *local, *written, synced_at));
    case ActionKind::download:
      if (written == nullptr || !remote) return {};
      return put(record_of(action.path, *written, *remote, synced_at));
    case ActionKind::adopt:
      return put(record_of(action.path, *local, *remote, synced_at));
    case ActionKind::conflict:
      // A deletion on the remote refused (.gpunbignore): forgotten, the kept file is new there.
      if (action.remote == Change::deleted) return BaseUpdate{BaseOp::erase, {action.path}};
      if (action.target.empty()) return {};
      return put(conflict_record(action, synced_at));
    case ActionKind::delete_remote:
    case ActionKind::delete_local:
    case ActionKind::forget:
      return BaseUpdate{BaseOp::erase, ledger::SyncRecord{action.path}};
    default:
      return {};
  }
}

bool Action::transfers() const {
  return kind == ActionKind::upload || kind == ActionKind::download ||
         (kind == ActionKind::conflict && !target.empty());
}

bool Plan::has_conflicts() const {
  return std::ranges::any_of(
      actions, [](const Action& action) { return action.kind == ActionKind::conflict; });
}

const char* to_string(ActionKind kind) {
  switch (kind) {
    case ActionKind::upload:
      return "upload";
    case ActionKind::download:
      return "download";
    case ActionKind::delete_remote:
      return "delete_remote";
    case ActionKind::delete_local:
      return "delete_local";
    case ActionKind::conflict:
      return "conflict";
    case ActionKind::adopt:
      return "adopt";
    case ActionKind::forget:
      return "forget";
    case ActionKind::skip_large:
      return "skip_large";
    case ActionKind::skip_newer:
      return "skip_newer";
    case ActionKind::keep_deleted:
      return "keep_deleted";
    case ActionKind::skip_symlink:
      return "skip_symlink";
  }
  return "?";
}

const char* to_string(Side side) {
  return side == Side::local ? "local" : "remote";
}

const char* to_string(Change change) {
  switch (change) {
    case Change::absent:
      return "absent";
    case Change::none:
      return "none";
    case Change::created:
      return "created";
    case Change::modified:
      return "modified";
    case Change::deleted:
      return "deleted";
  }
  return "?";
}

const char* to_string(Direction direction) {
  switch (direction) {
    case Direction::push:
      return "push";
    case Direction::pull:
      return "pull";
    case Direction::both:
      return "sync";
  }
  return "?";
}

}  // namespace gpunb::sync
