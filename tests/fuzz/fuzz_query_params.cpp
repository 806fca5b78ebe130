// Pagination and query parameters: the input is a query string (what follows '?').
//
// Runs http::Request::query_param for every parameter name the handlers read, then the parsers built on it:
// admin user / organization lists (page, pageSize, q, status, plan, role, verified), the audit-log filter (limit,
// before, action, actorId/userId, organizationId, targetId, from, to) with both limits the routes use, the
// rate-limit subject (kind + id), usage ranges (from / to / keyId) with the SQL parameters derived from them, and
// the CSV export's field quoting on every decoded value; plus parse_rfc3339_ms / format_rfc3339_ms.
//
// Invariants: accepted values are within the documented ranges; UUIDs come back lower-case; an accepted usage
// range is ordered and at most max_days long, and its hour/day alignment stays ordered; a CSV field never starts
// with a spreadsheet formula character and round-trips through CSV unquoting; a time that parses, formats and
// parses again to the same instant.
#include <algorithm>

#include "core/time.hpp"
#include "fuzz_common.hpp"
#include "http/message.hpp"
#include "shims/shims.hpp"

namespace {
using namespace tg;

constexpr const char* kNames[] = {
    "page",     "pageSize",    "q",      "status",         "plan",     "role", "verified", "limit", "before",
    "action",   "actorId",     "userId", "organizationId", "targetId", "from", "to",       "keyId", "granularity",
    "endpoint", "statusClass", "cursor", "unread",         "kind",     "id",   "ms",       ""};

bool lower_uuid(const std::string& s) {
  return s.size() == 36 && std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::string csv_unquote(const std::string& f) {
  if (f.size() < 2 || f.front() != '"' || f.back() != '"') return f;
  std::string out;
  for (std::size_t i = 1; i + 1 < f.size(); ++i) {
    out += f[i];
    if (f[i] == '"') {
      FUZZ_CHECK(i + 2 < f.size() && f[i + 1] == '"', "unescaped quote inside a quoted CSV field");
      ++i;
    }
  }
  return out;
}

void check_csv(const std::string& value) {
  const std::string field = fuzz::usage_csv_field(value);
  const bool quoted = value.find_first_of(",\"\r\n") != std::string::npos;
  FUZZ_CHECK(!quoted || (field.size() >= 2 && field.front() == '"' && field.back() == '"'),
             "a field with , \" CR or LF is not quoted");
  if (!quoted) FUZZ_CHECK(field.find_first_of(",\"\r\n") == std::string::npos, "unquoted field with a separator");
  std::string inner = csv_unquote(field);
  // A tab or carriage return before a formula is read as one by spreadsheets too.
  const auto formula_start = [](char c) {
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
  };
  FUZZ_CHECK(inner.empty() || !formula_start(inner[0]), "CSV field starts with a formula character: %s", field.c_str());
  if (!value.empty() && formula_start(value[0])) {
    FUZZ_CHECK(inner == "'" + value, "formula not neutralised as '<value>");
  } else {
    FUZZ_CHECK(inner == value, "CSV round trip changed the value");
  }
}

void check_time(const std::string& s) {
  const auto ms = parse_rfc3339_ms(s);
  if (!ms) return;
  const std::string formatted = format_rfc3339_ms(*ms);
  const auto again = parse_rfc3339_ms(formatted);
  // format_rfc3339_ms writes years 0000-9999 only; a time a UTC offset moves outside them does not re-parse.
  if (again)
    FUZZ_CHECK(*again == *ms, "'%s' → %lld → '%s' → %lld", s.c_str(), static_cast<long long>(*ms), formatted.c_str(),
               static_cast<long long>(*again));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::Request req;
  req.method = "GET";
  req.path = "/api/admin/users";
  req.query.assign(reinterpret_cast<const char*>(data), size);
  req.target = req.path + "?" + req.query;

  for (const char* name : kNames) {
    if (auto v = req.query_param(name)) {
      check_csv(*v);
      check_time(*v);
    }
  }

  {
    admin::UserFilter f;
    Error bad = Error::of(ErrorCode::ValidationFailed);
    fuzz::admin_parse_user_list(req, f, bad);
    if (bad.fields.empty()) {
      FUZZ_CHECK(f.page >= 1 && f.page <= 100000 && f.page_size >= 1 && f.page_size <= 100, "paging %d/%d", f.page,
                 f.page_size);
      FUZZ_CHECK(http::utf8_length(f.q) <= 200 && f.plan.size() <= 64, "q/plan too long");
      FUZZ_CHECK(f.status.empty() || f.status == "active" || f.status == "suspended" || f.status == "deleted",
                 "status %s", f.status.c_str());
      FUZZ_CHECK(f.role.empty() || f.role == "USER" || f.role == "ADMIN", "role %s", f.role.c_str());
      FUZZ_CHECK(f.verified.empty() || f.verified == "true" || f.verified == "false", "verified");
    }
    admin::OrgFilter o;
    Error bad2 = Error::of(ErrorCode::ValidationFailed);
    fuzz::admin_parse_org_list(req, o, bad2);
  }

  for (int max_limit : {200, 10000}) {
    auto f = fuzz::admin_audit_filter(req, max_limit);
    if (!f) continue;
    FUZZ_CHECK(f->limit >= 1 && f->limit <= max_limit, "audit limit %d", f->limit);
    FUZZ_CHECK(!f->before || *f->before >= 1, "audit cursor");
    FUZZ_CHECK(f->actor_id.empty() || lower_uuid(f->actor_id), "actor id %s", f->actor_id.c_str());
    FUZZ_CHECK(f->organization_id.empty() || lower_uuid(f->organization_id), "organization id");
    FUZZ_CHECK(f->action.size() <= 100 && f->target_id.size() <= 200, "action/target length");
    // A UTC offset can move 0000-01-01 / 9999-12-31 outside four-digit years, which do not re-parse; otherwise the
    // normalized time must.
    for (const auto* t : {&f->from, &f->to})
      FUZZ_CHECK(t->empty() || t->size() < 5 || (*t)[0] == '-' || (*t)[4] != '-' || parse_rfc3339_ms(*t).has_value(),
                 "normalized time '%s' does not parse", t->c_str());
  }

  {
    const std::string kind = req.query_param("kind").value_or("ip");
    const std::string id = req.query_param("id").value_or("");
    auto s = fuzz::admin_subject(kind, id);
    if (s) {
      FUZZ_CHECK(s->first == "ip" || s->first == "user" || s->first == "key", "subject kind");
      if (s->first != "ip") FUZZ_CHECK(lower_uuid(s->second), "subject id %s", s->second.c_str());
    }
    if (auto t = fuzz::admin_time_ms(id)) check_time(format_rfc3339_ms(*t));
  }

  {
    const std::int64_t now = fuzz::FixedClock::kNowMs;
    for (std::int64_t max_days : {31, 90, 400}) {
      auto r = fuzz::usage_range_of(req, now, max_days);
      if (!r) continue;
      FUZZ_CHECK(r->from_ms < r->to_ms, "range not ordered");
      FUZZ_CHECK(r->to_ms - r->from_ms <= max_days * 86'400'000, "range longer than %lld days",
                 static_cast<long long>(max_days));
      for (std::int64_t unit : {std::int64_t{3'600'000}, std::int64_t{86'400'000}}) {
        const std::int64_t f = fuzz::usage_floor_to(r->from_ms, unit), t = fuzz::usage_ceil_to(r->to_ms, unit);
        FUZZ_CHECK(f <= r->from_ms && t >= r->to_ms && f % unit == 0 && t % unit == 0, "alignment");
      }
      const auto params = fuzz::usage_range_params("org", r->from_ms, r->to_ms, "");
      FUZZ_CHECK(params.size() == 6, "range params");
    }
    auto key = fuzz::usage_key_filter(req);
    if (key) FUZZ_CHECK(key->empty() || key->size() == 36, "keyId '%s'", key->c_str());
  }
  return 0;
}
