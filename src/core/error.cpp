#include "core/error.hpp"

namespace gpunb::core {

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::internal:
      return 1;
    case ErrorKind::usage:
      return 2;
    case ErrorKind::credentials:
      return 3;
    case ErrorKind::cloud:
      return 4;
    case ErrorKind::not_found:
      return 5;
    case ErrorKind::capacity:
      return 6;
    case ErrorKind::refused:
      return 7;
    case ErrorKind::network:
      return 8;
    case ErrorKind::conflict:
      return 9;
    case ErrorKind::interrupted:
      return 130;
  }
  return 1;
}

const char* kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::internal:
      return "internal";
    case ErrorKind::usage:
      return "usage";
    case ErrorKind::credentials:
      return "credentials";
    case ErrorKind::cloud:
      return "cloud";
    case ErrorKind::not_found:
      return "not_found";
    case ErrorKind::capacity:
      return "capacity";
    case ErrorKind::refused:
      return "refused";
    case ErrorKind::network:
      return "network";
    case ErrorKind::conflict:
      return "conflict";
    case ErrorKind::interrupted:
      return "interrupted";
  }
  return "internal";
}

}  // namespace gpunb::core
