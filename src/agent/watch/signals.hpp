// The samplers behind the idle watch: Jupyter's kernels, sessions and terminals (its REST API on
// loopback), GPU utilization (nvidia-smi), gpunb transfers (their marks) and interactive SSH
// (the user's ptys). Forwarded connections are in watch_tcp.hpp.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/watch/idle_policy.hpp"

namespace gpunb::agent {

struct OpenNotebook {
  int port = 0;  // the Jupyter server it is open in
  std::string token;
  std::string path;  // relative to the server's root, as /api/sessions gives it
};

struct JupyterActivity {
  bool executing = false;
  std::optional<Seconds> last_activity;
  std::set<int> ports;  // every gpunb Jupyter's port: its own traffic is judged here, not by TCP
  std::vector<OpenNotebook> notebooks;
};

JupyterActivity sample_jupyter(const std::filesystem::path& state_dir);
// Highest utilization.gpu of any GPU; nullopt without nvidia-smi or when it fails.
std::optional<double> sample_gpu();
// Newest access or change of a /dev/pts/N owned by this user (typing or output).
std::optional<Seconds> sample_ptys();

// "2024-05-01T12:00:00.123456Z" (or "+00:00") as seconds since the epoch.
std::optional<Seconds> parse_iso_time(const std::string& text);
// nvidia-smi's csv,noheader,nounits output: the highest number, nullopt when none.
std::optional<double> parse_gpu_percent(const std::string& output);

}  // namespace gpunb::agent
