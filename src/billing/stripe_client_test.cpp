#include "billing/stripe_client.hpp"

#include <gtest/gtest.h>

namespace tg::billing {
namespace {

TEST(StripeForm, EncodesNestedObjectsAndArraysLikeStripe) {
  nlohmann::json p = {{"email", "a+b@example.com"},
                      {"metadata", {{"organization_id", "org 1"}}},
                      {"line_items", nlohmann::json::array({{{"price", "price_1"}, {"quantity", 1}}})},
                      {"expand", nlohmann::json::array({"data.customer"})},
                      {"cancel_at_period_end", true},
                      {"skipped", nullptr}};
  const std::string form = form_encode(p);
  EXPECT_NE(form.find("email=a%2Bb%40example.com"), std::string::npos) << form;
  EXPECT_NE(form.find("metadata%5Borganization_id%5D=org%201"), std::string::npos) << form;
  EXPECT_NE(form.find("line_items%5B0%5D%5Bprice%5D=price_1"), std::string::npos) << form;
  EXPECT_NE(form.find("line_items%5B0%5D%5Bquantity%5D=1"), std::string::npos) << form;
  EXPECT_NE(form.find("expand%5B0%5D=data.customer"), std::string::npos) << form;
  EXPECT_NE(form.find("cancel_at_period_end=true"), std::string::npos) << form;
  EXPECT_EQ(form.find("skipped"), std::string::npos) << form;
}

TEST(StripeForm, EmptyParamsEncodeToNothing) {
  EXPECT_EQ(form_encode(nlohmann::json::object()), "");
  EXPECT_EQ(form_encode(nullptr), "");
}

}  // namespace
}  // namespace tg::billing
