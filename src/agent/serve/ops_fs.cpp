// Ops for notebook sync: fs.list, fs.hash, fs.delete below a root (e.g. "~/work/NAME"). Paths are
// relative and checked (fs_path.hpp); bulk bytes travel on their own channel (fs_receive/fs_send).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "agent/fs/list.hpp"
#include "agent/fs/path.hpp"
#include "agent/fs/stream.hpp"
#include "agent/serve/dispatcher.hpp"
#include "base/expected.hpp"
#include "base/hash.hpp"

namespace gpunb::agent {
namespace {

Result<std::vector<std::string>> required_paths(const Json& request) {
  if (!request.contains("paths") || !request["paths"].is_array()) {
    return fail(ErrorKind::usage, "missing array field \"paths\"");
  }
  std::vector<std::string> paths;
  for (const Json& path : request["paths"]) {
    if (!path.is_string()) return fail(ErrorKind::usage, "\"paths\" must hold strings");
    paths.push_back(path.get<std::string>());
  }
  return paths;
}

Result<Json> list_op(Context& /*context*/, const Json& request) {
  auto root = required_string(request, "root");
  TRY(root);
  auto listing = list_tree(*root);
  TRY(listing);
  Json entries = Json::array();
  for (const ListedFile& file : listing->files) {
    entries.push_back({{"path", file.path},
                       {"size", file.size},
                       {"mtime_ns", file.mtime_ns},
                       {"mode", file.mode},
                       {"symlink", file.symlink}});
  }
  return Json{{"entries", std::move(entries)},
              {"stale_temps_removed", listing->stale_temps_removed}};
}

Result<std::string> hash_file(RootDir& root, const std::string& path, std::vector<char>& block) {
  auto split = check_relative_path(path);
  TRY(split);
  auto dir = root.dir(split->dir, false);
  TRY(dir);
  int fd = ::openat(*dir, split->name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return fail(errno == ENOENT ? ErrorKind::not_found : ErrorKind::refused, std::strerror(errno));
  base::Hash hash;
  ssize_t n = 0;
  while ((n = ::read(fd, block.data(), block.size())) > 0)
    hash.update(block.data(), static_cast<size_t>(n));
  ::close(fd);
  if (n < 0) return fail(ErrorKind::internal, std::string("read failed: ") + std::strerror(errno));
  return hash.hex_digest();
}

// {"hashes":{path:hex}}; paths that cannot be hashed go to "errors":{path:message}.
Result<Json> hash_op(Context& /*context*/, const Json& request) {
  auto root_name = required_string(request, "root");
  auto paths = root_name ? required_paths(request) : tl::unexpected(root_name.error());
  TRY(paths);
  Json hashes = Json::object(), errors = Json::object();
  auto root = RootDir::open(*root_name, false);
  std::vector<char> block(kStreamBlock);
  for (const std::string& path : *paths) {
    if (root && root->open_dirs() >= 128) root->close_dirs();
    auto sha = root ? hash_file(*root, path, block) : tl::unexpected(root.error());
    if (sha)
      hashes[path] = *sha;
    else
      errors[path] = sha.error().message;
  }
  return Json{{"hashes", std::move(hashes)}, {"errors", std::move(errors)}};
}

// Removes the file, then its folders while they are empty (up to the root, which stays).
Result<bool> delete_file(RootDir& root, const std::string& path) {
  auto split = check_relative_path(path);
  TRY(split);
  auto dir = root.dir(split->dir, false);
  if (!dir)
    return dir.error().kind == ErrorKind::not_found ? Result<bool>(false)
                                                    : tl::unexpected(dir.error());
  if (::unlinkat(*dir, split->name.c_str(), 0) != 0) {
    if (errno == ENOENT) return false;
    return fail(ErrorKind::refused, "cannot delete " + path + ": " + std::strerror(errno));
  }
  for (std::string folder = split->dir; !folder.empty();) {
    size_t slash = folder.rfind('/');
    std::string parent = slash == std::string::npos ? "" : folder.substr(0, slash);
    auto parent_fd = root.dir(parent, false);
    std::string name = slash == std::string::npos ? folder : folder.substr(slash + 1);
    if (!parent_fd || ::unlinkat(*parent_fd, name.c_str(), AT_REMOVEDIR) != 0) break;
    folder = parent;
  }
  return true;
}

// {"deleted":[...],"missing":[...],"errors":{path:message}}; the folders are fsynced.
Result<Json> delete_op(Context& /*context*/, const Json& request) {
  auto root_name = required_string(request, "root");
  auto paths = root_name ? required_paths(request) : tl::unexpected(root_name.error());
  TRY(paths);
  Json deleted = Json::array(), missing = Json::array(), errors = Json::object();
  auto root = RootDir::open(*root_name, false);
  for (const std::string& path : *paths) {
    auto gone = root ? delete_file(*root, path) : Result<bool>(false);
    if (!gone)
      errors[path] = gone.error().message;
    else
      (*gone ? deleted : missing).push_back(path);
  }
  if (root) (void)root->sync_dirs();
  return Json{{"deleted", std::move(deleted)},
              {"missing", std::move(missing)},
              {"errors", std::move(errors)}};
}

}  // namespace

void register_fs_ops(Dispatcher& dispatcher) {
  dispatcher.add("fs.list", list_op);
  dispatcher.add("fs.hash", hash_op);
  dispatcher.add("fs.delete", delete_op);
}

}  // namespace gpunb::agent
