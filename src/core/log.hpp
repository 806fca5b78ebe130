#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

// Structured JSON logging: one JSON object a line to stdout and to rotating files under LOG_DIR.
// Never pass secrets (passwords, tokens, keys, codes) as fields.
namespace tg::log {

enum class Level { debug, info, warn, error };

void init(const std::string& log_dir, Level min_level, bool to_stdout = true);
void write(Level level, std::string_view msg, nlohmann::json fields = nlohmann::json::object());
inline void debug(std::string_view m, nlohmann::json f = nlohmann::json::object()) {
  write(Level::debug, m, std::move(f));
}
inline void info(std::string_view m, nlohmann::json f = nlohmann::json::object()) {
  write(Level::info, m, std::move(f));
}
inline void warn(std::string_view m, nlohmann::json f = nlohmann::json::object()) {
  write(Level::warn, m, std::move(f));
}
inline void error(std::string_view m, nlohmann::json f = nlohmann::json::object()) {
  write(Level::error, m, std::move(f));
}
bool enabled(Level level);
void flush();
// Flushes everything; call before the process exits (after every thread flushed its access batch).
void shutdown();
// Access-log lines are batched per thread and written in one call when the batch passes 32 KiB or when the
// thread's periodic flush (every 250 ms) runs: one write per batch instead of per request. A crash can lose
// the last quarter second of access lines; errors and everything else are written at once.
void access(std::string line);
void flush_access();
// Pre-formatted JSON line (the access log builds its own, cheaper than nlohmann on the hot path).
void raw(Level level, std::string line);
void append_json_string(std::string& out, std::string_view s);
Level parse_level(std::string_view s, Level fallback);
std::string iso_now();

}  // namespace tg::log
