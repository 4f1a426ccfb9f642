#include "core/prices.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace gpunb::core {

namespace {

// US East (N. Virginia) on-demand Linux prices, dollars per hour, as of kPriceTableDate.
struct TypePrice {
  std::string_view type;
  std::string_view gpu;
  double us_east_1;
};

constexpr std::array kTypes = {
    TypePrice{"g4dn.xlarge", "T4", 0.526},
    TypePrice{"g4dn.2xlarge", "T4", 0.752},
    TypePrice{"g4dn.4xlarge", "T4", 1.204},
    TypePrice{"g4dn.8xlarge", "T4", 2.176},
    TypePrice{"g4dn.12xlarge", "4x T4", 3.912},
    TypePrice{"g4dn.16xlarge", "T4", 4.352},
    TypePrice{"g5.xlarge", "A10G", 1.006},
    TypePrice{"g5.2xlarge", "A10G", 1.212},
    TypePrice{"g5.4xlarge", "A10G", 1.624},
    TypePrice{"g5.8xlarge", "A10G", 2.448},
    TypePrice{"g5.12xlarge", "4x A10G", 5.672},
    TypePrice{"g5.16xlarge", "A10G", 4.096},
    TypePrice{"g5.24xlarge", "4x A10G", 8.144},
    TypePrice{"g5.48xlarge", "8x A10G", 16.288},
    TypePrice{"g6.xlarge", "L4", 0.8048},
    TypePrice{"g6.2xlarge", "L4", 0.9776},
    TypePrice{"g6.4xlarge", "L4", 1.3232},
    TypePrice{"g6.8xlarge", "L4", 2.0144},
    TypePrice{"g6.12xlarge", "4x L4", 4.6016},
    TypePrice{"g6.16xlarge", "L4", 3.3968},
    TypePrice{"g6.24xlarge", "4x L4", 6.6752},
    TypePrice{"g6.48xlarge", "8x L4", 13.3504},
    TypePrice{"g6e.xlarge", "L40S", 1.861},
    TypePrice{"g6e.2xlarge", "L40S", 2.24208},
    TypePrice{"g6e.4xlarge", "L40S", 3.00424},
    TypePrice{"g6e.8xlarge", "L40S", 4.52856},
    TypePrice{"g6e.12xlarge", "4x L40S", 10.49264},
    TypePrice{"g6e.16xlarge", "L40S", 7.57719},
    TypePrice{"g6e.24xlarge", "4x L40S", 15.06559},
    TypePrice{"g6e.48xlarge", "8x L40S", 30.13118},
    TypePrice{"p3.2xlarge", "V100", 3.06},
    TypePrice{"p3.8xlarge", "4x V100", 12.24},
    TypePrice{"p3.16xlarge", "8x V100", 24.48},
    TypePrice{"p4d.24xlarge", "8x A100", 32.7726},
    TypePrice{"p5.48xlarge", "8x H100", 98.32},
    TypePrice{"t3.micro", "", 0.0104},
    TypePrice{"t3.small", "", 0.0208},
    TypePrice{"t3.medium", "", 0.0416},
    TypePrice{"m5.large", "", 0.096},
};

// A family's price in a region relative to us-east-1 (AWS's published xlarge/2xlarge prices
// divided by us-east-1's); a family absent for a region is not offered there (or not known).
struct RegionRatio {
  std::string_view region;
  std::string_view family;
  double ratio;
};

constexpr std::array kRatios = {
    RegionRatio{"eu-west-1", "g4dn", 0.587 / 0.526},
    RegionRatio{"eu-west-1", "g5", 1.123 / 1.006},
    RegionRatio{"eu-west-1", "p3", 3.305 / 3.06},
    RegionRatio{"eu-west-1", "p4d", 35.3944 / 32.7726},
    RegionRatio{"eu-west-1", "t3", 0.0456 / 0.0416},
    RegionRatio{"eu-west-1", "m5", 0.107 / 0.096},
    RegionRatio{"eu-central-1", "g4dn", 0.658 / 0.526},
    RegionRatio{"eu-central-1", "g5", 1.258 / 1.006},
    RegionRatio{"eu-central-1", "g6", 1.0064 / 0.8048},
    RegionRatio{"eu-central-1", "g6e", 13.12002 / 10.49264},
    RegionRatio{"eu-central-1", "p3", 3.823 / 3.06},
    RegionRatio{"eu-central-1", "t3", 0.048 / 0.0416},
    RegionRatio{"eu-central-1", "m5", 0.115 / 0.096},
    RegionRatio{"ap-northeast-1", "g4dn", 0.71 / 0.526},
    RegionRatio{"ap-northeast-1", "g5", 1.459 / 1.006},
    RegionRatio{"ap-northeast-1", "g6", 1.1672 / 0.8048},
    RegionRatio{"ap-northeast-1", "g6e", 15.21742 / 10.49264},
    RegionRatio{"ap-northeast-1", "p3", 4.194 / 3.06},
    RegionRatio{"ap-northeast-1", "t3", 0.0544 / 0.0416},
    RegionRatio{"ap-northeast-1", "m5", 0.124 / 0.096},
};

// Regions priced exactly as us-east-1 for every type in the table.
constexpr std::array<std::string_view, 3> kUsRegions = {"us-east-1", "us-east-2", "us-west-2"};

struct Gp3Price {
  std::string_view region;
  double per_gb_month;
};

constexpr std::array kGp3 = {
    Gp3Price{"us-east-1", 0.08},      Gp3Price{"us-east-2", 0.08},
    Gp3Price{"us-west-2", 0.08},      Gp3Price{"eu-west-1", 0.088},
    Gp3Price{"eu-central-1", 0.0952}, Gp3Price{"ap-northeast-1", 0.096},
};

const TypePrice* find_type(std::string_view type) {
  for (const auto& entry : kTypes)
    if (entry.type == type) return &entry;
  return nullptr;
}

std::optional<double> ratio_for(std::string_view region, std::string_view type) {
  for (auto us : kUsRegions)
    if (us == region) return 1.0;
  auto family = type.substr(0, type.find('.'));
  for (const auto& entry : kRatios)
    if (entry.region == region && entry.family == family) return entry.ratio;
  return std::nullopt;
}

std::optional<double> parse_price(const std::string& text) {
  double value = -1;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  bool whole = error == std::errc() && end == text.data() + text.size();
  if (!whole || !std::isfinite(value) || value < 0) return std::nullopt;
  return value;
}

}  // namespace

std::optional<double> shipped_hourly_price(std::string_view region, std::string_view type) {
  const auto* entry = find_type(type);
  auto ratio = ratio_for(region, type);
  if (entry == nullptr || !ratio) return std::nullopt;
  return std::round(entry->us_east_1 * *ratio * 1e5) / 1e5;
}

std::optional<double> shipped_gp3_price(std::string_view region) {
  for (const auto& entry : kGp3)
    if (entry.region == region) return entry.per_gb_month;
  return std::nullopt;
}

std::string gpu_of(std::string_view type) {
  const auto* entry = find_type(type);
  return entry == nullptr ? std::string() : std::string(entry->gpu);
}

const char* to_string(PriceSource source) {
  switch (source) {
    case PriceSource::config:
      return "config";
    case PriceSource::table:
      return "table";
    case PriceSource::spot:
      return "spot";
    case PriceSource::unknown:
      break;
  }
  return "unknown";
}

Prices::Prices(std::map<std::string, std::string> overrides) : overrides_(std::move(overrides)) {}

std::optional<double> Prices::lookup(std::string_view region, std::string_view key) const {
  auto specific = overrides_.find(std::string(region) + "/" + std::string(key));
  if (specific != overrides_.end()) return parse_price(specific->second);
  auto general = overrides_.find(std::string(key));
  if (general != overrides_.end()) return parse_price(general->second);
  return std::nullopt;
}

Price Prices::hourly(std::string_view region, std::string_view type) const {
  if (auto value = lookup(region, type)) return {value, PriceSource::config};
  if (auto value = shipped_hourly_price(region, type)) return {value, PriceSource::table};
  return {};
}

Price Prices::gp3_per_gb_month(std::string_view region) const {
  if (auto value = lookup(region, "gp3")) return {value, PriceSource::config};
  if (auto value = shipped_gp3_price(region)) return {value, PriceSource::table};
  return {};
}

}  // namespace gpunb::core
