// Test helper: tests/tools/http_origin.py in a child process (killed by PID on teardown), serving
// a temp folder; its control endpoints (stats, config) reached through a separate HttpClient.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/net/http.hpp"

namespace gpunb::testing {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/gpunb-data-test-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline std::string random_bytes(size_t size, unsigned seed) {
  std::mt19937_64 random(seed);
  std::string out(size, '\0');
  for (size_t i = 0; i + 8 <= size; i += 8) {
    auto word = random();
    std::memcpy(out.data() + i, &word, 8);
  }
  return out;
}

inline void write_file(const fs::path& path, const std::string& data) {
  fs::create_directories(path.parent_path());
  auto temp = path;
  temp += ".new";
  std::ofstream(temp, std::ios::binary) << data;
  fs::rename(temp, path);  // a new inode: a new ETag
}

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class Origin {
 public:
  explicit Origin(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"/usr/bin/python3",
                                  GPUNB_SOURCE_DIR "/tests/tools/http_origin.py", "--dir",
                                  (root_.path() / "www").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    if (std::find(extra.begin(), extra.end(), "--tls") != extra.end()) {
      fs::create_directories(root_.path() / "tls");
      args.insert(args.end(), {"--tls-dir", (root_.path() / "tls").string()});
    }
    fs::create_directories(root_.path() / "www");
    spawn(args);
    read_ready();
  }
  Origin(const Origin&) = delete;
  Origin& operator=(const Origin&) = delete;
  ~Origin() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }

  fs::path www() const { return root_.path() / "www"; }
  const std::string& cert() const { return cert_; }
  int port() const { return port_; }
  std::string url(const std::string& path, const std::string& host = "127.0.0.1") const {
    return std::string(cert_.empty() ? "http" : "https") + "://" + host + ":" +
           std::to_string(port_) + path;
  }
  data::Url parsed(const std::string& path, const std::string& host = "127.0.0.1") const {
    return *data::Url::parse(url(path, host));
  }
  nlohmann::json stats() { return control("GET", "stats", ""); }
  void reset() { control("POST", "reset", ""); }
  void configure(const nlohmann::json& config) { control("POST", "config", config.dump()); }

 private:
  void spawn(const std::vector<std::string>& args) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], 1);
      std::vector<char*> argv;
      for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    out_ = pipe_fds[0];
  }

  void read_ready() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::string text;
    while (text.find("READY ") == std::string::npos || !text.ends_with("\n")) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{out_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        throw std::runtime_error("http_origin.py did not start: " + text);
      }
      char buffer[256];
      ssize_t n = ::read(out_, buffer, sizeof buffer);
      if (n <= 0) throw std::runtime_error("http_origin.py exited: " + text);
      text.append(buffer, static_cast<size_t>(n));
    }
    if (auto at = text.find("CERT "); at != std::string::npos) {
      cert_ = text.substr(at + 5, text.find('\n', at) - at - 5);
    }
    port_ = std::stoi(text.substr(text.find("READY ") + 6));
  }

  nlohmann::json control(const std::string& method, const std::string& verb,
                         const std::string& body) {
    data::HttpOptions options;
    options.ca_file = cert_;
    data::HttpClient client(options);
    data::HttpRequest request;
    request.method = method;
    request.url = parsed("/_ctl/" + verb, cert_.empty() ? "127.0.0.1" : "localhost");
    request.body = body;
    auto reply = client.get_text(request);
    if (!reply || reply->first.status != 200) throw std::runtime_error("control " + verb);
    return nlohmann::json::parse(reply->second);
  }

  TempDir root_;
  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
  std::string cert_;
};

}  // namespace gpunb::testing
