#include "verify/verify_service.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <mutex>

#include "auth/auth_handlers.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/time.hpp"
#include "http/body.hpp"
#include "http/problem.hpp"
#include "keys/key_format.hpp"
#include "verify/verify_body.hpp"

namespace tg::verify {
namespace {

const db::Query kLoadKey{
    "verify_load_key",
    "WITH k AS (SELECT k.*, o.status AS org_status, u.status AS owner_status, s.plan_id AS sub_plan, "
    "s.billing_interval AS sub_interval, "
    "s.current_period_start, s.current_period_end, "
    "(s.past_due_since IS NOT NULL AND s.payment_grace_ends_at IS NOT NULL AND s.payment_grace_ends_at < now()) "
    "AS payment_blocked FROM api_keys k JOIN organizations o ON o.id = k.organization_id "
    "JOIN users u ON u.id = o.owner_user_id LEFT JOIN subscriptions s ON s.organization_id = o.id "
    "AND s.status IN ('trialing', 'active', 'past_due', 'unpaid', 'paused') WHERE k.key_hash = decode($1, 'hex')), "
    "p AS (SELECT k.id AS key_id, pl.slug, pl.included_units * CASE WHEN k.sub_interval = 'year' THEN 12 ELSE 1 END AS "
    "included_units, pl.quota_policy, pl.rate_limit_per_minute AS plan_rate, "
    "COALESCE(k.current_period_start, date_trunc('month', now(), 'UTC')) AS ps, "
    "COALESCE(k.current_period_end, date_trunc('month', now(), 'UTC') + interval '1 month') AS pe "
    "FROM k JOIN plans pl ON pl.id = COALESCE(k.sub_plan, (SELECT id FROM plans WHERE slug = 'free'))) "
    "SELECT k.id, k.organization_id, k.environment, k.status, "
    "COALESCE((extract(epoch FROM k.expires_at) * 1000)::bigint, 0) AS expires_ms, "
    "COALESCE((extract(epoch FROM k.grace_ends_at) * 1000)::bigint, 0) AS grace_ms, k.rate_limit_per_minute, "
    "k.metadata::text AS metadata, k.org_status, k.owner_status, k.payment_blocked, p.slug, p.included_units, "
    "p.quota_policy, p.plan_rate, (extract(epoch FROM p.ps) * 1000)::bigint AS ps_ms, "
    "(extract(epoch FROM p.pe) * 1000)::bigint AS pe_ms, "
    "(SELECT COALESCE(sum(r.cost_units), 0) FROM usage_rollups r WHERE r.organization_id = k.organization_id "
    "AND r.bucket = 'hour' AND r.bucket_start >= date_trunc('hour', p.ps) AND r.bucket_start < p.pe)::bigint AS used "
    "FROM k JOIN p ON p.key_id = k.id"};
const db::Query kServiceToken{"verify_service_token",
                              "SELECT array_to_string(scopes, ' ') AS scopes, (revoked_at IS NULL AND "
                              "(expires_at IS NULL OR expires_at > now())) AS ok FROM service_tokens "
                              "WHERE token_hash = decode($1, 'hex')"};

metrics::Counter& outcomes(const char* code) {
  // Looked up once per code: the registry takes a lock, the hot path must not.
  static constexpr const char* kCodes[] = {"VALID",    "NOT_FOUND",        "REVOKED",      "EXPIRED",
                                           "DISABLED", "PAYMENT_REQUIRED", "RATE_LIMITED", "USAGE_EXCEEDED"};
  static metrics::Counter* counters[8] = {};
  static std::once_flag once;
  std::call_once(once, [] {
    for (int i = 0; i < 8; ++i) {
      counters[i] = &metrics::registry().counter("tollgate_verify_total", "Key verifications by result code",
                                                 {{"code", kCodes[i]}});
    }
  });
  for (int i = 0; i < 8; ++i) {
    if (std::string_view(kCodes[i]) == code) return *counters[i];
  }
  return *counters[1];
}

int status_of(const char* code) {
  const std::string_view c = code;
  if (c == "VALID") return 200;
  if (c == "REVOKED" || c == "EXPIRED") return 401;
  if (c == "DISABLED") return 403;
  if (c == "PAYMENT_REQUIRED") return 402;
  return 429;
}

Error invalid_token() {
  return Error::coded(ErrorCode::Unauthorized, "INVALID_SERVICE_TOKEN",
                      "Send a valid service token as `Authorization: Bearer tg_svc_…`.");
}
}  // namespace

VerifyService::VerifyService(db::Database& db, ratelimit::RateLimiter& limiter, usage::Spool& spool, const Clock& clock,
                             VerifySettings s, PerWorker<redis::Client>* redis)
    : redis_(redis), db_(db), limiter_(limiter), spool_(spool), clock_(clock), s_(s) {}

namespace {
// KEYS[1]: the organization's counter for one period. ARGV: committed units known to the database, cost, limit
// (-1: none), TTL ms. The database figure is a floor: if Redis lost its data, the counter restarts from it.
constexpr const char* kQuotaScript = R"LUA(
local base = tonumber(ARGV[1])
local v = tonumber(redis.call('GET', KEYS[1]) or '-1')
if v < base then
  v = base
  redis.call('SET', KEYS[1], v, 'PX', ARGV[4])
end
local cost = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
if limit >= 0 and v + cost > limit then return {0, v} end
return {1, redis.call('INCRBY', KEYS[1], cost)}
)LUA";

metrics::Counter& quota_store(const char* store) {
  static auto& redis =
      metrics::registry().counter("tollgate_quota_checks_total", "Quota checks by store", {{"store", "redis"}});
  static auto& local =
      metrics::registry().counter("tollgate_quota_checks_total", "Quota checks by store", {{"store", "local"}});
  static auto& fallback = metrics::registry().counter("tollgate_quota_checks_total", "Quota checks by store",
                                                      {{"store", "local_fallback"}});
  if (std::string_view(store) == "redis") return redis;
  if (std::string_view(store) == "local") return local;
  return fallback;
}
}  // namespace

Task<std::optional<std::int64_t>> VerifyService::count_quota(const KeyRecord& rec, std::int64_t cost,
                                                             std::int64_t limit) {
  if (redis_ && !redis_->empty()) {
    const std::int64_t ttl = std::max<std::int64_t>(60000, rec.period_end_ms - clock_.now_ms() + 86400000);
    std::vector<std::string> args = {"1",
                                     "tg:quota:{" + rec.organization_id + "}:" + std::to_string(rec.period_start_ms),
                                     std::to_string(rec.committed_used),
                                     std::to_string(cost),
                                     std::to_string(limit),
                                     std::to_string(ttl)};
    auto reply = co_await redis_->local().eval(kQuotaScript, args);
    if (reply && reply->type == redis::Reply::Type::array && reply->elements.size() == 2) {
      quota_store("redis").inc();
      // Keep the local tracker warm so a Redis outage starts from a sensible figure.
      quota_.observe(rec.organization_id, rec.period_start_ms, reply->elements[1].integer);
      if (reply->elements[0].integer != 1) co_return std::nullopt;
      co_return reply->elements[1].integer;
    }
    // Redis unavailable: fail open to this instance's tracker (counted, logged by the client).
    quota_store("local_fallback").inc();
  } else {
    quota_store("local").inc();
  }
  co_return quota_.try_add(rec.organization_id, rec.period_start_ms, cost, limit);
}

void VerifyService::invalidate(const std::string& payload) {
  if (payload.rfind("key:", 0) == 0)
    cache_.invalidate_key(payload.substr(4));
  else if (payload.rfind("org:", 0) == 0)
    cache_.invalidate_org(payload.substr(4));
  else
    cache_.clear();
}

Task<Result<std::shared_ptr<const KeyRecord>>> VerifyService::load(const std::string& hash) {
  db::Params p{hash};
  auto r = co_await db_.query(kLoadKey, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) co_return std::shared_ptr<const KeyRecord>{};
  auto rec = std::make_shared<KeyRecord>();
  rec->id = std::string(r->get(0, "id"));
  rec->organization_id = std::string(r->get(0, "organization_id"));
  rec->environment = std::string(r->get(0, "environment"));
  rec->status = std::string(r->get(0, "status"));
  rec->expires_ms = r->integer(0, "expires_ms");
  rec->grace_ms = r->integer(0, "grace_ms");
  if (!r->is_null(0, r->column("rate_limit_per_minute"))) rec->rate_override = r->integer(0, "rate_limit_per_minute");
  auto meta = nlohmann::json::parse(r->get(0, "metadata"), nullptr, false);
  if (meta.is_object()) rec->meta = std::move(meta);
  rec->meta_text = rec->meta.dump();
  rec->org_status = std::string(r->get(0, "org_status"));
  rec->owner_status = std::string(r->get(0, "owner_status"));
  rec->payment_blocked = r->boolean(0, "payment_blocked");
  rec->plan_slug = std::string(r->get(0, "slug"));
  rec->included_units = r->integer(0, "included_units");
  rec->quota_policy = std::string(r->get(0, "quota_policy"));
  rec->plan_rate = r->integer(0, "plan_rate");
  rec->period_start_ms = r->integer(0, "ps_ms");
  rec->period_end_ms = r->integer(0, "pe_ms");
  rec->committed_used = r->integer(0, "used");
  quota_.observe(rec->organization_id, rec->period_start_ms, rec->committed_used);
  co_return std::shared_ptr<const KeyRecord>(std::move(rec));
}

Task<Status> VerifyService::authorize(const http::Request& req, const char* scope) {
  const auto* auth = req.header("authorization");
  if (!auth || auth->size() < 8 || !http::iequals(std::string_view(*auth).substr(0, 7), "Bearer ")) {
    co_return invalid_token();
  }
  const std::string token = auth->substr(7);
  if (token.rfind("tg_svc_", 0) != 0 || token.size() > 128) co_return invalid_token();
  const std::string hash = keys::sha256_hex(token);
  const std::int64_t now = clock_.now_ms();
  std::shared_ptr<const TokenEntry> entry;
  {
    std::shared_lock lock(tokens_mu_);
    auto it = tokens_.find(hash);
    if (it != tokens_.end() && now - it->second->loaded_ms < 5000) entry = it->second;
  }
  if (!entry) {
    db::Params p{hash};
    auto r = co_await db_.query(kServiceToken, std::move(p));
    if (!r) co_return r.error();
    auto fresh = std::make_shared<TokenEntry>();
    fresh->loaded_ms = now;
    if (!r->empty() && r->boolean(0, "ok")) {
      fresh->valid = true;
      std::string scopes(r->get(0, "scopes"));
      std::size_t start = 0;
      while (start <= scopes.size()) {
        auto sp = scopes.find(' ', start);
        if (sp == std::string::npos) sp = scopes.size();
        if (sp > start) fresh->scopes.push_back(scopes.substr(start, sp - start));
        start = sp + 1;
      }
    }
    std::unique_lock lock(tokens_mu_);
    if (tokens_.size() > 10000) tokens_.clear();
    tokens_[hash] = fresh;
    entry = std::move(fresh);
  }
  if (!entry->valid) co_return invalid_token();
  if (std::find(entry->scopes.begin(), entry->scopes.end(), scope) == entry->scopes.end()) {
    co_return Error::coded(ErrorCode::Forbidden, "INSUFFICIENT_SCOPE",
                           std::string("This service token lacks the scope ") + scope + ".");
  }
  co_return ok_status();
}

Task<Result<Decision>> VerifyService::decide(const VerifyInput& in, const http::Request& req, bool record_now) {
  const std::int64_t now = clock_.now_ms();
  Decision out;
  out.started_ns = std::chrono::steady_clock::now().time_since_epoch().count();
  if (!keys::well_formed_key(in.key)) {
    outcomes("NOT_FOUND").inc();
    co_return out;
  }
  const std::string hash = keys::sha256_hex(in.key);
  std::shared_ptr<const KeyRecord> rec;
  auto cached = cache_.get(hash);
  const bool fresh = cached && (cached->record ? now - cached->loaded_ms < s_.record_ttl_ms
                                               : now - cached->loaded_ms < s_.negative_ttl_ms);
  if (fresh) {
    rec = cached->record;
  } else {
    auto loaded = co_await load(hash);
    if (!loaded) co_return loaded.error();
    rec = loaded.value();
    cache_.put(hash, rec, now);
  }
  if (!rec) {
    outcomes("NOT_FOUND").inc();
    co_return out;
  }
  const char* code = "VALID";
  if (rec->status == "revoked" || (rec->grace_ms > 0 && rec->grace_ms <= now))
    code = "REVOKED";
  else if (rec->expires_ms > 0 && rec->expires_ms <= now)
    code = "EXPIRED";
  else if (rec->status == "disabled" || rec->org_status != "active" || rec->owner_status != "active")
    code = "DISABLED";
  else if (rec->payment_blocked)
    code = "PAYMENT_REQUIRED";
  std::int64_t cost = in.cost;
  if (std::string_view(code) == "VALID") {
    const std::int64_t per_window = rec->rate_override.value_or(rec->plan_rate);
    const LimitRule rule{per_window, s_.key_window};
    const std::string rl_key = "key:" + rec->id;
    // Weighted by cost: an expensive call uses more of the key's window (the per-endpoint limit below counts calls).
    auto d = co_await limiter_.hit(rl_key, rule, cost);
    out.rl_limit = d.limit;
    out.rl_remaining = d.remaining;
    out.rl_reset_ms = d.reset_ms;
    out.retry_after_ms = d.retry_after_ms;
    const bool capped = rec->quota_policy == "hard_cap";
    const bool unlimited = !capped && rec->included_units == 0;
    std::int64_t used = quota_.used(rec->organization_id, rec->period_start_ms);
    if (d.allowed && in.endpoint_rate_limit > 0) {
      const LimitRule ep_rule{in.endpoint_rate_limit, s_.key_window};
      const std::string ep_key = "ep:" + in.endpoint_id + ":" + rec->id;
      auto ep = co_await limiter_.hit(ep_key, ep_rule, 1);
      if (!ep.allowed) {
        d = ep;
        out.rl_limit = d.limit;
        out.rl_remaining = d.remaining;
        out.rl_reset_ms = d.reset_ms;
        out.retry_after_ms = d.retry_after_ms;
      }
    }
    if (!d.allowed) {
      code = "RATE_LIMITED";
    } else {
      const std::int64_t cap = capped ? rec->included_units : -1;
      auto total = co_await count_quota(*rec, cost, cap);
      if (!total)
        code = "USAGE_EXCEEDED";
      else
        used = *total;
    }
    out.has_quota = true;
    out.quota_limit = unlimited ? -1 : rec->included_units;
    out.quota_used = used;
    out.quota_remaining = unlimited ? -1 : std::max<std::int64_t>(0, rec->included_units - used);
    out.quota_reset_ms = rec->period_end_ms;
  }
  const bool valid = std::string_view(code) == "VALID";
  if (!valid) cost = 0;
  if (rec->grace_ms > now && std::string_view(code) != "REVOKED") out.sunset_s = rec->grace_ms / 1000;
  outcomes(code).inc();
  out.code = code;
  out.record = rec;
  out.cost = cost;
  if (record_now) {
    // Spooled before the answer leaves: once a caller has seen VALID, the call is on disk.
    const CallOutcome outcome;
    if (auto w = record(out, in, req, outcome); !w) co_return w.error();
  }
  co_return out;
}

std::string Decision::body_text() const {
  std::string out;
  out.reserve(512);
  const auto num = [&out](std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  };
  const auto num_or_null = [&](std::int64_t v) {
    if (v < 0)
      out += "null";
    else
      num(v);
  };
  const bool valid = std::string_view(code) == "VALID";
  out += "{\"code\":\"";
  out += code;
  out += "\",\"environment\":";
  if (record) {
    log::append_json_string(out, record->environment);
    out += ",\"keyId\":\"";
    out += record->id;
    out += "\",\"meta\":";
    out += record->meta_text;
    out += ",\"organizationId\":\"";
    out += record->organization_id;
    out += "\",\"plan\":";
    log::append_json_string(out, record->plan_slug);
  } else {
    out += "null,\"keyId\":null,\"meta\":null,\"organizationId\":null,\"plan\":null";
  }
  out += ",\"quota\":";
  if (has_quota) {
    out += "{\"limit\":";
    num_or_null(quota_limit);
    out += ",\"remaining\":";
    num_or_null(quota_remaining);
    out += ",\"reset\":\"";
    out += format_rfc3339_ms(quota_reset_ms);
    out += "\",\"used\":";
    num(quota_used);
    out += '}';
  } else {
    out += "null";
  }
  out += ",\"ratelimit\":";
  if (rl_limit >= 0) {
    out += "{\"limit\":";
    num(rl_limit);
    out += ",\"remaining\":";
    num(rl_remaining);
    out += ",\"reset\":";
    num(rl_reset_ms);
    out += '}';
  } else {
    out += "null";
  }
  out += valid ? ",\"valid\":true}" : ",\"valid\":false}";
  return out;
}

Status VerifyService::record(const Decision& d, const VerifyInput& in, const http::Request& req,
                             const CallOutcome& outcome) {
  if (!d.record) return ok_status();  // unknown keys belong to no organization
  usage::UsageEvent ev;
  ev.occurred_us = clock_.now_ms() * 1000;
  ev.event_id = usage::new_event_id(ev.occurred_us);
  ev.organization_id = d.record->organization_id;
  ev.api_key_id = d.record->id;
  ev.api_endpoint_id = outcome.api_endpoint_id;
  ev.source = outcome.source;
  ev.method = in.method;
  ev.endpoint = in.endpoint;
  ev.status_code = outcome.status_code ? outcome.status_code : status_of(d.code);
  ev.code = d.code;
  ev.cost = d.cost;
  ev.latency_us = (std::chrono::steady_clock::now().time_since_epoch().count() - d.started_ns) / 1000;
  ev.request_bytes = outcome.request_bytes ? outcome.request_bytes : static_cast<std::int64_t>(req.body.size());
  ev.response_bytes = outcome.response_bytes;
  ev.client_ip = req.client_ip;
  if (const auto* ua = req.header("user-agent")) ev.user_agent = *ua;
  ev.request_id = req.request_id;
  // Nothing acknowledged may be lost: without a spool the call is refused rather than answered unmetered.
  return spool_.append(ev);
}

Task<void> VerifyService::refund(Decision& d) {
  if (!d.record || d.cost <= 0) co_return;
  const std::int64_t back = -d.cost;
  d.cost = 0;
  if (redis_ && !redis_->empty()) {
    std::vector<std::string> args = {
        "INCRBY", "tg:quota:{" + d.record->organization_id + "}:" + std::to_string(d.record->period_start_ms),
        std::to_string(back)};
    auto reply = co_await redis_->local().command(args);
    if (reply && reply->type == redis::Reply::Type::integer) co_return;
  }
  quota_.try_add(d.record->organization_id, d.record->period_start_ms, back, -1);
}

void register_routes(http::Router& router, VerifyService& service) {
  router.add("POST", "/v1/keys/verify", [&service](http::Request& req) -> Task<http::Response> {
    auto authz = co_await service.authorize(req, "keys:verify");
    if (!authz) co_return http::problem(authz.error(), req.request_id);
    auto in = parse_verify_body(req);
    if (!in) co_return http::problem(in.error(), req.request_id);
    auto d = co_await service.decide(*in, req);
    if (!d) co_return http::problem(d.error(), req.request_id);
    http::Response res = http::Response::text(200, d->body_text(), "application/json");
    res.set("Cache-Control", "no-store");
    if (d->sunset_s > 0) {
      res.set("Deprecation", "true");
      res.set("Sunset", http_date(d->sunset_s));
    }
    co_return res;
  });
}

Result<std::string> create_service_token(const std::string& conninfo, const std::string& name,
                                         const std::vector<std::string>& scopes) {
  const std::string token = "tg_svc_" + keys::random_base62(43);
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    return Error::of(ErrorCode::ServiceUnavailable, "cannot connect to PostgreSQL: " + why);
  }
  std::string scope_array = "{";
  for (std::size_t i = 0; i < scopes.size(); ++i) scope_array += (i ? "," : "") + scopes[i];
  scope_array += "}";
  const std::string hash = keys::sha256_hex(token);
  const std::string prefix = token.substr(0, 12);
  const char* params[] = {name.c_str(), prefix.c_str(), hash.c_str(), scope_array.c_str()};
  PGresult* res = PQexecParams(conn,
                               "INSERT INTO service_tokens (name, prefix, token_hash, scopes) "
                               "VALUES ($1, $2, decode($3, 'hex'), $4::text[])",
                               4, nullptr, params, nullptr, nullptr, 0);
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  std::string why = ok ? "" : PQresultErrorMessage(res);
  PQclear(res);
  PQfinish(conn);
  if (!ok) return Error::of(ErrorCode::BadRequest, "cannot create the service token: " + why);
  return token;
}

}  // namespace tg::verify
