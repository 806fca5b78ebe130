#pragma once
// Entry points into helpers that live in an anonymous namespace of an otherwise DB/coroutine-heavy handler file.
//
// Each shims/shim_<file>.cpp #includes one src/<dir>/<file>.cpp (so its internal-linkage helpers are visible in
// that translation unit) and defines the wrappers below. A harness links the shim object *instead of* the original
// file. The link uses --gc-sections (and ASan's globals dead stripping), so the route lambdas of those files, which
// reach repositories and the database, are discarded and need no definitions: only the pure helpers are linked.
// A helper that starts to need such code shows up as an undefined symbol when the harness links.
// Nothing under src/ is modified.
#include <utility>  // Boost 1.74's awaitable.hpp needs std::exchange first

// Every shim defines one plain external variable. Why: -fsanitize=fuzzer puts each function in its own COMDAT group
// (with its coverage counters); ASan then finds no external non-COMDAT definition to derive a module id from and
// falls back to registering all globals through one array, which keeps every function of the object alive and
// defeats --gc-sections (the route lambdas would then need the repositories and the database). One such variable
// restores ASan's per-global, GC-friendly metadata (-fsanitize-address-globals-dead-stripping).
#define TG_FUZZ_GC_ANCHOR(name) int tg_fuzz_gc_anchor_##name = 0;

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/admin_repository.hpp"
#include "core/error.hpp"
#include "http/body.hpp"
#include "http/message.hpp"

namespace tg::fuzz {

// ---- src/http/server.cpp -----------------------------------------------------------------------------------------
namespace bhttp = boost::beast::http;
http::Request server_to_request(const bhttp::request<bhttp::string_body>& msg, const std::string& peer);
http::Request server_head_request(const bhttp::request_parser<bhttp::string_body>& parser, const std::string& peer);
std::optional<Error> server_parse_error(const boost::system::error_code& ec);
std::string server_serialize_head(const http::Response& res, bool head_only, bool keep_alive, unsigned version);
extern const std::uint64_t kServerStreamRequestAbove;

// ---- src/auth/auth_handlers.cpp (anonymous helpers; the public ones are linked from the shim object) ---------------
Result<std::string> auth_presented_refresh_token(const http::Request& req);
Result<std::string> auth_email_field(const http::Request& req);

// ---- src/auth/account_handlers.cpp -------------------------------------------------------------------------------
void account_patch_field(http::Validator& v, const nlohmann::json& body, const char* field, std::size_t max,
                         bool& set, std::optional<std::string>& value);
bool account_plausible_https_url(const std::string& s);

// ---- src/keys/key_handlers.cpp -----------------------------------------------------------------------------------
std::optional<std::int64_t> keys_int_field(http::Validator& v, const nlohmann::json& body, const char* f,
                                           std::int64_t lo, std::int64_t hi, bool& present, bool nullable);
std::optional<std::string> keys_metadata_field(http::Validator& v, const nlohmann::json& body);

// ---- src/billing/billing_handlers.cpp ----------------------------------------------------------------------------
struct PlanChoiceView {
  std::string plan, interval;
  std::optional<std::int64_t> proration_date;
};
Result<PlanChoiceView> billing_plan_choice(const http::Request& req);
bool billing_payment_method_id(std::string_view id);

// ---- src/admin/admin_handlers.cpp --------------------------------------------------------------------------------
Result<std::pair<nlohmann::json, std::string>> admin_body_with_reason(const http::Request& req, bool optional,
                                                                      std::initializer_list<std::string_view> extra);
std::string admin_take_reason(nlohmann::json& body, Error& bad);
void admin_parse_user_list(const http::Request& req, admin::UserFilter& f, Error& bad);  // + role, verified
void admin_parse_org_list(const http::Request& req, admin::OrgFilter& f, Error& bad);
Result<admin::AuditFilter> admin_audit_filter(const http::Request& req, int max_limit);
std::optional<std::int64_t> admin_time_ms(const std::string& s);
Result<std::pair<std::string, std::string>> admin_subject(const std::string& kind, const std::string& raw);

// ---- src/usage/usage_handlers.cpp --------------------------------------------------------------------------------
struct RangeView {
  std::int64_t from_ms = 0, to_ms = 0;
};
Result<RangeView> usage_range_of(const http::Request& req, std::int64_t now, std::int64_t max_days);
Result<std::string> usage_key_filter(const http::Request& req);
std::int64_t usage_floor_to(std::int64_t ms, std::int64_t unit);
std::int64_t usage_ceil_to(std::int64_t ms, std::int64_t unit);
std::vector<std::string> usage_range_params(const std::string& org, std::int64_t from, std::int64_t to,
                                            const std::string& key);
std::string usage_csv_field(std::string_view s);

// ---- src/gateway/gateway.cpp -------------------------------------------------------------------------------------
bool gateway_suspicious_path(std::string_view path);
std::string gateway_presented_key(const http::Request& req);
bool gateway_drop_request_header(std::string_view name);

// ---- src/orgs/org_handlers.cpp -----------------------------------------------------------------------------------
bool orgs_plausible_email(const std::string& e);
bool orgs_valid_role(const std::string& r);

}  // namespace tg::fuzz
