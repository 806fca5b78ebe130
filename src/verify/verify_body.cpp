#include "verify/verify_body.hpp"

#include "http/body.hpp"

namespace tg::verify {

Result<VerifyInput> parse_verify_body(const http::Request& req) {
  if (const auto* ct = req.header("content-type")) {
    VerifyInput fast;
    if (parse_verify_body_fast(*ct, req.body, fast)) return fast;
  }
  auto body = http::json_object_body(req, {"key", "endpoint", "method", "cost"});
  if (!body) return body.error();
  http::Validator v(*body);
  VerifyInput in;
  in.key = v.string("key", true, 0, 256);  // "" is well-formed and simply unknown: 200 NOT_FOUND
  in.endpoint = v.string("endpoint", false, 0, 512);
  in.method = v.string("method", false, 0, 16);
  if (auto it = body->find("cost"); it != body->end()) {
    if (!it->is_number_integer())
      v.fail("cost", "must be an integer");
    else if (it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > 1000000)
      v.fail("cost", "must be from 0 to 1000000");
    else
      in.cost = it->get<std::int64_t>();
  }
  if (!v.ok()) return v.error();
  return in;
}

namespace {
struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }
  bool eat(char c) {
    ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  // A string of printable ASCII with no escapes; anything else is left to the full parser.
  bool plain_string(std::string_view& out) {
    ws();
    if (i >= s.size() || s[i] != '"') return false;
    const std::size_t start = ++i;
    while (i < s.size()) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '"') {
        out = s.substr(start, i - start);
        ++i;
        return true;
      }
      if (c == '\\' || c < 0x20 || c > 0x7e) return false;
      ++i;
    }
    return false;
  }
};
}  // namespace

bool parse_verify_body_fast(std::string_view content_type, std::string_view body, VerifyInput& in) {
  if (!http::iequals(content_type, "application/json")) return false;
  Cursor c{body};
  if (!c.eat('{')) return false;
  bool seen_key = false, seen_endpoint = false, seen_method = false, seen_cost = false;
  if (c.eat('}')) return false;  // {}: "key is required" comes from the full parser
  while (true) {
    std::string_view name;
    if (!c.plain_string(name) || !c.eat(':')) return false;
    if (name == "cost") {
      if (seen_cost) return false;
      seen_cost = true;
      c.ws();
      const std::size_t start = c.i;
      std::int64_t v = 0;
      while (c.i < body.size() && body[c.i] >= '0' && body[c.i] <= '9' && c.i - start < 8) {
        v = v * 10 + (body[c.i] - '0');
        ++c.i;
      }
      const std::size_t n = c.i - start;
      if (n == 0 || n > 7 || (n > 1 && body[start] == '0') || v > 1000000) return false;
      // A number that goes on (fraction, exponent) is not a plain integer.
      if (c.i < body.size() && (body[c.i] == '.' || body[c.i] == 'e' || body[c.i] == 'E')) return false;
      in.cost = v;
    } else {
      std::string_view value;
      if (!c.plain_string(value)) return false;
      if (name == "key") {
        if (seen_key || value.size() > 256) return false;
        seen_key = true;
        in.key.assign(value);
      } else if (name == "endpoint") {
        if (seen_endpoint || value.size() > 512) return false;
        seen_endpoint = true;
        in.endpoint.assign(value);
      } else if (name == "method") {
        if (seen_method || value.size() > 16) return false;
        seen_method = true;
        in.method.assign(value);
      } else {
        return false;
      }
    }
    if (c.eat(',')) continue;
    if (!c.eat('}')) return false;
    c.ws();
    return seen_key && c.i == body.size();
  }
}

}  // namespace tg::verify
