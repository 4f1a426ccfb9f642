// Where a detached tunnel is recorded: $XDG_STATE_HOME/gpunb/tunnels/NAME.json (pid, port).
#pragma once

#include <string>

#include "app/connect.hpp"
#include "app/context.hpp"

namespace gpunb::app {

void save_detached(Context& context, const std::string& name, const DetachedTunnel& tunnel);
// Sends a background tunnel's output to $XDG_STATE_HOME/gpunb/tunnels/NAME.log.
void redirect_to_log(Context& context, const std::string& name);
// The page handed to the browser: it redirects to URL (which holds the token), every character of
// URL HTML-escaped, so a token a machine chose cannot add markup or script.
std::string redirect_page(const std::string& url);

}  // namespace gpunb::app
