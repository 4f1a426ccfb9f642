// Test helpers for the sync stream: sample files, framing them as the laptop does, a temp tree
// to check what arrived, and running receive/send in-process over memfds.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/fs/receive.hpp"
#include "agent/fs/send.hpp"
#include "base/hash.hpp"
#include "remote/transfer.hpp"
#include "test_agent_process.hpp"

namespace gpunb::testing {

struct TestFile {
  std::string path;
  std::string data;
  std::uint32_t mode = 0644;
  std::int64_t mtime_ns = 1'700'000'000'123'456'789;
};

// Header, bytes, trailer: what a sender writes for FILE.
inline std::string frame(const TestFile& file) {
  nlohmann::json header{{"path", file.path},
                        {"size", file.data.size()},
                        {"mode", file.mode},
                        {"mtime_ns", file.mtime_ns}};
  nlohmann::json trailer{{"sha256", base::sha256_hex(file.data)}};
  return header.dump() + "\n" + file.data + trailer.dump() + "\n";
}

// COUNT files in nested folders: empty ones, small ones, one of 10 MB; modes and mtimes vary.
inline std::vector<TestFile> sample_files(size_t count) {
  std::vector<TestFile> files;
  for (size_t i = 0; i < count; ++i) {
    std::string dir =
        i % 3 == 0 ? "" : "d" + std::to_string(i % 7) + "/s" + std::to_string(i % 2) + "/";
    std::string data =
        i % 10 == 0 ? "" : std::string(i * 37 % 5000, static_cast<char>('a' + i % 26));
    files.push_back({dir + "f" + std::to_string(i) + ".ipynb", data, i % 4 == 0 ? 0755u : 0644u,
                     1'600'000'000'000'000'000 + static_cast<std::int64_t>(i) * 1'000'000'007});
  }
  std::string big(10 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  files.push_back({"data/big.bin", big, 0600, 1'650'000'000'000'000'001});
  return files;
}

struct FsTree {
  FsTree() {
    char pattern[] = "/tmp/gpunb-fs-test-XXXXXX";
    root = ::mkdtemp(pattern);
  }
  FsTree(const FsTree&) = delete;
  FsTree& operator=(const FsTree&) = delete;
  ~FsTree() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  void put(const std::string& path, const std::string& data) const {
    std::filesystem::create_directories((root / path).parent_path());
    std::ofstream(root / path, std::ios::binary) << data;
  }
  void expect_file(const TestFile& file) const {
    struct stat info {};
    ASSERT_EQ(::lstat((root / file.path).c_str(), &info), 0) << file.path;
    EXPECT_TRUE(read_all(root / file.path) == file.data) << file.path;
    EXPECT_EQ(info.st_mode & 0777, file.mode) << file.path;
    EXPECT_EQ(info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec, file.mtime_ns)
        << file.path;
  }
  size_t temp_files() const {
    size_t count = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      count += entry.path().filename().string().find(".gpunb-tmp-") != std::string::npos ? 1 : 0;
    }
    return count;
  }
  std::filesystem::path root;
};

struct StreamRun {
  int code = -1;
  std::string out;
};

inline int memfd_with(const std::string& data) {
  int fd = ::memfd_create("stream", MFD_CLOEXEC);
  if (!data.empty() && ::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()))
    std::abort();
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

inline std::string memfd_text(int fd) {
  std::string out;
  ::lseek(fd, 0, SEEK_SET);
  char buffer[65536];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
    out.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

// receive or send (MODE) in-process, INPUT as its stdin.
inline StreamRun run_stream(const std::string& mode, const std::string& root,
                            const std::string& input, const agent::ReceiveLimits& limits = {}) {
  int in = memfd_with(input), out = memfd_with("");
  StreamRun run;
  run.code = mode == "receive" ? agent::receive_stream(in, out, root, limits)
                               : agent::send_stream(in, out, root);
  ::close(in);
  run.out = memfd_text(out);
  return run;
}

inline std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(nlohmann::json::parse(text.substr(start, nl - start), nullptr, false));
  }
  return lines;
}

// `gpunb-agent receive|send ROOT` on pipes, as an SSH exec channel would carry it. Writing also
// takes in what the agent says meanwhile (as libssh does), so neither side can stall the other.
class AgentStream : public remote::ByteChannel {
 public:
  AgentStream(const std::string& mode, const std::string& root) {
    auto agent = spawn_agent({mode, root});
    pid_ = agent.pid;
    to_ = agent.to;
    from_ = agent.from;
  }
  AgentStream(const AgentStream&) = delete;
  AgentStream& operator=(const AgentStream&) = delete;
  ~AgentStream() override {
    if (to_ >= 0) ::close(to_);
    if (exit_code_ == -3) ::kill(pid_, SIGKILL), wait();
    ::close(from_);
  }
  core::Status write(std::string_view data) override {
    while (!data.empty()) {
      pollfd fds[2] = {{to_, POLLOUT, 0}, {from_, POLLIN, 0}};
      if (::poll(fds, 2, 10000) <= 0) return core::fail(core::ErrorKind::network, "agent stalled");
      if (fds[1].revents & POLLIN) take_in();
      if (!(fds[0].revents & (POLLOUT | POLLERR))) continue;
      ssize_t n = ::write(to_, data.data(), std::min<size_t>(data.size(), 65536));
      if (n <= 0) return core::fail(core::ErrorKind::network, "the agent closed its input");
      data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
  }
  core::Result<size_t> read(char* buffer, size_t max, std::chrono::milliseconds timeout) override {
    if (pending_.empty()) {
      pollfd fd{from_, POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(timeout.count())) > 0 && !take_in()) {
        return core::fail(core::ErrorKind::network, "the agent ended");
      }
    }
    size_t n = std::min(max, pending_.size());
    std::memcpy(buffer, pending_.data(), n);
    pending_.erase(0, n);
    return n;
  }
  core::Status send_eof() override {
    ::close(std::exchange(to_, -1));
    return {};
  }
  void kill_now() { ::kill(pid_, SIGKILL); }
  int wait() {
    int status = 0;
    if (exit_code_ == -3 && ::waitpid(pid_, &status, 0) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return exit_code_;
  }

 private:
  bool take_in() {
    char chunk[65536];
    ssize_t n = ::read(from_, chunk, sizeof chunk);
    if (n > 0) pending_.append(chunk, static_cast<size_t>(n));
    return n > 0;
  }
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1, exit_code_ = -3;
  std::string pending_;
};

}  // namespace gpunb::testing
