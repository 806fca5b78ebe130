#include "billing/webhook_signature.hpp"

#include <gtest/gtest.h>

#include "core/crypto.hpp"
#include "core/hex.hpp"

namespace tg::billing {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kSecret = "whsec_test_secret";
const std::string kPayload = R"({"id":"evt_1","object":"event","type":"invoice.paid"})";

std::string sign(std::int64_t t, const std::string& payload, const std::string& secret = kSecret) {
  const std::string mac = crypto::hmac_sha256(secret, std::to_string(t) + "." + payload);
  return to_hex(mac.data(), mac.size());
}

std::string header(std::int64_t t, const std::string& payload = kPayload, const std::string& secret = kSecret) {
  return "t=" + std::to_string(t) + ",v1=" + sign(t, payload, secret);
}

bool accepts(const std::string& h, const std::string& payload = kPayload,
             const std::vector<std::string>& secrets = {kSecret}) {
  return verify_stripe_signature(h, payload, secrets, kNow).ok();
}

TEST(StripeSignature, AcceptsAValidSignature) {
  EXPECT_TRUE(accepts(header(kNow)));
  EXPECT_TRUE(accepts(header(kNow - 300)));  // the tolerance is inclusive
  EXPECT_TRUE(accepts(header(kNow + 300)));
  EXPECT_TRUE(accepts(" t=" + std::to_string(kNow) + " , v1=" + sign(kNow, kPayload)));
}

TEST(StripeSignature, AcceptsAnyOfSeveralSignaturesAndSecrets) {
  const std::string other =
      "t=" + std::to_string(kNow) + ",v1=" + sign(kNow, kPayload, "old") + ",v1=" + sign(kNow, kPayload) + ",v0=abc";
  EXPECT_TRUE(accepts(other));
  EXPECT_TRUE(accepts(header(kNow, kPayload, "rotated"), kPayload, {kSecret, "rotated"}));
}

TEST(StripeSignature, RefusesEveryBadHeader) {
  const std::string t = std::to_string(kNow);
  const std::string good = sign(kNow, kPayload);
  const std::vector<std::pair<const char*, std::string>> bad = {
      {"missing", ""},
      {"no t", "v1=" + good},
      {"no v1", "t=" + t},
      {"only v0", "t=" + t + ",v0=" + good},
      {"wrong secret", header(kNow, kPayload, "whsec_other")},
      {"another payload", header(kNow, kPayload + " ")},
      {"301 s old", header(kNow - 301)},
      {"301 s ahead", header(kNow + 301)},
      {"duplicated t", "t=" + t + ",t=" + t + ",v1=" + good},
      {"t not a number", "t=" + t + "x,v1=" + good},
      {"t empty", "t=,v1=" + good},
      {"t negative", "t=-" + t + ",v1=" + good},
      {"signature truncated", "t=" + t + ",v1=" + good.substr(0, 63)},
      {"signature upper-case", "t=" + t + ",v1=" + std::string(64, 'A')},
      {"signature of t only", "t=" + t + ",v1=" + to_hex(crypto::hmac_sha256(kSecret, t).data(), 32)},
      {"oversized", "t=" + t + ",v1=" + good + ",x=" + std::string(5000, 'a')},
      {"garbage", "garbage"},
      {"semicolons", "t=" + t + ";v1=" + good},
      {"v1 without a value", "t=" + t + ",v1="},
      {"t of another signature", "t=" + std::to_string(kNow - 1) + ",v1=" + good},
  };
  for (const auto& [name, h] : bad) {
    auto r = verify_stripe_signature(h, kPayload, {kSecret}, kNow);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code, ErrorCode::BadRequest) << name;
    EXPECT_EQ(r.error().public_code, "INVALID_SIGNATURE") << name;
    EXPECT_EQ(r.error().detail.find(good), std::string::npos) << name;  // never echoes a signature
  }
}

TEST(StripeSignature, OneChangedBodyByteFails) {
  std::string changed = kPayload;
  changed[10] = static_cast<char>(changed[10] ^ 1);
  EXPECT_FALSE(accepts(header(kNow), changed));
}

TEST(StripeSignature, NoSecretAcceptsNothing) {
  EXPECT_FALSE(accepts(header(kNow), kPayload, {}));
}

}  // namespace
}  // namespace tg::billing
