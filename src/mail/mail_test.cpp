#include <gtest/gtest.h>

#include "mail/mailer.hpp"
#include "mail/templates.hpp"

namespace tg::mail {
namespace {

TEST(MailTemplates, EveryTemplateRendersTextAndHtml) {
  const nlohmann::json p = {{"token", "tok_123"},  {"name", "Ann"},          {"newEmail", "new@example.com"},
                            {"ip", "192.0.2.1"},   {"userAgent", "Firefox"}, {"enabled", true},
                            {"amountMinor", 1234}, {"currency", "usd"},      {"plan", "Pro"},
                            {"used", 800},         {"limit", 1000},          {"organization", "Acme"}};
  for (const char* name :
       {"verify_email", "password_reset", "password_changed", "email_change_verify", "email_change_notice",
        "new_sign_in", "two_factor_changed", "account_deleted", "invitation", "payment_failed", "payment_succeeded",
        "subscription_changed", "quota_warning", "quota_exceeded", "key_expiring"}) {
    auto r = render(name, p, "https://tollgate.example");
    ASSERT_TRUE(r) << name;
    EXPECT_FALSE(r->subject.empty()) << name;
    EXPECT_NE(r->text.find("Hello Ann,"), std::string::npos) << name;
    EXPECT_NE(r->html.find("<html>"), std::string::npos) << name;
  }
}

TEST(MailTemplates, LinksStandOnTheirOwnLine) {
  auto r = render("verify_email", {{"token", "abc-_123"}}, "https://t.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->subject, "Verify your email address");
  EXPECT_NE(r->text.find("\nhttps://t.example/verify-email?token=abc-_123\n"), std::string::npos);
  auto reset = render("password_reset", {{"token", "xyz"}}, "https://t.example");
  ASSERT_TRUE(reset);
  EXPECT_NE(reset->text.find("\nhttps://t.example/reset-password?token=xyz\n"), std::string::npos);
}

TEST(MailTemplates, RefusesMissingTokenAndUnknownTemplate) {
  EXPECT_FALSE(render("verify_email", nlohmann::json::object(), "https://t"));
  EXPECT_FALSE(render("no_such_template", nlohmann::json::object(), "https://t"));
}

TEST(MailTemplates, EscapesUserTextInHtml) {
  auto r = render("new_sign_in", {{"name", "<script>x</script>"}, {"userAgent", "\"><img src=x>"}}, "https://t");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->html.find("<script>"), std::string::npos);
  EXPECT_EQ(r->html.find("<img"), std::string::npos);
  EXPECT_NE(r->html.find("&lt;script&gt;"), std::string::npos);
}

TEST(MailTemplates, MoneyInMinorUnits) {
  EXPECT_EQ(format_money(1234, "usd"), "12.34 USD");
  EXPECT_EQ(format_money(5, "EUR"), "0.05 EUR");
  EXPECT_EQ(format_money(500, "jpy"), "500 JPY");
  EXPECT_EQ(format_money(-250, "usd"), "-2.50 USD");
}

TEST(Mime, HeadersCannotBeInjectedAndBodiesAreBase64) {
  Message m{"id-1",       "Tollgate <no-reply@example.com>", "to@example.com", "Hi\r\nBcc: evil@example.com", "plain ✓",
            "<p>html</p>"};
  const std::string mime = build_mime(m, 0);
  EXPECT_EQ(mime.find("\r\nBcc:"), std::string::npos);
  EXPECT_NE(mime.find("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(mime.find("Message-ID: <id-1@tollgate>\r\n"), std::string::npos);
  EXPECT_NE(mime.find("Content-Transfer-Encoding: base64"), std::string::npos);
  EXPECT_NE(mime.find("cGxhaW4g4pyT"), std::string::npos);  // base64("plain ✓")
  EXPECT_EQ(address_of("Tollgate <no-reply@example.com>"), "no-reply@example.com");
  EXPECT_EQ(address_of("a@b.c"), "a@b.c");
}

TEST(Mime, NonAsciiSubjectIsEncodedWord) {
  Message m{"id-2", "a@b.c", "to@example.com", "Grüße", "t", "h"};
  EXPECT_NE(build_mime(m, 0).find("Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"), std::string::npos);
}

}  // namespace
}  // namespace tg::mail
