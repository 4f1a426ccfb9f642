#include "sync/plan.hpp"

#include "sync/compare.hpp"

namespace gpunb::sync {

namespace {

Side other(Side side) {
  return side == Side::local ? Side::remote : Side::local;
}

bool is_change(Change change) {
  return change == Change::created || change == Change::modified;
}

bool is_quiet(Change change) {
  return change == Change::none || change == Change::absent;
}

class Planner {
 public:
  Planner(Direction direction, const Options& options, std::chrono::system_clock::time_point now)
      : direction_(direction), options_(options), now_(now) {}

  // Nothing for a path unchanged on both sides (counted in UNCHANGED).
  std::optional<Action> decide(const std::string& path, const Triple& files);

 private:
  bool writes_to(Side side) const {
    return side == Side::remote ? direction_ != Direction::pull : direction_ != Direction::push;
  }
  bool too_large(std::uint64_t size) const {
    return size > options_.size_limit && !options_.include_large;
  }
  Action start(ActionKind kind, Side side) const;
  Action send(Side from, std::string note = {}) const;
  Action one_sided(Side changed) const;
  Action both_changed() const;
  Action deleted(Side on) const;
  Action deleted_but_changed(Side changed) const;
  std::optional<Action> by_changes(bool touched);
  std::optional<Action> guard_ignore_file(std::optional<Action> action) const;

  Direction direction_;
  Options options_;
  std::chrono::system_clock::time_point now_;
  const std::string* path_ = nullptr;
  Triple files_;
  Change local_ = Change::absent;
  Change remote_ = Change::absent;
};

Action Planner::start(ActionKind kind, Side side) const {
  Action action;
  action.kind = kind;
  action.path = *path_;
  action.side = side;
  action.local = local_;
  action.remote = remote_;
  if (files_.local != nullptr) action.local_entry = *files_.local;
  if (files_.remote != nullptr) action.remote_entry = *files_.remote;
  const Entry* entry = side == Side::local ? files_.local : files_.remote;
  if (entry == nullptr) entry = side == Side::local ? files_.remote : files_.local;
  if (entry != nullptr) action.size = entry->size;
  action.large = action.size > options_.size_limit;
  return action;
}

// FROM's version to the other side, where this direction writes there.
Action Planner::send(Side from, std::string note) const {
  bool up = from == Side::local;
  auto action = start(up ? ActionKind::upload : ActionKind::download, from);
  action.target = *path_;
  action.note = std::move(note);
  if (!up && too_large(action.size)) action.kind = ActionKind::skip_large;
  return action;
}

Action Planner::one_sided(Side changed) const {
  if (writes_to(other(changed))) return send(changed);
  auto action = start(ActionKind::skip_newer, changed);
  action.note =
      changed == Side::remote ? "remote newer; pull to get it" : "local newer; push to send it";
  return action;
}

// Never overwrites: the side this direction writes to keeps its file, and gets the other's
// version beside it under a conflict name.
Action Planner::both_changed() const {
  if (same_content(*files_.local, *files_.remote)) return start(ActionKind::adopt, Side::local);
  Side copied = direction_ == Direction::push ? Side::local : Side::remote;
  auto action = start(ActionKind::conflict, copied);
  action.target = conflict_name(*path_, copied, now_);
  if (copied == Side::remote && too_large(action.size)) {
    action.target.clear();
    action.note = "remote version not downloaded: above the size limit";
  }
  return action;
}

Action Planner::deleted(Side on) const {
  Side survivor = other(on);
  if (options_.delete_ && writes_to(survivor)) {
    return start(survivor == Side::remote ? ActionKind::delete_remote : ActionKind::delete_local,
                 survivor);
  }
  auto action = start(ActionKind::keep_deleted, on);
  action.note = on == Side::local ? "deleted locally, kept on the remote"
                                  : "deleted on the remote, kept locally";
  action.note += options_.delete_ ? " (this direction does not delete there)"
                                  : " (--delete propagates deletions)";
  return action;
}

// Deleted on one side, changed on the other since: the change wins, the file is kept (and
// restored where this direction writes).
Action Planner::deleted_but_changed(Side changed) const {
  Side deleted_on = other(changed);
  std::string note = changed == Side::remote ? "deleted locally, changed on the remote"
                                             : "deleted on the remote, changed locally";
  if (writes_to(deleted_on)) {
    auto action = send(changed, note + ": restored");
    if (action.kind == ActionKind::skip_large) action.note = note + ": kept, above the size limit";
    return action;
  }
  auto action = start(ActionKind::keep_deleted, deleted_on);
  action.note = note + ": kept";
  return action;
}

std::optional<Action> Planner::by_changes(bool touched) {
  if (is_quiet(local_) && is_quiet(remote_)) {
    if (touched) return start(ActionKind::adopt, Side::local);
    return std::nullopt;
  }
  if (is_change(local_) && is_quiet(remote_)) return one_sided(Side::local);
  if (is_quiet(local_) && is_change(remote_)) return one_sided(Side::remote);
  if (is_change(local_) && is_change(remote_)) return both_changed();
  if (local_ == Change::deleted && remote_ == Change::deleted) {
    return start(ActionKind::forget, Side::local);
  }
  if (local_ == Change::deleted) {
    return remote_ == Change::none ? deleted(Side::local) : deleted_but_changed(Side::remote);
  }
  return local_ == Change::none ? deleted(Side::remote) : deleted_but_changed(Side::local);
}

// .gpunbignore decides what travels, so the machine's word is never taken for it: a version
// written there never replaces the laptop's (it is a conflict, the machine's version kept beside
// it), a deletion there never deletes it (a conflict too; the next push restores it there).
std::optional<Action> Planner::guard_ignore_file(std::optional<Action> action) const {
  if (!action || *path_ != kIgnoreFile) return action;
  if (action->kind == ActionKind::download) {
    auto conflict = start(ActionKind::conflict, Side::remote);
    conflict.target = conflict_name(*path_, Side::remote, now_);
    return conflict;
  }
  if (action->kind == ActionKind::delete_local) {
    auto conflict = start(ActionKind::conflict, Side::remote);
    conflict.note = "deleted on the remote, kept locally (rules are never changed by the remote)";
    return conflict;
  }
  return action;
}

std::optional<Action> Planner::decide(const std::string& path, const Triple& files) {
  path_ = &path;
  files_ = files;
  auto local = classify(files.local, files.base, Side::local);
  auto remote = classify(files.remote, files.base, Side::remote);
  local_ = local.change;
  remote_ = remote.change;
  for (Side side : {Side::local, Side::remote}) {
    const Entry* entry = side == Side::local ? files.local : files.remote;
    if (entry != nullptr && entry->is_symlink) return start(ActionKind::skip_symlink, side);
  }
  return guard_ignore_file(by_changes(local.touched || remote.touched));
}

bool wants_hash(const Entry* entry, const ledger::SyncRecord* base, Side side) {
  if (entry == nullptr || entry->is_symlink || entry->sha256) return false;
  return base != nullptr && quick_differs(*entry, *base, side);
}

bool quick_changed(const Entry& entry, const ledger::SyncRecord* base, Side side) {
  return base == nullptr || quick_differs(entry, *base, side);
}

// Both sides new or changed with equal sizes: the hashes tell an equal edit from a conflict.
bool may_be_equal(const Triple& files) {
  if (files.local == nullptr || files.remote == nullptr) return false;
  if (files.local->is_symlink || files.remote->is_symlink) return false;
  return files.local->size == files.remote->size &&
         quick_changed(*files.local, files.base, Side::local) &&
         quick_changed(*files.remote, files.base, Side::remote);
}

}  // namespace

HashRequest needs_hash(const SyncInput& input, const Ignore& ignore) {
  HashRequest request;
  for (const auto& [path, files] : join(input, ignore)) {
    bool base_hash = files.base != nullptr && !files.base->sha256.empty();
    bool pair = may_be_equal(files);
    bool local = (base_hash && wants_hash(files.local, files.base, Side::local)) || pair;
    bool remote = (base_hash && wants_hash(files.remote, files.base, Side::remote)) || pair;
    if (local && !files.local->sha256) request.local.push_back(path);
    if (remote && !files.remote->sha256) request.remote.push_back(path);
  }
  return request;
}

Plan make_plan(const SyncInput& input, const Ignore& ignore, Direction direction,
               const Options& options, std::chrono::system_clock::time_point now) {
  Plan plan;
  plan.direction = direction;
  Planner planner(direction, options, now);
  for (const auto& [path, files] : join(input, ignore)) {
    auto action = planner.decide(path, files);
    if (action) {
      plan.actions.push_back(std::move(*action));
    } else {
      ++plan.unchanged;
    }
  }
  return plan;
}

}  // namespace gpunb::sync
