#include "http/router.hpp"

#include <algorithm>

namespace tg::http {

void Router::add(std::string method, std::string pattern, Handler handler, bool documented) {
  bool is_static = pattern.find('{') == std::string::npos && pattern.find('*') == std::string::npos;
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(handler), documented});
  // Indices stay valid as routes_ grows; the pointers handed out by match() are taken after set-up.
  std::size_t idx = routes_.size() - 1;
  if (is_static)
    static_[routes_[idx].pattern].push_back(idx);
  else
    dynamic_.push_back(idx);
}

bool Router::match_pattern(std::string_view pattern, std::string_view path,
                           std::vector<std::pair<std::string, std::string>>* params) {
  std::size_t pi = 0, si = 0;
  while (pi < pattern.size()) {
    if (pattern[pi] == '*') {
      if (params) params->emplace_back("*", std::string(path.substr(si)));
      return true;
    }
    if (pattern[pi] == '{') {
      auto close = pattern.find('}', pi);
      auto name = pattern.substr(pi + 1, close - pi - 1);
      auto end = path.find('/', si);
      if (end == std::string_view::npos) end = path.size();
      if (end == si) return false;  // empty segment
      if (params) params->emplace_back(std::string(name), std::string(path.substr(si, end - si)));
      si = end;
      pi = close + 1;
      continue;
    }
    if (si >= path.size() || pattern[pi] != path[si]) return false;
    ++pi;
    ++si;
  }
  return si == path.size();
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  std::string allow;
  auto consider = [&](std::size_t idx) -> bool {
    const Route& r = routes_[idx];
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      m.outcome = Outcome::matched;
      m.route = &r;
      return true;
    }
    if (allow.find(r.method) == std::string::npos) {
      if (!allow.empty()) allow += ", ";
      allow += r.method;
      if (r.method == "GET") allow += ", HEAD";
    }
    return false;
  };
  if (auto it = static_.find(std::string(path)); it != static_.end()) {
    for (auto idx : it->second) {
      if (consider(idx)) return m;
    }
  }
  for (auto idx : dynamic_) {
    std::vector<std::pair<std::string, std::string>> params;
    if (!match_pattern(routes_[idx].pattern, path, &params)) continue;
    if (consider(idx)) {
      m.params = std::move(params);
      return m;
    }
  }
  if (!allow.empty()) {
    m.outcome = Outcome::method_not_allowed;
    m.allow = allow + ", OPTIONS";
  }
  return m;
}

}  // namespace tg::http
