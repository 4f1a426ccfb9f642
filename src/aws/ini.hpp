// INI files read the way botocore reads ~/.aws/config and ~/.aws/credentials (Python's
// RawConfigParser): full-line comments (# ;), `key = value` or `key: value`, keys lower-cased,
// indented lines continue the previous value, [DEFAULT] feeds every section.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace gpunb::aws {

using IniSection = std::map<std::string, std::string>;  // lower-cased key → value
using IniFile = std::map<std::string, IniSection>;      // section header as written → keys

// Lenient: lines that are neither sections nor options are skipped; a repeated section merges.
IniFile parse_ini(std::string_view text);

// A value written on the lines below its key ("s3 =\n  endpoint_url = x") as key → value.
// Nested keys keep their case, as botocore keeps them.
IniSection parse_nested(std::string_view value);

}  // namespace gpunb::aws
