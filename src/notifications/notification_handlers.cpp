#include "notifications/notification_handlers.hpp"

#include <algorithm>
#include <charconv>

#include "auth/auth_handlers.hpp"
#include "http/body.hpp"
#include "http/problem.hpp"

namespace tg::notifications {
using http::Request;
using http::Response;
using nlohmann::json;

namespace {
Response no_store(Response res) {
  res.set("Cache-Control", "no-store");
  return res;
}

Error missing() {
  return Error::coded(ErrorCode::NotFound, "NOTIFICATION_NOT_FOUND", "No such notification.");
}
}  // namespace

void register_routes(http::Router& router, NotificationRepository& repo) {
  router.add("GET", "/api/notifications", [&repo](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(auth::unauthorized(), req.request_id);
    Error bad = Error::of(ErrorCode::ValidationFailed, "One or more query parameters are invalid.");
    int limit = 20;
    if (auto l = req.query_param("limit")) {
      int v = 0;
      auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), v);
      if (ec != std::errc() || p != l->data() + l->size() || v < 1 || v > 100)
        bad.fields.push_back({"limit", "must be an integer from 1 to 100"});
      else
        limit = v;
    }
    std::optional<std::string> before;
    if (auto b = req.query_param("before")) {
      if (!auth::is_uuid(*b))
        bad.fields.push_back({"before", "must be a cursor from nextCursor"});
      else
        before = auth::lower_id(*b);
    }
    bool unread_only = false;
    if (auto u = req.query_param("unread")) {
      if (*u == "true")
        unread_only = true;
      else if (*u != "false")
        bad.fields.push_back({"unread", "must be true or false"});
    }
    if (!bad.fields.empty()) co_return http::problem(bad, req.request_id);
    const std::string user = req.user_id;
    auto page = co_await repo.page(user, limit, before, unread_only);
    if (!page) co_return http::problem(page.error(), req.request_id);
    co_return no_store(Response::json(200, page.value()));
  });

  router.add("POST", "/api/notifications/{id}/read", [&repo](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(auth::unauthorized(), req.request_id);
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(missing(), req.request_id);
    const std::string user = req.user_id;
    auto done = co_await repo.mark_read(user, id);
    if (!done) co_return http::problem(done.error(), req.request_id);
    if (!done.value()) co_return http::problem(missing(), req.request_id);
    co_return Response::empty(204);
  });

  router.add("POST", "/api/notifications/read-all", [&repo](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(auth::unauthorized(), req.request_id);
    const std::string user = req.user_id;
    auto n = co_await repo.mark_all_read(user);
    if (!n) co_return http::problem(n.error(), req.request_id);
    const json out = {{"marked", n.value()}};
    co_return no_store(Response::json(200, out));
  });

  router.add("GET", "/api/user/notification-preferences", [&repo](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(auth::unauthorized(), req.request_id);
    const std::string user = req.user_id;
    auto prefs = co_await repo.preferences(user);
    if (!prefs) co_return http::problem(prefs.error(), req.request_id);
    co_return no_store(Response::json(200, prefs.value()));
  });

  // Only the kinds sent: {"email": {"quota_80": false}} turns that one off and leaves the others.
  router.add("PATCH", "/api/user/notification-preferences", [&repo](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(auth::unauthorized(), req.request_id);
    auto body = http::json_object_body(req, {"email"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    Error bad = Error::of(ErrorCode::ValidationFailed, "One or more fields are invalid.");
    const auto it = body->find("email");
    if (it == body->end() || !it->is_object() || it->empty()) {
      bad.fields.push_back({"email", "must be an object of kinds to true or false"});
    } else {
      const auto& kinds = email_kinds();
      for (const auto& [k, v] : it->items()) {
        if (std::find(kinds.begin(), kinds.end(), k) == kinds.end())
          bad.fields.push_back({"email." + k, "is not a notification kind"});
        else if (!v.is_boolean())
          bad.fields.push_back({"email." + k, "must be true or false"});
      }
    }
    if (!bad.fields.empty()) co_return http::problem(bad, req.request_id);
    const std::string user = req.user_id;
    const json email = (*body)["email"];
    auto prefs = co_await repo.set_preferences(user, email);
    if (!prefs) co_return http::problem(prefs.error(), req.request_id);
    co_return no_store(Response::json(200, prefs.value()));
  });
}

}  // namespace tg::notifications
