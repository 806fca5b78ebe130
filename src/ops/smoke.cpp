#include <cstdio>
#include <nlohmann/json.hpp>

#include "ops/ops_cli.hpp"

namespace tg::ops {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool starts_with(const std::string& s, const std::string& p) {
  return s.rfind(p, 0) == 0;
}

std::string header_or_empty(const FetchResponse& r, std::string_view name) {
  const std::string* v = r.header(name);
  return v ? *v : std::string();
}

// One request; a transport failure becomes the check's detail.
struct Outcome {
  bool reached = false;
  FetchResponse res;
  std::string error;
};

Outcome get(const Fetcher& fetch, const SmokeOptions& o, const std::string& path,
            std::vector<std::string> headers = {}) {
  FetchRequest rq;
  rq.url = o.url + path;
  rq.headers = std::move(headers);
  rq.timeout = o.timeout;
  rq.connect_timeout = std::min(o.timeout, std::chrono::milliseconds(5000));
  auto r = fetch(rq);
  if (!r) return {false, {}, r.error().detail};
  return {true, std::move(r.value()), {}};
}

std::string status_detail(const Outcome& o) {
  if (!o.reached) return o.error;
  return "HTTP " + std::to_string(o.res.status);
}

SmokeCheck expect_200(const std::string& name, const Outcome& o) {
  SmokeCheck c{name, o.reached && o.res.status == 200, status_detail(o)};
  if (c.ok) c.detail = "200";
  return c;
}

SmokeCheck check_readiness(const Outcome& o) {
  SmokeCheck c = expect_200("readiness /readyz", o);
  if (o.reached && o.res.status != 200) {
    // The body names the dependency that is down; it carries no secrets.
    c.detail += ": " + o.res.body.substr(0, 200);
  }
  return c;
}

SmokeCheck check_version(const Outcome& o) {
  SmokeCheck c{"version /api/version", false, status_detail(o)};
  if (!o.reached || o.res.status != 200) return c;
  auto j = nlohmann::json::parse(o.res.body, nullptr, false);
  if (j.is_object() && j.contains("version") && j["version"].is_string()) {
    c.ok = true;
    c.detail = j["version"].get<std::string>();
  } else {
    c.detail = "no version in the answer";
  }
  return c;
}

SmokeCheck check_openapi(const Outcome& o) {
  SmokeCheck c{"OpenAPI /api/openapi.json", false, status_detail(o)};
  if (!o.reached || o.res.status != 200) return c;
  auto j = nlohmann::json::parse(o.res.body, nullptr, false);
  if (!j.is_object() || !j.contains("openapi") || !j.contains("paths") || !j["paths"].is_object() ||
      j["paths"].empty()) {
    c.detail = "not an OpenAPI document";
    return c;
  }
  c.ok = true;
  c.detail = std::to_string(j["paths"].size()) + " paths";
  return c;
}

SmokeCheck check_web(const Outcome& o) {
  SmokeCheck c{"web app /", false, status_detail(o)};
  if (!o.reached || o.res.status != 200) return c;
  const std::string type = lower(header_or_empty(o.res, "content-type"));
  if (!starts_with(type, "text/html")) {
    c.detail = "content-type " + type;
    return c;
  }
  if (o.res.body.find("id=\"root\"") == std::string::npos) {
    c.detail = "HTML without the app's root element (WEB_DIR not set?)";
    return c;
  }
  c.ok = true;
  c.detail = "200 text/html";
  return c;
}

SmokeCheck check_security_headers(const Outcome& o, bool https) {
  SmokeCheck c{"security headers", false, status_detail(o)};
  if (!o.reached) return c;
  std::vector<std::string> missing;
  if (lower(header_or_empty(o.res, "x-content-type-options")) != "nosniff") missing.push_back("X-Content-Type-Options");
  if (header_or_empty(o.res, "content-security-policy").find("frame-ancestors") == std::string::npos)
    missing.push_back("Content-Security-Policy");
  if (header_or_empty(o.res, "x-frame-options").empty()) missing.push_back("X-Frame-Options");
  if (header_or_empty(o.res, "referrer-policy").empty()) missing.push_back("Referrer-Policy");
  // Over HTTPS the browser must be told to stay there (TRUST_PROXY_TLS behind a TLS-terminating proxy).
  if (https && header_or_empty(o.res, "strict-transport-security").empty())
    missing.push_back("Strict-Transport-Security");
  if (missing.empty()) {
    c.ok = true;
    c.detail = https ? "CSP, nosniff, frame, referrer, HSTS" : "CSP, nosniff, frame, referrer";
  } else {
    c.detail = "missing:";
    for (const auto& m : missing) c.detail += " " + m;
  }
  return c;
}

SmokeCheck check_problem(const Outcome& o) {
  SmokeCheck c{"errors are problem+json", false, status_detail(o)};
  if (!o.reached) return c;
  const std::string type = lower(header_or_empty(o.res, "content-type"));
  auto j = nlohmann::json::parse(o.res.body, nullptr, false);
  if (o.res.status == 404 && starts_with(type, "application/problem+json") && j.is_object() && j.contains("code")) {
    c.ok = true;
    c.detail = "404 " + j["code"].get<std::string>();
  } else {
    c.detail = "HTTP " + std::to_string(o.res.status) + " " + type;
  }
  return c;
}

SmokeCheck check_verify(const Fetcher& fetch, const SmokeOptions& o) {
  FetchRequest rq;
  rq.method = "POST";
  rq.url = o.url + "/v1/keys/verify";
  rq.headers = {"Authorization: Bearer " + o.service_token, "Content-Type: application/json"};
  // Cost 0: the call is recorded like any other, but uses none of the key's quota.
  rq.body = nlohmann::json{{"key", o.key}, {"cost", 0}}.dump();
  rq.timeout = o.timeout;
  SmokeCheck c{"key verifies (POST /v1/keys/verify)", false, ""};
  auto r = fetch(rq);
  if (!r) {
    c.detail = r.error().detail;
    return c;
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status != 200 || !j.is_object()) {
    c.detail = "HTTP " + std::to_string(r->status);
    return c;
  }
  const bool valid = j.value("valid", false);
  c.ok = valid;
  c.detail = j.contains("code") && j["code"].is_string() ? j["code"].get<std::string>() : "no code";
  return c;
}

SmokeCheck check_gateway(const Outcome& o) {
  SmokeCheck c{"gateway /gw/echo with the key", false, status_detail(o)};
  if (o.reached && o.res.status == 200) {
    c.ok = true;
    c.detail = "200";
  } else if (o.reached) {
    auto j = nlohmann::json::parse(o.res.body, nullptr, false);
    if (j.is_object() && j.contains("code") && j["code"].is_string()) c.detail += " " + j["code"].get<std::string>();
  }
  return c;
}

}  // namespace

std::vector<SmokeCheck> run_smoke(const SmokeOptions& opts, const Fetcher& fetch) {
  std::vector<SmokeCheck> out;
  out.push_back(expect_200("liveness /healthz", get(fetch, opts, "/healthz")));
  out.push_back(check_readiness(get(fetch, opts, "/readyz")));
  out.push_back(check_version(get(fetch, opts, "/api/version")));
  out.push_back(check_openapi(get(fetch, opts, "/api/openapi.json")));
  const Outcome root = get(fetch, opts, "/", {"Accept: text/html"});
  out.push_back(check_web(root));
  out.push_back(check_security_headers(root, starts_with(lower(opts.url), "https://")));
  out.push_back(check_problem(get(fetch, opts, "/api/tollgate-smoke-not-a-route")));
  if (!opts.key.empty() && !opts.service_token.empty()) {
    out.push_back(check_verify(fetch, opts));
  } else if (!opts.key.empty()) {
    out.push_back(check_gateway(get(fetch, opts, "/gw/echo", {"X-API-Key: " + opts.key})));
  }
  return out;
}

std::string format_smoke_table(const std::vector<SmokeCheck>& checks) {
  std::size_t width = 5;
  for (const auto& c : checks) width = std::max(width, c.name.size());
  auto pad = [width](const std::string& s) { return s + std::string(width - s.size(), ' '); };
  std::string out = pad("check") + "  result  detail\n";
  out += std::string(width, '-') + "  ------  ------\n";
  int failed = 0;
  for (const auto& c : checks) {
    out += pad(c.name) + (c.ok ? "  pass    " : "  FAIL    ") + c.detail + "\n";
    failed += c.ok ? 0 : 1;
  }
  out += std::to_string(checks.size() - static_cast<std::size_t>(failed)) + " passed, " + std::to_string(failed) +
         " failed\n";
  return out;
}

int smoke_cli(int argc, char** argv) {
  SmokeOptions o;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--url" && has_value) {
      o.url = argv[++i];
    } else if (a == "--key" && has_value) {
      o.key = argv[++i];
    } else if (a == "--service-token" && has_value) {
      o.service_token = argv[++i];
    } else if (a == "--timeout" && has_value) {
      const std::string v = argv[++i];
      if (v.empty() || v.size() > 4 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) < 1) {
        std::fprintf(stderr, "tollgate smoke: --timeout takes whole seconds (1-9999)\n");
        return 2;
      }
      o.timeout = std::chrono::seconds(std::stoi(v));
    } else {
      std::fprintf(stderr, "tollgate smoke: unknown or incomplete argument '%s'\n", a.c_str());
      return 2;
    }
  }
  // The key and token may come from the environment instead, so they stay out of shell history and `ps`.
  if (o.key.empty())
    if (const char* k = std::getenv("SMOKE_API_KEY")) o.key = k;
  if (o.service_token.empty())
    if (const char* t = std::getenv("SMOKE_SERVICE_TOKEN")) o.service_token = t;
  if (!starts_with(lower(o.url), "http://") && !starts_with(lower(o.url), "https://")) {
    std::fprintf(stderr, "tollgate smoke: --url http(s)://host[:port] is required\n");
    return 2;
  }
  while (!o.url.empty() && o.url.back() == '/') o.url.pop_back();
  auto checks = run_smoke(o, [](const FetchRequest& rq) { return fetch(rq); });
  std::fputs(format_smoke_table(checks).c_str(), stdout);
  for (const auto& c : checks)
    if (!c.ok) return 1;
  return 0;
}

}  // namespace tg::ops
