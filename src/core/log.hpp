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
inline void debug(std::string_view m, nlohmann::json f = nlohmann::json::object()) { write(Level::debug, m, std::move(f)); }
inline void info(std::string_view m, nlohmann::json f = nlohmann::json::object()) { write(Level::info, m, std::move(f)); }
inline void warn(std::string_view m, nlohmann::json f = nlohmann::json::object()) { write(Level::warn, m, std::move(f)); }
inline void error(std::string_view m, nlohmann::json f = nlohmann::json::object()) { write(Level::error, m, std::move(f)); }
bool enabled(Level level);
void flush();
Level parse_level(std::string_view s, Level fallback);
std::string iso_now();

}  // namespace tg::log
