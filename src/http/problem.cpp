#include "http/problem.hpp"

namespace tg::http {

ProblemInfo problem_info(ErrorCode code) {
  switch (code) {
    case ErrorCode::BadRequest: return {400, "BAD_REQUEST", "Bad request"};
    case ErrorCode::MalformedJson: return {400, "MALFORMED_JSON", "Malformed JSON"};
    case ErrorCode::InvalidUtf8: return {400, "INVALID_UTF8", "Invalid UTF-8"};
    case ErrorCode::ValidationFailed: return {422, "VALIDATION_FAILED", "Validation failed"};
    case ErrorCode::Unauthorized: return {401, "UNAUTHORIZED", "Authentication required"};
    case ErrorCode::Forbidden: return {403, "FORBIDDEN", "Forbidden"};
    case ErrorCode::CorsOriginDenied: return {403, "CORS_ORIGIN_DENIED", "Origin not allowed"};
    case ErrorCode::NotFound: return {404, "NOT_FOUND", "Not found"};
    case ErrorCode::MethodNotAllowed: return {405, "METHOD_NOT_ALLOWED", "Method not allowed"};
    case ErrorCode::Conflict: return {409, "CONFLICT", "Conflict"};
    case ErrorCode::PayloadTooLarge: return {413, "PAYLOAD_TOO_LARGE", "Payload too large"};
    case ErrorCode::HeadersTooLarge: return {431, "HEADERS_TOO_LARGE", "Request header fields too large"};
    case ErrorCode::UnsupportedMediaType: return {415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"};
    case ErrorCode::RateLimited: return {429, "RATE_LIMITED", "Too many requests"};
    case ErrorCode::PaymentRequired: return {402, "PAYMENT_REQUIRED", "Payment required"};
    case ErrorCode::Internal: return {500, "INTERNAL", "Internal server error"};
    case ErrorCode::BadGateway: return {502, "BAD_GATEWAY", "Bad gateway"};
    case ErrorCode::ServiceUnavailable: return {503, "SERVICE_UNAVAILABLE", "Service unavailable"};
    case ErrorCode::Timeout: return {504, "TIMEOUT", "Timed out"};
  }
  return {500, "INTERNAL", "Internal server error"};
}

Response problem(const Error& error, std::string_view request_id) {
  auto info = problem_info(error.code);
  const std::string code = error.public_code.empty() ? std::string(info.code) : error.public_code;
  nlohmann::json body = {
      {"type", "/docs/problems#" + code}, {"title", info.title}, {"status", info.status}, {"code", code},
      {"requestId", request_id},
  };
  // Internal errors never carry details: they might leak internals.
  if (error.code == ErrorCode::Internal) {
    body["detail"] = "An unexpected error occurred. Quote the request id when reporting it.";
  } else if (!error.detail.empty()) {
    body["detail"] = error.detail;
  }
  if (!error.fields.empty()) {
    auto arr = nlohmann::json::array();
    for (const auto& f : error.fields) arr.push_back({{"field", f.field}, {"message", f.message}});
    body["errors"] = std::move(arr);
  }
  Response r = Response::json(info.status, body);
  r.set("Content-Type", "application/problem+json");
  for (const auto& [k, v] : error.headers) r.set(k, v);
  if (info.status == 503 && !r.header("Retry-After")) r.set("Retry-After", "5");
  return r;
}

}  // namespace tg::http
