#pragma once
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tg {

// Domain errors are values. src/http/problem.cpp is the one place that turns them into HTTP.
enum class ErrorCode {
  BadRequest,
  MalformedJson,
  InvalidUtf8,
  ValidationFailed,
  Unauthorized,
  Forbidden,
  CorsOriginDenied,
  NotFound,
  MethodNotAllowed,
  Conflict,
  PayloadTooLarge,
  HeadersTooLarge,
  UnsupportedMediaType,
  RateLimited,
  PaymentRequired,
  Internal,
  BadGateway,
  ServiceUnavailable,
  Timeout,
};

struct FieldError {
  std::string field;
  std::string message;
};

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string detail;
  std::vector<FieldError> fields;
  // Extra response headers the problem needs (Allow, Retry-After, ...).
  std::vector<std::pair<std::string, std::string>> headers;
  // Internal cause (SQLSTATE, constraint, library message): logged, never rendered to clients.
  std::string cause;

  // A domain-specific stable code (e.g. "INVALID_CREDENTIALS") replacing the generic one of `code`.
  std::string public_code;

  static Error of(ErrorCode c, std::string d = {}) { return Error{c, std::move(d), {}, {}, {}, {}}; }
  static Error coded(ErrorCode c, std::string public_code_, std::string d) {
    Error e = of(c, std::move(d));
    e.public_code = std::move(public_code_);
    return e;
  }
  Error& with_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// Minimal expected<T, Error>; g++ 12 has no std::expected.
template <class T>
class Result {
 public:
  Result() : v_(Error{}) {}                      // co_spawn needs default-constructible results
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }
  const Error& error() const { return std::get<1>(v_); }
  Error& error() { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() {
  return Unit{};
}

}  // namespace tg
