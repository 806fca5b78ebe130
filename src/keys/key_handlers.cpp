#include "keys/key_handlers.hpp"

#include "auth/auth_handlers.hpp"
#include "core/time.hpp"
#include "http/body.hpp"
#include "http/problem.hpp"
#include "keys/key_format.hpp"
#include "orgs/permissions.hpp"

namespace tg::keys {
using http::Request;
using http::Response;

namespace {

Error not_found() {
  return Error::of(ErrorCode::NotFound, "No such API key.");
}

KeyActor actor_of(const Request& req) {
  return KeyActor{req.user_id, req.account_id, auth::meta_of(req)};
}

// Optional integer field in [lo, hi]; `present` tells whether the field was in the body at all.
std::optional<std::int64_t> int_field(http::Validator& v, const nlohmann::json& body, const char* f, std::int64_t lo,
                                      std::int64_t hi, bool& present, bool nullable) {
  auto it = body.find(f);
  present = it != body.end();
  if (!present) return std::nullopt;
  if (it->is_null()) {
    if (!nullable) v.fail(f, "must be an integer");
    return std::nullopt;
  }
  if (!it->is_number_integer()) {
    v.fail(f, "must be an integer");
    return std::nullopt;
  }
  const auto value = it->get<std::int64_t>();
  if (value < lo || value > hi) {
    v.fail(f, "must be from " + std::to_string(lo) + " to " + std::to_string(hi));
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> metadata_field(http::Validator& v, const nlohmann::json& body) {
  auto it = body.find("metadata");
  if (it == body.end()) return std::nullopt;
  if (!it->is_object()) {
    v.fail("metadata", "must be a JSON object");
    return std::nullopt;
  }
  std::string text = it->dump();
  if (text.size() > 4096) {
    v.fail("metadata", "must be at most 4 KiB as JSON");
    return std::nullopt;
  }
  return text;
}

bool require_user(const Request& req) {
  return !req.user_id.empty() && !req.account_id.empty();
}

}  // namespace

void register_routes(http::Router& router, KeyRepository& repo, const Clock& clock) {
  router.add("GET", "/api/user/api-keys", [&repo](Request& req) -> Task<Response> {
    if (!require_user(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::manage_keys))
      co_return http::problem(*denied, req.request_id);
    const std::string filter = req.query_param("status").value_or("all");
    if (filter != "all" && filter != "active" && filter != "disabled" && filter != "revoked" && filter != "expired") {
      Error e = Error::of(ErrorCode::ValidationFailed, "One or more query parameters are invalid.");
      e.fields.push_back({"status", "must be one of all, active, disabled, revoked, expired"});
      co_return http::problem(e, req.request_id);
    }
    const std::string org = req.account_id;
    auto r = co_await repo.list(org, filter);
    if (!r) co_return http::problem(r.error(), req.request_id);
    Response res = Response::json(200, r.value());
    res.set("Cache-Control", "no-store");
    co_return res;
  });

  router.add("POST", "/api/user/api-keys", [&repo, &clock](Request& req) -> Task<Response> {
    if (!require_user(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::manage_keys))
      co_return http::problem(*denied, req.request_id);
    auto body = http::json_object_body(req, {"name", "environment", "expiresAt", "rateLimitPerMinute", "metadata"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    CreateKey in;
    in.name = auth::trim(v.string("name", true, 1, 100));
    if (body->contains("name") && (*body)["name"].is_string() && in.name.empty()) v.fail("name", "must not be blank");
    if (body->contains("environment")) {
      in.environment = v.string("environment", true, 1, 10);
      if (!in.environment.empty() && in.environment != "live" && in.environment != "test") {
        v.fail("environment", "must be live or test");
      }
    }
    if (body->contains("expiresAt")) {
      const std::string raw = v.string("expiresAt", true, 1, 40);
      if (!raw.empty()) {
        auto ms = parse_rfc3339_ms(raw);
        const std::int64_t now = clock.now_ms();
        if (!ms) v.fail("expiresAt", "must be an RFC 3339 date-time, e.g. 2027-01-31T00:00:00Z");
        else if (*ms <= now) v.fail("expiresAt", "must be in the future");
        else if (*ms > now + 5LL * 366 * 86400 * 1000) v.fail("expiresAt", "must be at most 5 years ahead");
        else in.expires_at = format_rfc3339_ms(*ms);
      }
    }
    bool present = false;
    in.rate_limit = int_field(v, *body, "rateLimitPerMinute", 1, 1000000, present, false);
    if (auto m = metadata_field(v, *body)) in.metadata_json = *m;
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const NewKey key = generate_key(in.environment);
    const KeyActor actor = actor_of(req);
    auto r = co_await repo.create(actor, in, key.prefix, key.hash_hex);
    if (!r) co_return http::problem(r.error(), req.request_id);
    const nlohmann::json out = {{"key", r.value()}, {"secret", key.secret}};
    Response res = Response::json(201, out);
    res.set("Cache-Control", "no-store");
    co_return res;
  });

  router.add("GET", "/api/user/api-keys/{id}", [&repo](Request& req) -> Task<Response> {
    if (!require_user(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::manage_keys))
      co_return http::problem(*denied, req.request_id);
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(not_found(), req.request_id);
    const std::string org = req.account_id;
    auto r = co_await repo.get(org, id);
    if (!r) co_return http::problem(r.error(), req.request_id);
    if (!r.value()) co_return http::problem(not_found(), req.request_id);
    Response res = Response::json(200, *r.value());
    res.set("Cache-Control", "no-store");
    co_return res;
  });

  router.add("PATCH", "/api/user/api-keys/{id}", [&repo](Request& req) -> Task<Response> {
    if (!require_user(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::manage_keys))
      co_return http::problem(*denied, req.request_id);
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(not_found(), req.request_id);
    auto body = http::json_object_body(req, {"name", "status", "rateLimitPerMinute", "metadata"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    UpdateKey in;
    if (body->contains("name")) {
      std::string name = auth::trim(v.string("name", true, 1, 100));
      if ((*body)["name"].is_string() && name.empty()) v.fail("name", "must not be blank");
      if (!name.empty()) in.name = name;
    }
    if (body->contains("status")) {
      std::string status = v.string("status", true, 1, 20);
      if (!status.empty() && status != "active" && status != "disabled") v.fail("status", "must be active or disabled");
      else if (!status.empty()) in.status = status;
    }
    in.rate_limit = int_field(v, *body, "rateLimitPerMinute", 1, 1000000, in.set_rate_limit, true);
    in.metadata_json = metadata_field(v, *body);
    if (body->empty()) v.fail("", "send at least one of name, status, rateLimitPerMinute, metadata");
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const KeyActor actor = actor_of(req);
    auto r = co_await repo.update(actor, id, in);
    if (!r) co_return http::problem(r.error(), req.request_id);
    if (!r.value()) co_return http::problem(not_found(), req.request_id);
    co_return Response::json(200, *r.value());
  });

  router.add("DELETE", "/api/user/api-keys/{id}", [&repo](Request& req) -> Task<Response> {
    if (!require_user(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::manage_keys))
      co_return http::problem(*denied, req.request_id);
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(not_found(), req.request_id);
    const KeyActor actor = actor_of(req);
    auto r = co_await repo.revoke(actor, id);
    if (!r) co_return http::problem(r.error(), req.request_id);
    if (!r.value()) co_return http::problem(not_found(), req.request_id);
    co_return Response::empty(204);
  });

  router.add("POST", "/api/user/api-keys/{id}/rotate", [&repo](Request& req) -> Task<Response> {
    if (!require_user(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::manage_keys))
      co_return http::problem(*denied, req.request_id);
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(not_found(), req.request_id);
    int grace = 24;
    if (!req.body.empty()) {
      auto body = http::json_object_body(req, {"gracePeriodHours"});
      if (!body) co_return http::problem(body.error(), req.request_id);
      http::Validator v(*body);
      bool present = false;
      auto h = int_field(v, *body, "gracePeriodHours", 0, 720, present, false);
      if (!v.ok()) co_return http::problem(v.error(), req.request_id);
      if (h) grace = static_cast<int>(*h);
    }
    const KeyActor actor = actor_of(req);
    auto current = co_await repo.get(actor.organization_id, id);
    if (!current) co_return http::problem(current.error(), req.request_id);
    if (!current.value()) co_return http::problem(not_found(), req.request_id);
    const std::string env = (*current.value())["environment"].get<std::string>();
    const NewKey key = generate_key(env);
    auto r = co_await repo.rotate(actor, id, grace, key.prefix, key.hash_hex);
    if (!r) co_return http::problem(r.error(), req.request_id);
    if (!r.value()) co_return http::problem(not_found(), req.request_id);
    nlohmann::json out = *r.value();
    out["secret"] = key.secret;
    Response res = Response::json(201, out);
    res.set("Cache-Control", "no-store");
    co_return res;
  });
}

}  // namespace tg::keys
