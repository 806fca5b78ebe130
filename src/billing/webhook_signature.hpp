#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace tg::billing {

// Stripe-Signature check (https://docs.stripe.com/webhooks#verify-manually), done on the raw body before anything
// else looks at it. The header is `t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]`: exactly one `t`, at least one
// `v1` (several during a secret rotation; `v0` is Stripe's test scheme and never accepted). Accepted when
// |now - t| <= tolerance and one v1 equals HMAC-SHA256(secret, "<t>.<payload>") for one of `secrets` (several may
// be configured while a secret is rotated), compared in constant time. Errors are 400 INVALID_SIGNATURE; their
// detail names the failed rule, never a computed value.
Status verify_stripe_signature(std::string_view header, std::string_view payload,
                               const std::vector<std::string>& secrets, std::int64_t now_s,
                               std::int64_t tolerance_s = 300);

}  // namespace tg::billing
