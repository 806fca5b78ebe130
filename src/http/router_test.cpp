#include "http/router.hpp"

#include <gtest/gtest.h>

#include "../tests/mocks/run_sync.hpp"

namespace tg::http {
namespace {

Handler reply(int status) {
  return [status](Request&) -> Task<Response> { co_return Response::empty(status); };
}

TEST(Router, MatchesStaticRoutesByMethod) {
  Router r;
  r.add("GET", "/healthz", reply(200));
  r.add("POST", "/api/items", reply(201));
  auto m = r.match("GET", "/healthz");
  ASSERT_EQ(m.outcome, Router::Outcome::matched);
  EXPECT_EQ(m.route->pattern, "/healthz");
  Request req;
  EXPECT_EQ(testing::run_sync(m.route->handler(req)).status, 200);
}

TEST(Router, HeadFallsBackToGet) {
  Router r;
  r.add("GET", "/healthz", reply(200));
  EXPECT_EQ(r.match("HEAD", "/healthz").outcome, Router::Outcome::matched);
}

TEST(Router, ExtractsPathParameters) {
  Router r;
  r.add("GET", "/api/keys/{id}", reply(200));
  r.add("GET", "/api/orgs/{org}/members/{user}", reply(200));
  auto m = r.match("GET", "/api/orgs/o1/members/u9");
  ASSERT_EQ(m.outcome, Router::Outcome::matched);
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"org", "o1"}));
  EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>{"user", "u9"}));
  EXPECT_EQ(r.match("GET", "/api/keys/").outcome, Router::Outcome::not_found);  // empty segment
  EXPECT_EQ(r.match("GET", "/api/keys/a/b").outcome, Router::Outcome::not_found);
}

TEST(Router, WildcardMatchesTheRest) {
  Router r;
  r.add("GET", "/gw/*", reply(200));
  auto m = r.match("GET", "/gw/weather/today");
  ASSERT_EQ(m.outcome, Router::Outcome::matched);
  EXPECT_EQ(m.params[0].second, "weather/today");
}

TEST(Router, WrongMethodIs405WithAllow) {
  Router r;
  r.add("GET", "/api/items", reply(200));
  r.add("POST", "/api/items", reply(201));
  auto m = r.match("DELETE", "/api/items");
  EXPECT_EQ(m.outcome, Router::Outcome::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD, POST, OPTIONS");
}

TEST(Router, UnknownPathIs404) {
  Router r;
  r.add("GET", "/healthz", reply(200));
  EXPECT_EQ(r.match("GET", "/nope").outcome, Router::Outcome::not_found);
  EXPECT_EQ(r.match("GET", "").outcome, Router::Outcome::not_found);
}

}  // namespace
}  // namespace tg::http
