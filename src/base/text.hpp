// Text for the world outside: form bodies as the AWS SDKs encode them, what may reach a terminal,
// what goes into an HTML page. No product knowledge.
#pragma once

#include <string>
#include <string_view>

namespace gpunb::base {

// application/x-www-form-urlencoded as the AWS SDKs write it (Python's quote_plus with safe=''):
// the unreserved characters kept, a space as '+', every other byte %XX (upper-case hex).
std::string form_encode(std::string_view text);
// TEXT made safe to print on a terminal: C0 and C1 control characters, DEL, Unicode's
// bidirectional overrides and bytes that are not UTF-8 become escapes (\x1b, \u009b, \u202e);
// '\n' and '\t' are kept only when KEEP_LINES. Other UTF-8 (accented names) is left as it is.
std::string printable(std::string_view text, bool keep_lines = false);
// TEXT for an HTML attribute or text: & < > " ' as character references.
std::string html_escape(std::string_view text);

}  // namespace gpunb::base
