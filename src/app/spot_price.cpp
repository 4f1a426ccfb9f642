#include "app/spot_price.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "app/cost.hpp"
#include "aws/credentials.hpp"
#include "aws/ec2_api.hpp"
#include "base/expected.hpp"
#include "net/http.hpp"

namespace gpunb::app {

namespace {

core::Result<std::vector<aws::SpotPrice>> ask_ec2(Context& context, const core::Machine& machine,
                                                  std::int64_t now) {
  aws::AwsOptions options;
  options.profile = context.global().profile ? context.global().profile : context.config().profile;
  options.region = machine.region;
  options.config_region = context.config().region;
  auto aws_context = aws::resolve_context(options, context.env());
  TRY(aws_context);
  context.log().redactor().add_secret(aws_context->credentials.secret_access_key);
  context.log().redactor().add_secret(aws_context->credentials.session_token);
  auto http = context.services().make_http();
  aws::Ec2Client client(*http, context.clock(), context.log(), std::move(*aws_context));
  return aws::describe_spot_prices(client, machine.type, now);
}

std::optional<double> pick(const std::vector<aws::SpotPrice>& prices, const std::string& zone) {
  auto in_zone = std::find_if(prices.begin(), prices.end(),
                              [&](const aws::SpotPrice& price) { return price.zone == zone; });
  if (in_zone != prices.end()) return in_zone->price;
  auto lowest = std::min_element(prices.begin(), prices.end(),
                                 [](const auto& a, const auto& b) { return a.price < b.price; });
  if (lowest == prices.end()) return std::nullopt;
  return lowest->price;
}

}  // namespace

std::optional<double> spot_price(Context& context, const core::Machine& machine) {
  if (machine.provider != "ec2" || machine.type.empty()) return std::nullopt;
  auto now = base::unix_seconds(context.clock().now());
  auto prices = ask_ec2(context, machine, now);
  if (!prices) {
    context.log().debug("no spot price for {}: {}", machine.name, prices.error().message);
    return std::nullopt;
  }
  auto price = pick(*prices, machine.zone);
  if (!price) return std::nullopt;
  auto recorded =
      context.ledger().add_event(machine.name, kSpotPriceEvent, fmt::format("{}", *price), now);
  if (!recorded) context.log().debug("spot price not kept: {}", recorded.error().message);
  return price;
}

}  // namespace gpunb::app
