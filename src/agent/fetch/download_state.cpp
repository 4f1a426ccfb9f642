#include "agent/fetch/download_state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agent/host/files.hpp"
#include "base/expected.hpp"
#include "base/files.hpp"
#include "base/hash.hpp"

namespace gpunb::data {
namespace {

Status io_failure(const std::string& what, const std::filesystem::path& path) {
  return fail(ErrorKind::internal, what + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

void add_range(Ranges& ranges, std::uint64_t start, std::uint64_t end) {
  if (start >= end) return;
  ranges.emplace_back(start, end);
  std::sort(ranges.begin(), ranges.end());
  Ranges merged;
  for (const auto& range : ranges) {
    if (!merged.empty() && range.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, range.second);
    } else {
      merged.push_back(range);
    }
  }
  ranges = std::move(merged);
}

bool covers(const Ranges& ranges, std::uint64_t start, std::uint64_t end) {
  return std::any_of(ranges.begin(), ranges.end(), [&](const auto& range) {
    return range.first <= start && end <= range.second;
  });
}

std::uint64_t prefix_end(const Ranges& ranges) {
  return !ranges.empty() && ranges.front().first == 0 ? ranges.front().second : 0;
}

std::uint64_t range_bytes(const Ranges& ranges) {
  std::uint64_t total = 0;
  for (const auto& range : ranges) total += range.second - range.first;
  return total;
}

PartPaths::PartPaths(const std::filesystem::path& dir, const std::string& name)
    : final(dir / name),
      part(dir / ("." + name + ".gpunb-part")),
      state(dir / ("." + name + ".gpunb-part.json")),
      lock(dir / ("." + name + ".gpunb-part.lock")) {}

Result<PartLock> PartLock::take(const PartPaths& paths) {
  // The holder removes the file before letting go: a lock taken on a file that is no longer
  // at the path is let go and taken again on the new one.
  for (int attempt = 0; attempt < 100; ++attempt) {
    Fd fd(::open(paths.lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) return tl::unexpected(io_failure("cannot create", paths.lock).error());
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK)
        return tl::unexpected(io_failure("cannot lock", paths.lock).error());
      return fail(ErrorKind::refused,
                  "another fetch is writing " + paths.final.string() +
                      " right now; let it finish (its progress: fetch --status)");
    }
    struct stat held {};
    struct stat current {};
    if (::fstat(fd.get(), &held) == 0 && ::stat(paths.lock.c_str(), &current) == 0 &&
        held.st_ino == current.st_ino && held.st_dev == current.st_dev) {
      return PartLock(std::move(fd), paths.lock);
    }
  }
  return fail(ErrorKind::internal, "cannot lock " + paths.lock.string());
}

PartLock& PartLock::operator=(PartLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::move(other.fd_);
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

void PartLock::release() {
  if (!fd_.valid()) return;
  ::unlink(path_.c_str());  // first, so that no one takes a lock on a file about to be orphaned
  fd_.reset();
}

std::optional<PartState> load_state(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  try {
    PartState state;
    state.url = json.at("url").get<std::string>();
    state.validator = json.at("validator").get<std::string>();
    state.size = json.at("size").get<std::uint64_t>();
    for (const auto& range : json.at("done")) {
      add_range(state.done, range.at(0).get<std::uint64_t>(), range.at(1).get<std::uint64_t>());
    }
    return state;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

Status save_state(const std::filesystem::path& path, const PartState& state) {
  nlohmann::json json{{"url", state.url}, {"validator", state.validator}, {"size", state.size}};
  json["done"] = nlohmann::json::array();
  for (const auto& [start, end] : state.done) json["done"].push_back({start, end});
  return base::write_atomic(path, json.dump() + "\n", 0600);
}

Result<PartFile> PartFile::open(const std::filesystem::path& path) {
  PartFile file;
  file.path_ = path;
  file.fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!file.fd_.valid()) return tl::unexpected(io_failure("cannot open", path).error());
  return file;
}

Status PartFile::truncate(std::uint64_t size) {
  if (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0)
    return io_failure("cannot size", path_);
  return {};
}

Status PartFile::preallocate(std::uint64_t size) {
  auto current = this->size();
  if (current && *current > size) return truncate(size);
  int error = ::posix_fallocate(fd_.get(), 0, static_cast<off_t>(size));
  if (error == 0) return {};
  if (error == ENOSPC) {
    errno = error;
    return io_failure("no space for", path_);
  }
  return truncate(size);  // a file system without fallocate
}

Status PartFile::write_at(const char* data, size_t size, std::uint64_t offset) {
  if (!base::pwrite_all(fd_.get(), data, size, offset)) return io_failure("cannot write", path_);
  return {};
}

Result<size_t> PartFile::read_at(char* data, size_t size, std::uint64_t offset) const {
  for (;;) {
    ssize_t n = ::pread(fd_.get(), data, size, static_cast<off_t>(offset));
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return tl::unexpected(io_failure("cannot read", path_).error());
  }
}

Result<std::uint64_t> PartFile::size() const {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return tl::unexpected(io_failure("cannot stat", path_).error());
  return static_cast<std::uint64_t>(st.st_size);
}

Status PartFile::sync(bool data_only) const {
  int result = data_only ? ::fdatasync(fd_.get()) : ::fsync(fd_.get());
  if (result != 0) return io_failure("cannot sync", path_);
  return {};
}

Digest::Digest(bool md5) {
  if (md5) md5_.emplace(base::Hash::Kind::md5);
}

void Digest::update(const char* data, size_t size) {
  sha_.update(data, size);
  if (md5_) md5_->update(data, size);
}

Status digest_file(const PartFile& file, std::uint64_t length, Digest& digest) {
  std::vector<char> buffer(4 << 20);
  for (std::uint64_t offset = 0; offset < length;) {
    auto got = file.read_at(buffer.data(), std::min<std::uint64_t>(buffer.size(), length - offset),
                            offset);
    TRY(got);
    if (*got == 0) return fail(ErrorKind::internal, "the part file is shorter than recorded");
    digest.update(buffer.data(), *got);
    offset += *got;
  }
  return {};
}

}  // namespace gpunb::data
