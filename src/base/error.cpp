#include "base/error.hpp"

#include <array>
#include <utility>

namespace gpunb::base {
namespace {

struct KindRow {
  ErrorKind kind;
  const char* name;
  int exit_code;
};

constexpr std::array kKinds = {
    KindRow{ErrorKind::internal, "internal", 1},
    KindRow{ErrorKind::usage, "usage", 2},
    KindRow{ErrorKind::credentials, "credentials", 3},
    KindRow{ErrorKind::cloud, "cloud", 4},
    KindRow{ErrorKind::not_found, "not_found", 5},
    KindRow{ErrorKind::capacity, "capacity", 6},
    KindRow{ErrorKind::refused, "refused", 7},
    KindRow{ErrorKind::network, "network", 8},
    KindRow{ErrorKind::timeout, "timeout", 8},
    KindRow{ErrorKind::conflict, "conflict", 9},
    KindRow{ErrorKind::interrupted, "interrupted", 130},
};

const KindRow& row(ErrorKind kind) {
  for (const auto& r : kKinds) {
    if (r.kind == kind) return r;
  }
  return kKinds[0];
}

}  // namespace

int exit_code(ErrorKind kind) {
  return row(kind).exit_code;
}

const char* kind_name(ErrorKind kind) {
  return row(kind).name;
}

std::optional<ErrorKind> kind_from_name(std::string_view name) {
  for (const auto& r : kKinds) {
    if (name == r.name) return r.kind;
  }
  return std::nullopt;
}

}  // namespace gpunb::base
