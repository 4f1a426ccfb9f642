// Errors: tl::expected results low down, one exception type (Fatal) at the top.
#pragma once

#include <stdexcept>
#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace gpunb::core {

// Each kind maps to one documented exit code (see exit_code()).
enum class ErrorKind {
  internal,     // 1: a bug or an unexpected condition
  usage,        // 2: bad command line or configuration value
  credentials,  // 3: missing/invalid AWS credentials, unknown region or profile
  cloud,        // 4: the cloud refused or failed a request
  not_found,    // 5: no such machine, image or instance type
  capacity,     // 6: no capacity in any zone or fallback type
  refused,      // 7: refused for safety (needs --yes, --allow-cpu, a private key file)
  network,      // 8: endpoint or machine unreachable, timeout
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
const char* kind_name(ErrorKind kind);

// The one exception type: thrown by the app layer, caught in main, printed, mapped to an exit code.
class Fatal : public std::runtime_error {
 public:
  explicit Fatal(Error error) : std::runtime_error(error.message), error_(std::move(error)) {}
  const Error& error() const { return error_; }

 private:
  Error error_;
};

// Unwraps a Result or throws Fatal.
template <typename T>
T value_or_throw(Result<T> result) {
  if (!result) throw Fatal(std::move(result.error()));
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace gpunb::core
