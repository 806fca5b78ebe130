#pragma once
// Shared helpers of the libFuzzer harnesses (tests/fuzz/README.md).
#include <utility>  // Boost 1.74's awaitable.hpp needs std::exchange first

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "core/async.hpp"
#include "core/clock.hpp"

// A broken invariant is a finding like a sanitizer report: print what failed and abort, so libFuzzer saves the input.
#define FUZZ_CHECK(cond, ...)                                                                   \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "\nFUZZ_CHECK failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                                        \
      std::fprintf(stderr, "\n");                                                               \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

namespace tg::fuzz {

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A fixed clock: 2023-11-14T22:13:20Z. Deterministic, so a saved input reproduces.
class FixedClock final : public Clock {
 public:
  static constexpr std::int64_t kNowMs = 1'700'000'000'000;
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(kNowMs));
  }
};

// Runs a coroutine to completion on one io_context reused across inputs (no threads, no sockets).
template <class T>
T run(Task<T> task) {
  static asio::io_context ctx;
  std::optional<T> out;
  std::exception_ptr err;
  asio::co_spawn(ctx, std::move(task), [&](std::exception_ptr e, T v) {
    err = e;
    if (!e) out = std::move(v);
  });
  ctx.restart();
  ctx.run();
  if (err) std::rethrow_exception(err);
  FUZZ_CHECK(out.has_value(), "coroutine did not complete without I/O");
  return std::move(*out);
}

}  // namespace tg::fuzz
