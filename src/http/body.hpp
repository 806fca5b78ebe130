#pragma once
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/error.hpp"
#include "http/message.hpp"

namespace tg::http {

bool valid_utf8(std::string_view s);
// Code points in valid UTF-8 (what "characters" means in the contract and in PostgreSQL's length()).
std::size_t utf8_length(std::string_view s);

// Parses a JSON object body: 415 unless Content-Type is application/json (or +json), 400 on bad UTF-8 or
// syntax, 422 when `strict_fields` is non-empty and the object has a key outside it.
Result<nlohmann::json> json_object_body(const Request& req,
                                        std::initializer_list<std::string_view> allowed_fields = {});

// Small validation helper that gathers field errors and yields one 422.
class Validator {
 public:
  explicit Validator(const nlohmann::json& obj) : obj_(obj) {}
  // Returns the string or "" (and records an error) when missing/wrong.
  std::string string(const char* field, bool required, std::size_t min_len, std::size_t max_len);
  void fail(std::string field, std::string message) { errors_.push_back({std::move(field), std::move(message)}); }
  bool ok() const { return errors_.empty(); }
  Error error() const;

 private:
  const nlohmann::json& obj_;
  std::vector<FieldError> errors_;
};

// Nesting depth of a JSON text (arrays and objects), counted without parsing; strings are skipped. Bodies
// deeper than kMaxJsonDepth are refused before parsing: PostgreSQL's jsonb and recursive walks have limits,
// and no API of ours nests more than a few levels.
constexpr int kMaxJsonDepth = 64;
bool json_depth_within(std::string_view text, int max_depth);

}  // namespace tg::http
