// Early returns for Result/Status, in the manner of ccache's util/expected.hpp: TRY(expr) returns
// the error of a failed EXPR from the enclosing function, which returns any Result or Status.
#pragma once

#include <tl/expected.hpp>
#include <utility>

#include "base/error.hpp"

// TRY(f(x)) or TRY(named_result): on failure, return its error; the value (if any) is dropped.
#define TRY(expr_)                                                           \
  do {                                                                       \
    auto&& try_result_ = (expr_);                                            \
    if (!try_result_) return tl::unexpected(std::move(try_result_).error()); \
  } while (false)

// TRY_ASSIGN(auto name, f(x)): NAME holds the value; on failure, return the error.
#define TRY_ASSIGN(decl_, expr_)                                                     \
  auto GPUNB_TRY_NAME_(try_value_, __LINE__) = (expr_);                              \
  if (!GPUNB_TRY_NAME_(try_value_, __LINE__))                                        \
    return tl::unexpected(std::move(GPUNB_TRY_NAME_(try_value_, __LINE__)).error()); \
  decl_ = std::move(*GPUNB_TRY_NAME_(try_value_, __LINE__))

#define GPUNB_TRY_NAME_(prefix_, line_) GPUNB_TRY_CAT_(prefix_, line_)
#define GPUNB_TRY_CAT_(a_, b_) a_##b_
