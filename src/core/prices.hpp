// What machines cost: a table of on-demand prices shipped with gpunb (with its date), and the
// user's overrides from config.toml [prices]. Spot prices come from EC2 (app/spot_price).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace gpunb::core {

// The day the shipped table was taken from AWS's public on-demand price list (Linux, shared
// tenancy). Shown by `gpunb cost` and `gpunb ls --json`.
inline constexpr std::string_view kPriceTableDate = "2024-09-01";
// Hours in the "month" of a GB-month (AWS prorates EBS storage over 730 hours).
inline constexpr double kHoursPerMonth = 730.0;

// Shipped on-demand price in dollars per hour; nullopt for a type or region not in the table.
std::optional<double> shipped_hourly_price(std::string_view region, std::string_view type);
// Shipped EBS gp3 storage price in dollars per GB-month; nullopt for a region not in the table.
std::optional<double> shipped_gp3_price(std::string_view region);
// The GPU an instance type carries ("A10G", "4x L40S"); "" for CPU types and unknown types.
std::string gpu_of(std::string_view type);

// Where a price came from, for the user to judge it.
enum class PriceSource { config, table, spot, unknown };
const char* to_string(PriceSource source);

struct Price {
  std::optional<double> value;
  PriceSource source = PriceSource::unknown;
};

// The shipped table under the user's [prices] overrides. Override keys: "TYPE" (any region),
// "REGION/TYPE", "gp3" and "REGION/gp3" (dollars per GB-month); the most specific wins.
class Prices {
 public:
  explicit Prices(std::map<std::string, std::string> overrides);
  Price hourly(std::string_view region, std::string_view type) const;
  Price gp3_per_gb_month(std::string_view region) const;

 private:
  std::optional<double> lookup(std::string_view region, std::string_view key) const;
  std::map<std::string, std::string> overrides_;
};

}  // namespace gpunb::core
