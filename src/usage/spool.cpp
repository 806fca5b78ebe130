#include "usage/spool.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include "core/fast_rng.hpp"
#include "core/hex.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/net.hpp"
#include "http/body.hpp"

namespace tg::usage {
namespace fs = std::filesystem;

namespace {
std::string format_uuid(const unsigned char* b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t o = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++o;
    out[o++] = kHex[b[i] >> 4];
    out[o++] = kHex[b[i] & 0x0f];
  }
  return out;
}
}  // namespace

std::string new_uuid() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  return format_uuid(b);
}

std::string new_event_id(std::int64_t occurred_us) {
  // UUIDv7 (RFC 9562): 48-bit Unix milliseconds first, so new rows land at the right edge of the primary-key
  // b-tree instead of on random pages (random v4 ids made every insert a page search).
  // The 74 random bits only need to be unique, not secret: a per-thread generator (seeded from the OS) instead of
  // a getrandom() system call per metered call.
  thread_local FastRng rng;
  unsigned char b[16];
  const std::uint64_t r0 = rng.next(), r1 = rng.next();
  std::memcpy(b, &r0, 8);
  std::memcpy(b + 8, &r1, 8);
  const auto ms = static_cast<std::uint64_t>(occurred_us / 1000);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x70);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  return format_uuid(b);
}

namespace {
constexpr const char* kExt = ".spool";

// One field of a COPY text-format line. Backslash, tab, newline and carriage return are escaped; NUL (which no
// PostgreSQL text can hold) is dropped. Text that is not valid UTF-8 (a header may carry any bytes) is read as
// Latin-1, so a spool line is always loadable and PostgreSQL never refuses a batch over it.
void append_field(std::string& out, std::string_view s) {
  const bool utf8 = http::valid_utf8(s);
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case 0: break;
      default:
        if (c < 0x80 || utf8) {
          out += static_cast<char>(c);
        } else {
          out += static_cast<char>(0xC0 | (c >> 6));
          out += static_cast<char>(0x80 | (c & 0x3F));
        }
    }
  }
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
  static auto& c =
      metrics::registry().counter("tollgate_usage_spool_errors_total", "Usage events that could not be spooled");
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

std::string spool_line(const UsageEvent& e) {
  // COPY text format, one event per line, columns in kStageColumns order. Built by hand: this runs for every
  // metered call.
  std::string line;
  line.reserve(256 + e.user_agent.size() + e.endpoint.size());
  const auto num = [&line](std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    line.append(buf, r.ptr);
  };
  line += e.event_id;
  line += '\t';
  num(e.occurred_us);
  line += '\t';
  line += e.organization_id;
  line += '\t';
  line += e.api_key_id;
  line += '\t';
  if (e.api_endpoint_id.empty())
    line += "\\N";
  else
    line += e.api_endpoint_id;
  line += '\t';
  line += e.source;
  line += '\t';
  append_field(line, std::string_view(e.method).substr(0, 16));
  line += '\t';
  append_field(line, std::string_view(e.endpoint).substr(0, 512));
  line += '\t';
  num(e.status_code);
  line += '\t';
  line += e.code;
  line += '\t';
  num(e.cost);
  line += '\t';
  num(e.latency_us);
  line += '\t';
  num(e.request_bytes);
  line += '\t';
  num(e.response_bytes);
  line += '\t';
  append_field(line, e.client_ip);
  line += '\t';
  append_field(line, std::string_view(e.user_agent).substr(0, 1024));
  line += '\t';
  append_field(line, std::string_view(e.request_id).substr(0, 200));
  line += '\n';
  return line;
}

Status Spool::append(const UsageEvent& e) {
  const std::string line = spool_line(e);
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
// Batches arrive by COPY into a per-connection temporary table (COPY parses text ~3x cheaper than jsonb did).
const db::Query kStage{"usage_stage_create",
                       "CREATE TEMP TABLE IF NOT EXISTS usage_stage (id uuid, t bigint, o uuid, k uuid, ep uuid, "
                       "s text, m text, e text, st int, c text, cost bigint, lat bigint, rq bigint, rs bigint, "
                       "ip text, ua text, rid text) ON COMMIT DELETE ROWS"};
constexpr const char* kCopy = "COPY usage_stage FROM STDIN";
const db::Query kShip{
    "usage_ship",
    "WITH x AS (SELECT * FROM usage_stage), "
    "ins AS (INSERT INTO usage_events (event_id, occurred_at, organization_id, api_key_id, api_endpoint_id, source, "
    "method, endpoint, status_code, code, cost, latency_us, request_bytes, response_bytes, client_ip, user_agent, "
    "request_id) SELECT id, to_timestamp(t / 1e6::float8), o, k, ep, s, left(m, 16), left(e, 512), st, c, cost, lat, "
    "rq, "
    "rs, NULLIF(ip, '')::inet, NULLIF(ua, ''), NULLIF(rid, '') FROM x "
    // Only what the rollups and the last-used marks read: RETURNING * kept every user agent and request id too.
    "ON CONFLICT (event_id, occurred_at) DO NOTHING RETURNING occurred_at, organization_id, api_key_id, method, "
    "endpoint, status_code, code, cost, latency_us, request_bytes, response_bytes, client_ip), "
    "roll AS (INSERT INTO usage_rollups AS u (bucket, bucket_start, organization_id, api_key_id, method, endpoint, "
    "requests, errors, server_errors, rejected, rate_limited, quota_rejected, cost_units, request_bytes, "
    "response_bytes, latency_sum_us, latency_max_us, latency_hist) SELECT b.bucket, date_trunc(b.bucket, "
    "ins.occurred_at, 'UTC'), organization_id, "
    "api_key_id, method, endpoint, count(*), count(*) FILTER (WHERE status_code >= 400), "
    "count(*) FILTER (WHERE status_code >= 500), count(*) FILTER (WHERE code <> 'VALID'), count(*) FILTER (WHERE "
    "code = 'RATE_LIMITED'), count(*) FILTER (WHERE code = 'USAGE_EXCEEDED'), sum(cost), "
    "sum(request_bytes), sum(response_bytes), sum(latency_us), max(latency_us), "
    // The histogram with native aggregates: a plpgsql aggregate per row cost as much CPU as the insert itself.
    "ARRAY[count(*) FILTER (WHERE hb = 0), count(*) FILTER (WHERE hb = 1), count(*) FILTER (WHERE hb = 2), count(*) "
    "FILTER (WHERE hb = 3), count(*) FILTER (WHERE hb = 4), count(*) FILTER (WHERE hb = 5), count(*) FILTER (WHERE hb "
    "= 6), count(*) FILTER (WHERE hb = 7), count(*) FILTER (WHERE hb = 8), count(*) FILTER (WHERE hb = 9), count(*) "
    "FILTER (WHERE hb = 10), count(*) FILTER (WHERE hb = 11), count(*) FILTER (WHERE hb = 12), count(*) FILTER (WHERE "
    "hb = 13), count(*) FILTER (WHERE hb = 14), count(*) FILTER (WHERE hb = 15), count(*) FILTER (WHERE hb = "
    "16)]::bigint[] "
    "FROM (SELECT *, width_bucket(latency_us, usage_latency_edges()) AS hb FROM ins) ins "
    "CROSS JOIN (VALUES ('hour'), ('day')) AS b(bucket) GROUP BY 1, 2, 3, 4, 5, 6 "
    "ON CONFLICT (bucket, bucket_start, organization_id, api_key_id, method, endpoint) DO UPDATE SET "
    "requests = u.requests + EXCLUDED.requests, errors = u.errors + EXCLUDED.errors, "
    "server_errors = u.server_errors + EXCLUDED.server_errors, rejected = u.rejected + EXCLUDED.rejected, "
    "rate_limited = u.rate_limited + EXCLUDED.rate_limited, quota_rejected = u.quota_rejected + "
    "EXCLUDED.quota_rejected, "
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

bool uuid_text(std::string_view f) {
  if (f.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    const char c = f[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

bool digits(std::string_view f) {
  return !f.empty() && f.size() <= 19 && std::all_of(f.begin(), f.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

// A line is loaded only when COPY cannot refuse it: 17 fields, ids and numbers well formed, no NUL. This is what
// keeps one damaged line (a crash's torn tail glued to the next line) from blocking every later batch.
bool valid_spool_line(std::string_view line) {
  std::string_view f[17];
  std::size_t n = 0, start = 0;
  while (true) {
    const auto tab = line.find('\t', start);
    if (n == 17) return false;
    f[n++] = line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  if (n != 17 || line.find('\0') != std::string_view::npos) return false;
  if (!uuid_text(f[0]) || !uuid_text(f[2]) || !uuid_text(f[3])) return false;
  if (f[4] != "\\N" && !uuid_text(f[4])) return false;
  if (f[5] != "verify" && f[5] != "gateway") return false;
  for (int i : {1, 8, 10, 11, 12, 13})
    if (!digits(f[i])) return false;
  static constexpr std::string_view kCodes[] = {"VALID",        "REVOKED",        "EXPIRED",         "DISABLED",
                                                "RATE_LIMITED", "USAGE_EXCEEDED", "PAYMENT_REQUIRED"};
  if (std::find(std::begin(kCodes), std::end(kCodes), f[9]) == std::end(kCodes)) return false;
  return f[14].empty() || net::parse_ip(f[14]).has_value();
}

// Spool files written before the COPY format held one JSON object per line; they are converted when met.
std::optional<std::string> legacy_json_line(std::string_view line) {
  if (line.size() < 2 || line.front() != '{' || line.back() != '}') return std::nullopt;
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  const auto str = [&j](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; };
  const auto num = [&j](const char* k) {
    return j.contains(k) && j[k].is_number_integer() ? j[k].get<std::int64_t>() : std::int64_t{0};
  };
  UsageEvent e;
  e.event_id = str("id");
  e.occurred_us = num("t");
  e.organization_id = str("o");
  e.api_key_id = str("k");
  e.api_endpoint_id = str("ep");
  const std::string source = str("s");
  e.source = source == "gateway" ? "gateway" : "verify";
  e.method = str("m");
  e.endpoint = str("e");
  e.status_code = static_cast<int>(num("st"));
  const std::string code = str("c");
  static constexpr const char* kCodes[] = {"VALID",        "REVOKED",        "EXPIRED",         "DISABLED",
                                           "RATE_LIMITED", "USAGE_EXCEEDED", "PAYMENT_REQUIRED"};
  e.code = nullptr;
  for (const char* c : kCodes)
    if (code == c) e.code = c;
  if (!e.code) return std::nullopt;
  e.cost = num("cost");
  e.latency_us = num("lat");
  e.request_bytes = num("rq");
  e.response_bytes = num("rs");
  e.client_ip = str("ip");
  e.user_agent = str("ua");
  e.request_id = str("rid");
  std::string out = spool_line(e);
  if (!valid_spool_line(std::string_view(out).substr(0, out.size() - 1))) return std::nullopt;
  return out;
}

namespace {
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
    // Lines are COPY text rows this process family wrote (older versions wrote JSON objects: converted here).
    // Anything else, such as the torn tail of a crash merged with the next line, is skipped and logged.
    std::string batch;
    batch.reserve(chunk.size());
    std::size_t count = 0, start = 0;
    while (start < chunk.size()) {
      const auto nl = chunk.find('\n', start);
      const std::string_view line(chunk.data() + start, nl - start);
      if (valid_spool_line(line)) {
        batch.append(line);
        batch += '\n';
        ++count;
      } else if (auto converted = legacy_json_line(line)) {
        batch += *converted;
        ++count;
      } else if (!line.empty()) {
        log::error("unreadable usage spool line skipped", {{"segment", name}, {"offset", offset + start}});
      }
      start = nl + 1;
    }
    if (count > 0) {
      auto r = co_await ship_batch(batch);
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

Task<Result<db::Rows>> Shipper::ship_batch(const std::string& rows) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto staged = co_await tx->query(kStage);
  if (!staged) co_return staged.error();
  auto copied = co_await tx->copy_in(kCopy, rows);
  if (!copied) co_return copied.error();
  auto r = co_await tx->query(kShip);
  if (!r) co_return r.error();
  auto done = co_await tx->commit();
  if (!done) co_return done.error();
  co_return r;
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
