// Two-factor state of the auth repository. The TOTP seed is stored sealed (crypto::SecretBox); recovery codes as
// SHA-256 hex (they are 50-bit random strings, so a fast hash is enough).
#include "auth/repository_detail.hpp"
#include "core/hex.hpp"

namespace tg::auth {
namespace {
using detail::kAudit;

const db::Query kMfaState{
    "auth_mfa_state",
    "SELECT encode(totp_secret_enc, 'hex') AS secret, totp_enabled_at IS NOT NULL AS enabled, totp_last_step, "
    "(SELECT count(*) FROM mfa_recovery_codes c WHERE c.user_id = u.id AND c.used_at IS NULL) AS remaining "
    "FROM users u WHERE id = $1::uuid"};
const db::Query kStoreSecret{"auth_store_totp_secret",
                             "UPDATE users SET totp_secret_enc = decode($2, 'hex'), totp_last_step = NULL "
                             "WHERE id = $1::uuid AND totp_enabled_at IS NULL"};
const db::Query kEnable{"auth_enable_totp",
                        "UPDATE users SET totp_enabled_at = now(), totp_last_step = $2::bigint "
                        "WHERE id = $1::uuid AND totp_enabled_at IS NULL AND totp_secret_enc IS NOT NULL RETURNING id"};
const db::Query kDeleteCodes{"auth_delete_recovery_codes", "DELETE FROM mfa_recovery_codes WHERE user_id = $1::uuid"};
const db::Query kInsertCodes{"auth_insert_recovery_codes",
                             "INSERT INTO mfa_recovery_codes (user_id, code_hash) "
                             "SELECT $1::uuid, unnest($2::text[])"};
const db::Query kAdvanceStep{"auth_advance_totp_step",
                             "UPDATE users SET totp_last_step = $2::bigint WHERE id = $1::uuid "
                             "AND (totp_last_step IS NULL OR totp_last_step < $2::bigint) RETURNING id"};
const db::Query kUseCode{"auth_use_recovery_code",
                         "UPDATE mfa_recovery_codes SET used_at = now() "
                         "WHERE user_id = $1::uuid AND code_hash = $2 AND used_at IS NULL RETURNING id"};
const db::Query kDisable{"auth_disable_totp",
                         "UPDATE users SET totp_secret_enc = NULL, totp_enabled_at = NULL, totp_last_step = NULL "
                         "WHERE id = $1::uuid"};

// Postgres array literal of hex strings (no quoting needed: [0-9a-f] only).
std::string text_array(const std::vector<std::string>& v) {
  std::string out = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += v[i];
  }
  return out + "}";
}

std::optional<std::string> unhex(std::string_view h) {
  if (h.size() % 2) return std::nullopt;
  std::string out;
  out.reserve(h.size() / 2);
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < h.size(); i += 2) {
    int a = val(h[i]), b = val(h[i + 1]);
    if (a < 0 || b < 0) return std::nullopt;
    out += static_cast<char>(a * 16 + b);
  }
  return out;
}
}  // namespace

Task<Result<MfaState>> AuthRepository::mfa_state(const std::string& user_id) {
  db::Params p{user_id};
  auto r = co_await db_.query(kMfaState, std::move(p));
  if (!r) co_return r.error();
  MfaState s;
  if (r->empty()) co_return s;
  if (auto hex = r->opt(0, "secret"); hex && !hex->empty()) s.sealed_secret = unhex(*hex);
  s.enabled = r->boolean(0, "enabled");
  if (!r->is_null(0, r->column("totp_last_step"))) s.last_step = r->integer(0, "totp_last_step");
  s.recovery_remaining = r->integer(0, "remaining");
  co_return s;
}

Task<Status> AuthRepository::store_pending_secret(const std::string& user_id, const std::string& sealed) {
  db::Params p{user_id, to_hex(sealed.data(), sealed.size())};
  auto r = co_await db_.query(kStoreSecret, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Result<bool>> AuthRepository::enable_mfa(const std::string& user_id, std::int64_t step,
                                              const std::vector<std::string>& hashes, const SessionMeta& meta) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p{user_id, std::to_string(step)};
  auto r = co_await t.query(kEnable, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) {
    co_await t.rollback();
    co_return false;
  }
  db::Params del{user_id};
  if (auto d = co_await t.query(kDeleteCodes, std::move(del)); !d) co_return d.error();
  db::Params ins{user_id, text_array(hashes)};
  if (auto i = co_await t.query(kInsertCodes, std::move(ins)); !i) co_return i.error();
  const std::optional<std::string> uid = user_id;
  db::Params a = detail::audit_params(uid, "auth.2fa.enabled", "success", meta, "{}");
  if (auto ar = co_await t.query(kAudit, std::move(a)); !ar) co_return ar.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return true;
}

Task<Result<bool>> AuthRepository::advance_totp_step(const std::string& user_id, std::int64_t step) {
  db::Params p{user_id, std::to_string(step)};
  auto r = co_await db_.query(kAdvanceStep, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty();
}

Task<Result<bool>> AuthRepository::use_recovery_code(const std::string& user_id, const std::string& code_hash) {
  db::Params p{user_id, code_hash};
  auto r = co_await db_.query(kUseCode, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty();
}

Task<Status> AuthRepository::disable_mfa(const std::string& user_id, const SessionMeta& meta) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p{user_id};
  if (auto r = co_await t.query(kDisable, std::move(p)); !r) co_return r.error();
  db::Params del{user_id};
  if (auto d = co_await t.query(kDeleteCodes, std::move(del)); !d) co_return d.error();
  const std::optional<std::string> uid = user_id;
  db::Params a = detail::audit_params(uid, "auth.2fa.disabled", "success", meta, "{}");
  if (auto ar = co_await t.query(kAudit, std::move(a)); !ar) co_return ar.error();
  co_return co_await t.commit();
}

Task<Status> AuthRepository::replace_recovery_codes(const std::string& user_id, const std::vector<std::string>& hashes,
                                                    const SessionMeta& meta) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params del{user_id};
  if (auto d = co_await t.query(kDeleteCodes, std::move(del)); !d) co_return d.error();
  db::Params ins{user_id, text_array(hashes)};
  if (auto i = co_await t.query(kInsertCodes, std::move(ins)); !i) co_return i.error();
  const std::optional<std::string> uid = user_id;
  db::Params a = detail::audit_params(uid, "auth.2fa.recovery_codes_regenerated", "success", meta, "{}");
  if (auto ar = co_await t.query(kAudit, std::move(a)); !ar) co_return ar.error();
  co_return co_await t.commit();
}

}  // namespace tg::auth
