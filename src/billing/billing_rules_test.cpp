// Pure billing rules: Stripe item changes for a plan switch, plan validation, Stripe decimal prices, invoice parsing.
#include <gtest/gtest.h>

#include "billing/billing_service.hpp"
#include "billing/event_processor.hpp"
#include "billing/plan_admin.hpp"

namespace tg::billing {
namespace {
using nlohmann::json;

json subscription_with(std::initializer_list<std::pair<const char*, bool>> items) {
  json data = json::array();
  int n = 0;
  for (const auto& [price, metered] : items) {
    json p = {{"id", price}, {"recurring", {{"interval", "month"}, {"usage_type", metered ? "metered" : "licensed"}}}};
    data.push_back({{"id", "si_" + std::to_string(++n)}, {"price", p}});
  }
  return {{"id", "sub_1"}, {"items", {{"object", "list"}, {"data", data}}}};
}

PlanRef plan(const char* month, const char* year, const char* metered) {
  PlanRef p;
  p.slug = "pro";
  p.stripe_price_monthly = month;
  p.stripe_price_annual = year;
  p.stripe_price_metered = metered;
  return p;
}

TEST(PlanChangeItems, SwapsTheBasePriceAndTheMeteredPrice) {
  const json items = plan_change_items(subscription_with({{"price_starter", false}, {"price_starter_m", true}}),
                                       plan("price_pro", "price_pro_y", "price_pro_m"), "month");
  const json want = json::array({{{"id", "si_1"}, {"price", "price_pro"}},
                                 {{"id", "si_2"}, {"deleted", true}},
                                 {{"price", "price_pro_m"}}});
  EXPECT_EQ(items, want) << items.dump();
}

TEST(PlanChangeItems, KeepsAMeteredItemWithTheSamePriceAndUsesTheAnnualPrice) {
  const json items = plan_change_items(subscription_with({{"price_pro", false}, {"price_pro_m", true}}),
                                       plan("price_pro", "price_pro_y", "price_pro_m"), "year");
  EXPECT_EQ(items, json::array({{{"id", "si_1"}, {"price", "price_pro_y"}}})) << items.dump();
}

TEST(PlanChangeItems, UsageOnlyPlanDeletesTheLicensedItem) {
  const json items =
      plan_change_items(subscription_with({{"price_starter", false}}), plan("", "", "price_payg_m"), "month");
  EXPECT_EQ(items, json::array({{{"id", "si_1"}, {"deleted", true}}, {{"price", "price_payg_m"}}})) << items.dump();
}

TEST(PlanChangeItems, AddsTheBaseItemWhenTheSubscriptionHadOnlyAMeteredOne) {
  const json items = plan_change_items(subscription_with({{"price_payg_m", true}}), plan("price_pro", "", ""), "month");
  EXPECT_EQ(items, json::array({{{"id", "si_1"}, {"deleted", true}}, {{"price", "price_pro"}}})) << items.dump();
}

std::vector<std::string> invalid_fields(const json& body, bool creating = true) {
  std::vector<FieldError> errors;
  validate_plan(plan_with_defaults(body), creating, errors);
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field);
  return out;
}

const json kValid = {{"slug", "team-plus"}, {"name", "Team plus"}, {"type", "HYBRID"}, {"priceMonthly", 4900},
                     {"rateLimitPerMinute", 120}};

TEST(ValidatePlan, AcceptsAMinimalPlanWithDefaults) {
  EXPECT_TRUE(invalid_fields(kValid).empty());
  const json p = plan_with_defaults(kValid);
  EXPECT_EQ(p["currency"], "USD");
  EXPECT_EQ(p["quotaPolicy"], "hard_cap");
  EXPECT_EQ(p["overageBlockUnits"], 1000);
  EXPECT_EQ(p["status"], "active");
  EXPECT_TRUE(p["priceAnnual"].is_null());
}

TEST(ValidatePlan, PayAsYouGoDefaultsToOverageAndRefusesAHardCap) {
  json payg = kValid;
  payg["type"] = "PAY_AS_YOU_GO";
  EXPECT_EQ(plan_with_defaults(payg)["quotaPolicy"], "allow_overage");
  payg["quotaPolicy"] = "hard_cap";
  EXPECT_EQ(invalid_fields(payg), std::vector<std::string>{"quotaPolicy"});
}

TEST(ValidatePlan, NamesEveryBadField) {
  json bad = kValid;
  bad["slug"] = "Not A Slug";
  bad["name"] = "   ";
  bad["type"] = "MONTHLY";
  bad["currency"] = "usd";
  bad["priceMonthly"] = -1;
  bad["priceAnnual"] = 1.5;
  bad["overageBlockUnits"] = 0;
  bad["rateLimitPerMinute"] = 0;
  bad["maxMembers"] = 0;
  bad["features"] = json::array();
  bad["isPublic"] = "yes";
  bad["trialDays"] = 731;
  const std::vector<std::string> want = {"slug",          "name",       "type",           "currency",
                                         "priceMonthly",  "priceAnnual", "overageBlockUnits", "rateLimitPerMinute",
                                         "maxMembers",    "features",   "isPublic",       "trialDays"};
  EXPECT_EQ(invalid_fields(bad), want);
}

TEST(ValidatePlan, FeaturesAreBoundedAndNullLimitsMeanUnlimited) {
  json p = kValid;
  p["features"] = {{"blob", std::string(5000, 'x')}};
  EXPECT_EQ(invalid_fields(p), std::vector<std::string>{"features"});
  p["features"] = {{"sla", "99.9"}};
  p["maxApiKeys"] = nullptr;
  p["maxMembers"] = nullptr;
  EXPECT_TRUE(invalid_fields(p).empty());
}

TEST(ValidatePlan, SlugIsOnlyCheckedOnCreate) {
  json p = plan_with_defaults(kValid);
  p.erase("slug");
  std::vector<FieldError> errors;
  validate_plan(p, false, errors);
  EXPECT_TRUE(errors.empty());
}

TEST(UnitDecimal, IsExactWhenPossibleAndRoundsTheTwelfthPlaceHalfUp) {
  EXPECT_EQ(unit_decimal(50, 1000), "0.05");
  EXPECT_EQ(unit_decimal(25, 1000), "0.025");
  EXPECT_EQ(unit_decimal(1900, 1), "1900");
  EXPECT_EQ(unit_decimal(1, 3), "0.333333333333");
  EXPECT_EQ(unit_decimal(2, 3), "0.666666666667");
  EXPECT_EQ(unit_decimal(0, 1000), "0");
}

TEST(MeterEventName, IsPerPlanWithUnderscores) {
  EXPECT_EQ(meter_event_name("pro-2025"), "tollgate_units_pro_2025");
}

TEST(ParseInvoice, ReadsAmountsLinesAndFailedAttempts) {
  const json inv = {
      {"id", "in_1"},
      {"customer", "cus_1"},
      {"subscription", "sub_1"},
      {"status", "open"},
      {"currency", "usd"},
      {"attempted", true},
      {"attempt_count", 2},
      {"amount_due", 2450},
      {"amount_paid", 0},
      {"total", 2450},
      {"subtotal", 2450},
      {"tax", nullptr},
      {"total_discount_amounts", json::array({{{"amount", 100}}})},
      {"lines",
       {{"data",
         json::array({{{"id", "il_1"}, {"amount", 1900}, {"quantity", 1}, {"description", "Starter"},
                       {"price", {{"unit_amount", 1900}, {"recurring", {{"usage_type", "licensed"}}}}}},
                      {{"id", "il_2"}, {"amount", 550}, {"quantity", 11000}, {"description", "Overage"},
                       {"price", {{"unit_amount", nullptr}, {"recurring", {{"usage_type", "metered"}}}}}},
                      {{"id", "il_3"}, {"amount", -300}, {"proration", true}, {"description", "Unused time"}}})}}}};
  const StripeInvoice p = parse_invoice(inv);
  EXPECT_EQ(p.status, "failed");
  EXPECT_EQ(p.amount_due, 2450);
  EXPECT_EQ(p.discount, 100);
  EXPECT_EQ(p.tax, 0);
  ASSERT_EQ(p.lines.size(), 3u);
  EXPECT_EQ(p.lines[0].kind, "base_fee");
  EXPECT_EQ(p.lines[0].unit_price, 1900);
  EXPECT_EQ(p.lines[1].kind, "overage");
  EXPECT_EQ(p.lines[1].quantity, 11000);
  EXPECT_FALSE(p.lines[1].unit_price.has_value());
  EXPECT_EQ(p.lines[2].kind, "proration");
  EXPECT_EQ(p.lines[2].amount, -300);
}

TEST(ParseInvoice, UnknownStatusIsOpenAndGarbageDoesNotThrow) {
  EXPECT_EQ(parse_invoice({{"id", "in_2"}, {"status", "weird"}}).status, "open");
  EXPECT_NO_THROW(parse_invoice(json::array()));
  EXPECT_NO_THROW(parse_invoice({{"lines", {{"data", json::array({1, "x", nullptr})}}}}));
}

}  // namespace
}  // namespace tg::billing
