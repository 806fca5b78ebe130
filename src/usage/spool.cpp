#include "usage/spool.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/hex.hpp"
#include "core/log.hpp"
#include "http/body.hpp"
#include "core/metrics.hpp"

namespace tg::usage {
namespace fs = std::filesystem;

std::string new_uuid() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string h = to_hex(b, sizeof b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

namespace {
constexpr const char* kExt = ".spool";

// JSON string that keeps valid UTF-8 as it is; anything else (a header may carry arbitrary bytes) is escaped
// byte by byte, so a spool line is always valid JSON and PostgreSQL never refuses a batch over it.
void append_text(std::string& out, std::string_view s) {
  if (!http::valid_utf8(s)) {
    log::append_json_string(out, s);
    return;
  }
  out += '"';
  for (unsigned char c : s) {
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

std::vector<std::string> segments(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 6 && name.compare(name.size() - 6, 6, kExt) == 0) out.push_back(name);
  }
  std::sort(out.begin(), out.end());  // zero-padded sequence numbers: lexical order is write order
  return out;
}

std::uint64_t read_offset(const std::string& path) {
  std::ifstream f(path);
  std::uint64_t off = 0;
  if (f) f >> off;
  return off;
}

void write_offset(const std::string& path, std::uint64_t off) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << off << "\n";
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
}

metrics::Counter& spool_errors() {
  static auto& c = metrics::registry().counter("tollgate_usage_spool_errors_total", "Usage events that could not be spooled");
  return c;
}
}  // namespace

Spool::Spool(std::string dir) : dir_(std::move(dir)) {}

Spool::~Spool() {
  if (fd_ >= 0) ::close(fd_);
}

Status Spool::open() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return Error::of(ErrorCode::Internal, "cannot create spool directory " + dir_ + ": " + ec.message());
  auto existing = segments(dir_);
  if (!existing.empty()) next_seq_ = std::stoull(existing.back().substr(0, 16)) + 1;
  maybe_rotate(0);
  if (fd_ < 0) return Error::of(ErrorCode::Internal, "cannot open a spool segment in " + dir_);
  return ok_status();
}

std::string Spool::active_segment() const {
  std::shared_lock lock(mu_);
  return active_;
}

void Spool::maybe_rotate(std::size_t max_bytes) {
  if (fd_ >= 0 && written_.load() < max_bytes) return;
  char name[40];
  std::snprintf(name, sizeof name, "%016llu%s", static_cast<unsigned long long>(next_seq_++), kExt);
  const std::string path = dir_ + "/" + name;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    log::error("cannot open usage spool segment", {{"path", path}});
    return;
  }
  std::unique_lock lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  active_ = name;
  written_ = 0;
}

Status Spool::append(const UsageEvent& e) {
  // Hand-built JSON (this runs for every metered call); strings escaped, numbers plain.
  std::string line;
  line.reserve(384 + e.user_agent.size());
  line += "{\"id\":\"" + e.event_id + "\",\"t\":" + std::to_string(e.occurred_us) + ",\"o\":\"" + e.organization_id +
          "\",\"k\":\"" + e.api_key_id + "\",\"s\":\"";
  line += e.source;
  line += "\",\"m\":";
  append_text(line, e.method);
  line += ",\"e\":";
  append_text(line, e.endpoint);
  line += ",\"st\":" + std::to_string(e.status_code) + ",\"c\":\"";
  line += e.code;
  line += "\",\"cost\":" + std::to_string(e.cost) + ",\"lat\":" + std::to_string(e.latency_us) +
          ",\"rq\":" + std::to_string(e.request_bytes) + ",\"rs\":" + std::to_string(e.response_bytes) + ",\"ip\":";
  append_text(line, e.client_ip);
  line += ",\"ua\":";
  append_text(line, std::string_view(e.user_agent).substr(0, 1024));
  line += ",\"rid\":";
  append_text(line, e.request_id);
  if (!e.api_endpoint_id.empty()) line += ",\"ep\":\"" + e.api_endpoint_id + "\"";
  line += '}';
  line += '\n';
  std::shared_lock lock(mu_);
  const ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    spool_errors().inc();
    return Error::of(ErrorCode::ServiceUnavailable, "usage spool write failed");
  }
  written_ += line.size();
  return ok_status();
}

namespace {
// One statement: insert the new events, add exactly the inserted ones to the hour and day rollups, move the keys'
// last-used marks, and report the cost inserted per organization.
const db::Query kShip{
    "usage_ship",
    "WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, t bigint, o uuid, k uuid, ep uuid, s text, "
    "m text, e text, st int, c text, cost bigint, lat bigint, rq bigint, rs bigint, ip text, ua text, rid text)), "
    "ins AS (INSERT INTO usage_events (event_id, occurred_at, organization_id, api_key_id, api_endpoint_id, source, "
    "method, endpoint, status_code, code, cost, latency_us, request_bytes, response_bytes, client_ip, user_agent, "
    "request_id) SELECT id, to_timestamp(t / 1000000.0), o, k, ep, s, left(m, 16), left(e, 512), st, c, cost, lat, rq, "
    "rs, NULLIF(ip, '')::inet, NULLIF(ua, ''), NULLIF(rid, '') FROM x "
    "ON CONFLICT (event_id, occurred_at) DO NOTHING RETURNING *), "
    "roll AS (INSERT INTO usage_rollups AS u (bucket, bucket_start, organization_id, api_key_id, method, endpoint, "
    "requests, errors, server_errors, rejected, cost_units, request_bytes, response_bytes, latency_sum_us, "
    "latency_max_us, latency_hist) SELECT b.bucket, date_trunc(b.bucket, ins.occurred_at, 'UTC'), organization_id, "
    "api_key_id, method, endpoint, count(*), count(*) FILTER (WHERE status_code >= 400), "
    "count(*) FILTER (WHERE status_code >= 500), count(*) FILTER (WHERE code <> 'VALID'), sum(cost), "
    "sum(request_bytes), sum(response_bytes), sum(latency_us), max(latency_us), "
    // The histogram with native aggregates: a plpgsql aggregate per row cost as much CPU as the insert itself.
    "ARRAY[count(*) FILTER (WHERE hb = 0), count(*) FILTER (WHERE hb = 1), count(*) FILTER (WHERE hb = 2), count(*) FILTER (WHERE hb = 3), count(*) FILTER (WHERE hb = 4), count(*) FILTER (WHERE hb = 5), count(*) FILTER (WHERE hb = 6), count(*) FILTER (WHERE hb = 7), count(*) FILTER (WHERE hb = 8), count(*) FILTER (WHERE hb = 9), count(*) FILTER (WHERE hb = 10), count(*) FILTER (WHERE hb = 11), count(*) FILTER (WHERE hb = 12), count(*) FILTER (WHERE hb = 13), count(*) FILTER (WHERE hb = 14), count(*) FILTER (WHERE hb = 15), count(*) FILTER (WHERE hb = 16)]::bigint[] "
    "FROM (SELECT *, width_bucket(latency_us, usage_latency_edges()) AS hb FROM ins) ins "
    "CROSS JOIN (VALUES ('hour'), ('day')) AS b(bucket) GROUP BY 1, 2, 3, 4, 5, 6 "
    "ON CONFLICT (bucket, bucket_start, organization_id, api_key_id, method, endpoint) DO UPDATE SET "
    "requests = u.requests + EXCLUDED.requests, errors = u.errors + EXCLUDED.errors, "
    "server_errors = u.server_errors + EXCLUDED.server_errors, rejected = u.rejected + EXCLUDED.rejected, "
    "cost_units = u.cost_units + EXCLUDED.cost_units, request_bytes = u.request_bytes + EXCLUDED.request_bytes, "
    "response_bytes = u.response_bytes + EXCLUDED.response_bytes, "
    "latency_sum_us = u.latency_sum_us + EXCLUDED.latency_sum_us, "
    "latency_max_us = GREATEST(u.latency_max_us, EXCLUDED.latency_max_us), "
    "latency_hist = usage_hist_add(u.latency_hist, EXCLUDED.latency_hist) RETURNING 1), "
    "used AS (UPDATE api_keys a SET last_used_at = GREATEST(a.last_used_at, l.t), last_used_ip = l.ip "
    "FROM (SELECT DISTINCT ON (api_key_id) api_key_id, occurred_at AS t, client_ip AS ip FROM ins "
    "ORDER BY api_key_id, occurred_at DESC) l WHERE a.id = l.api_key_id RETURNING 1) "
    "SELECT organization_id::text AS org, sum(cost)::bigint AS cost, (SELECT count(*) FROM roll) AS rolled, "
    "(SELECT count(*) FROM used) AS keys FROM ins GROUP BY organization_id"};

constexpr std::size_t kBatchBytes = 2 * 1024 * 1024;
constexpr std::size_t kMaxSegmentBytes = 16 * 1024 * 1024;
}  // namespace

Shipper::Shipper(Spool& spool, db::Database& db, OnShipped on_shipped)
    : spool_(spool), db_(db), on_shipped_(std::move(on_shipped)) {}

Task<Result<std::int64_t>> Shipper::ship_once() {
  spool_.maybe_rotate(kMaxSegmentBytes);
  const std::string active = spool_.active_segment();
  std::int64_t shipped = 0;
  for (const auto& name : segments(spool_.dir())) {
    const std::string path = spool_.dir() + "/" + name;
    const std::string off_path = path + ".off";
    std::uint64_t offset = read_offset(off_path);
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) continue;
    if (offset >= size) {
      if (name != active) {
        fs::remove(path, ec);
        fs::remove(off_path, ec);
      }
      continue;
    }
    std::ifstream f(path, std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    std::string chunk(std::min<std::size_t>(kBatchBytes, size - offset), '\0');
    f.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    chunk.resize(static_cast<std::size_t>(f.gcount()));
    const auto last_nl = chunk.rfind('\n');
    if (last_nl == std::string::npos) {
      // In the active segment a line is still being written; in an old one it is the torn tail of a crash.
      if (name != active && chunk.size() == size - offset) {
        log::error("torn usage spool tail abandoned", {{"segment", name}, {"bytes", chunk.size()}});
        write_offset(off_path, size);
      }
      continue;
    }
    chunk.resize(last_nl + 1);
    // The lines are JSON objects this process family wrote; they are joined into one array without parsing
    // (PostgreSQL parses it once). A line that is not {…} (a torn write from a crash) is skipped and logged.
    std::string batch = "[";
    std::size_t count = 0, start = 0;
    while (start < chunk.size()) {
      const auto nl = chunk.find('\n', start);
      const std::string_view line(chunk.data() + start, nl - start);
      if (line.size() >= 2 && line.front() == '{' && line.back() == '}') {
        if (count++) batch += ',';
        batch.append(line);
      } else if (!line.empty()) {
        log::error("unreadable usage spool line skipped", {{"segment", name}, {"offset", offset + start}});
      }
      start = nl + 1;
    }
    batch += ']';
    if (count > 0) {
      db::Params p{std::move(batch)};
      auto r = co_await db_.query(kShip, std::move(p));
      if (!r) co_return r.error();
      std::map<std::string, std::int64_t> by_org;
      for (int i = 0; i < r->size(); ++i) by_org[std::string(r->get(i, "org"))] += r->integer(i, "cost");
      if (on_shipped_) on_shipped_(by_org);
      shipped += static_cast<std::int64_t>(count);
    }
    write_offset(off_path, offset + chunk.size());
  }
  static auto& counter = metrics::registry().counter("tollgate_usage_events_shipped_total", "Usage events shipped");
  if (shipped > 0) counter.inc(static_cast<std::uint64_t>(shipped));
  co_return shipped;
}

Task<void> Shipper::run(const std::atomic<bool>& stop) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex);
  while (!stop.load()) {
    auto r = co_await ship_once();
    if (!r) log::warn("usage shipment failed; will retry", {{"error", r.error().detail}});
    timer.expires_after(std::chrono::milliseconds(r && r.value() > 0 ? 50 : 250));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_await ship_once();  // drain what was spooled before shutdown
}

}  // namespace tg::usage
