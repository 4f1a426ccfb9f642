// `gpunb fetch --local`: the same job, run by the gpunb-agent built beside gpunb, on this machine.
// The job goes to its stdin (presigned URLs never on a command line); its status comes back as
// JSON lines on its stdout.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "app/fetch.hpp"
#include "app/fetch_job.hpp"
#include "app/progress.hpp"
#include "util/platform.hpp"

extern char** environ;

namespace gpunb::app {
namespace {

using Json = nlohmann::json;

struct Child {
  pid_t pid = -1;
  int in = -1;               // its stdin
  std::FILE* out = nullptr;  // its stdout
};

core::Error spawn_error(const std::string& what) {
  return {core::ErrorKind::internal, what + ": " + std::strerror(errno), ""};
}

Child spawn_agent(const std::filesystem::path& agent) {
  std::array<int, 2> in{}, out{};
  if (!util::platform::pipe_cloexec(in) || !util::platform::pipe_cloexec(out))
    throw core::Fatal(spawn_error("pipe"));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::string path = agent.string(), mode = "fetch-local";
  char* argv[] = {path.data(), mode.data(), nullptr};
  Child child;
  int rc = ::posix_spawn(&child.pid, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    errno = rc;
    throw core::Fatal(spawn_error("cannot start " + path));
  }
  child.in = in[1];
  child.out = ::fdopen(out[0], "r");
  return child;
}

void send_job(Child& child, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(child.in, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;  // the child died: its exit status says why
    done += static_cast<size_t>(n);
  }
  ::close(child.in);
}

// Reads status lines until the child closes its stdout; returns the last one.
Json read_statuses(Context& context, Child& child) {
  ProgressLine progress(context);
  Json last;
  char* line = nullptr;
  size_t capacity = 0;
  while (::getline(&line, &capacity, child.out) > 0) {
    Json status = Json::parse(line, nullptr, false);
    if (!status.is_object()) continue;
    last = std::move(status);
    if (last.value("state", "") == "running") {
      progress.update("fetching " + last.value("source", "") + ": " + fetch_progress_text(last));
    }
  }
  std::free(line);
  std::fclose(child.out);
  progress.done();
  return last;
}

int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

FetchReport fetch_local(Context& context, const FetchRequest& request) {
  auto dir = std::filesystem::absolute(request.to).lexically_normal();
  auto job = fetch_job(context, request, dir.string());
  job["id"] = "local";
  auto child = spawn_agent(context.agent_binary().local);
  send_job(child, job.dump());
  auto status = read_statuses(context, child);
  int code = wait_child(child.pid);
  throw_if_interrupted("the fetch stopped; run it again to resume");
  if (!status.is_object()) {
    throw core::Fatal(
        {core::ErrorKind::internal,
         "gpunb-agent fetch-local ended without a status (exit " + std::to_string(code) + ")",
         "check the job's source and folder"});
  }
  return {status};
}

}  // namespace gpunb::app
