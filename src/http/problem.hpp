#pragma once
#include <string_view>

#include "core/error.hpp"
#include "http/message.hpp"

namespace tg::http {

struct ProblemInfo {
  int status;
  const char* code;   // stable, machine-readable
  const char* title;  // short, human
};
ProblemInfo problem_info(ErrorCode code);

// The one place where domain errors become RFC 9457 problem+json responses.
Response problem(const Error& error, std::string_view request_id);

}  // namespace tg::http
