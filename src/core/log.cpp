#include "core/log.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <filesystem>

namespace tg::log {
namespace {
std::shared_ptr<spdlog::logger> g_logger;
Level g_min = Level::info;

spdlog::level::level_enum to_spd(Level l) {
  switch (l) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}
const char* name(Level l) {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}
}  // namespace

std::string iso_now() {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

void init(const std::string& log_dir, Level min_level, bool to_stdout) {
  g_min = min_level;
  std::vector<spdlog::sink_ptr> sinks;
  if (to_stdout) sinks.push_back(std::make_shared<spdlog::sinks::stdout_sink_mt>());
  if (!log_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(log_dir, ec);
    if (!ec) {
      sinks.push_back(
          std::make_shared<spdlog::sinks::rotating_file_sink_mt>(log_dir + "/combined.log", 10 * 1024 * 1024, 5));
      auto err = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(log_dir + "/error.log", 10 * 1024 * 1024, 5);
      err->set_level(spdlog::level::err);
      sinks.push_back(err);
    }
  }
  g_logger = std::make_shared<spdlog::logger>("tollgate", sinks.begin(), sinks.end());
  g_logger->set_pattern("%v");
  g_logger->set_level(to_spd(min_level));
  g_logger->flush_on(spdlog::level::warn);
  // flush_every only reaches loggers in spdlog's registry: without this the files lagged until exit.
  spdlog::drop("tollgate");
  spdlog::register_logger(g_logger);
  spdlog::flush_every(std::chrono::seconds(1));
}

bool enabled(Level level) {
  return level >= g_min;
}

void write(Level level, std::string_view msg, nlohmann::json fields) {
  if (!enabled(level)) return;
  nlohmann::json line = nlohmann::json::object();
  line["time"] = iso_now();
  line["level"] = name(level);
  line["msg"] = msg;
  if (fields.is_object()) {
    for (auto& [k, v] : fields.items()) line[k] = std::move(v);
  }
  auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (g_logger) {
    g_logger->log(to_spd(level), text);
  } else {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
}

void flush() {
  if (g_logger) g_logger->flush();
}

void shutdown() {
  flush_access();
  if (g_logger) g_logger->flush();
}

namespace {
thread_local std::string t_access_batch;
}

void access(std::string line) {
  t_access_batch += line;
  t_access_batch += '\n';
  if (t_access_batch.size() >= 32 * 1024) flush_access();
}

void flush_access() {
  if (t_access_batch.empty()) return;
  t_access_batch.pop_back();  // the sink ends the record with a newline
  if (g_logger)
    g_logger->log(spdlog::level::info, t_access_batch);
  else
    std::fprintf(stderr, "%s\n", t_access_batch.c_str());
  t_access_batch.clear();
}

void raw(Level level, std::string line) {
  if (!enabled(level)) return;
  if (g_logger)
    g_logger->log(to_spd(level), line);
  else
    std::fprintf(stderr, "%s\n", line.c_str());
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x80) {
          // Escape control bytes and anything non-ASCII: log lines stay valid JSON whatever the path held.
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

Level parse_level(std::string_view s, Level fallback) {
  if (s == "debug") return Level::debug;
  if (s == "info") return Level::info;
  if (s == "warn" || s == "warning") return Level::warn;
  if (s == "error") return Level::error;
  return fallback;
}

}  // namespace tg::log
