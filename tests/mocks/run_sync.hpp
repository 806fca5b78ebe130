#pragma once
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>

#include "core/async.hpp"

namespace tg::testing {
// Runs a coroutine to completion on a private io_context.
template <class T>
T run_sync(Task<T> task) {
  asio::io_context ctx;
  std::optional<T> out;
  std::exception_ptr err;
  asio::co_spawn(ctx, std::move(task), [&](std::exception_ptr e, T v) {
    err = e;
    if (!e) out = std::move(v);
  });
  ctx.run();
  if (err) std::rethrow_exception(err);
  return std::move(*out);
}

inline void run_sync(Task<void> task) {
  asio::io_context ctx;
  std::exception_ptr err;
  asio::co_spawn(ctx, std::move(task), [&](std::exception_ptr e) { err = e; });
  ctx.run();
  if (err) std::rethrow_exception(err);
}
}  // namespace tg::testing
