#include <gtest/gtest.h>

#include "core/prices.hpp"

namespace gpunb::core {

TEST(Prices, ShippedTableKnowsTheCommonGpuTypes) {
  EXPECT_DOUBLE_EQ(*shipped_hourly_price("us-east-1", "g5.xlarge"), 1.006);
  EXPECT_DOUBLE_EQ(*shipped_hourly_price("us-west-2", "g4dn.xlarge"), 0.526);
  EXPECT_DOUBLE_EQ(*shipped_hourly_price("eu-west-1", "g5.xlarge"), 1.123);
  EXPECT_DOUBLE_EQ(*shipped_hourly_price("eu-central-1", "g6.xlarge"), 1.0064);
  EXPECT_DOUBLE_EQ(*shipped_hourly_price("ap-northeast-1", "g4dn.xlarge"), 0.71);
  EXPECT_DOUBLE_EQ(*shipped_hourly_price("us-east-1", "p5.48xlarge"), 98.32);
  EXPECT_DOUBLE_EQ(*shipped_hourly_price("us-east-1", "t3.medium"), 0.0416);
  for (const char* type : {"g6e.xlarge", "p3.2xlarge", "p4d.24xlarge", "m5.large", "t3.micro"})
    EXPECT_TRUE(shipped_hourly_price("us-east-1", type)) << type;
}

TEST(Prices, UnknownTypeOrRegionHasNoPrice) {
  EXPECT_FALSE(shipped_hourly_price("us-east-1", "x9.huge"));
  EXPECT_FALSE(shipped_hourly_price("sa-east-1", "g5.xlarge"));
  EXPECT_FALSE(shipped_hourly_price("eu-west-1", "g6e.xlarge"));  // not offered there
  EXPECT_FALSE(shipped_gp3_price("sa-east-1"));
}

TEST(Prices, Gp3PerGbMonth) {
  EXPECT_DOUBLE_EQ(*shipped_gp3_price("us-east-1"), 0.08);
  EXPECT_DOUBLE_EQ(*shipped_gp3_price("eu-central-1"), 0.0952);
}

TEST(Prices, GpuOfType) {
  EXPECT_EQ(gpu_of("g5.xlarge"), "A10G");
  EXPECT_EQ(gpu_of("p4d.24xlarge"), "8x A100");
  EXPECT_EQ(gpu_of("t3.medium"), "");
  EXPECT_EQ(gpu_of("nope"), "");
}

TEST(Prices, ConfigOverridesWinMostSpecificFirst) {
  Prices prices({{"g5.xlarge", "2"},
                 {"eu-west-1/g5.xlarge", "3.5"},
                 {"gp3", "0.1"},
                 {"us-east-1/gp3", "0.2"},
                 {"x9.huge", "7"}});
  auto general = prices.hourly("us-east-1", "g5.xlarge");
  EXPECT_EQ(general.value, 2.0);
  EXPECT_EQ(general.source, PriceSource::config);
  EXPECT_EQ(prices.hourly("eu-west-1", "g5.xlarge").value, 3.5);
  EXPECT_EQ(prices.hourly("us-east-1", "x9.huge").value, 7.0);
  auto table = prices.hourly("us-east-1", "g4dn.xlarge");
  EXPECT_EQ(table.value, 0.526);
  EXPECT_EQ(table.source, PriceSource::table);
  EXPECT_EQ(prices.gp3_per_gb_month("us-east-1").value, 0.2);
  EXPECT_EQ(prices.gp3_per_gb_month("eu-west-1").value, 0.1);
  EXPECT_EQ(prices.hourly("us-east-1", "y1.none").source, PriceSource::unknown);
}

}  // namespace gpunb::core
