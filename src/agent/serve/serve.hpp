// "gpunb-agent serve": JSON lines on stdin/stdout. The hello line comes first, then one reply per
// request, in order. EOF on stdin or a "shutdown" op ends the loop.
#pragma once

#include <iosfwd>
#include <string>

namespace gpunb::agent {

inline constexpr int kProtocol = 1;

std::string version();     // compile-time: project version + build id
std::string hello_line();  // {"agent":"gpunb-agent","version":"...","protocol":1}
int serve(std::istream& in, std::ostream& out);  // exit code

}  // namespace gpunb::agent
