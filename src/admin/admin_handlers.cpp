#include "admin/admin_handlers.hpp"

#include <algorithm>
#include <charconv>
#include <regex>

#include "auth/auth_handlers.hpp"
#include "core/crypto.hpp"
#include "core/net.hpp"
#include "core/time.hpp"
#include "http/body.hpp"
#include "http/problem.hpp"
#include "keys/key_format.hpp"

namespace tg::admin {
using http::Request;
using http::Response;
using nlohmann::json;

namespace {
std::optional<std::int64_t> parse_int(const std::string& s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Response no_store(Response res) {
  res.set("Cache-Control", "no-store");
  return res;
}

Error invalid_query() {
  return Error::of(ErrorCode::ValidationFailed, "One or more query parameters are invalid.");
}

Error user_missing() {
  return Error::coded(ErrorCode::NotFound, "USER_NOT_FOUND", "No such user.");
}

Error org_missing() {
  return Error::coded(ErrorCode::NotFound, "ORGANIZATION_NOT_FOUND", "No such organization.");
}

Error self_action() {
  return Error::coded(ErrorCode::Conflict, "ADMIN_SELF_ACTION",
                      "Administrators cannot do this to their own account; ask another administrator.");
}

Task<std::optional<Response>> refuse_unless_admin(AdminDeps& d, Request& req) {
  const std::string user_id = req.user_id;
  const std::string ip = req.client_ip;
  auto admin = co_await d.auth.require_admin(user_id, ip, req.session_id);
  if (!admin) co_return http::problem(admin.error(), req.request_id);
  co_return std::nullopt;
}

// The detail documents most admin actions answer with (200, or 404 when gone).
Task<Response> user_detail(AdminDeps& d, const std::string& id, const std::string& request_id) {
  auto user = co_await d.repo.user(id);
  if (!user) co_return http::problem(user.error(), request_id);
  if (!user.value()) co_return http::problem(user_missing(), request_id);
  co_return no_store(Response::json(200, *user.value()));
}

Task<Response> organization_detail(AdminDeps& d, const std::string& id, const std::string& request_id) {
  auto org = co_await d.repo.organization(id);
  if (!org) co_return http::problem(org.error(), request_id);
  if (!org.value()) co_return http::problem(org_missing(), request_id);
  co_return no_store(Response::json(200, *org.value()));
}

AdminActor actor_of(const Request& req, std::string reason) {
  const std::string* ua = req.header("user-agent");
  return AdminActor{req.user_id, req.client_ip, ua ? *ua : "", req.request_id, std::move(reason)};
}

// The body's reason (trimmed), required unless `optional`; other fields must be in `extra`.
Result<std::pair<json, std::string>> body_with_reason(const Request& req, bool optional,
                                                      std::initializer_list<std::string_view> extra = {}) {
  json body = json::object();
  if (!(optional && req.body.empty())) {
    auto parsed = http::json_object_body(req);
    if (!parsed) return parsed.error();
    body = std::move(parsed.value());
  }
  Error bad = Error::of(ErrorCode::ValidationFailed, "One or more fields are invalid.");
  for (const auto& [k, v] : body.items()) {
    if (k != "reason" && std::find(extra.begin(), extra.end(), std::string_view(k)) == extra.end())
      bad.fields.push_back({k, "unknown field"});
  }
  std::string reason;
  auto it = body.find("reason");
  if (it != body.end() && !it->is_null()) {
    if (!it->is_string()) {
      bad.fields.push_back({"reason", "must be a string"});
    } else {
      reason = auth::trim(it->get<std::string>());
      if (http::utf8_length(reason) > 2000) bad.fields.push_back({"reason", "must be at most 2000 characters"});
    }
  }
  if (!optional && reason.empty() &&
      std::none_of(bad.fields.begin(), bad.fields.end(), [](const FieldError& f) { return f.field == "reason"; }))
    bad.fields.push_back({"reason", "is required: say why, for the audit log"});
  if (!bad.fields.empty()) return bad;
  return std::make_pair(std::move(body), std::move(reason));
}

// Removes an optional "reason" from a body whose other fields are validated elsewhere.
std::string take_reason(json& body, Error& bad) {
  std::string reason;
  auto it = body.find("reason");
  if (it == body.end()) return reason;
  if (it->is_string() && http::utf8_length(it->get<std::string>()) <= 2000)
    reason = auth::trim(it->get<std::string>());
  else if (!it->is_null())
    bad.fields.push_back({"reason", "must be a string of at most 2000 characters"});
  body.erase(it);
  return reason;
}

struct Paging {
  int page = 1, page_size = 25;
};

void parse_paging(const Request& req, Paging& p, Error& bad) {
  if (auto v = req.query_param("page")) {
    auto n = parse_int(*v);
    if (!n || *n < 1 || *n > 100000)
      bad.fields.push_back({"page", "must be an integer from 1 to 100000"});
    else
      p.page = static_cast<int>(*n);
  }
  if (auto v = req.query_param("pageSize")) {
    auto n = parse_int(*v);
    if (!n || *n < 1 || *n > 100)
      bad.fields.push_back({"pageSize", "must be an integer from 1 to 100"});
    else
      p.page_size = static_cast<int>(*n);
  }
}

void one_of(const Request& req, const char* name, std::initializer_list<const char*> allowed, std::string& out,
            Error& bad) {
  auto v = req.query_param(name);
  if (!v || v->empty()) return;
  for (const char* a : allowed) {
    if (*v == a) {
      out = *v;
      return;
    }
  }
  std::string list;
  for (const char* a : allowed) list += list.empty() ? a : std::string(", ") + a;
  bad.fields.push_back({name, "must be one of " + list});
}

// What the user and organization lists share: page, pageSize, q, status and plan.
template <typename Filter>
void parse_list(const Request& req, Filter& f, Error& bad) {
  Paging pg;
  parse_paging(req, pg, bad);
  f.page = pg.page;
  f.page_size = pg.page_size;
  f.q = auth::trim(req.query_param("q").value_or(""));
  if (http::utf8_length(f.q) > 200) bad.fields.push_back({"q", "must be at most 200 characters"});
  one_of(req, "status", {"active", "suspended", "deleted"}, f.status, bad);
  f.plan = req.query_param("plan").value_or("");
  if (f.plan.size() > 64) bad.fields.push_back({"plan", "must be a plan slug"});
}

// "2026-11-01" (midnight UTC) or an RFC 3339 date-time with its offset, as Unix milliseconds; impossible dates
// (2026-02-30) and times without an offset are refused rather than read in some session time zone.
std::optional<std::int64_t> time_ms(const std::string& s) {
  if (s.size() == 10) return parse_rfc3339_ms(s + "T00:00:00Z");
  if (s.size() > 40) return std::nullopt;
  return parse_rfc3339_ms(s);
}

// The same instant, normalized for SQL; empty when invalid.
std::string normalized_time(const std::string& s) {
  auto ms = time_ms(s);
  return ms ? format_rfc3339_ms(*ms) : std::string();
}

Result<AuditFilter> audit_filter(const Request& req, int max_limit) {
  Error bad = invalid_query();
  AuditFilter f;
  if (auto l = req.query_param("limit")) {
    auto v = parse_int(*l);
    if (!v || *v < 1 || *v > max_limit)
      bad.fields.push_back({"limit", "must be an integer from 1 to " + std::to_string(max_limit)});
    else
      f.limit = static_cast<int>(*v);
  }
  if (auto b = req.query_param("before")) {
    f.before = parse_int(*b);
    if (!f.before || *f.before < 1) bad.fields.push_back({"before", "must be a cursor from nextCursor"});
  }
  f.action = req.query_param("action").value_or("");
  if (f.action.size() > 100) bad.fields.push_back({"action", "must be at most 100 characters"});
  // actorId (userId is its older name).
  const char* actor_field = req.query_param("actorId") ? "actorId" : "userId";
  f.actor_id = req.query_param(actor_field).value_or("");
  if (!f.actor_id.empty() && !auth::is_uuid(f.actor_id)) bad.fields.push_back({actor_field, "must be a UUID"});
  f.organization_id = req.query_param("organizationId").value_or("");
  if (!f.organization_id.empty() && !auth::is_uuid(f.organization_id))
    bad.fields.push_back({"organizationId", "must be a UUID"});
  f.target_id = req.query_param("targetId").value_or("");
  if (f.target_id.size() > 200) bad.fields.push_back({"targetId", "must be at most 200 characters"});
  for (auto [name, out] : {std::pair<const char*, std::string*>{"from", &f.from}, {"to", &f.to}}) {
    const std::string raw = req.query_param(name).value_or("");
    if (raw.empty()) continue;
    *out = normalized_time(raw);
    if (out->empty()) bad.fields.push_back({name, "must be a date (YYYY-MM-DD, UTC) or an RFC 3339 time with offset"});
  }
  if (!bad.fields.empty()) return bad;
  f.actor_id = auth::lower_id(f.actor_id);
  f.organization_id = auth::lower_id(f.organization_id);
  return f;
}

// The limiter buckets an inspection shows for one subject.
struct Bucket {
  std::string name, key;
  LimitRule rule;
};

void register_user_routes(http::Router& router, const std::shared_ptr<AdminDeps>& deps) {
  router.add("GET", "/api/admin/users", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    Error bad = invalid_query();
    UserFilter f;
    parse_list(req, f, bad);
    one_of(req, "role", {"USER", "ADMIN"}, f.role, bad);
    one_of(req, "verified", {"true", "false"}, f.verified, bad);
    if (!bad.fields.empty()) co_return http::problem(bad, req.request_id);
    auto page = co_await deps->repo.users(f);
    if (!page) co_return http::problem(page.error(), req.request_id);
    co_return no_store(Response::json(200, page.value()));
  });

  router.add("GET", "/api/admin/users/{id}", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(user_missing(), req.request_id);
    co_return co_await user_detail(*deps, id, req.request_id);
  });

  // Suspend / reactivate / reset 2FA / revoke sessions share a shape: reason in, the user's detail out.
  enum class Act { suspend, reactivate, reset_2fa };
  auto state_change = [deps](Act act) {
    return [deps, act](Request& req) -> Task<Response> {
      auto refused = co_await refuse_unless_admin(*deps, req);
      if (refused) co_return std::move(*refused);
      const std::string id = auth::lower_id(req.param("id"));
      if (!auth::is_uuid(id)) co_return http::problem(user_missing(), req.request_id);
      auto body = body_with_reason(req, false);
      if (!body) co_return http::problem(body.error(), req.request_id);
      if (act != Act::reactivate && id == req.user_id) co_return http::problem(self_action(), req.request_id);
      auto state = co_await deps->repo.user_state(id);
      if (!state) co_return http::problem(state.error(), req.request_id);
      if (!state.value()) co_return http::problem(user_missing(), req.request_id);
      const AdminActor a = actor_of(req, body->second);
      Result<bool> done = false;
      if (act == Act::suspend) {
        done = co_await deps->repo.suspend_user(a, id);
      } else if (act == Act::reactivate) {
        done = co_await deps->repo.reactivate_user(a, id);
      } else {
        done = co_await deps->repo.reset_two_factor(a, id);
      }
      if (!done) co_return http::problem(done.error(), req.request_id);
      if (!done.value()) {
        const char* code = "USER_NOT_SUSPENDED";
        const char* detail = "The user is not suspended.";
        if (act == Act::suspend) {
          code = "USER_ALREADY_SUSPENDED";
          detail = "The user is already suspended.";
        } else if (act == Act::reset_2fa) {
          code = "TWO_FACTOR_NOT_ENABLED";
          detail = "The user has no two-factor authentication to reset.";
        }
        co_return http::problem(Error::coded(ErrorCode::Conflict, code, detail), req.request_id);
      }
      co_return co_await user_detail(*deps, id, req.request_id);
    };
  };
  router.add("POST", "/api/admin/users/{id}/suspend", state_change(Act::suspend));
  router.add("POST", "/api/admin/users/{id}/reactivate", state_change(Act::reactivate));
  router.add("POST", "/api/admin/users/{id}/reset-2fa", state_change(Act::reset_2fa));

  router.add("POST", "/api/admin/users/{id}/revoke-sessions", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(user_missing(), req.request_id);
    auto body = body_with_reason(req, false);
    if (!body) co_return http::problem(body.error(), req.request_id);
    auto state = co_await deps->repo.user_state(id);
    if (!state) co_return http::problem(state.error(), req.request_id);
    if (!state.value()) co_return http::problem(user_missing(), req.request_id);
    const AdminActor a = actor_of(req, body->second);
    auto n = co_await deps->repo.revoke_sessions(a, id);
    if (!n) co_return http::problem(n.error(), req.request_id);
    const json out = {{"revoked", n.value()}};
    co_return no_store(Response::json(200, out));
  });

  router.add("PATCH", "/api/admin/users/{id}/role", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(user_missing(), req.request_id);
    auto body = body_with_reason(req, false, {"role"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    const auto role_it = body->first.find("role");
    if (role_it == body->first.end() || !role_it->is_string() ||
        (role_it->get<std::string>() != "USER" && role_it->get<std::string>() != "ADMIN")) {
      Error bad = Error::of(ErrorCode::ValidationFailed, "One or more fields are invalid.");
      bad.fields.push_back({"role", "must be USER or ADMIN"});
      co_return http::problem(bad, req.request_id);
    }
    const std::string role = role_it->get<std::string>();
    if (id == req.user_id) co_return http::problem(self_action(), req.request_id);
    auto state = co_await deps->repo.user_state(id);
    if (!state) co_return http::problem(state.error(), req.request_id);
    if (!state.value()) co_return http::problem(user_missing(), req.request_id);
    if (state.value()->role != role) {
      const AdminActor a = actor_of(req, body->second);
      auto done = co_await deps->repo.set_user_role(a, id, role);
      if (!done) co_return http::problem(done.error(), req.request_id);
    }
    co_return co_await user_detail(*deps, id, req.request_id);
  });

  router.add("DELETE", "/api/admin/users/{id}", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(user_missing(), req.request_id);
    auto body = body_with_reason(req, false);
    if (!body) co_return http::problem(body.error(), req.request_id);
    if (id == req.user_id) co_return http::problem(self_action(), req.request_id);
    auto state = co_await deps->repo.user_state(id);
    if (!state) co_return http::problem(state.error(), req.request_id);
    if (!state.value()) co_return http::problem(user_missing(), req.request_id);
    const AdminActor a = actor_of(req, body->second);
    const json meta = json::object();
    const std::optional<std::string> no_org;
    db::Params audit = audit_insert_params(a, "admin.user.deleted", "user", id, no_org, meta);
    const auth::SessionMeta sm{a.user_agent, a.ip, a.request_id};
    const std::optional<mail::OutgoingMail> no_mail;
    const db::Query* audit_query = &audit_insert_query();
    auto r = co_await deps->auth.repository().delete_account(id, sm, no_mail, audit_query, std::move(audit));
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return Response::empty(204);
  });

  router.add("POST", "/api/admin/users/{id}/resend-verification", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(user_missing(), req.request_id);
    auto body = body_with_reason(req, true);
    if (!body) co_return http::problem(body.error(), req.request_id);
    auto state = co_await deps->repo.user_state(id);
    if (!state) co_return http::problem(state.error(), req.request_id);
    if (!state.value()) co_return http::problem(user_missing(), req.request_id);
    if (state.value()->verified) {
      co_return http::problem(
          Error::coded(ErrorCode::Conflict, "EMAIL_ALREADY_VERIFIED", "The user's email address is already verified."),
          req.request_id);
    }
    if (state.value()->status != "active") {
      co_return http::problem(
          Error::coded(ErrorCode::Conflict, "USER_NOT_ACTIVE", "The user is suspended; reactivate them first."),
          req.request_id);
    }
    const AdminActor a = actor_of(req, body->second);
    const auth::SessionMeta sm{a.user_agent, a.ip, a.request_id};
    const std::string email = state.value()->email;
    auto sent = co_await deps->auth.resend_verification(email, sm);
    if (!sent) co_return http::problem(sent.error(), req.request_id);
    const json meta = json::object();
    const std::optional<std::string> no_org;
    auto w = co_await deps->repo.audit(a, "admin.user.verification_resent", "user", id, no_org, meta);
    if (!w) co_return http::problem(w.error(), req.request_id);
    co_return Response::empty(202);
  });
}

void register_org_routes(http::Router& router, const std::shared_ptr<AdminDeps>& deps) {
  router.add("GET", "/api/admin/organizations", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    Error bad = invalid_query();
    OrgFilter f;
    parse_list(req, f, bad);
    if (!bad.fields.empty()) co_return http::problem(bad, req.request_id);
    auto page = co_await deps->repo.organizations(f);
    if (!page) co_return http::problem(page.error(), req.request_id);
    co_return no_store(Response::json(200, page.value()));
  });

  router.add("GET", "/api/admin/organizations/{id}", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(org_missing(), req.request_id);
    co_return co_await organization_detail(*deps, id, req.request_id);
  });

  auto status_change = [deps](bool suspend) {
    return [deps, suspend](Request& req) -> Task<Response> {
      auto refused = co_await refuse_unless_admin(*deps, req);
      if (refused) co_return std::move(*refused);
      const std::string id = auth::lower_id(req.param("id"));
      if (!auth::is_uuid(id)) co_return http::problem(org_missing(), req.request_id);
      auto body = body_with_reason(req, false);
      if (!body) co_return http::problem(body.error(), req.request_id);
      const AdminActor a = actor_of(req, body->second);
      auto done = co_await deps->repo.set_organization_status(a, id, suspend);
      if (!done) co_return http::problem(done.error(), req.request_id);
      auto org = co_await deps->repo.organization(id);
      if (!org) co_return http::problem(org.error(), req.request_id);
      if (!org.value()) co_return http::problem(org_missing(), req.request_id);
      if (!done.value() && suspend) {
        co_return http::problem(Error::coded(ErrorCode::Conflict, "ORGANIZATION_ALREADY_SUSPENDED",
                                             "The organization is already suspended."),
                                req.request_id);
      }
      if (!done.value()) {
        co_return http::problem(
            Error::coded(ErrorCode::Conflict, "ORGANIZATION_NOT_SUSPENDED", "The organization is not suspended."),
            req.request_id);
      }
      co_return no_store(Response::json(200, *org.value()));
    };
  };
  router.add("POST", "/api/admin/organizations/{id}/suspend", status_change(true));
  router.add("POST", "/api/admin/organizations/{id}/reactivate", status_change(false));

  router.add("POST", "/api/admin/organizations/{id}/plan", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(org_missing(), req.request_id);
    auto body = body_with_reason(req, false, {"plan"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    const auto plan_it = body->first.find("plan");
    if (plan_it == body->first.end() || !plan_it->is_string() || plan_it->get<std::string>().empty() ||
        plan_it->get<std::string>().size() > 64) {
      Error bad = Error::of(ErrorCode::ValidationFailed, "One or more fields are invalid.");
      bad.fields.push_back({"plan", "must be a plan slug"});
      co_return http::problem(bad, req.request_id);
    }
    const std::string slug = plan_it->get<std::string>();
    const AdminActor a = actor_of(req, body->second);
    auto r = co_await deps->repo.comp_plan(a, id, slug);
    if (!r) co_return http::problem(r.error(), req.request_id);
    switch (r.value()) {
      case AdminRepository::CompOutcome::not_found: co_return http::problem(org_missing(), req.request_id);
      case AdminRepository::CompOutcome::plan_not_found: {
        Error bad = Error::of(ErrorCode::ValidationFailed, "One or more fields are invalid.");
        bad.fields.push_back({"plan", "is not an active plan"});
        co_return http::problem(bad, req.request_id);
      }
      case AdminRepository::CompOutcome::stripe_managed:
        co_return http::problem(
            Error::coded(ErrorCode::Conflict, "STRIPE_SUBSCRIPTION_ACTIVE",
                         "The organization pays through a Stripe subscription; cancel it (or change it in Stripe) "
                         "before giving a plan by hand."),
            req.request_id);
      case AdminRepository::CompOutcome::done: break;
    }
    co_return co_await organization_detail(*deps, id, req.request_id);
  });
}

void register_audit_routes(http::Router& router, const std::shared_ptr<AdminDeps>& deps) {
  router.add("GET", "/api/admin/audit-log", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    auto f = audit_filter(req, 200);
    if (!f) co_return http::problem(f.error(), req.request_id);
    auto page = co_await deps->repo.audit_page(f.value());
    if (!page) co_return http::problem(page.error(), req.request_id);
    co_return no_store(Response::json(200, page.value()));
  });

  // The same filters; up to 10 000 rows (limit), newest first.
  router.add("GET", "/api/admin/audit-log/export", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    auto f = audit_filter(req, 10000);
    if (!f) co_return http::problem(f.error(), req.request_id);
    const int rows = req.query_param("limit") ? f->limit : 10000;
    auto csv = co_await deps->repo.audit_csv(f.value(), rows);
    if (!csv) co_return http::problem(csv.error(), req.request_id);
    Response res = Response::text(200, std::move(csv.value()), "text/csv; charset=utf-8");
    res.set("Content-Disposition", "attachment; filename=\"tollgate-audit-log.csv\"");
    co_return no_store(std::move(res));
  });
}

void register_token_routes(http::Router& router, const std::shared_ptr<AdminDeps>& deps) {
  router.add("GET", "/api/admin/service-tokens", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    auto list = co_await deps->repo.service_tokens();
    if (!list) co_return http::problem(list.error(), req.request_id);
    const json out = {{"tokens", list.value()}};
    co_return no_store(Response::json(200, out));
  });

  router.add("POST", "/api/admin/service-tokens", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    auto body = body_with_reason(req, true, {"name", "scopes", "expiresAt"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    const json& b = body->first;
    Error bad = Error::of(ErrorCode::ValidationFailed, "One or more fields are invalid.");
    std::string name;
    if (auto it = b.find("name"); it == b.end() || !it->is_string() || auth::trim(it->get<std::string>()).empty() ||
                                  http::utf8_length(auth::trim(it->get<std::string>())) > 100)
      bad.fields.push_back({"name", "is required, 1 to 100 characters"});
    else
      name = auth::trim(it->get<std::string>());
    std::vector<std::string> scopes;
    if (auto it = b.find("scopes"); it == b.end()) {
      scopes.push_back("keys:verify");
    } else if (!it->is_array() || it->empty() || it->size() > 10) {
      bad.fields.push_back({"scopes", "must be a non-empty list of scopes (keys:verify)"});
    } else {
      for (const auto& s : *it) {
        if (!s.is_string() || !known_scope(s.get<std::string>())) {
          bad.fields.push_back({"scopes", "knows only keys:verify"});
          break;
        }
        if (std::find(scopes.begin(), scopes.end(), s.get<std::string>()) == scopes.end())
          scopes.push_back(s.get<std::string>());
      }
    }
    std::optional<std::string> expires;
    if (auto it = b.find("expiresAt"); it != b.end() && !it->is_null()) {
      std::optional<std::int64_t> ms;
      if (it->is_string()) ms = time_ms(it->get<std::string>());
      if (!ms)
        bad.fields.push_back({"expiresAt", "must be a date or an RFC 3339 time with offset"});
      else if (*ms <= std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count())
        bad.fields.push_back({"expiresAt", "must be in the future"});
      else
        expires = format_rfc3339_ms(*ms);
    }
    if (!bad.fields.empty()) co_return http::problem(bad, req.request_id);
    const std::string token = "tg_svc_" + keys::random_base62(43);
    const std::string prefix = token.substr(0, 12);
    const std::string hash = keys::sha256_hex(token);
    const AdminActor a = actor_of(req, body->second);
    auto created = co_await deps->repo.create_service_token(a, name, scopes, expires, prefix, hash);
    if (!created) co_return http::problem(created.error(), req.request_id);
    json out = created.value();
    out["token"] = token;  // shown this once; only its hash is stored
    co_return no_store(Response::json(201, out));
  });

  router.add("DELETE", "/api/admin/service-tokens/{id}", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    const Error missing = Error::coded(ErrorCode::NotFound, "SERVICE_TOKEN_NOT_FOUND", "No such service token.");
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(missing, req.request_id);
    auto body = body_with_reason(req, true);
    if (!body) co_return http::problem(body.error(), req.request_id);
    const AdminActor a = actor_of(req, body->second);
    auto done = co_await deps->repo.revoke_service_token(a, id);
    if (!done) co_return http::problem(done.error(), req.request_id);
    if (!done.value()) co_return http::problem(missing, req.request_id);
    co_return Response::empty(204);
  });
}

void register_catalog_routes(http::Router& router, const std::shared_ptr<AdminDeps>& deps) {
  router.add("GET", "/api/admin/endpoints", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    auto list = co_await deps->repo.endpoints();
    if (!list) co_return http::problem(list.error(), req.request_id);
    const json out = {{"endpoints", list.value()}};
    co_return no_store(Response::json(200, out));
  });

  router.add("POST", "/api/admin/endpoints", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    auto body = http::json_object_body(req);
    if (!body) co_return http::problem(body.error(), req.request_id);
    Error bad = Error::of(ErrorCode::ValidationFailed, "One or more fields are invalid.");
    const std::string reason = take_reason(body.value(), bad);
    EndpointInput in;
    in.method = "*";
    validate_endpoint(body.value(), deps->self, in, bad.fields);
    if (!bad.fields.empty()) co_return http::problem(bad, req.request_id);
    const AdminActor a = actor_of(req, reason);
    auto created = co_await deps->repo.create_endpoint(a, in);
    if (!created) co_return http::problem(created.error(), req.request_id);
    if (!created.value()) {
      co_return http::problem(
          Error::coded(ErrorCode::Conflict, "ENDPOINT_EXISTS", "An endpoint with this method and path pattern exists."),
          req.request_id);
    }
    // This instance serves the change at once; the others re-read the catalog within 5 seconds (or at once, on a
    // request the old catalog does not match).
    auto reloaded = co_await deps->catalog.reload();
    (void)reloaded;
    co_return no_store(Response::json(201, *created.value()));
  });

  router.add("PATCH", "/api/admin/endpoints/{id}", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    const Error missing = Error::coded(ErrorCode::NotFound, "ENDPOINT_NOT_FOUND", "No such endpoint.");
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(missing, req.request_id);
    auto body = http::json_object_body(req);
    if (!body) co_return http::problem(body.error(), req.request_id);
    auto stored = co_await deps->repo.endpoint(id);
    if (!stored) co_return http::problem(stored.error(), req.request_id);
    if (!stored.value()) co_return http::problem(missing, req.request_id);
    const json& s = *stored.value();
    EndpointInput in;
    in.method = s["method"].get<std::string>();
    in.path_pattern = s["pathPattern"].get<std::string>();
    in.upstream_url = s["upstreamUrl"].get<std::string>();
    in.description = s["description"].get<std::string>();
    in.cost = s["cost"].get<std::int64_t>();
    if (!s["rateLimitPerMinute"].is_null()) in.rate_limit_per_minute = s["rateLimitPerMinute"].get<std::int64_t>();
    in.timeout_ms = s["timeoutMs"].get<std::int64_t>();
    in.is_public = s["isPublic"].get<bool>();
    in.enabled = s["enabled"].get<bool>();
    Error bad = Error::of(ErrorCode::ValidationFailed, "One or more fields are invalid.");
    const std::string reason = take_reason(body.value(), bad);
    if (body->empty()) bad.fields.push_back({"body", "must change at least one field"});
    validate_endpoint(body.value(), deps->self, in, bad.fields);
    if (!bad.fields.empty()) co_return http::problem(bad, req.request_id);
    const AdminActor a = actor_of(req, reason);
    auto r = co_await deps->repo.update_endpoint(a, id, in);
    if (!r) co_return http::problem(r.error(), req.request_id);
    if (r.value() == AdminRepository::EndpointWrite::not_found) co_return http::problem(missing, req.request_id);
    if (r.value() == AdminRepository::EndpointWrite::conflict) {
      co_return http::problem(
          Error::coded(ErrorCode::Conflict, "ENDPOINT_EXISTS", "Another endpoint has this method and path pattern."),
          req.request_id);
    }
    auto reloaded = co_await deps->catalog.reload();
    (void)reloaded;
    auto updated = co_await deps->repo.endpoint(id);
    if (!updated) co_return http::problem(updated.error(), req.request_id);
    if (!updated.value()) co_return http::problem(missing, req.request_id);
    co_return no_store(Response::json(200, *updated.value()));
  });

  router.add("DELETE", "/api/admin/endpoints/{id}", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    const Error missing = Error::coded(ErrorCode::NotFound, "ENDPOINT_NOT_FOUND", "No such endpoint.");
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(missing, req.request_id);
    auto body = body_with_reason(req, true);
    if (!body) co_return http::problem(body.error(), req.request_id);
    const AdminActor a = actor_of(req, body->second);
    auto done = co_await deps->repo.delete_endpoint(a, id);
    if (!done) co_return http::problem(done.error(), req.request_id);
    if (!done.value()) co_return http::problem(missing, req.request_id);
    auto reloaded = co_await deps->catalog.reload();
    (void)reloaded;
    co_return Response::empty(204);
  });
}

// The buckets of a subject: an IP has the anonymous /api bucket and the failed sign-in throttle; a user the signed-in
// /api bucket; a key its gateway/verify window.
Task<Result<std::vector<Bucket>>> buckets_of(AdminDeps& d, const std::string& kind, const std::string& id) {
  std::vector<Bucket> out;
  if (kind == "ip") {
    out.push_back({"api", "api:ip:" + id, d.ip_limit});
    out.push_back({"login_failures", "login-fail:" + id, d.auth.settings().ip_failures});
  } else if (kind == "user") {
    auto state = co_await d.repo.user_state(id);
    if (!state) co_return state.error();
    if (!state.value()) co_return user_missing();
    out.push_back({"api", "api:user:" + id, d.user_limit});
  } else {
    auto rate = co_await d.repo.key_rate(id);
    if (!rate) co_return rate.error();
    if (!rate.value()) co_return Error::coded(ErrorCode::NotFound, "API_KEY_NOT_FOUND", "No such API key.");
    out.push_back({"key", "key:" + id, LimitRule{*rate.value(), d.key_window}});
  }
  co_return out;
}

Result<std::pair<std::string, std::string>> subject(const std::string& kind, const std::string& raw) {
  Error bad = Error::of(ErrorCode::ValidationFailed, "One or more fields are invalid.");
  if (kind != "ip" && kind != "user" && kind != "key") {
    bad.fields.push_back({"kind", "must be ip, user or key"});
    return bad;
  }
  if (kind == "ip") {
    auto ip = net::parse_ip(raw);
    if (!ip || raw.size() > 45) {
      bad.fields.push_back({"id", "must be an IP address"});
      return bad;
    }
    return std::make_pair(kind, raw);
  }
  if (!auth::is_uuid(raw)) {
    bad.fields.push_back({"id", kind == "user" ? "must be a user id (UUID)" : "must be an API key id (UUID)"});
    return bad;
  }
  return std::make_pair(kind, auth::lower_id(raw));
}

void register_limit_routes(http::Router& router, const std::shared_ptr<AdminDeps>& deps) {
  router.add("GET", "/api/admin/rate-limits", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    auto s = subject(req.query_param("kind").value_or(""), req.query_param("id").value_or(""));
    if (!s) co_return http::problem(s.error(), req.request_id);
    const std::string kind = s->first;
    const std::string id = s->second;
    auto buckets = co_await buckets_of(*deps, kind, id);
    if (!buckets) co_return http::problem(buckets.error(), req.request_id);
    json list = json::array();
    for (const auto& b : buckets.value()) {
      // A peek: a hit of cost 0 counts nothing.
      std::string key = b.key;
      const LimitRule rule = b.rule;
      auto d = co_await deps->limiter.hit(std::move(key), rule, 0);
      list.push_back({{"name", b.name},
                      {"limit", rule.max},
                      {"windowSeconds", rule.window.count() / 1000},
                      {"used", std::max<std::int64_t>(0, rule.max - d.remaining)},
                      {"remaining", d.remaining},
                      {"resetMs", d.reset_ms},
                      {"store", d.store}});
    }
    const json out = {{"kind", kind}, {"id", id}, {"buckets", list}};
    co_return no_store(Response::json(200, out));
  });

  router.add("POST", "/api/admin/rate-limits/reset", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    auto body = body_with_reason(req, false, {"kind", "id"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    const json& b = body->first;
    std::string kind_raw, id_raw;
    if (b.contains("kind") && b["kind"].is_string()) kind_raw = b["kind"].get<std::string>();
    if (b.contains("id") && b["id"].is_string()) id_raw = b["id"].get<std::string>();
    auto s = subject(kind_raw, id_raw);
    if (!s) co_return http::problem(s.error(), req.request_id);
    const std::string kind = s->first;
    const std::string id = s->second;
    auto buckets = co_await buckets_of(*deps, kind, id);
    if (!buckets) co_return http::problem(buckets.error(), req.request_id);
    for (const auto& b2 : buckets.value()) {
      std::string key = b2.key;
      const LimitRule rule = b2.rule;
      co_await deps->limiter.reset(std::move(key), rule);
    }
    const AdminActor a = actor_of(req, body->second);
    const json meta = {{"kind", kind}};
    const std::optional<std::string> no_org;
    const std::string target = kind + ":" + id;
    auto w = co_await deps->repo.audit(a, "admin.rate_limit.reset", "rate_limit", target, no_org, meta);
    if (!w) co_return http::problem(w.error(), req.request_id);
    co_return Response::empty(204);
  });
}
}  // namespace

void register_impersonation_routes(http::Router& router, const std::shared_ptr<AdminDeps>& deps) {
  // Starts "view as customer": admin gate, a fresh TOTP code (step-up) and a reason; answers a read-only access token
  // for the customer that expires in 15 minutes (or when ended, or when the administrator's session ends).
  router.add("POST", "/api/admin/impersonation", [deps](Request& req) -> Task<Response> {
    auto refused = co_await refuse_unless_admin(*deps, req);
    if (refused) co_return std::move(*refused);
    auto body = body_with_reason(req, false, {"userId", "code"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    const json& b = body->first;
    Error bad = Error::of(ErrorCode::ValidationFailed, "One or more fields are invalid.");
    std::string target, code;
    if (b.contains("userId") && b["userId"].is_string() && auth::is_uuid(b["userId"].get<std::string>()))
      target = auth::lower_id(b["userId"].get<std::string>());
    else
      bad.fields.push_back({"userId", "must be a user id (UUID)"});
    if (b.contains("code") && b["code"].is_string() && !b["code"].get<std::string>().empty() &&
        b["code"].get<std::string>().size() <= 32)
      code = b["code"].get<std::string>();
    else
      bad.fields.push_back({"code", "is required: a current code from your authenticator app"});
    if (!bad.fields.empty()) co_return http::problem(bad, req.request_id);
    if (target == req.user_id) co_return http::problem(self_action(), req.request_id);
    if (req.session_id.empty()) co_return http::problem(auth::unauthorized(), req.request_id);
    const AdminActor a = actor_of(req, body->second);
    const auth::SessionMeta sm{a.user_agent, a.ip, a.request_id};
    const std::string admin_id = req.user_id;
    auto stepped = co_await deps->auth.step_up(admin_id, code, sm);
    if (!stepped) co_return http::problem(stepped.error(), req.request_id);
    auto user = co_await deps->auth.repository().find_by_id(target);
    if (!user) co_return http::problem(user.error(), req.request_id);
    if (!user.value() || user.value()->status == "deleted") co_return http::problem(user_missing(), req.request_id);
    if (user.value()->status != "active") {
      co_return http::problem(Error::coded(ErrorCode::Conflict, "USER_NOT_ACTIVE",
                                           "The user is suspended; there is no customer view to show."),
                              req.request_id);
    }
    if (user.value()->role == "ADMIN") {
      co_return http::problem(Error::coded(ErrorCode::Conflict, "IMPERSONATION_NOT_ALLOWED",
                                           "Administrators cannot be viewed as customers."),
                              req.request_id);
    }
    constexpr int kTtl = 15 * 60;
    auto started = co_await deps->repo.start_impersonation(a, target, kTtl);
    if (!started) co_return http::problem(started.error(), req.request_id);
    const std::string token =
        deps->auth.impersonation_token(*user.value(), started->id, admin_id, req.session_id, kTtl);
    json shown = {{"id", user.value()->id}, {"email", user.value()->email}, {"name", nullptr}};
    if (user.value()->name) shown["name"] = *user.value()->name;
    const json out = {{"accessToken", token},
                      {"tokenType", "Bearer"},
                      {"expiresIn", kTtl},
                      {"expiresAt", started->expires_at},
                      {"impersonationId", started->id},
                      {"user", shown}};
    co_return no_store(Response::json(201, out));
  });

  // With the impersonation token: who is viewing whom, until when (the banner).
  router.add("GET", "/api/impersonation", [deps](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(auth::unauthorized(), req.request_id);
    if (req.impersonation_id.empty()) {
      co_return http::problem(
          Error::coded(ErrorCode::NotFound, "NOT_IMPERSONATING", "This access token is not a view-as-customer token."),
          req.request_id);
    }
    const std::string id = req.impersonation_id;
    auto state = co_await deps->repo.impersonation(id);
    if (!state) co_return http::problem(state.error(), req.request_id);
    if (!state.value()) co_return http::problem(auth::unauthorized(), req.request_id);
    co_return no_store(Response::json(200, *state.value()));
  });

  // Ends the view (the one write an impersonation token may make); audited. Idempotent.
  router.add("POST", "/api/impersonation/end", [deps](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(auth::unauthorized(), req.request_id);
    if (req.impersonation_id.empty()) {
      co_return http::problem(
          Error::coded(ErrorCode::NotFound, "NOT_IMPERSONATING", "This access token is not a view-as-customer token."),
          req.request_id);
    }
    const std::string id = req.impersonation_id;
    AdminActor a = actor_of(req, "");
    a.admin_id = req.impersonator_id;
    auto done = co_await deps->repo.end_impersonation(a, id);
    if (!done) co_return http::problem(done.error(), req.request_id);
    co_return Response::empty(204);
  });
}

void register_routes(http::Router& router, AdminDeps given) {
  auto deps = std::make_shared<AdminDeps>(given);
  register_user_routes(router, deps);
  register_org_routes(router, deps);
  register_audit_routes(router, deps);
  register_token_routes(router, deps);
  register_catalog_routes(router, deps);
  register_limit_routes(router, deps);
  register_impersonation_routes(router, deps);
}

}  // namespace tg::admin
