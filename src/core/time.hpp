#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tg {

// RFC 3339 date-time ("2026-11-26T15:04:05Z", fractional seconds and ±hh:mm offsets allowed) → Unix milliseconds.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view s);
// Unix milliseconds → "2026-11-26T15:04:05.000Z".
std::string format_rfc3339_ms(std::int64_t ms);
// Unix seconds → IMF-fixdate ("Thu, 26 Nov 2026 15:04:05 GMT"), for Sunset and similar headers.
std::string http_date(std::int64_t unix_seconds);

}  // namespace tg
