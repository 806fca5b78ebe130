#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.hpp"

namespace tg::mail {

struct Rendered {
  std::string subject, text, html;
};

// Renders a named template with its payload. Every template has a plain-text and an HTML part built from the same
// paragraphs, so both say the same thing; links appear in the text part on a line of their own. Unknown template
// or a missing required field → an error (the job then dead-letters instead of sending a broken mail).
Result<Rendered> render(const std::string& name, const nlohmann::json& payload, const std::string& public_url);

// "12.34 EUR" from integer minor units (zero-decimal currencies such as JPY have no fraction).
std::string format_money(std::int64_t minor, const std::string& currency);
std::string html_escape(std::string_view s);

}  // namespace tg::mail
