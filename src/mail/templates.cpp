#include "mail/templates.hpp"

#include <set>
#include <vector>

namespace tg::mail {
namespace {

struct Parts {
  std::string subject;
  std::string greeting;
  std::vector<std::string> paragraphs;
  std::string button_label, button_url;
  std::string footer;
};

std::string str(const nlohmann::json& p, const char* key) {
  auto it = p.find(key);
  if (it == p.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::int64_t num(const nlohmann::json& p, const char* key) {
  auto it = p.find(key);
  if (it == p.end() || !it->is_number_integer()) return 0;
  return it->get<std::int64_t>();
}

Rendered assemble(const Parts& p) {
  Rendered r;
  r.subject = p.subject;
  r.text = p.greeting + "\n\n";
  for (const auto& para : p.paragraphs) r.text += para + "\n\n";
  if (!p.button_url.empty()) r.text += p.button_label + ":\n" + p.button_url + "\n\n";
  if (!p.footer.empty()) r.text += p.footer + "\n\n";
  r.text += "-- \nTollgate\n";

  r.html =
      "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
      "<title>" +
      html_escape(p.subject) +
      "</title></head><body style=\"margin:0;padding:24px;background:#f4f5f7;font-family:-apple-system,Segoe UI,"
      "Roboto,Helvetica,Arial,sans-serif;color:#1f2933\"><div style=\"max-width:560px;margin:0 auto;background:#fff;"
      "border-radius:8px;padding:32px\"><p style=\"font-size:16px\">" +
      html_escape(p.greeting) + "</p>";
  for (const auto& para : p.paragraphs) {
    r.html += "<p style=\"font-size:15px;line-height:1.5\">" + html_escape(para) + "</p>";
  }
  if (!p.button_url.empty()) {
    const std::string url = html_escape(p.button_url);
    r.html += "<p style=\"margin:28px 0\"><a href=\"" + url +
              "\" style=\"background:#3b5bdb;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;"
              "font-weight:600\">" +
              html_escape(p.button_label) +
              "</a></p><p style=\"font-size:13px;color:#52606d\">Or paste this link into your browser:<br>"
              "<span style=\"word-break:break-all\">" +
              url + "</span></p>";
  }
  if (!p.footer.empty()) {
    r.html += "<p style=\"font-size:13px;color:#52606d;line-height:1.5\">" + html_escape(p.footer) + "</p>";
  }
  r.html += "<p style=\"font-size:13px;color:#9aa5b1\">Tollgate</p></div></body></html>";
  return r;
}

std::string greeting(const nlohmann::json& p) {
  const std::string name = str(p, "name");
  return name.empty() ? "Hello," : "Hello " + name + ",";
}

std::string device(const nlohmann::json& p) {
  std::string ua = str(p, "userAgent");
  std::string ip = str(p, "ip");
  if (ua.size() > 160) ua = ua.substr(0, 160) + "…";
  std::string out = ua.empty() ? "an unknown device" : ua;
  if (!ip.empty()) out += " (IP address " + ip + ")";
  return out;
}

Error missing(const std::string& tmpl, const char* field) {
  return Error::of(ErrorCode::Internal, "mail template " + tmpl + ": payload lacks " + field);
}

const char* kNotYou = "If this wasn't you, reset your password right away and contact support.";

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_money(std::int64_t minor, const std::string& currency) {
  static const std::set<std::string> zero_decimal = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
                                                     "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"};
  std::string cur;
  for (char c : currency) cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string upper;
  for (char c : currency) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const bool negative = minor < 0;
  const std::uint64_t v = negative ? static_cast<std::uint64_t>(-(minor + 1)) + 1 : static_cast<std::uint64_t>(minor);
  std::string amount;
  if (zero_decimal.count(cur)) {
    amount = std::to_string(v);
  } else {
    std::string frac = std::to_string(v % 100);
    if (frac.size() < 2) frac = "0" + frac;
    amount = std::to_string(v / 100) + "." + frac;
  }
  return (negative ? "-" : "") + amount + " " + upper;
}

Result<Rendered> render(const std::string& name, const nlohmann::json& p, const std::string& public_url) {
  Parts parts;
  parts.greeting = greeting(p);
  const std::string token = str(p, "token");
  if (name == "verify_email") {
    if (token.empty()) return missing(name, "token");
    parts.subject = "Verify your email address";
    parts.paragraphs = {
        "Thanks for signing up for Tollgate. Confirm that this is your email address to finish "
        "setting up your account."};
    parts.button_label = "Verify email address";
    parts.button_url = public_url + "/verify-email?token=" + token;
    parts.footer = "The link works once and expires in 24 hours. If you didn't create an account, ignore this email.";
  } else if (name == "password_reset") {
    if (token.empty()) return missing(name, "token");
    parts.subject = "Reset your password";
    parts.paragraphs = {
        "Someone asked to reset the password of your Tollgate account. Choose a new password with "
        "the link below; every device signed in to your account will be signed out."};
    parts.button_label = "Choose a new password";
    parts.button_url = public_url + "/reset-password?token=" + token;
    parts.footer =
        "The link works once and expires in 1 hour. If you didn't ask for this, ignore this email: your "
        "password stays as it is.";
  } else if (name == "password_changed") {
    parts.subject = "Your password was changed";
    parts.paragraphs = {"The password of your Tollgate account was just changed from " + device(p) +
                        ". Other devices were signed out."};
    parts.footer = kNotYou;
  } else if (name == "email_change_verify") {
    if (token.empty()) return missing(name, "token");
    parts.subject = "Confirm your new email address";
    parts.paragraphs = {
        "Confirm that you want to use this address for your Tollgate account. Until you do, the "
        "account keeps its current address."};
    parts.button_label = "Confirm new email address";
    parts.button_url = public_url + "/verify-email?token=" + token;
    parts.footer = "The link works once and expires in 24 hours. If you didn't ask for this, ignore this email.";
  } else if (name == "email_change_notice") {
    const std::string to = str(p, "newEmail");
    if (to.empty()) return missing(name, "newEmail");
    parts.subject = "Your email address is being changed";
    parts.paragraphs = {"Someone signed in to your Tollgate account asked to change its email address to " + to +
                        ". The change happens when the new address is confirmed."};
    parts.footer = kNotYou;
  } else if (name == "new_sign_in") {
    parts.subject = "New sign-in to your account";
    parts.paragraphs = {"Your Tollgate account was just signed in to from " + device(p) + ".",
                        "You can see and end your sessions in Account settings."};
    parts.button_label = "Review sessions";
    parts.button_url = public_url + "/account#sessions";
    parts.footer = kNotYou;
  } else if (name == "two_factor_changed") {
    const bool enabled = p.value("enabled", false);
    parts.subject = enabled ? "Two-factor authentication is on" : "Two-factor authentication was turned off";
    parts.paragraphs = {enabled ? "Signing in to your Tollgate account now needs a code from your authenticator app."
                                : "Signing in to your Tollgate account no longer needs a code from your "
                                  "authenticator app."};
    parts.footer = kNotYou;
  } else if (name == "account_deleted") {
    parts.subject = "Your account was deleted";
    parts.paragraphs = {
        "Your Tollgate account and its API keys were deleted, as you asked. We're sorry to see you go."};
  } else if (name == "invitation") {
    if (token.empty()) return missing(name, "token");
    const std::string org = str(p, "organization");
    parts.subject = "You're invited to " + (org.empty() ? std::string("a team") : org) + " on Tollgate";
    parts.paragraphs = {str(p, "inviter").empty() ? "You were invited to join a team on Tollgate."
                                                  : str(p, "inviter") + " invited you to join their team on Tollgate."};
    parts.button_label = "Accept the invitation";
    parts.button_url = public_url + "/invitations/accept?token=" + token;
    parts.footer = "The invitation expires in 7 days.";
  } else if (name == "payment_failed") {
    const std::string amount = format_money(num(p, "amountMinor"), str(p, "currency"));
    parts.subject = "Your payment of " + amount + " failed";
    parts.paragraphs = {"We couldn't charge your payment method for your Tollgate invoice of " + amount +
                        ". We'll retry automatically; update your payment method to avoid an interruption."};
    parts.button_label = "Update payment method";
    parts.button_url = public_url + "/billing";
  } else if (name == "payment_succeeded") {
    const std::string amount = format_money(num(p, "amountMinor"), str(p, "currency"));
    parts.subject = "Receipt: " + amount + " paid";
    parts.paragraphs = {"Thanks! We received your payment of " + amount + "."};
    parts.button_label = "View invoices";
    parts.button_url = public_url + "/billing";
  } else if (name == "subscription_changed") {
    const std::string plan = str(p, "plan");
    parts.subject = "Your plan is now " + plan;
    parts.paragraphs = {"Your Tollgate subscription changed to the " + plan + " plan."};
    parts.button_label = "View billing";
    parts.button_url = public_url + "/billing";
  } else if (name == "key_expiring") {
    const std::string key = str(p, "name");
    const std::string when = str(p, "expiresAt");
    parts.subject = "Your API key " + (key.empty() ? std::string("") : "\u201c" + key + "\u201d ") + "expires soon";
    parts.paragraphs = {"The API key " + (key.empty() ? str(p, "prefix") : key + " (" + str(p, "prefix") + "\u2026)") +
                            (str(p, "organization").empty() ? std::string("") : " of " + str(p, "organization")) +
                            " expires on " + when.substr(0, 10) + " (UTC). Calls with it are refused from then on.",
                        "Create a new key and switch your services to it, or rotate this one, before then."};
    parts.button_label = "Manage API keys";
    parts.button_url = public_url + "/keys";
  } else if (name == "quota_warning" || name == "quota_exceeded") {
    const std::int64_t used = num(p, "used"), limit = num(p, "limit");
    const bool exceeded = name == "quota_exceeded";
    parts.subject = exceeded ? "You've used your monthly API quota" : "You've used 80% of your monthly API quota";
    parts.paragraphs = {
        "This month you've made " + std::to_string(used) + " of " + std::to_string(limit) + " included API calls." +
        (exceeded ? (p.value("hardCap", true) ? " Further calls are refused until the quota resets or you upgrade."
                                              : " Further calls are billed as overage at your plan's price.")
                  : " Upgrade your plan to avoid interruptions.")};
    parts.button_label = "View usage";
    parts.button_url = public_url + "/usage";
  } else {
    return Error::of(ErrorCode::Internal, "unknown mail template " + name);
  }
  return assemble(parts);
}

}  // namespace tg::mail
