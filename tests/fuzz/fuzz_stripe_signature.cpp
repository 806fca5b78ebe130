// Stripe-Signature (src/billing/webhook_signature.cpp): verify_stripe_signature on a fuzzed header, payload, clock
// and secret list.
//
// The first byte picks a mode:
//   0 fuzzed header: whenever it is accepted, the header must hold exactly one t=<digits> within the tolerance of
//     now and a v1 equal to hex(HMAC-SHA256(secret, "<t>.<payload>")) for one of the secrets, recomputed here.
//   1 a correctly signed header built here (fuzzed timestamp offset, extra items, order, whitespace, v0 and
//     wrong v1 decoys, one or two secrets): accepted exactly when the timestamp is within the tolerance.
#include <fuzzer/FuzzedDataProvider.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "billing/webhook_signature.hpp"
#include "fuzz_common.hpp"

namespace {
using namespace tg;

std::string hmac_hex(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 15];
  }
  return hex;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Independent reading of an accepted header: every t and v1 value.
void split(std::string_view header, std::vector<std::string_view>& ts, std::vector<std::string_view>& v1s) {
  std::size_t start = 0;
  while (start <= header.size()) {
    auto comma = header.find(',', start);
    if (comma == std::string_view::npos) comma = header.size();
    const auto item = trim(header.substr(start, comma - start));
    const auto eq = item.find('=');
    if (eq != std::string_view::npos) {
      if (item.substr(0, eq) == "t") ts.push_back(item.substr(eq + 1));
      if (item.substr(0, eq) == "v1") v1s.push_back(item.substr(eq + 1));
    }
    start = comma + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0] % 2;
  FuzzedDataProvider fdp(data + 1, size - 1);
  std::vector<std::string> secrets;
  if (fdp.ConsumeBool()) {
    secrets.push_back("whsec_test_0123456789abcdef");
    if (fdp.ConsumeBool()) secrets.push_back("whsec_rotated_fedcba9876543210");
  } else {
    for (int n = fdp.ConsumeIntegralInRange(0, 2); n > 0; --n) secrets.push_back(fdp.ConsumeRandomLengthString(48));
  }
  const std::int64_t tolerance = fdp.ConsumeBool() ? 300 : fdp.ConsumeIntegralInRange<std::int64_t>(0, 100000);

  if (mode == 0) {
    const std::int64_t now = fdp.ConsumeBool() ? 1'700'000'000 : fdp.ConsumeIntegralInRange<std::int64_t>(
                                                                      -(std::int64_t{1} << 50), std::int64_t{1} << 50);
    const std::string header = fdp.ConsumeRandomLengthString(8192);
    const std::string payload = fdp.ConsumeRemainingBytesAsString();
    const auto r = billing::verify_stripe_signature(header, payload, secrets, now, tolerance);
    if (!r) {
      FUZZ_CHECK(r.error().code == ErrorCode::BadRequest && r.error().public_code == "INVALID_SIGNATURE",
                 "refused with something else than 400 INVALID_SIGNATURE");
      return 0;
    }
    std::vector<std::string_view> ts, v1s;
    split(header, ts, v1s);
    FUZZ_CHECK(ts.size() == 1, "accepted with %zu timestamps", ts.size());
    const std::string_view t = ts[0];
    FUZZ_CHECK(!t.empty() && t.size() <= 12 && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }),
               "accepted timestamp '%.*s'", static_cast<int>(t.size()), t.data());
    const std::int64_t ts_value = std::stoll(std::string(t));
    FUZZ_CHECK(ts_value - now <= tolerance && now - ts_value <= tolerance, "accepted a timestamp outside the tolerance");
    const std::string signed_payload = std::string(t) + "." + payload;
    bool matched = false;
    for (const auto& s : secrets)
      for (auto v : v1s) matched = matched || v == hmac_hex(s, signed_payload);
    FUZZ_CHECK(matched, "accepted without a v1 equal to HMAC-SHA256(secret, t.payload)");
    return 0;
  }

  // Mode 1: a genuine signature, decorated.
  if (secrets.empty()) secrets.push_back("whsec_test_0123456789abcdef");
  const std::int64_t now = 1'700'000'000;
  const std::int64_t ts_value = now + fdp.ConsumeIntegralInRange<std::int64_t>(-2 * tolerance - 5, 2 * tolerance + 5);
  if (ts_value < 0) return 0;
  const std::size_t signer = fdp.ConsumeIntegralInRange<std::size_t>(0, secrets.size() - 1);
  std::vector<std::string> items;
  const std::string payload_first = fdp.ConsumeRandomLengthString(4096);
  const std::string t = std::to_string(ts_value);
  items.push_back("t=" + t);
  items.push_back("v1=" + hmac_hex(secrets[signer], t + "." + payload_first));
  for (int n = fdp.ConsumeIntegralInRange(0, 4); n > 0; --n) {
    switch (fdp.ConsumeIntegralInRange(0, 3)) {
      case 0: items.push_back("v0=" + hmac_hex("other", t)); break;
      case 1: items.push_back("v1=" + hmac_hex("wrong-secret", t + "." + payload_first)); break;
      case 2: items.push_back(fdp.ConsumeRandomLengthString(16)); break;  // may add junk, even another t=
      case 3: items.push_back("x" + fdp.ConsumeRandomLengthString(16)); break;
    }
  }
  // Shuffle with fuzzer-chosen swaps and pad with optional spaces.
  for (std::size_t i = 0; i + 1 < items.size(); ++i)
    if (fdp.ConsumeBool()) std::swap(items[i], items[fdp.ConsumeIntegralInRange<std::size_t>(i, items.size() - 1)]);
  std::string header;
  for (const auto& it : items) {
    if (!header.empty()) header += fdp.ConsumeBool() ? ", " : ",";
    header += it;
  }
  const auto r = billing::verify_stripe_signature(header, payload_first, secrets, now, tolerance);
  std::vector<std::string_view> ts, v1s;
  split(header, ts, v1s);
  // Junk items may have added a second timestamp (refused: "more than one timestamp") or broken the header size.
  const bool clean = ts.size() == 1 && header.size() <= 4096;
  const bool within = ts_value - now <= tolerance && now - ts_value <= tolerance;
  if (clean) {
    FUZZ_CHECK(bool(r) == within, "genuine signature: accepted=%d, within tolerance=%d; header=%s", bool(r), within,
               header.c_str());
  }
  return 0;
}
