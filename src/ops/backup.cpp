#include <fcntl.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>

#include "core/config.hpp"
#include "ops/ops_cli.hpp"

extern char** environ;

namespace tg::ops {
namespace fs = std::filesystem;

std::string backup_file_name(std::int64_t now_s) {
  const std::time_t t = static_cast<std::time_t>(now_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "tollgate-%Y%m%dT%H%M%SZ.dump", &tm);
  return buf;
}

bool parse_backup_file_name(const std::string& name, std::int64_t& time_s) {
  // tollgate-YYYYMMDDTHHMMSSZ.dump
  if (name.size() != 30 || name.rfind("tollgate-", 0) != 0 || name.substr(25) != ".dump" || name[17] != 'T' ||
      name[24] != 'Z')
    return false;
  const std::string digits = name.substr(9, 8) + name.substr(18, 6);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return false;
  std::tm tm{};
  tm.tm_year = std::stoi(digits.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(digits.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(digits.substr(6, 2));
  tm.tm_hour = std::stoi(digits.substr(8, 2));
  tm.tm_min = std::stoi(digits.substr(10, 2));
  tm.tm_sec = std::stoi(digits.substr(12, 2));
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
    return false;
  time_s = static_cast<std::int64_t>(timegm(&tm));
  return true;
}

std::vector<std::string> backups_to_prune(std::vector<BackupFile> files, std::int64_t now_s, int keep_days) {
  std::sort(files.begin(), files.end(), [](const BackupFile& a, const BackupFile& b) { return a.time_s > b.time_s; });
  std::vector<std::string> out;
  const std::int64_t cutoff = now_s - static_cast<std::int64_t>(keep_days) * 86'400;
  for (std::size_t i = 1; i < files.size(); ++i)  // i = 0 is the newest: always kept
    if (files[i].time_s < cutoff) out.push_back(files[i].name);
  return out;
}

Result<std::vector<std::string>> libpq_environment(const std::string& conninfo) {
  // Keywords libpq also reads from the environment; others (rare) cannot be passed this way and are refused.
  static const std::map<std::string, std::string> kEnv = {
      {"host", "PGHOST"},
      {"hostaddr", "PGHOSTADDR"},
      {"port", "PGPORT"},
      {"dbname", "PGDATABASE"},
      {"user", "PGUSER"},
      {"password", "PGPASSWORD"},
      {"passfile", "PGPASSFILE"},
      {"options", "PGOPTIONS"},
      {"application_name", "PGAPPNAME"},
      {"sslmode", "PGSSLMODE"},
      {"sslcert", "PGSSLCERT"},
      {"sslkey", "PGSSLKEY"},
      {"sslrootcert", "PGSSLROOTCERT"},
      {"sslcrl", "PGSSLCRL"},
      {"connect_timeout", "PGCONNECT_TIMEOUT"},
      {"target_session_attrs", "PGTARGETSESSIONATTRS"},
      {"channel_binding", "PGCHANNELBINDING"},
      {"gssencmode", "PGGSSENCMODE"},
      {"service", "PGSERVICE"},
  };
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (!opts) {
    std::string why = err ? err : "invalid connection string";
    if (err) PQfreemem(err);
    // libpq's message quotes the option, never the password's value.
    return Error::of(ErrorCode::BadRequest, "DATABASE_URL: " + why);
  }
  std::vector<std::string> env;
  std::string unsupported;
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    auto it = kEnv.find(o->keyword);
    if (it == kEnv.end()) {
      unsupported = o->keyword;
      break;
    }
    env.push_back(it->second + "=" + o->val);
  }
  PQconninfoFree(opts);
  if (!unsupported.empty())
    return Error::of(ErrorCode::BadRequest, "DATABASE_URL: option '" + unsupported + "' is not supported here");
  return env;
}

namespace {

std::string find_pg_tool(const std::string& tool) {
  if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    std::size_t start = 0;
    while (start <= p.size()) {
      const auto end = p.find(':', start);
      const std::string dir = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (!dir.empty() && ::access((dir + "/" + tool).c_str(), X_OK) == 0) return dir + "/" + tool;
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  // Debian keeps the server-side tools off PATH; the newest major version dumps every older server.
  for (int v = 20; v >= 13; --v) {
    const std::string candidate = "/usr/lib/postgresql/" + std::to_string(v) + "/bin/" + tool;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// Runs `argv` with the caller's environment minus its PG* variables, plus `pg_env`. Returns the exit status.
int run_tool(const std::vector<std::string>& argv, const std::vector<std::string>& pg_env) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e)
    if (std::string_view(*e).rfind("PG", 0) != 0) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), pg_env.begin(), pg_env.end());
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, cargv[0], nullptr, nullptr, cargv.data(), envp.data()) != 0) return 127;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

std::string human_size(std::uintmax_t bytes) {
  char buf[32];
  if (bytes >= 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  else
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
  return buf;
}

bool parse_days(const std::string& v, int& out) {
  if (v.empty() || v.size() > 5 || v.find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::stoi(v);
  return out >= 1 && out <= 36500;
}

// Number of user tables, sequences and views: 0 means a database restore may fill.
Result<long> user_relations(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    return Error::of(ErrorCode::ServiceUnavailable, "cannot connect to PostgreSQL: " + why);
  }
  PGresult* res = PQexec(conn,
                         "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                         "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                         "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' "
                         "AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')");
  long n = -1;
  if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
    n = std::strtol(PQgetvalue(res, 0, 0), nullptr, 10);
  std::string why = n < 0 ? PQresultErrorMessage(res) : "";
  PQclear(res);
  PQfinish(conn);
  if (n < 0) return Error::of(ErrorCode::Internal, "cannot inspect the database: " + why);
  return n;
}

Status exec_sql(const std::string& conninfo, const char* sql) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    return Error::of(ErrorCode::ServiceUnavailable, "cannot connect to PostgreSQL: " + why);
  }
  PGresult* res = PQexec(conn, sql);
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  std::string why = ok ? "" : PQresultErrorMessage(res);
  PQclear(res);
  PQfinish(conn);
  if (!ok) return Error::of(ErrorCode::Internal, why);
  return ok_status();
}

constexpr const char* kSetAside =
    "BEGIN; ALTER SCHEMA public RENAME TO tollgate_pre_restore; CREATE SCHEMA public; COMMIT";
constexpr const char* kDropSetAside = "SET client_min_messages = warning; DROP SCHEMA tollgate_pre_restore CASCADE";
constexpr const char* kPutBack =
    "SET client_min_messages = warning; BEGIN; DROP SCHEMA public CASCADE; ALTER SCHEMA tollgate_pre_restore RENAME TO "
    "public; COMMIT";

}  // namespace

int backup_cli(const Config& cfg, int argc, char** argv) {
  std::string dir = cfg.backup_dir;
  int keep_days = cfg.backup_retention_days;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--keep-days" && i + 1 < argc) {
      if (!parse_days(argv[++i], keep_days)) {
        std::fprintf(stderr, "tollgate backup: --keep-days takes 1-36500\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "tollgate backup: unknown or incomplete argument '%s'\n", a.c_str());
      return 2;
    }
  }
  auto env = libpq_environment(cfg.database_url);
  if (!env) {
    std::fprintf(stderr, "tollgate backup: %s\n", env.error().detail.c_str());
    return 2;
  }
  const std::string pg_dump = find_pg_tool("pg_dump");
  if (pg_dump.empty()) {
    std::fprintf(stderr, "tollgate backup: pg_dump not found (install postgresql-client)\n");
    return 1;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "tollgate backup: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
    return 1;
  }
  ::chmod(dir.c_str(), 0700);  // dumps hold password hashes and customer data
  const auto now_s = static_cast<std::int64_t>(std::time(nullptr));
  const std::string name = backup_file_name(now_s);
  const std::string final_path = (fs::path(dir) / name).string();
  const std::string partial = final_path + ".partial";
  // Custom format: compressed, and pg_restore can pick objects and run in parallel.
  const int rc = run_tool({pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--file=" + partial}, *env);
  if (rc != 0) {
    fs::remove(partial, ec);
    std::fprintf(stderr, "tollgate backup: pg_dump failed (exit %d)\n", rc);
    return 1;
  }
  ::chmod(partial.c_str(), 0600);
  // A dump pg_restore cannot list is no backup.
  const std::string pg_restore = find_pg_tool("pg_restore");
  if (!pg_restore.empty() && run_tool({pg_restore, "--list", "--file=/dev/null", partial}, {}) != 0) {
    fs::remove(partial, ec);
    std::fprintf(stderr, "tollgate backup: the dump does not read back (pg_restore --list failed)\n");
    return 1;
  }
  // Only a complete, synced file gets the final name: a crash mid-dump leaves a .partial, never a bad .dump.
  if (!fsync_path(partial, false) || std::rename(partial.c_str(), final_path.c_str()) != 0 || !fsync_path(dir, true)) {
    fs::remove(partial, ec);
    std::fprintf(stderr, "tollgate backup: cannot write %s\n", final_path.c_str());
    return 1;
  }
  std::vector<BackupFile> existing;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::int64_t t = 0;
    const std::string n = entry.path().filename().string();
    if (entry.is_regular_file() && parse_backup_file_name(n, t)) existing.push_back({n, t});
  }
  int pruned = 0;
  for (const auto& old : backups_to_prune(existing, now_s, keep_days)) {
    if (fs::remove(fs::path(dir) / old, ec)) ++pruned;
  }
  std::printf("backup: %s (%s); %d older than %d days pruned\n", final_path.c_str(),
              human_size(fs::file_size(final_path, ec)).c_str(), pruned, keep_days);
  return 0;
}

int restore_cli(const Config& cfg, int argc, char** argv) {
  std::string file;
  bool force = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--force") {
      force = true;
    } else if (!a.empty() && a[0] != '-' && file.empty()) {
      file = a;
    } else {
      std::fprintf(stderr, "tollgate restore: unknown argument '%s'\n", a.c_str());
      return 2;
    }
  }
  if (file.empty()) {
    std::fprintf(stderr, "tollgate restore: usage: tollgate restore FILE [--force]\n");
    return 2;
  }
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    std::fprintf(stderr, "tollgate restore: %s is not a file\n", file.c_str());
    return 2;
  }
  auto env = libpq_environment(cfg.database_url);
  if (!env) {
    std::fprintf(stderr, "tollgate restore: %s\n", env.error().detail.c_str());
    return 2;
  }
  const std::string pg_restore = find_pg_tool("pg_restore");
  if (pg_restore.empty()) {
    std::fprintf(stderr, "tollgate restore: pg_restore not found (install postgresql-client)\n");
    return 1;
  }
  if (PQconninfoOption* o = PQconninfoParse(cfg.database_url.c_str(), nullptr)) {
    bool named = false;
    for (PQconninfoOption* i = o; i->keyword; ++i)
      if (std::string_view(i->keyword) == "dbname" && i->val && *i->val) named = true;
    PQconninfoFree(o);
    if (!named) {
      std::fprintf(stderr, "tollgate restore: DATABASE_URL must name the database to restore into\n");
      return 2;
    }
  }
  if (run_tool({pg_restore, "--list", "--file=/dev/null", file}, {}) != 0) {
    std::fprintf(stderr, "tollgate restore: %s is not a pg_dump archive (custom format)\n", file.c_str());
    return 1;
  }
  auto existing = user_relations(cfg.database_url);
  if (!existing) {
    std::fprintf(stderr, "tollgate restore: %s\n", existing.error().detail.c_str());
    return 1;
  }
  if (existing.value() > 0 && !force) {
    std::fprintf(stderr,
                 "tollgate restore: the target database is not empty (%ld tables, views or sequences); restore "
                 "into an empty database, or pass --force to replace what the dump contains\n",
                 existing.value());
    return 1;
  }
  // --force on a non-empty database: the current schema is set aside (renamed), not dropped, until the restore
  // has committed, so a failed restore puts it back. (pg_restore --clean cannot drop partitioned tables' keys.)
  const bool set_aside = existing.value() > 0;
  if (set_aside) {
    if (auto s = exec_sql(cfg.database_url, kSetAside); !s) {
      std::fprintf(stderr, "tollgate restore: cannot set the current schema aside: %s\n", s.error().detail.c_str());
      return 1;
    }
  }
  std::string dbname;
  for (const auto& e : *env)
    if (e.rfind("PGDATABASE=", 0) == 0) dbname = e.substr(11);
  // Without --dbname pg_restore prints SQL instead of restoring; the bare name keeps the password in the
  // environment. One transaction: a failed restore leaves nothing half-done.
  const int rc = run_tool({pg_restore, "--dbname=" + dbname, "--no-owner", "--no-privileges", "--exit-on-error",
                           "--single-transaction", file},
                          *env);
  if (rc != 0) {
    if (set_aside) {
      if (auto s = exec_sql(cfg.database_url, kPutBack); !s)
        std::fprintf(stderr, "tollgate restore: the previous schema is kept as tollgate_pre_restore: %s\n",
                     s.error().detail.c_str());
    }
    std::fprintf(stderr, "tollgate restore: pg_restore failed (exit %d); the database is as it was\n", rc);
    return 1;
  }
  if (set_aside) {
    if (auto s = exec_sql(cfg.database_url, kDropSetAside); !s)
      std::fprintf(stderr, "tollgate restore: restored, but the old schema tollgate_pre_restore remains: %s\n",
                   s.error().detail.c_str());
  }
  std::printf("restore: %s restored; run `tollgate migrate` if this binary is newer than the backup\n", file.c_str());
  return 0;
}

}  // namespace tg::ops
