#include "agent/host/probe.hpp"

#include <glob.h>

#include <filesystem>
#include <map>
#include <set>

#include "agent/host/files.hpp"
#include "agent/host/process.hpp"
#include "base/strings.hpp"

namespace gpunb::agent {
namespace {

const char* kLoginScript =
    "printf '@@gpunb PATH %s\\n' \"$PATH\"; for c in jupyter tmux screen; do "
    "printf '@@gpunb %s %s\\n' \"$c\" \"$(command -v \"$c\")\"; done";

// Lines "@@gpunb KEY VALUE" out of a login shell's output (profiles may print anything else).
std::map<std::string, std::string> login_facts() {
  std::string shell = find_program("bash") ? "bash" : "sh";
  auto done = run_command({{shell, "-lc", kLoginScript}, {}, {}, std::chrono::seconds(30)});
  std::map<std::string, std::string> facts;
  if (!done) return facts;
  for (const auto& line : base::split(done->output, '\n')) {
    if (line.rfind("@@gpunb ", 0) != 0) continue;
    std::string rest = line.substr(8);
    size_t space = rest.find(' ');
    if (space != std::string::npos)
      facts[rest.substr(0, space)] = base::trim(rest.substr(space + 1));
  }
  return facts;
}

std::vector<std::string> glob_paths(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  return out;
}

std::vector<std::string> jupyter_candidates(const std::string& from_login) {
  std::string home = home_dir();
  std::vector<std::string> patterns = {
      "/opt/conda/bin/jupyter",         "/opt/conda/envs/*/bin/jupyter",
      home + "/anaconda3/bin/jupyter",  home + "/anaconda3/envs/*/bin/jupyter",
      home + "/miniconda3/bin/jupyter", home + "/miniconda3/envs/*/bin/jupyter"};
  std::vector<std::string> out;
  if (!from_login.empty()) out.push_back(from_login);
  for (const auto& pattern : patterns) {
    for (auto& path : glob_paths(pattern)) out.push_back(std::move(path));
  }
  return out;
}

// The installed version of KIND read from its package metadata beside the jupyter command
// (site-packages' NAME-VERSION.dist-info / .egg-info), sparing a Python start. Empty if not found.
std::string metadata_version(const std::string& jupyter, const std::string& kind) {
  static const std::map<std::string, std::string> packages = {
      {"lab", "jupyterlab"}, {"notebook", "notebook"}, {"server", "jupyter_server"}};
  auto prefix = std::filesystem::path(jupyter).parent_path().parent_path().string();
  auto package = packages.at(kind);
  for (const auto* where : {"/lib/python3*/site-packages/", "/lib/python3/dist-packages/"}) {
    for (const auto* suffix : {".dist-info", ".egg-info"}) {
      auto found = glob_paths(prefix + where + package + "-[0-9]*" + suffix);
      if (found.size() != 1) continue;
      auto name = std::filesystem::path(found.front()).filename().string();
      auto version = name.substr(package.size() + 1,
                                 name.size() - package.size() - 1 - std::string(suffix).size());
      if (parse_version(version)) return version;
    }
  }
  return {};
}

// `jupyter KIND` runs `jupyter-KIND` from SEARCH_PATH: checked first, as Python is slow to start.
std::optional<JupyterFound> try_variant(const std::string& jupyter, const std::string& kind,
                                        const std::string& search_path,
                                        const std::string& login_path) {
  std::string dir = std::filesystem::path(jupyter).parent_path().string();
  if (!find_program("jupyter-" + kind, search_path)) return std::nullopt;
  if (auto version = metadata_version(jupyter, kind); !version.empty()) {
    return JupyterFound{jupyter, kind, version};
  }
  Command command{{jupyter, kind, "--version"},
                  {{"PATH", dir + ":" + login_path}},
                  {},
                  std::chrono::seconds(30)};
  auto done = run_command(command);
  if (!done || done->exit_code != 0) return std::nullopt;
  auto version = parse_version(done->output);
  if (!version) return std::nullopt;
  return JupyterFound{jupyter, kind, *version};
}

}  // namespace

bool JupyterFound::notebook_app() const {
  int major = std::atoi(version.c_str());
  return (kind == "notebook" && major < 7) || (kind == "lab" && major < 3);
}

std::optional<std::string> parse_version(const std::string& output) {
  auto lines = base::split(base::trim(output), '\n');
  std::string last = base::trim(lines.back());
  if (last.empty() || last[0] < '0' || last[0] > '9' || last.find(' ') != std::string::npos) {
    return std::nullopt;
  }
  return last;
}

std::optional<JupyterFound> choose_jupyter(const std::vector<JupyterFound>& found) {
  for (const char* kind : {"lab", "notebook", "server"}) {
    for (const auto& f : found) {
      if (f.kind == kind) return f;
    }
  }
  return std::nullopt;
}

namespace {

// Candidate jupyter commands, each with where its `jupyter-KIND` programs are looked for.
std::vector<std::pair<std::string, std::string>> searches(std::map<std::string, std::string>& facts,
                                                          const std::string& login_path) {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  for (const auto& jupyter : jupyter_candidates(facts["jupyter"])) {
    std::error_code ec;
    if (!seen.insert(std::filesystem::weakly_canonical(jupyter, ec).string()).second) continue;
    std::string search = std::filesystem::path(jupyter).parent_path().string();
    if (jupyter == facts["jupyter"]) search += ":" + login_path;  // a conda env: its own only
    out.emplace_back(jupyter, search);
  }
  return out;
}

}  // namespace

Probe run_probe(bool best_only) {
  auto facts = login_facts();
  Probe probe;
  probe.login_path = facts.contains("PATH") ? facts["PATH"] : "/usr/local/bin:/usr/bin:/bin";
  auto tool = [&](const std::string& name) -> std::optional<std::string> {
    if (!facts[name].empty()) return facts[name];
    return find_program(name);
  };
  probe.tmux = tool("tmux");
  probe.screen = tool("screen");
  auto candidates = searches(facts, probe.login_path);
  for (const char* kind : {"lab", "notebook", "server"}) {
    for (const auto& [jupyter, search] : candidates) {
      auto found = try_variant(jupyter, kind, search, probe.login_path);
      if (found) probe.jupyters.push_back(*found);
      if (found && best_only) break;
    }
    if (best_only && !probe.jupyters.empty()) break;
  }
  probe.chosen = choose_jupyter(probe.jupyters);
  return probe;
}

nlohmann::json probe_json(const Probe& probe) {
  auto item = [](const JupyterFound& f) {
    return nlohmann::json{{"jupyter", f.jupyter}, {"kind", f.kind}, {"version", f.version}};
  };
  nlohmann::json found = nlohmann::json::array();
  for (const auto& f : probe.jupyters) found.push_back(item(f));
  auto optional = [](const std::optional<std::string>& s) {
    return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
  };
  return {{"tmux", optional(probe.tmux)},
          {"screen", optional(probe.screen)},
          {"jupyters", found},
          {"jupyter", probe.chosen ? item(*probe.chosen) : nlohmann::json(nullptr)},
          {"login_path", probe.login_path}};
}

}  // namespace gpunb::agent
