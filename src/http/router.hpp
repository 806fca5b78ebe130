#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>: it must come first.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/message.hpp"

namespace tg::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

// Method + path router. Patterns use OpenAPI syntax (`/api/keys/{id}`) so the table can be checked against
// api/openapi.yaml; a final `*` segment matches the rest of the path (the gateway's `/gw/*`).
class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;
    Handler handler;
    bool documented = true;  // false for test-only hooks that are not part of the contract
  };
  enum class Outcome { matched, not_found, method_not_allowed };
  struct Match {
    Outcome outcome = Outcome::not_found;
    const Route* route = nullptr;
    std::vector<std::pair<std::string, std::string>> params;
    std::string allow;  // for 405
  };

  void add(std::string method, std::string pattern, Handler handler, bool documented = true);
  Match match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  static bool match_pattern(std::string_view pattern, std::string_view path,
                            std::vector<std::pair<std::string, std::string>>* params);
  std::vector<Route> routes_;
  std::unordered_map<std::string, std::vector<std::size_t>> static_;  // exact path -> route indices
  std::vector<std::size_t> dynamic_;
};

}  // namespace tg::http
