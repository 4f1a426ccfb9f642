// Early returns for Result/Status, in the manner of ccache's util/expected.hpp: TRY(expr) returns
// the error of a failed EXPR from the enclosing function, which returns any Result or Status.
#pragma once

#include <tl/expected.hpp>
#include <utility>

#include "base/error.hpp"

// TRY(f(x)) or TRY(named_result): on failure, return its error; the value (if any) is kept where
// it was (a named result stays usable after the line).
#define TRY(expr_)                                                           \
  do {                                                                       \
    auto&& try_result_ = (expr_);                                            \
    if (!try_result_) return tl::unexpected(std::move(try_result_).error()); \
  } while (false)
