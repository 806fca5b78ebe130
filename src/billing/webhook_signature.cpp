#include "billing/webhook_signature.hpp"

#include <cstdlib>

#include "core/crypto.hpp"
#include "core/hex.hpp"

namespace tg::billing {
namespace {
constexpr std::size_t kMaxHeader = 4096;

Error invalid(std::string detail) {
  return Error::coded(ErrorCode::BadRequest, "INVALID_SIGNATURE", std::move(detail));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool digits(std::string_view s) {
  if (s.empty() || s.size() > 12) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}
}  // namespace

Status verify_stripe_signature(std::string_view header, std::string_view payload,
                               const std::vector<std::string>& secrets, std::int64_t now_s, std::int64_t tolerance_s) {
  if (secrets.empty()) return invalid("No webhook secret is configured.");
  if (header.empty()) return invalid("The Stripe-Signature header is missing.");
  if (header.size() > kMaxHeader) return invalid("The Stripe-Signature header is too large.");
  std::string_view t;
  int t_count = 0;
  std::vector<std::string_view> v1;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const std::string_view item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) continue;  // Stripe's libraries skip what they do not understand
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "t") {
      t = value;
      ++t_count;
    } else if (key == "v1") {
      v1.push_back(value);
    }
  }
  if (t_count == 0) return invalid("The Stripe-Signature header has no timestamp.");
  if (t_count > 1) return invalid("The Stripe-Signature header has more than one timestamp.");
  if (!digits(t)) return invalid("The Stripe-Signature timestamp is not a number.");
  if (v1.empty()) return invalid("The Stripe-Signature header has no v1 signature.");
  const std::int64_t ts = std::strtoll(std::string(t).c_str(), nullptr, 10);
  if (std::llabs(now_s - ts) > tolerance_s) return invalid("The Stripe-Signature timestamp is outside the tolerance.");
  std::string signed_payload;
  signed_payload.reserve(t.size() + 1 + payload.size());
  signed_payload.append(t);
  signed_payload += '.';
  signed_payload.append(payload);
  for (const auto& secret : secrets) {
    const std::string mac = crypto::hmac_sha256(secret, signed_payload);
    const std::string expected = to_hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
    for (const auto candidate : v1) {
      if (crypto::constant_time_equal(candidate, expected)) return ok_status();
    }
  }
  return invalid("No signature matches the payload.");
}

}  // namespace tg::billing
