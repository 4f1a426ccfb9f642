// Helpers for download names (the public ones are declared in agent/fetch/download.hpp).
#pragma once

#include <string>
#include <string_view>

#include "data/net/http.hpp"

namespace gpunb::data {

std::string name_from_url(const Url& url);  // the path's last segment, decoded and cleaned

}  // namespace gpunb::data
