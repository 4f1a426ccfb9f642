#include "app/ssh_cidr.hpp"

#include "base/strings.hpp"

namespace gpunb::app {

namespace {

std::string checked(const std::string& cidr, const std::string& source) {
  if (!core::is_ipv4_cidr(cidr)) {
    throw core::Fatal({core::ErrorKind::usage, "invalid SSH CIDR '" + cidr + "' from " + source,
                       "give an IPv4 block such as 203.0.113.7/32"});
  }
  return cidr;
}

std::string lookup_public_address(Context& context) {
  auto http = context.services().make_http();
  net::HttpRequest request;
  request.url = "https://checkip.amazonaws.com/";
  request.timeout = std::chrono::seconds(10);
  auto response = http->send(request);
  auto address = response && response->status == 200 ? base::trim(response->body) : std::string();
  if (!core::is_ipv4_cidr(address + "/32")) {
    throw core::Fatal({core::ErrorKind::network, "cannot find this machine's public address",
                       "pass --ssh-cidr YOUR.IP.ADDRESS/32 or set GPUNB_SSH_CIDR"});
  }
  context.log().info("SSH will be open to {}/32 only", address);
  return address + "/32";
}

}  // namespace

std::string resolve_ssh_cidr(Context& context, const std::optional<std::string>& flag) {
  if (flag) return checked(*flag, "--ssh-cidr");
  if (auto env = context.env().get("GPUNB_SSH_CIDR"); env && !env->empty()) {
    return checked(*env, "GPUNB_SSH_CIDR");
  }
  if (context.config().ssh_cidr) return checked(*context.config().ssh_cidr, "config.toml");
  return lookup_public_address(context);
}

}  // namespace gpunb::app
