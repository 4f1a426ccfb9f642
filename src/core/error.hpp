// Errors: base::Result low down, one exception type (Fatal) at the top.
#pragma once

#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "base/error.hpp"

namespace gpunb::core {

// The error vocabulary is base's (shared with gpunb-agent); the CLI names it core:: too.
using base::Error;
using base::ErrorKind;
using base::exit_code;
using base::fail;
using base::kind_name;
using base::Result;
using base::Status;

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
