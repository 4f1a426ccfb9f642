#include "sync/report.hpp"

#include <fmt/format.h>

#include <map>
#include <vector>

#include "base/strings.hpp"
#include "base/text.hpp"

namespace gpunb::sync {

namespace {

constexpr size_t kMaxNames = 10;

struct Count {
  ActionKind kind;
  const char* done;
  const char* dry;
  bool with_bytes;
};

constexpr std::array<Count, 6> kCounted = {{
    {ActionKind::upload, "uploaded", "to upload", true},
    {ActionKind::download, "downloaded", "to download", true},
    {ActionKind::delete_remote, "deleted on the remote", "to delete on the remote", false},
    {ActionKind::delete_local, "deleted locally", "to delete locally", false},
    {ActionKind::adopt, "already equal", "already equal", false},
    {ActionKind::conflict, "in conflict", "in conflict", false},
}};

std::string count_line(const Plan& plan, const Summary& summary, bool dry_run) {
  std::vector<std::string> parts;
  for (const auto& count : kCounted) {
    const auto& tally = summary[count.kind];
    if (tally.files == 0) continue;
    auto part = fmt::format("{} {}", tally.files, dry_run ? count.dry : count.done);
    if (count.with_bytes) part += fmt::format(" ({})", human_bytes(tally.bytes));
    parts.push_back(std::move(part));
  }
  parts.push_back(fmt::format("{} unchanged", summary.unchanged));
  return fmt::format("{}: {}", to_string(plan.direction), base::join(parts, ", "));
}

// Paths come from the machine too: printed with their control characters escaped.
std::string names(const std::vector<std::string>& list) {
  std::vector<std::string> shown;
  for (size_t i = 0; i < std::min(list.size(), kMaxNames); ++i)
    shown.push_back(base::printable(list[i]));
  auto text = base::join(shown, ", ");
  if (list.size() > kMaxNames) text += fmt::format(" and {} more", list.size() - kMaxNames);
  return text;
}

std::string conflict_line(const Action& action) {
  auto line = fmt::format("conflict: {} (local {}, remote {})", base::printable(action.path),
                          to_string(action.local), to_string(action.remote));
  if (action.target.empty()) return line + ": " + action.note;
  return line + fmt::format(": {} version kept beside it as {}", to_string(action.side),
                            base::printable(action.target));
}

using Groups = std::map<std::string, std::vector<std::string>>;

void list_one(Groups& groups, const Action& action) {
  auto sized = fmt::format("{} ({})", action.path, human_bytes(action.size));
  switch (action.kind) {
    case ActionKind::skip_large:
      groups["not downloaded, above the size limit (--include-large gets them)"].push_back(sized);
      break;
    case ActionKind::upload:
    case ActionKind::download:
      if (!action.note.empty()) groups[action.note].push_back(action.path);
      if (action.large && action.kind == ActionKind::upload)
        groups["large uploads"].push_back(sized);
      break;
    case ActionKind::skip_newer:
    case ActionKind::keep_deleted:
      groups[action.note].push_back(action.path);
      break;
    case ActionKind::skip_symlink:
      groups[fmt::format("symlinks not synced ({})", to_string(action.side))].push_back(
          action.path);
      break;
    default:
      break;
  }
}

// Heading -> names, for the kinds listed by name (conflicts have a line each).
Groups listed(const Plan& plan) {
  Groups groups;
  for (const auto& action : plan.actions) list_one(groups, action);
  return groups;
}

}  // namespace

Summary summarize(const Plan& plan) {
  Summary summary;
  summary.unchanged = plan.unchanged;
  for (const auto& action : plan.actions) {
    auto& tally = summary.tallies.at(static_cast<size_t>(action.kind));
    ++tally.files;
    if (action.transfers()) tally.bytes += action.size;
  }
  return summary;
}

std::string human_bytes(std::uint64_t bytes) {
  constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  auto value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < kUnits.size()) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits.at(unit));
}

std::string human_report(const Plan& plan, bool dry_run) {
  auto text = count_line(plan, summarize(plan), dry_run) + "\n";
  for (const auto& action : plan.actions) {
    if (action.kind == ActionKind::conflict) text += conflict_line(action) + "\n";
  }
  for (const auto& [heading, list] : listed(plan)) {
    text += fmt::format("{}: {}\n", heading, names(list));
  }
  return text;
}

namespace {

nlohmann::json action_json(const Action& action) {
  return {{"action", to_string(action.kind)},
          {"path", action.path},
          {"target", action.target},
          {"side", to_string(action.side)},
          {"local", to_string(action.local)},
          {"remote", to_string(action.remote)},
          {"size", action.size},
          {"large", action.large},
          {"note", action.note}};
}

}  // namespace

nlohmann::json json_report(const Plan& plan) {
  auto summary = summarize(plan);
  auto counts = nlohmann::json::object();
  for (size_t kind = 0; kind < kActionKinds; ++kind) {
    const auto& tally = summary.tallies.at(kind);
    counts[to_string(static_cast<ActionKind>(kind))] = {{"files", tally.files},
                                                        {"bytes", tally.bytes}};
  }
  auto actions = nlohmann::json::array();
  for (const auto& action : plan.actions) actions.push_back(action_json(action));
  return {{"direction", to_string(plan.direction)},
          {"unchanged", summary.unchanged},
          {"conflicts", summary[ActionKind::conflict].files},
          {"counts", std::move(counts)},
          {"actions", std::move(actions)}};
}

core::Status outcome(const Plan& plan) {
  auto conflicts = summarize(plan)[ActionKind::conflict].files;
  if (conflicts == 0) return {};
  return core::fail(core::ErrorKind::conflict,
                    fmt::format("{} file{} changed on both sides; both versions kept", conflicts,
                                conflicts == 1 ? "" : "s"),
                    "merge into the original, delete the conflict copy, then sync again");
}

}  // namespace gpunb::sync
