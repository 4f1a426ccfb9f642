#include "agent/host/transfer_mark.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>

#include "agent/host/files.hpp"
#include "base/files.hpp"
#include "base/hash.hpp"

namespace gpunb::agent {
namespace {

std::filesystem::path state_dir() {
  return std::filesystem::path(home_dir()) / ".gpunb";
}

std::string root_key(const std::string& root) {
  std::error_code error;
  auto absolute = std::filesystem::weakly_canonical(expand_home(root), error);
  return error ? expand_home(root).string() : absolute.string();
}

// One writer at a time for pulls.json: an exclusive flock on pulls.lock.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_;
};

nlohmann::json read_pulls(const std::filesystem::path& dir) {
  auto text = base::read_file(dir / "pulls.json");
  auto pulls = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json::object();
  return pulls.is_object() ? pulls : nlohmann::json::object();
}

}  // namespace

TransferMark::TransferMark(const std::string& what) : started_(std::time(nullptr)) {
  auto dir = state_dir() / "transfers";
  if (!base::make_dirs(dir, 0700)) return;
  auto name = what + "-" + std::to_string(::getpid()) + "-" + base::random_hex(4);
  auto hidden = dir / ("." + name);  // locked before the watcher can see it
  fd_ = ::open(hidden.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ >= 0 && ::flock(fd_, LOCK_SH) == 0 &&
      ::rename(hidden.c_str(), (dir / name).c_str()) == 0) {
    path_ = dir / name;
    return;
  }
  if (fd_ >= 0) ::close(fd_);
  ::unlink(hidden.c_str());
  fd_ = -1;
}

TransferMark::~TransferMark() {
  if (fd_ < 0) return;
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
  ::close(fd_);
}

bool TransferMark::record_pull(const std::string& root, bool ok) const {
  if (!ok) return false;
  record_pull_at(root, started_);
  return true;
}

void record_pull_at(const std::string& root, long long when) {
  auto dir = state_dir();
  FileLock lock(dir / "pulls.lock");
  auto pulls = read_pulls(dir);
  auto& recorded = pulls[root_key(root)];
  if (!recorded.is_number() || recorded.get<long long>() < when) recorded = when;
  (void)base::write_atomic(dir / "pulls.json", pulls.dump() + "\n", 0600);
}

int running_transfers(const std::filesystem::path& state_dir) {
  int running = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(state_dir / "transfers", error)) {
    if (entry.path().filename().string().starts_with(".")) continue;  // being made
    int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
      ++running;
    } else {
      std::filesystem::remove(entry.path(), error);  // its process is gone
    }
    ::close(fd);
  }
  return running;
}

std::optional<long long> last_pull(const std::filesystem::path& state_dir,
                                   const std::string& root) {
  auto pulls = read_pulls(state_dir);
  auto found = pulls.find(root_key(root));
  if (found == pulls.end() || !found->is_number_integer()) return std::nullopt;
  return found->get<long long>();
}

}  // namespace gpunb::agent
