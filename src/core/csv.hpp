#pragma once
#include <string>
#include <string_view>

namespace tg {

// One CSV field (RFC 4180) of an export. A field that would start a spreadsheet formula (= + - @, or a tab or
// carriage return before one) is prefixed with an apostrophe, so opening an export never evaluates what a caller
// sent (OWASP "CSV injection"). `always_quote` quotes every field; otherwise only fields that need it.
inline std::string csv_field(std::string_view v, bool always_quote) {
  std::string out;
  out.reserve(v.size() + 3);
  const bool quote = always_quote || v.find_first_of(",\"\r\n") != std::string_view::npos;
  if (quote) out += '"';
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r'))
    out += '\'';
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  if (quote) out += '"';
  return out;
}

}  // namespace tg
