// Sftp: small, atomic file transfers over the session.
#include <fcntl.h>
#include <libssh/sftp.h>

#include <array>
#include <fstream>
#include <sstream>

#include "base/expected.hpp"
#include "base/hash.hpp"
#include "base/strings.hpp"
#include "ssh/session_impl.hpp"

namespace gpunb::ssh {

namespace {

// OpenSSH's sftp-server takes messages up to 256 KiB; libssh 0.10 waits for each write's reply,
// so big writes are what keeps an upload fast.
constexpr size_t kChunk = 240 * 1024;

core::Error sftp_error(Sftp::Impl& impl, const std::string& what, const std::string& path) {
  return core::Error{core::ErrorKind::network,
                     "SFTP: cannot " + what + " " + path + " on " + impl.target + " (code " +
                         std::to_string(sftp_get_error(impl.sftp.get())) + ")",
                     {}};
}

core::Status write_chunks(Sftp::Impl& impl, sftp_file file, std::istream& in,
                          const std::string& path) {
  std::string buffer(kChunk, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    auto count = static_cast<size_t>(in.gcount());
    if (count == 0) break;
    if (sftp_write(file, buffer.data(), count) != static_cast<ssize_t>(count)) {
      return tl::unexpected(sftp_error(impl, "write", path));
    }
  }
  return {};
}

// "~" and "~/x" from the login home (asked once); other paths as they are.
core::Result<std::string> resolve(Sftp::Impl& impl, const std::string& path) {
  if (path != "~" && !path.starts_with("~/")) return path;
  if (!impl.home) {
    LibsshChars home(sftp_canonicalize_path(impl.sftp.get(), "."));
    if (!home) return tl::unexpected(sftp_error(impl, "resolve", std::string("~")));
    impl.home = home.get();
  }
  return path == "~" ? *impl.home : *impl.home + path.substr(1);
}

bool exists_now(Sftp::Impl& impl, const std::string& path) {
  SftpAttributesHandle attributes(sftp_lstat(impl.sftp.get(), path.c_str()));
  return attributes != nullptr;
}

// rename(2) on the server: atomic, replaces DEST (libssh 0.10 has no posix-rename@openssh.com
// call, and plain SFTP rename refuses an existing target).
bool posix_rename(Sftp::Impl& impl, const std::string& from, const std::string& to) {
  auto channel =
      open_exec(impl.session.get(),
                "mv -f -- " + base::shell_quote(from) + " " + base::shell_quote(to), impl.target);
  if (!channel) return false;
  ssh_channel_send_eof(channel->get());
  std::array<char, 4096> sink{};
  while (ssh_channel_read(channel->get(), sink.data(), sink.size(), 0) > 0) {
  }
  return ssh_channel_get_exit_status(channel->get()) == 0;
}

bool replace(Sftp::Impl& impl, const std::string& from, const std::string& to) {
  if (sftp_rename(impl.sftp.get(), from.c_str(), to.c_str()) == 0) return true;
  if (!exists_now(impl, to)) return false;
  if (posix_rename(impl, from, to)) return true;
  sftp_unlink(impl.sftp.get(), to.c_str());  // last resort: a short moment without the file
  return sftp_rename(impl.sftp.get(), from.c_str(), to.c_str()) == 0;
}

core::Status write_stream(Sftp::Impl& impl, std::istream& in, const std::string& remote, int mode) {
  auto full = resolve(impl, remote);
  TRY(full);
  auto temp = *full + ".tmp-" + base::random_hex(4);
  SftpFileHandle file(sftp_open(impl.sftp.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600));
  if (!file) return tl::unexpected(sftp_error(impl, "create", temp));
  auto written = write_chunks(impl, file.get(), in, temp);
  bool closed = written && sftp_close(file.release()) == SSH_NO_ERROR;
  if (closed && sftp_chmod(impl.sftp.get(), temp.c_str(), static_cast<mode_t>(mode)) == 0 &&
      replace(impl, temp, *full)) {
    return {};
  }
  auto error = written ? sftp_error(impl, "write", *full) : written.error();
  sftp_unlink(impl.sftp.get(), temp.c_str());
  return tl::unexpected(error);
}

}  // namespace

Sftp::Sftp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Sftp::Sftp(Sftp&&) noexcept = default;
Sftp& Sftp::operator=(Sftp&&) noexcept = default;
Sftp::~Sftp() = default;

core::Result<Sftp> Session::sftp() {
  SftpHandle sftp(sftp_new(impl_->session.get()));
  if (!sftp || sftp_init(sftp.get()) != SSH_OK) {
    return core::fail(core::ErrorKind::network, "SFTP: cannot start on " + impl_->target + ": " +
                                                    session_error(impl_->session.get()));
  }
  return Sftp(std::make_unique<Sftp::Impl>(
      Sftp::Impl{impl_->session, std::move(sftp), impl_->target, impl_->home}));
}

core::Result<std::string> Sftp::canonical(const std::string& path) {
  auto full = resolve(*impl_, path);
  if (!full || full->starts_with('/')) return full;
  LibsshChars resolved(sftp_canonicalize_path(impl_->sftp.get(), full->c_str()));
  if (!resolved) return tl::unexpected(sftp_error(*impl_, "resolve", path));
  return std::string(resolved.get());
}

core::Result<bool> Sftp::exists(const std::string& path) {
  auto full = resolve(*impl_, path);
  TRY(full);
  SftpAttributesHandle attributes(sftp_stat(impl_->sftp.get(), full->c_str()));
  if (attributes) return true;
  if (sftp_get_error(impl_->sftp.get()) == SSH_FX_NO_SUCH_FILE) return false;
  return tl::unexpected(sftp_error(*impl_, "stat", *full));
}

core::Status Sftp::mkdir_p(const std::string& path, int mode) {
  auto full = resolve(*impl_, path);
  TRY(full);
  for (size_t at = 0; at != std::string::npos;) {
    auto next = full->find('/', at + 1);
    auto prefix = full->substr(0, next);
    at = next;
    if (prefix.empty() || prefix == "/") continue;
    auto present = exists(prefix);
    TRY(present);
    if (!*present &&
        sftp_mkdir(impl_->sftp.get(), prefix.c_str(), static_cast<mode_t>(mode)) != 0) {
      return tl::unexpected(sftp_error(*impl_, "create the folder", prefix));
    }
  }
  return {};
}

core::Status Sftp::upload(const std::filesystem::path& local, const std::string& remote, int mode) {
  std::ifstream in(local, std::ios::binary);
  if (!in) return core::fail(core::ErrorKind::not_found, "cannot read " + local.string());
  return write_stream(*impl_, in, remote, mode);
}

core::Status Sftp::write_file(const std::string& remote, std::string_view content, int mode) {
  std::string copy(content);
  std::istringstream in(copy);
  return write_stream(*impl_, in, remote, mode);
}

core::Result<std::string> Sftp::read_file(const std::string& remote) {
  auto full = resolve(*impl_, remote);
  TRY(full);
  SftpFileHandle file(sftp_open(impl_->sftp.get(), full->c_str(), O_RDONLY, 0));
  if (!file) return tl::unexpected(sftp_error(*impl_, "open", *full));
  std::string content;
  std::array<char, 65536> buffer{};
  while (true) {
    auto count = sftp_read(file.get(), buffer.data(), buffer.size());
    if (count < 0) return tl::unexpected(sftp_error(*impl_, "read", *full));
    if (count == 0) return content;
    content.append(buffer.data(), static_cast<size_t>(count));
  }
}

}  // namespace gpunb::ssh
