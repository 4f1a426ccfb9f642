// Runs a fetch job: its objects downloaded in parallel (each large file over several ranged
// connections: agent/fetch/download.hpp), checked, and unpacked when asked
// (data/archive/extract.hpp; tar streams while they download). Progress goes to a StatusSink about
// twice a second and once at the end.
#pragma once

#include <filesystem>

#include "agent/fetch/spec.hpp"
#include "agent/fetch/status.hpp"

namespace gpunb::agent {

FetchStatus run_fetch(const FetchSpec& spec, const StatusSink& sink);

// `gpunb-agent fetch-run ID`: the detached job started by the "fetch.start" op; reads (and
// deletes) STATE/fetch/ID.job, keeps STATE/fetch/ID.json current.
int fetch_run_main(const std::filesystem::path& state, const std::string& id);
// `gpunb-agent fetch-local`: the job on stdin, status JSON lines on stdout (`gpunb fetch --local`).
int fetch_local_main();

}  // namespace gpunb::agent
