// What the machine has: tmux, screen and the Jupyter variants, as a login shell sees them (the
// Deep Learning AMI puts its conda envs on PATH in the login profile), plus the usual conda dirs.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gpunb::agent {

struct JupyterFound {
  std::string jupyter;  // the `jupyter` executable
  std::string kind;     // "lab", "notebook" or "server"
  std::string version;  // what `jupyter KIND --version` printed
  // True when the app takes --NotebookApp.* options (notebook < 7, lab < 3), else --ServerApp.*.
  bool notebook_app() const;
};

struct Probe {
  std::optional<std::string> tmux;
  std::optional<std::string> screen;
  std::string login_path;              // $PATH in a login shell
  std::vector<JupyterFound> jupyters;  // what was found, in the order looked at
  std::optional<JupyterFound> chosen;  // lab, else notebook, else server
};

// Everything the machine has. With `best_only` it stops at the best Jupyter (lab, then notebook,
// then server): each version check starts Python, which costs about half a second.
Probe run_probe(bool best_only = false);
nlohmann::json probe_json(const Probe& probe);

// Parsing pieces, exposed for tests.
std::optional<std::string> parse_version(const std::string& output);  // last line like "6.4.12"
std::optional<JupyterFound> choose_jupyter(const std::vector<JupyterFound>& found);

}  // namespace gpunb::agent
