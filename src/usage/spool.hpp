#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>

#include "core/async.hpp"
#include "core/error.hpp"
#include "db/db.hpp"

namespace tg::usage {

struct UsageEvent {
  std::string event_id;  // uuid, generated here: the exactly-once key
  std::int64_t occurred_us = 0;
  std::string organization_id, api_key_id, api_endpoint_id;
  const char* source = "verify";
  std::string method, endpoint;
  int status_code = 200;
  const char* code = "VALID";
  std::int64_t cost = 0;
  std::int64_t latency_us = 0, request_bytes = 0, response_bytes = 0;
  std::string client_ip, user_agent, request_id;
};

std::string new_uuid();
// Time-ordered (UUIDv7) id for a usage event.
std::string new_event_id(std::int64_t occurred_us);
// The spool line of an event: COPY text format, newline-terminated.
std::string spool_line(const UsageEvent& e);
// A spool line (without its newline) that COPY will accept.
bool valid_spool_line(std::string_view line);
// A line in the JSON format of earlier versions, converted to a spool line; nothing when it is not one.
std::optional<std::string> legacy_json_line(std::string_view line);

// Durable local log of metered calls. append() is one write(2) on an O_APPEND file before the response goes out:
// the bytes are in the kernel once it returns, so they survive the process being killed (not a power cut: the
// spool is not fsynced per call; see docs/architecture.md). Segments rotate at 16 MiB; the shipper deletes a
// segment once everything in it is in PostgreSQL.
class Spool {
 public:
  explicit Spool(std::string dir);
  ~Spool();
  Status open();
  Status append(const UsageEvent& e);
  const std::string& dir() const { return dir_; }
  // Name of the segment being written (the shipper never deletes it).
  std::string active_segment() const;
  void maybe_rotate(std::size_t max_bytes);

 private:
  std::string dir_;
  mutable std::shared_mutex mu_;  // shared for append, exclusive for rotation
  int fd_ = -1;
  std::string active_;
  std::atomic<std::size_t> written_{0};
  std::uint64_t next_seq_ = 0;
};

// Moves spooled events into usage_events and usage_rollups, exactly once: rows are inserted with ON CONFLICT DO
// NOTHING on (event_id, occurred_at) and only the inserted rows feed the rollups, in one transaction; the read
// offset is saved after the commit, so a crash in between replays rows that are then skipped.
class Shipper {
 public:
  // Called after each commit with the cost shipped per organization (quota bookkeeping).
  using OnShipped = std::function<void(const std::map<std::string, std::int64_t>&)>;
  Shipper(Spool& spool, db::Database& db, OnShipped on_shipped);
  // Ships what is there now; returns events shipped (inserted or already present).
  Task<Result<std::int64_t>> ship_once();
  Task<void> run(const std::atomic<bool>& stop);

 private:
  Task<Result<db::Rows>> ship_batch(const std::string& rows);
  Spool& spool_;
  db::Database& db_;
  OnShipped on_shipped_;
};

}  // namespace tg::usage
