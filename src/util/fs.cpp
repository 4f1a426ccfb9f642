#include "util/fs.hpp"

#include <sys/stat.h>

namespace gpunb::util {

void ensure_private_dir(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
}

bool readable_by_others(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return true;
  return (info.st_mode & (S_IRWXG | S_IRWXO)) != 0;
}

}  // namespace gpunb::util
