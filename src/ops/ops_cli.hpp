#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/http_fetch.hpp"

namespace tg {
struct Config;
}

namespace tg::ops {

// `tollgate smoke --url URL`: a read-only check of a deployed instance, for the end of a deploy.
struct SmokeOptions {
  std::string url;            // base URL, no trailing slash
  std::string key;            // optional API key (tg_test_… preferably)
  std::string service_token;  // with `key`: one POST /v1/keys/verify of cost 0; without it: GET /gw/echo
  std::chrono::milliseconds timeout{10000};
};

struct SmokeCheck {
  std::string name;
  bool ok = false;
  std::string detail;
};

using Fetcher = std::function<Result<FetchResponse>(const FetchRequest&)>;

// The checks in order; `fetch` is the transport (libcurl in the CLI, a fake in tests).
std::vector<SmokeCheck> run_smoke(const SmokeOptions& opts, const Fetcher& fetch);
std::string format_smoke_table(const std::vector<SmokeCheck>& checks);
int smoke_cli(int argc, char** argv);

// `tollgate backup` / `tollgate restore`: pg_dump custom format, pruned by age; restore into an empty database.
struct BackupFile {
  std::string name;     // tollgate-YYYYMMDDTHHMMSSZ.dump
  std::int64_t time_s;  // from the name (UTC), not the file's mtime: copies keep their age
};

std::string backup_file_name(std::int64_t now_s);
// Parses a name made by backup_file_name; anything else is not ours and is never pruned.
bool parse_backup_file_name(const std::string& name, std::int64_t& time_s);
// Names to delete: older than keep_days, but never the newest one (a stale but only backup is kept).
std::vector<std::string> backups_to_prune(std::vector<BackupFile> files, std::int64_t now_s, int keep_days);
// libpq connection string → the PG* environment of pg_dump/pg_restore, so no password shows in `ps`.
Result<std::vector<std::string>> libpq_environment(const std::string& conninfo);

int backup_cli(const Config& cfg, int argc, char** argv);
int restore_cli(const Config& cfg, int argc, char** argv);

}  // namespace tg::ops
