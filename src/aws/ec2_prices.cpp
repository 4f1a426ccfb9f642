// DescribeSpotPriceHistory: the spot price in effect now, per zone.
#include <fmt/format.h>

#include <charconv>
#include <ctime>

#include "aws/ec2_api.hpp"
#include "aws/ec2_support.hpp"
#include "base/expected.hpp"

namespace gpunb::aws {

namespace {

std::string iso8601(std::int64_t unix_seconds) {
  auto seconds = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

double to_double(const std::string& text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : 0;
}

}  // namespace

std::vector<SpotPrice> parse_spot_prices(const pugi::xml_node& response) {
  std::vector<SpotPrice> prices;
  for (const auto& item : items(response, "spotPriceHistorySet")) {
    SpotPrice price;
    price.zone = child_text(item, "availabilityZone");
    price.type = child_text(item, "instanceType");
    price.price = to_double(child_text(item, "spotPrice"));
    price.time = parse_iso8601(child_text(item, "timestamp"));
    if (price.price > 0) prices.push_back(std::move(price));
  }
  return prices;
}

core::Result<std::vector<SpotPrice>> describe_spot_prices(Ec2Client& client,
                                                          const std::string& type,
                                                          std::int64_t now) {
  Params params{{"InstanceType.1", type},
                {"ProductDescription.1", "Linux/UNIX"},
                {"StartTime", iso8601(now)},
                {"EndTime", iso8601(now)}};
  std::vector<SpotPrice> prices;
  auto paged = for_each_page(client, "DescribeSpotPriceHistory", params,
                             [&](const pugi::xml_node& response) {
                               auto page = parse_spot_prices(response);
                               prices.insert(prices.end(), page.begin(), page.end());
                             });
  TRY(paged);
  return prices;
}

}  // namespace gpunb::aws
