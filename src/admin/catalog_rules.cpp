#include "admin/catalog_rules.hpp"

#include <algorithm>

#include "http/client.hpp"

namespace tg::admin {
using nlohmann::json;

namespace {
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool loopback_host(const std::string& h) {
  return h == "localhost" || h == "0.0.0.0" || h == "[::1]" || h == "[::]" || h.rfind("127.", 0) == 0 ||
         (h.size() > 10 && h.substr(h.size() - 10) == ".localhost");
}

// Segments of letters, digits and -._~ (and %-escapes); `{name}` for a whole segment; `*` only as the last one.
std::optional<std::string> pattern_problem(const std::string& p) {
  if (p.empty() || p[0] != '/') return "must start with /";
  if (p.size() > 512) return "must be at most 512 characters";
  if (p == "/") return std::nullopt;
  std::size_t start = 1;
  while (start <= p.size()) {
    auto end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    const std::string seg = p.substr(start, end - start);
    const bool last = end == p.size();
    if (seg.empty()) {
      if (!last) return "must not contain empty segments (//)";
    } else if (seg == "*") {
      if (!last) return "may use * only as the last segment";
    } else if (seg.front() == '{') {
      if (seg.size() < 3 || seg.back() != '}' ||
          seg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", 1) != seg.size() - 1)
        return "uses {name} parameters of letters, digits and _ only, one per segment";
    } else if (seg == "." || seg == "..") {
      return "must not contain . or .. segments";
    } else if (seg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%") !=
               std::string::npos) {
      return "may contain only letters, digits, -._~ and %-escapes in its segments";
    }
    start = end + 1;
  }
  return std::nullopt;
}

void integer(const json& body, const char* f, std::int64_t lo, std::int64_t hi, std::int64_t& out,
             std::vector<FieldError>& errors) {
  auto it = body.find(f);
  if (it == body.end()) return;
  if (!it->is_number_integer() || it->get<std::int64_t>() < lo || it->get<std::int64_t>() > hi) {
    errors.push_back({f, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi)});
    return;
  }
  out = it->get<std::int64_t>();
}

void boolean(const json& body, const char* f, bool& out, std::vector<FieldError>& errors) {
  auto it = body.find(f);
  if (it == body.end()) return;
  if (!it->is_boolean()) {
    errors.push_back({f, "must be true or false"});
    return;
  }
  out = it->get<bool>();
}
}  // namespace

bool known_scope(const std::string& scope) {
  return scope == "keys:verify";
}

void validate_endpoint(const json& body, const SelfAddress& self, EndpointInput& out, std::vector<FieldError>& errors) {
  static const std::vector<std::string> kFields = {"method",      "pathPattern", "upstreamUrl",
                                                   "description", "cost",        "rateLimitPerMinute",
                                                   "timeoutMs",   "isPublic",    "enabled"};
  for (const auto& [k, v] : body.items())
    if (std::find(kFields.begin(), kFields.end(), k) == kFields.end())
      errors.push_back({k, "is not an endpoint field"});
  if (auto it = body.find("method"); it != body.end()) {
    static const std::vector<std::string> kMethods = {"*", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    if (!it->is_string() || std::find(kMethods.begin(), kMethods.end(), it->get<std::string>()) == kMethods.end())
      errors.push_back({"method", "must be one of *, GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"});
    else
      out.method = it->get<std::string>();
  }
  if (auto it = body.find("pathPattern"); it != body.end()) {
    if (!it->is_string()) {
      errors.push_back({"pathPattern", "must be a string"});
    } else if (auto why = pattern_problem(it->get<std::string>())) {
      errors.push_back({"pathPattern", *why});
    } else {
      out.path_pattern = it->get<std::string>();
    }
  }
  if (out.path_pattern.empty() &&
      std::none_of(errors.begin(), errors.end(), [](const FieldError& e) { return e.field == "pathPattern"; }))
    errors.push_back({"pathPattern", "is required"});
  if (auto it = body.find("upstreamUrl"); it != body.end()) {
    if (!it->is_string() || it->get<std::string>().size() > 2048) {
      errors.push_back({"upstreamUrl", "must be a URL of at most 2048 characters"});
    } else {
      const std::string url = it->get<std::string>();
      if (url == "internal://echo") {
        out.upstream_url = url;
      } else if (url.find_first_of("?#") != std::string::npos) {
        errors.push_back({"upstreamUrl", "must not have a query or fragment (the caller's are forwarded)"});
      } else if (auto up = http::parse_upstream(url); !up) {
        errors.push_back(
            {"upstreamUrl", "must be http(s)://host[:port][/base] or internal://echo (" + up.error().detail + ")"});
      } else {
        const std::string host = lower(up->host);
        std::uint16_t port = self.port;
        if (self.listening && self.listening->load() != 0) port = self.listening->load();
        const bool to_self = (loopback_host(host) && up->port == port) ||
                             (!self.public_host.empty() && host == self.public_host && up->port == self.public_port);
        if (to_self)
          errors.push_back({"upstreamUrl", "points back at this Tollgate, which would proxy to itself in a loop"});
        else
          out.upstream_url = url;
      }
    }
  }
  if (out.upstream_url.empty() &&
      std::none_of(errors.begin(), errors.end(), [](const FieldError& e) { return e.field == "upstreamUrl"; }))
    errors.push_back({"upstreamUrl", "is required"});
  if (auto it = body.find("description"); it != body.end()) {
    if (!it->is_string() || it->get<std::string>().size() > 500)
      errors.push_back({"description", "must be a string of at most 500 characters"});
    else
      out.description = it->get<std::string>();
  }
  integer(body, "cost", 0, 1'000'000, out.cost, errors);
  if (auto it = body.find("rateLimitPerMinute"); it != body.end()) {
    if (it->is_null()) {
      out.rate_limit_per_minute.reset();
    } else {
      std::int64_t v = 0;
      const auto before = errors.size();
      integer(body, "rateLimitPerMinute", 1, 1'000'000, v, errors);
      if (errors.size() == before) out.rate_limit_per_minute = v;
    }
  }
  integer(body, "timeoutMs", 1, 600'000, out.timeout_ms, errors);
  boolean(body, "isPublic", out.is_public, errors);
  boolean(body, "enabled", out.enabled, errors);
}

}  // namespace tg::admin
