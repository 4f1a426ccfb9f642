// Errors for both binaries: a kind from one enum, a one-line message and a hint. Kinds travel over
// the agent protocol by name (kind_name/kind_from_name), so no code ever compares message text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace gpunb::base {

// Each kind maps to one documented exit code (see exit_code()).
enum class ErrorKind {
  internal,     // 1: a bug or an unexpected condition
  usage,        // 2: bad command line or configuration value
  credentials,  // 3: missing/invalid AWS credentials, unknown region or profile
  cloud,        // 4: the cloud refused or failed a request
  not_found,    // 5: no such machine, image, instance type or file
  capacity,     // 6: no capacity in any zone or fallback type
  refused,      // 7: refused for safety (needs --yes, --allow-cpu, a private key file)
  network,      // 8: endpoint or machine unreachable, connection lost
  timeout,      // 8: no answer within a deadline (a network error that a retry may cure)
  conflict,     // 9: both sides changed (sync)
  interrupted,  // 130: SIGINT/SIGTERM
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;  // one line, no secrets
  std::string hint;     // what to do about it; may be empty
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> fail(ErrorKind kind, std::string message, std::string hint = {}) {
  return tl::unexpected(Error{kind, std::move(message), std::move(hint)});
}

int exit_code(ErrorKind kind);
const char* kind_name(ErrorKind kind);                           // "not_found", as in the enum
std::optional<ErrorKind> kind_from_name(std::string_view name);  // nullopt when unknown
// network or timeout: the far side or the path to it failed, and trying again may work.
inline bool is_transient(ErrorKind kind) {
  return kind == ErrorKind::network || kind == ErrorKind::timeout;
}

}  // namespace gpunb::base

namespace gpunb {
// The vocabulary types, for every layer of both binaries.
using base::Error;
using base::ErrorKind;
using base::fail;
using base::Result;
using base::Status;
}  // namespace gpunb
