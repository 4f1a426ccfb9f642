#include "ssh/keys.hpp"

#include <libssh/libssh.h>

#include <memory>

#include "base/files.hpp"
#include "base/strings.hpp"
#include "util/fs.hpp"

namespace gpunb::ssh {

namespace {

struct KeyDeleter {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using KeyHandle = std::unique_ptr<std::remove_pointer_t<ssh_key>, KeyDeleter>;

struct CharDeleter {
  void operator()(char* text) const { ssh_string_free_char(text); }
};
using CharHandle = std::unique_ptr<char, CharDeleter>;

std::string sha256_fingerprint(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != SSH_OK) return {};
  CharHandle text(ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length));
  ssh_clean_pubkey_hash(&hash);
  return text ? std::string(text.get()) : std::string();
}

core::Result<KeyPair> describe(ssh_key private_key, const std::filesystem::path& path) {
  ssh_key public_raw = nullptr;
  if (ssh_pki_export_privkey_to_pubkey(private_key, &public_raw) != SSH_OK) {
    return core::fail(core::ErrorKind::internal,
                      "cannot derive the public key of " + path.string());
  }
  KeyHandle public_key(public_raw);
  char* base64_raw = nullptr;
  ssh_pki_export_pubkey_base64(public_key.get(), &base64_raw);
  CharHandle base64(base64_raw);
  std::string line = std::string(ssh_key_type_to_char(ssh_key_type(public_key.get()))) + " " +
                     base64.get() + " gpunb";
  return KeyPair{path, line, sha256_fingerprint(public_key.get())};
}

core::Result<KeyPair> load(const std::filesystem::path& path);

// Two gpunb processes may make the first key at once: the first link wins, the other loads it.
core::Result<KeyPair> create(const std::filesystem::path& path) {
  ssh_key raw = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &raw) != SSH_OK) {
    return core::fail(core::ErrorKind::internal, "cannot generate an ed25519 key");
  }
  KeyHandle key(raw);
  char* pem_raw = nullptr;
  if (ssh_pki_export_privkey_base64(key.get(), nullptr, nullptr, nullptr, &pem_raw) != SSH_OK) {
    return core::fail(core::ErrorKind::internal, "cannot encode the new key");
  }
  CharHandle pem(pem_raw);
  util::ensure_private_dir(path.parent_path());
  if (!core::value_or_throw(base::write_exclusive(path, pem.get(), 0600))) return load(path);
  auto pair = describe(key.get(), path);
  if (pair)
    core::value_or_throw(
        base::write_atomic(path.string() + ".pub", pair->public_openssh + "\n", 0644));
  return pair;
}

core::Result<KeyPair> load(const std::filesystem::path& private_path) {
  if (util::readable_by_others(private_path)) {
    return core::fail(core::ErrorKind::refused,
                      "private key " + private_path.string() + " is readable by other users",
                      "run: chmod 600 " + private_path.string());
  }
  ssh_key raw = nullptr;
  if (ssh_pki_import_privkey_file(private_path.c_str(), nullptr, nullptr, nullptr, &raw) !=
      SSH_OK) {
    return core::fail(core::ErrorKind::usage,
                      "cannot read the private key " + private_path.string(),
                      "move it away and gpunb makes a new one");
  }
  KeyHandle key(raw);
  return describe(key.get(), private_path);
}

}  // namespace

core::Result<KeyPair> load_or_create_key(const std::filesystem::path& private_path) {
  if (!std::filesystem::exists(private_path)) return create(private_path);
  return load(private_path);
}

std::string fingerprint_of(const std::string& public_openssh) {
  auto parts = base::split(base::trim(public_openssh), ' ');
  if (parts.size() < 2) return {};
  ssh_key raw = nullptr;
  if (ssh_pki_import_pubkey_base64(parts[1].c_str(), ssh_key_type_from_name(parts[0].c_str()),
                                   &raw) != SSH_OK) {
    return {};
  }
  KeyHandle key(raw);
  return sha256_fingerprint(key.get());
}

}  // namespace gpunb::ssh
