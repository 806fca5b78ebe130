// JSON request bodies of every endpoint family, through the functions the handlers use to read them.
//
// Input: byte 0 picks the endpoint, byte 1 the Content-Type (and a Cookie for the refresh endpoint), the rest is
// the body. Each case runs http::json_object_body with the route's field list and then that route's validation,
// calling the real helpers: the ones in anonymous namespaces of handler files through shims/ (plan_choice,
// presented_refresh_token, email_field, patch_field, int_field, metadata_field, body_with_reason, take_reason,
// plausible_email, valid_role), the public ones directly (Validator, valid_email, password_problem,
// validate_endpoint, plan_with_defaults, validate_plan, parse_rfc3339_ms). Where a route's lambda strings those
// calls together inline, the case repeats that sequence (marked "as in <file>").
//
// Invariants: json_object_body returns an object whose keys are all allowed, or a 400/415/422 error; valid_utf8
// agrees with nlohmann's own UTF-8 check and utf8_length counts code points; an accepted value is within the
// contract (lengths, ranges, enumerations); the 4 KiB metadata cap holds.
#include <algorithm>

#include "admin/catalog_rules.hpp"
#include "auth/auth_handlers.hpp"
#include "auth/password_policy.hpp"
#include "billing/plan_admin.hpp"
#include "core/time.hpp"
#include "fuzz_common.hpp"
#include "http/body.hpp"
#include "shims/shims.hpp"
#include "verify/verify_body.hpp"

namespace {
using namespace tg;
using http::Request;
using http::Validator;
using nlohmann::json;

constexpr std::int64_t kNow = fuzz::FixedClock::kNowMs;

constexpr const char* kContentTypes[] = {"application/json",
                                         "application/json; charset=utf-8",
                                         "APPLICATION/JSON ; charset=UTF-8",
                                         "application/merge-patch+json",
                                         "application/problem+json",
                                         "text/plain",
                                         "application/x-www-form-urlencoded",
                                         "application/jsonx",
                                         "",
                                         "+json",
                                         "application/json;",
                                         "  application/json"};

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// nlohmann rejects invalid UTF-8 when dumping with the strict handler: an independent UTF-8 validator.
bool nlohmann_utf8(const std::string& s) {
  try {
    (void)json(s).dump();
    return true;
  } catch (const json::type_error&) {
    return false;
  }
}

// json_object_body's contract.
Result<json> body_of(const Request& req, std::initializer_list<std::string_view> allowed = {}) {
  auto r = http::json_object_body(req, allowed);
  if (r) {
    FUZZ_CHECK(r->is_object(), "json_object_body returned a non-object");
    if (allowed.size() > 0)
      for (const auto& [k, v] : r->items())
        FUZZ_CHECK(std::find(allowed.begin(), allowed.end(), std::string_view(k)) != allowed.end(),
                   "field '%s' passed the allow-list", k.c_str());
  } else {
    const auto c = r.error().code;
    FUZZ_CHECK(c == ErrorCode::UnsupportedMediaType || c == ErrorCode::InvalidUtf8 || c == ErrorCode::MalformedJson ||
                   c == ErrorCode::ValidationFailed,
               "json_object_body failed with error %d", static_cast<int>(c));
  }
  return r;
}

// Validator::string's contract on a value it accepted without recording an error.
std::string checked_string(Validator& v, const json& body, const char* f, bool required, std::size_t lo,
                           std::size_t hi) {
  const bool before = v.ok();
  std::string s = v.string(f, required, lo, hi);
  if (before && v.ok() && !s.empty()) {
    const std::size_t n = http::utf8_length(s);
    FUZZ_CHECK(n >= lo && n <= hi, "%s: %zu characters accepted for [%zu, %zu]", f, n, lo, hi);
    FUZZ_CHECK(body.contains(f) && body[f].is_string(), "%s: a value from nowhere", f);
  }
  return s;
}

void check_email(const std::string& email) {
  if (!auth::valid_email(email)) return;
  FUZZ_CHECK(email.size() >= 3 && email.size() <= 254 && std::count(email.begin(), email.end(), '@') == 1,
             "valid_email accepted '%s'", email.c_str());
  FUZZ_CHECK(std::none_of(email.begin(), email.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; }),
             "valid_email accepted whitespace or control characters");
}

void run(int endpoint, const Request& req) {
  switch (endpoint) {
    case 0: {  // POST /api/auth/register (as in auth_handlers.cpp)
      auto body = body_of(req, {"email", "password", "name", "company"});
      if (!body) return;
      Validator v(*body);
      const std::string email = auth::trim(checked_string(v, *body, "email", true, 1, 254));
      const std::string password = checked_string(v, *body, "password", true, 1, 256);
      (void)auth::trim(checked_string(v, *body, "name", false, 0, 200));
      (void)auth::trim(checked_string(v, *body, "company", false, 0, 200));
      check_email(email);
      if (!email.empty() && !auth::valid_email(email)) v.fail("email", "is not a valid email address");
      if (!password.empty()) {
        auto why = auth::password_problem(password, email);
        if (!why)
          FUZZ_CHECK(password.size() >= 12 && password.size() <= 256, "password of %zu bytes accepted",
                     password.size());
      }
      break;
    }
    case 1: {  // POST /api/auth/login
      auto body = body_of(req, {"email", "password"});
      if (!body) return;
      Validator v(*body);
      (void)auth::trim(checked_string(v, *body, "email", true, 1, 254));
      (void)checked_string(v, *body, "password", true, 1, 256);
      break;
    }
    case 2: {  // POST /api/auth/2fa/verify
      auto body = body_of(req, {"mfaToken", "code"});
      if (!body) return;
      Validator v(*body);
      (void)checked_string(v, *body, "mfaToken", true, 1, 256);
      (void)checked_string(v, *body, "code", true, 1, 32);
      break;
    }
    case 3: {  // POST /api/auth/refresh, /logout: body {"refreshToken"} or the cookie
      auto token = fuzz::auth_presented_refresh_token(req);
      if (token)
        FUZZ_CHECK(code_points(token.value()) <= 256, "refresh token of %zu characters", code_points(token.value()));
      break;
    }
    case 4: {  // POST /api/auth/forgot-password, /resend-verification
      auto email = fuzz::auth_email_field(req);
      if (email) FUZZ_CHECK(auth::valid_email(email.value()), "email_field accepted '%s'", email->c_str());
      break;
    }
    case 5: {  // POST /api/auth/reset-password
      auto body = body_of(req, {"token", "password"});
      if (!body) return;
      Validator v(*body);
      (void)checked_string(v, *body, "token", true, 1, 256);
      const std::string password = checked_string(v, *body, "password", true, 1, 256);
      if (!password.empty()) (void)auth::password_problem(password, "");
      break;
    }
    case 6: {  // PATCH /api/user/profile (as in account_handlers.cpp)
      auto body = body_of(req, {"name", "company", "avatarUrl"});
      if (!body) return;
      Validator v(*body);
      bool set_name = false, set_company = false, set_avatar = false;
      std::optional<std::string> name, company, avatar;
      fuzz::account_patch_field(v, *body, "name", 200, set_name, name);
      fuzz::account_patch_field(v, *body, "company", 200, set_company, company);
      fuzz::account_patch_field(v, *body, "avatarUrl", 2048, set_avatar, avatar);
      if (avatar && fuzz::account_plausible_https_url(*avatar)) {
        FUZZ_CHECK(avatar->rfind("https://", 0) == 0 && avatar->find_first_of(" \"<>\\\r\n") == std::string::npos,
                   "avatarUrl accepted: %s", avatar->c_str());
      }
      break;
    }
    case 7: {  // POST /api/user/password, /email
      auto body = body_of(req, {"currentPassword", "newPassword", "password", "newEmail"});
      if (!body) return;
      Validator v(*body);
      (void)checked_string(v, *body, "currentPassword", false, 1, 256);
      const std::string next = checked_string(v, *body, "newPassword", false, 1, 256);
      if (!next.empty()) (void)auth::password_problem(next, "");
      const std::string email = auth::trim(checked_string(v, *body, "newEmail", false, 1, 254));
      check_email(email);
      break;
    }
    case 8: {  // POST /api/user/api-keys (as in key_handlers.cpp)
      auto body = body_of(req, {"name", "environment", "expiresAt", "rateLimitPerMinute", "metadata"});
      if (!body) return;
      Validator v(*body);
      (void)auth::trim(checked_string(v, *body, "name", true, 1, 100));
      if (body->contains("environment")) (void)checked_string(v, *body, "environment", true, 1, 10);
      if (body->contains("expiresAt")) {
        const std::string raw = checked_string(v, *body, "expiresAt", true, 1, 40);
        if (auto ms = parse_rfc3339_ms(raw)) {
          if (*ms > kNow && *ms <= kNow + 5LL * 366 * 86400 * 1000) {
            const std::string stored = format_rfc3339_ms(*ms);
            FUZZ_CHECK(parse_rfc3339_ms(stored) == ms, "expiresAt %s does not survive formatting", raw.c_str());
          }
        }
      }
      bool present = false;
      auto rate = fuzz::keys_int_field(v, *body, "rateLimitPerMinute", 1, 1000000, present, false);
      if (rate) FUZZ_CHECK(*rate >= 1 && *rate <= 1000000 && present, "rateLimitPerMinute %lld", (long long)*rate);
      if (auto m = fuzz::keys_metadata_field(v, *body)) {
        FUZZ_CHECK(m->size() <= 4096, "metadata of %zu bytes accepted", m->size());
        FUZZ_CHECK(json::parse(*m, nullptr, false).is_object(), "metadata is not an object");
      }
      break;
    }
    case 9: {  // PATCH /api/user/api-keys/{id}
      auto body = body_of(req, {"name", "status", "rateLimitPerMinute", "metadata"});
      if (!body) return;
      Validator v(*body);
      if (body->contains("name")) (void)auth::trim(checked_string(v, *body, "name", true, 1, 100));
      if (body->contains("status")) (void)checked_string(v, *body, "status", true, 1, 20);
      bool present = false;
      auto rate = fuzz::keys_int_field(v, *body, "rateLimitPerMinute", 1, 1000000, present, true);
      if (rate) FUZZ_CHECK(*rate >= 1 && *rate <= 1000000, "rateLimitPerMinute %lld", (long long)*rate);
      if (auto m = fuzz::keys_metadata_field(v, *body)) FUZZ_CHECK(m->size() <= 4096, "metadata size");
      break;
    }
    case 10: {  // POST /api/user/api-keys/{id}/rotate
      auto body = body_of(req, {"gracePeriodHours"});
      if (!body) return;
      Validator v(*body);
      bool present = false;
      auto h = fuzz::keys_int_field(v, *body, "gracePeriodHours", 0, 720, present, false);
      if (h) FUZZ_CHECK(*h >= 0 && *h <= 720, "gracePeriodHours %lld", (long long)*h);
      break;
    }
    case 11: {  // POST /v1/keys/verify: the real parser, and its fast path against the full one
      auto body = body_of(req, {"key", "endpoint", "method", "cost"});
      if (body) {
        Validator v(*body);
        (void)checked_string(v, *body, "key", true, 0, 256);
        (void)checked_string(v, *body, "endpoint", false, 0, 512);
        (void)checked_string(v, *body, "method", false, 0, 16);
      }
      auto parsed = verify::parse_verify_body(req);
      if (parsed) {
        FUZZ_CHECK(
            parsed->key.size() <= 256 * 4 && parsed->endpoint.size() <= 512 * 4 && parsed->method.size() <= 16 * 4,
            "verify body fields over their limits");
        FUZZ_CHECK(parsed->cost >= 0 && parsed->cost <= 1000000, "verify cost %lld", (long long)parsed->cost);
      } else {
        const auto c = parsed.error().code;
        FUZZ_CHECK(c == ErrorCode::UnsupportedMediaType || c == ErrorCode::InvalidUtf8 ||
                       c == ErrorCode::MalformedJson || c == ErrorCode::ValidationFailed,
                   "verify body failed with error %d", static_cast<int>(c));
      }
      // Whatever the fast path takes, the full parser takes the same way.
      verify::VerifyInput fast;
      if (verify::parse_verify_body_fast("application/json", req.body, fast)) {
        Request full = req;
        full.headers.clear();
        full.headers.emplace_back("content-type", "application/json; charset=utf-8");  // never the fast path
        auto slow = verify::parse_verify_body(full);
        FUZZ_CHECK(static_cast<bool>(slow), "the fast path accepted a verify body the full parser refuses");
        FUZZ_CHECK(slow->key == fast.key && slow->endpoint == fast.endpoint && slow->method == fast.method &&
                       slow->cost == fast.cost,
                   "the fast path read a verify body differently");
      }
      break;
    }
    case 12: {  // POST /api/user/subscription/checkout, /preview, /change
      auto c = fuzz::billing_plan_choice(req);
      if (c) {
        FUZZ_CHECK(!c->plan.empty() && code_points(c->plan) <= 100, "plan '%s'", c->plan.c_str());
        FUZZ_CHECK(c->interval == "month" || c->interval == "year", "interval '%s'", c->interval.c_str());
        FUZZ_CHECK(!c->proration_date || *c->proration_date > 0, "prorationDate");
      }
      break;
    }
    case 13: {  // POST/PATCH /api/admin/endpoints (as in admin_handlers.cpp)
      auto body = body_of(req);
      if (!body) return;
      Error bad = Error::of(ErrorCode::ValidationFailed);
      (void)fuzz::admin_take_reason(body.value(), bad);
      FUZZ_CHECK(!body->contains("reason"), "take_reason left the reason in");
      admin::EndpointInput in;
      std::atomic<std::uint16_t> listening{3001};
      admin::SelfAddress self{3001, &listening, "tollgate.example.com", 443};
      admin::validate_endpoint(body.value(), self, in, bad.fields);
      if (bad.fields.empty()) {
        FUZZ_CHECK(!in.path_pattern.empty() && in.path_pattern[0] == '/' && in.path_pattern.size() <= 512,
                   "pathPattern '%s'", in.path_pattern.c_str());
        FUZZ_CHECK(in.path_pattern.find("//") == std::string::npos && in.path_pattern.find("/../") == std::string::npos,
                   "pathPattern '%s'", in.path_pattern.c_str());
        FUZZ_CHECK(in.upstream_url == "internal://echo" || in.upstream_url.rfind("http://", 0) == 0 ||
                       in.upstream_url.rfind("https://", 0) == 0,
                   "upstreamUrl '%s'", in.upstream_url.c_str());
        // The URL's path becomes the start of every proxied request-target (http::send: base_path + target): a
        // space, CR, LF or other control character there would split or corrupt the upstream request line.
        FUZZ_CHECK(std::none_of(in.upstream_url.begin(), in.upstream_url.end(),
                                [](unsigned char c) { return c <= 0x20 || c == 0x7f; }),
                   "upstreamUrl with a space or control character accepted: %s",
                   json(in.upstream_url).dump(-1, ' ', true).c_str());
        FUZZ_CHECK(in.cost >= 0 && in.cost <= 1000000 && in.timeout_ms >= 1 && in.timeout_ms <= 600000, "ranges");
      }
      break;
    }
    case 14: {  // POST /api/admin/plans (as in plan_admin.cpp)
      auto body = body_of(req);
      if (!body) return;
      Error bad = Error::of(ErrorCode::ValidationFailed);
      (void)fuzz::admin_take_reason(body.value(), bad);
      const json plan = billing::plan_with_defaults(*body);
      billing::validate_plan(plan, true, bad.fields);
      if (bad.fields.empty()) {
        FUZZ_CHECK(plan["slug"].is_string() && plan["slug"].get<std::string>().size() <= 63, "slug");
        FUZZ_CHECK(plan["features"].is_object() && plan["features"].dump().size() <= 4096, "features");
        (void)billing::meter_event_name(plan["slug"].get<std::string>());
      }
      break;
    }
    case 15: {  // PATCH /api/admin/plans/{id}: the body merged over a stored plan
      auto body = body_of(req);
      if (!body) return;
      json merged = billing::plan_with_defaults(
          json{{"name", "Pro"}, {"type", "SUBSCRIPTION"}, {"priceMonthly", 2900}, {"rateLimitPerMinute", 600}});
      for (const auto& [k, v] : body->items()) merged[k] = v;
      std::vector<FieldError> errors;
      billing::validate_plan(merged, false, errors);
      if (errors.empty() && merged["overageBlockUnits"].is_number_integer() &&
          merged["overagePrice"].is_number_integer()) {
        const auto block = merged["overageBlockUnits"].get<std::int64_t>();
        const auto price = merged["overagePrice"].get<std::int64_t>();
        const std::string dec = billing::unit_decimal(price, block);
        FUZZ_CHECK(!dec.empty() && dec.size() <= 32, "unit_decimal '%s'", dec.c_str());
      }
      break;
    }
    case 16: {  // admin actions with a reason: suspend, roles, comps, service tokens...
      const bool optional = !req.body.empty() && (req.body[0] & 1);
      auto r = fuzz::admin_body_with_reason(req, optional, {"name", "scopes", "expiresAt", "role", "planId"});
      if (r) {
        FUZZ_CHECK(http::utf8_length(r->second) <= 2000, "reason of %zu characters", r->second.size());
        FUZZ_CHECK(optional || !r->second.empty(), "required reason missing");
        if (auto it = r->first.find("expiresAt"); it != r->first.end() && it->is_string())
          (void)fuzz::admin_time_ms(it->get<std::string>());
        if (auto it = r->first.find("scopes"); it != r->first.end() && it->is_array())
          for (const auto& s : *it)
            if (s.is_string()) (void)admin::known_scope(s.get<std::string>());
      }
      break;
    }
    case 17: {  // /api/organizations, PATCH /api/organization, POST /api/organization/invitations (org_handlers.cpp)
      auto body = body_of(req, {"name", "billingEmail", "email", "role"});
      if (!body) return;
      Validator v(*body);
      (void)auth::trim(checked_string(v, *body, "name", false, 1, 200));
      for (const char* f : {"billingEmail", "email"}) {
        const std::string e = auth::trim(checked_string(v, *body, f, false, 3, 254));
        if (!e.empty() && fuzz::orgs_plausible_email(e))
          FUZZ_CHECK(std::count(e.begin(), e.end(), '@') == 1 && e.size() <= 254, "plausible_email('%s')", e.c_str());
      }
      const std::string role = checked_string(v, *body, "role", false, 1, 20);
      if (fuzz::orgs_valid_role(role)) FUZZ_CHECK(role == "ADMIN" || role == "MEMBER" || role == "BILLING", "role");
      break;
    }
    default: break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int endpoint = data[0] % 18;
  Request req;
  req.method = "POST";
  req.path = "/api/fuzz";
  constexpr std::size_t kTypes = sizeof kContentTypes / sizeof kContentTypes[0];
  const std::size_t type = data[1] % (kTypes + 1);
  if (type < kTypes) req.headers.emplace_back("content-type", kContentTypes[type]);
  if (data[1] & 0x80) req.headers.emplace_back("cookie", "theme=dark; __Host-tollgate_refresh=cookie-token-123; x=1");
  req.body.assign(reinterpret_cast<const char*>(data + 2), size - 2);

  // The UTF-8 gate in front of every body, against nlohmann's own validation.
  const bool utf8 = http::valid_utf8(req.body);
  FUZZ_CHECK(utf8 == nlohmann_utf8(req.body), "valid_utf8=%d disagrees with nlohmann", utf8);
  if (utf8) FUZZ_CHECK(http::utf8_length(req.body) == code_points(req.body), "utf8_length");

  run(endpoint, req);
  return 0;
}
