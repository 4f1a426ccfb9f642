// Session::connect: options (with ~/.ssh/config), host key verification by alias, then auth.
#include <libssh/libssh.h>

#include <filesystem>
#include <string>

#include "base/expected.hpp"
#include "ssh/keys.hpp"
#include "ssh/known_hosts.hpp"
#include "ssh/session_impl.hpp"
#include "util/env.hpp"
#include "util/fs.hpp"

namespace gpunb::ssh {

namespace {

// Authenticated encryption first: AES-GCM is the fastest with AES-NI (chacha20 is libssh's
// default).
constexpr const char* kCiphers =
    "aes256-gcm@openssh.com,aes128-gcm@openssh.com,chacha20-poly1305@openssh.com,aes256-ctr,"
    "aes128-ctr";

core::Status option(ssh_session session, ssh_options_e which, const void* value, const char* what) {
  if (ssh_options_set(session, which, value) == SSH_OK) return {};
  return core::fail(core::ErrorKind::usage,
                    std::string("invalid SSH option ") + what + ": " + session_error(session));
}

core::Status read_ssh_config(ssh_session session, const ConnectOptions& options) {
  bool process_default_config = false;
  auto ssh_dir = util::ProcessEnv().home() / ".ssh";
  auto status = option(session, SSH_OPTIONS_PROCESS_CONFIG, &process_default_config, "config");
  if (status) status = option(session, SSH_OPTIONS_SSH_DIR, ssh_dir.c_str(), "ssh dir");
  auto config = ssh_dir / "config";
  if (status && options.use_ssh_config && std::filesystem::exists(config) &&
      ssh_options_parse_config(session, config.c_str()) != SSH_OK) {
    return core::fail(core::ErrorKind::usage, "cannot parse " + config.string(),
                      session_error(session));
  }
  return status;
}

// Explicit options are set after ~/.ssh/config, so they win (port 22 is the default, not a wish).
core::Status configure(ssh_session session, const ConnectOptions& options,
                       const std::string& hostkeys) {
  int nodelay = 1;
  long timeout = static_cast<long>(options.connect_timeout.count());
  unsigned int port = static_cast<unsigned int>(options.port);
  auto known = options.host_key.known_hosts.string();
  auto status = option(session, SSH_OPTIONS_HOST, options.host.c_str(), "host");
  if (status) status = read_ssh_config(session, options);
  if (status && options.port != 22) status = option(session, SSH_OPTIONS_PORT, &port, "port");
  if (status && !options.user.empty()) {
    status = option(session, SSH_OPTIONS_USER, options.user.c_str(), "user");
  }
  if (status) status = option(session, SSH_OPTIONS_NODELAY, &nodelay, "nodelay");
  if (status) status = option(session, SSH_OPTIONS_TIMEOUT, &timeout, "timeout");
  if (status) status = option(session, SSH_OPTIONS_CIPHERS_C_S, kCiphers, "ciphers");
  if (status) status = option(session, SSH_OPTIONS_CIPHERS_S_C, kCiphers, "ciphers");
  if (status) status = option(session, SSH_OPTIONS_HOSTKEYS, hostkeys.c_str(), "host keys");
  // libssh only reads these (to order host key algorithms, and for a box to look its key up);
  // it writes no known_hosts file unless asked, and we never ask. A box keeps libssh's defaults,
  // the user's own files (~/.ssh/known_hosts, the config's UserKnownHostsFile, /etc/ssh/...).
  if (options.host_key.consult_user_known_hosts) return status;
  if (status) status = option(session, SSH_OPTIONS_KNOWNHOSTS, known.c_str(), "known hosts");
  if (status) status = option(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, known.c_str(), "known hosts");
  return status;
}

core::Result<HostKey> server_key(ssh_session session) {
  ssh_key raw = nullptr;
  if (ssh_get_server_publickey(session, &raw) != SSH_OK) {
    return core::fail(core::ErrorKind::network, "SSH: no host key: " + session_error(session));
  }
  KeyHandle key(raw);
  char* base64_raw = nullptr;
  if (ssh_pki_export_pubkey_base64(key.get(), &base64_raw) != SSH_OK) {
    return core::fail(core::ErrorKind::internal, "SSH: cannot encode the host key");
  }
  LibsshChars base64(base64_raw);
  HostKey host{ssh_key_type_to_char(ssh_key_type(key.get())), base64.get(), {}};
  host.fingerprint = fingerprint_of(host.type + " " + host.base64);
  return host;
}

// What the user's own known_hosts files say of the key this session was shown.
UserKnownHosts user_known_hosts(ssh_session session, const HostKeyCheck& check) {
  if (!check.consult_user_known_hosts) return UserKnownHosts::not_asked;
  switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK:
      return UserKnownHosts::match;
    case SSH_KNOWN_HOSTS_CHANGED:
      return UserKnownHosts::changed;
    default:  // another key type on record, not found, no file: as OpenSSH, the user decides
      return UserKnownHosts::unknown;
  }
}

bool try_identity(ssh_session session, const std::filesystem::path& path, std::string& skipped) {
  if (!std::filesystem::exists(path)) return false;
  if (util::readable_by_others(path)) {  // as OpenSSH: such a key is ignored, and we say why
    skipped = path.string();
    return false;
  }
  ssh_key raw = nullptr;
  if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &raw) != SSH_OK) {
    return false;
  }
  KeyHandle key(raw);
  return ssh_userauth_publickey(session, nullptr, key.get()) == SSH_AUTH_SUCCESS;
}

core::Status authenticate(ssh_session session, const ConnectOptions& options,
                          const std::string& target) {
  std::string skipped;
  for (const auto& identity : options.identities) {
    if (try_identity(session, identity, skipped)) return {};
  }
  if (!util::ProcessEnv().get_or("SSH_AUTH_SOCK", "").empty() &&
      ssh_userauth_agent(session, nullptr) == SSH_AUTH_SUCCESS) {
    return {};
  }
  if (ssh_userauth_publickey_auto(session, nullptr, nullptr) == SSH_AUTH_SUCCESS) return {};
  if (!ssh_is_connected(session)) {
    return core::fail(core::ErrorKind::network,
                      "SSH: connection to " + target + " lost: " + session_error(session));
  }
  auto at = target.rfind(':');
  return core::fail(
      core::ErrorKind::credentials, "SSH: no key was accepted by " + target.substr(0, at),
      skipped.empty() ? std::string()
                      : skipped + " is readable by other users: chmod 600 " + skipped);
}

std::string describe_target(ssh_session session, const ConnectOptions& options) {
  char* user = nullptr;
  std::string name = options.user;
  if (name.empty() && ssh_options_get(session, SSH_OPTIONS_USER, &user) == SSH_OK) {
    name = user;
    ssh_string_free_char(user);
  }
  return name + "@" + options.host + ":" + std::to_string(options.port);
}

}  // namespace

core::Result<Session> Session::connect(const ConnectOptions& options) {
  SessionHandle session(ssh_new());
  if (!session) return core::fail(core::ErrorKind::internal, "SSH: out of memory");
  auto pinned = pinned_keys(options.host_key.known_hosts, options.host_key.alias);
  TRY(configure(session.get(), options, hostkey_preference(pinned)));
  auto target = describe_target(session.get(), options);
  if (ssh_connect(session.get()) != SSH_OK) {
    return core::fail(core::ErrorKind::network, "SSH: cannot connect to " +
                                                    target.substr(target.find('@') + 1) + ": " +
                                                    session_error(session.get()));
  }
  auto key = server_key(session.get());
  TRY(key);
  // As OpenSSH names a host in known_hosts and at its question: host, or [host]:port.
  auto address =
      options.port == 22 ? options.host : "[" + options.host + "]:" + std::to_string(options.port);
  auto trust = verify_host_key(options.host_key, *key,
                               user_known_hosts(session.get(), options.host_key), address);
  TRY(trust);
  // Only now, with the key verified, does anything of ours go to the host.
  TRY(authenticate(session.get(), options, target));
  auto impl =
      std::make_unique<Impl>(Impl{share(std::move(session)), key->fingerprint, target, {}, *trust});
  return Session(std::move(impl));
}

}  // namespace gpunb::ssh
