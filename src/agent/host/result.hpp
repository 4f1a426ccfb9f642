// The agent's error type: a kind the laptop maps to its own error kinds, and one line of text.
#pragma once

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace gpunb::agent {

// Kinds travel as strings and match core::kind_name on the laptop: "usage", "not_found",
// "refused", "network" (a timeout), "internal".
struct Failure {
  std::string kind = "internal";
  std::string message;  // one line, never a secret
};

template <typename T>
using Outcome = tl::expected<T, Failure>;
using Done = tl::expected<void, Failure>;

inline tl::unexpected<Failure> failure(std::string kind, std::string message) {
  return tl::unexpected(Failure{std::move(kind), std::move(message)});
}

}  // namespace gpunb::agent
