// BillingRepository: invoices (billing_records + invoice_lines) mirrored from Stripe or generated locally.
#include <cctype>
#include <charconv>

#include "billing/billing_repository.hpp"
#include "billing/sql_json.hpp"
#include "mail/outbox.hpp"

namespace tg::billing {
namespace {
#define INVOICE_FIELDS(b)                                                                                      \
  "'id', " b ".id, 'number', " b ".number, 'status', " b ".status, 'source', " b ".source, 'currency', " b     \
  ".currency, 'periodStart', " SQL_TS(b ".period_start") ", 'periodEnd', " SQL_TS(                             \
      b ".period_end") ", 'total', " b ".total_minor, 'amountDue', " b ".amount_due_minor, 'amountPaid', " b   \
                       ".amount_paid_minor, 'hostedInvoiceUrl', " b ".hosted_invoice_url, 'invoicePdfUrl', " b \
                       ".invoice_pdf_url, 'issuedAt', " SQL_TS(b ".issued_at") ", 'dueAt', " SQL_TS(           \
                           b ".due_at") ", 'paidAt', " SQL_TS(b ".paid_at") ", 'createdAt', " SQL_TS(b ".created_at")
#define INVOICE_DETAIL(b)                                                                                              \
  "jsonb_build_object(" INVOICE_FIELDS(                                                                                \
      b) ") || jsonb_build_object('subtotal', " b ".subtotal_minor, 'tax', " b ".tax_minor, 'discount', " b            \
         ".discount_minor, 'includedUnits', " b ".included_units, 'usageUnits', " b ".usage_units, 'overageUnits', " b \
         ".overage_units, 'lines', (SELECT COALESCE(jsonb_agg(jsonb_build_object("                                     \
         "'kind', l.kind, 'description', l.description, 'quantity', l.quantity, 'unitPrice', l.unit_price_minor, "     \
         "'unitsPerPrice', l.units_per_price, 'amount', l.amount_minor, 'proration', l.kind = 'proration') ORDER BY "  \
         "l.position, l.id), '[]'::jsonb) FROM invoice_lines l WHERE l.billing_record_id = " b ".id))"

// $1 invoice id, $2 customer, $3 subscription, $4 number, $5 status, $6 currency, $7/$8 period, $9 subtotal,
// $10 discount, $11 tax, $12 total, $13 amount due, $14 amount paid, $15 hosted url, $16 pdf url, $17 created,
// $18 due, $19 paid at, $20 voided at, $21 attempts, $22 overage units, $23 the base line's price id.
// `prev` reads the row as it was before this statement, so the caller learns about a transition (paid, failed)
// exactly once however often and in whatever order the events come.
// Serializes the mirroring of one invoice across instances (invoice.paid and invoice.payment_succeeded arrive
// together): the next statement then sees the other's committed row as `prev`.
const db::Query kLockInvoice{"billing_lock_invoice", "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))"};

const db::Query kApplyInvoice{
    "billing_apply_invoice",
    "WITH org AS (SELECT id FROM organizations WHERE stripe_customer_id = $2 LIMIT 1), "
    "sub AS (SELECT id, plan_id FROM subscriptions WHERE $3 <> '' AND stripe_subscription_id = $3), "
    // The plan billed is the one whose price the invoice's base line carries (the subscription may have moved on).
    "billed AS (SELECT id FROM plans WHERE $23 <> '' AND $23 IN (stripe_price_monthly_id, stripe_price_annual_id, "
    "stripe_price_metered_id) LIMIT 1), "
    "prev AS (SELECT status FROM billing_records WHERE stripe_invoice_id = $1), "
    "up AS (INSERT INTO billing_records AS b (organization_id, subscription_id, plan_id, source, number, status, "
    "currency, period_start, period_end, subtotal_minor, discount_minor, tax_minor, total_minor, amount_due_minor, "
    "amount_paid_minor, usage_units, overage_units, stripe_invoice_id, stripe_state_at, hosted_invoice_url, "
    "invoice_pdf_url, issued_at, due_at, paid_at, voided_at, payment_failed_at, payment_attempts, metadata) "
    "SELECT org.id, sub.id, COALESCE((SELECT id FROM billed), sub.plan_id), 'stripe', NULLIF($4, ''), $5, upper($6), "
    "to_timestamp($7::bigint), "
    "to_timestamp(GREATEST($8::bigint, $7::bigint)), $9::bigint, $10::bigint, $11::bigint, $12::bigint, "
    "$13::bigint, $14::bigint, $22::bigint, $22::bigint, $1, now(), NULLIF($15, ''), NULLIF($16, ''), "
    "to_timestamp(NULLIF($17::bigint, 0)), to_timestamp(NULLIF($18::bigint, 0)), "
    "CASE WHEN $5 = 'paid' THEN COALESCE(to_timestamp(NULLIF($19::bigint, 0)), now()) END, "
    "CASE WHEN $5 = 'void' THEN COALESCE(to_timestamp(NULLIF($20::bigint, 0)), now()) END, "
    "CASE WHEN $5 = 'failed' THEN now() END, $21::int, "
    "CASE WHEN $3 <> '' THEN jsonb_build_object('stripe_subscription_id', $3) ELSE '{}'::jsonb END "
    "FROM org LEFT JOIN sub ON true "
    "ON CONFLICT (stripe_invoice_id) DO UPDATE SET subscription_id = COALESCE(EXCLUDED.subscription_id, "
    "b.subscription_id), plan_id = COALESCE(EXCLUDED.plan_id, b.plan_id), metadata = b.metadata || EXCLUDED.metadata, "
    "number = COALESCE(EXCLUDED.number, "
    "b.number), status = EXCLUDED.status, currency = EXCLUDED.currency, period_start = EXCLUDED.period_start, "
    "period_end = EXCLUDED.period_end, subtotal_minor = EXCLUDED.subtotal_minor, discount_minor = "
    "EXCLUDED.discount_minor, tax_minor = EXCLUDED.tax_minor, total_minor = EXCLUDED.total_minor, amount_due_minor = "
    "EXCLUDED.amount_due_minor, amount_paid_minor = EXCLUDED.amount_paid_minor, usage_units = EXCLUDED.usage_units, "
    "overage_units = EXCLUDED.overage_units, stripe_state_at = now(), hosted_invoice_url = "
    "COALESCE(EXCLUDED.hosted_invoice_url, b.hosted_invoice_url), invoice_pdf_url = "
    "COALESCE(EXCLUDED.invoice_pdf_url, b.invoice_pdf_url), issued_at = COALESCE(EXCLUDED.issued_at, b.issued_at), "
    "due_at = EXCLUDED.due_at, paid_at = CASE WHEN EXCLUDED.status = 'paid' THEN COALESCE(b.paid_at, "
    "EXCLUDED.paid_at) END, voided_at = EXCLUDED.voided_at, payment_failed_at = CASE WHEN EXCLUDED.status = "
    "'failed' THEN COALESCE(b.payment_failed_at, now()) ELSE b.payment_failed_at END, payment_attempts = "
    "GREATEST(b.payment_attempts, EXCLUDED.payment_attempts) "
    "RETURNING b.id, b.organization_id, b.status) "
    "SELECT up.id::text AS id, up.organization_id::text AS org, up.status, (SELECT status FROM prev) AS prev FROM up"};

// $1 record id, $2 lines as a JSON array, $3 currency. Replaced as a whole: Stripe's invoice is the truth.
const db::Query kReplaceLines{
    "billing_replace_invoice_lines",
    "WITH del AS (DELETE FROM invoice_lines WHERE billing_record_id = $1::uuid RETURNING 1) "
    "INSERT INTO invoice_lines (billing_record_id, position, kind, description, quantity, unit_price_minor, "
    "units_per_price, amount_minor, currency, period_start, period_end, stripe_line_item_id) "
    "SELECT $1::uuid, (t.ord - 1)::int, t.j->>'kind', t.j->>'description', (t.j->>'quantity')::bigint, "
    "(t.j->>'unitPrice')::bigint, 1, (t.j->>'amount')::bigint, upper($3), "
    "to_timestamp(NULLIF((t.j->>'periodStart')::bigint, 0)), to_timestamp(NULLIF((t.j->>'periodEnd')::bigint, 0)), "
    "NULLIF(t.j->>'id', '') FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(j, ord) "
    "WHERE (SELECT count(*) FROM del) >= 0"};

// Keyset pagination on (created_at, id), newest first; the cursor is "<unix microseconds>_<id>".
// A payment outcome's audit row (actor: Stripe), and who hears about it by email.
const db::Query kInvoiceNotice{
    "billing_invoice_notice",
    "WITH o AS (SELECT o.id, COALESCE(o.billing_email, u.email) AS email, u.id AS uid FROM organizations o "
    "JOIN users u ON u.id = o.owner_user_id WHERE o.id = $1::uuid), "
    "a AS (INSERT INTO audit_log (actor_type, organization_id, action, target_type, target_id, metadata) "
    "SELECT 'stripe', o.id, $2, 'billing_record', $3, $4::jsonb FROM o) "
    "SELECT o.email, o.uid::text AS uid FROM o"};

const db::Query kInvoicePage{
    "billing_invoice_page",
    "SELECT jsonb_build_object(" INVOICE_FIELDS("b") ")::text AS doc, "
    "(extract(epoch FROM b.created_at) * 1000000)::bigint AS us, b.id::text AS id FROM billing_records b "
    "WHERE b.organization_id = $1::uuid AND b.status <> 'draft' AND ($2::bigint IS NULL OR (b.created_at, b.id) < "
    "(to_timestamp($2::bigint / 1000000.0), $3::uuid)) ORDER BY b.created_at DESC, b.id DESC LIMIT $4::int"};

const db::Query kInvoice{"billing_invoice",
                         "SELECT (" INVOICE_DETAIL("b") ")::text FROM billing_records b "
                         "WHERE b.id = $1::uuid AND b.organization_id = $2::uuid"};

// One due local subscription per call (SKIP LOCKED: instances share the work): bill the period that ended with
// the plan in effect at its end (base fee + overage from the rollups, rounded half up once), then roll the
// period forward, or end the subscription when it was canceled at period end. Comped ('manual') subscriptions
// roll without an invoice; a zero total gets none either. A subscription still past due at its period end (an
// unpaid local invoice beyond the grace period's start) ends instead of renewing: local dunning's last step. The unique
// (organization, period) index makes a repeat a no-op.
const db::Query kRenewLocal{
    "billing_renew_local",
    "WITH s AS (SELECT s.id, s.organization_id, s.plan_id, s.source, s.billing_interval, s.current_period_start, "
    "s.current_period_end, (s.cancel_at_period_end OR s.status = 'past_due') AS ends, p.name, p.currency, "
    "p.included_units * CASE WHEN s.billing_interval = 'year' THEN 12 ELSE 1 END AS included_units, "
    "p.overage_price_minor, "
    "p.overage_block_units, p.quota_policy, CASE WHEN s.billing_interval = 'year' THEN "
    "COALESCE(p.price_annual_minor, p.price_monthly_minor * 12) ELSE p.price_monthly_minor END AS base "
    "FROM subscriptions s JOIN plans p ON p.id = s.plan_id WHERE s.source IN ('local', 'manual') "
    "AND s.status IN " CURRENT_STATUSES
    " AND s.current_period_end <= now() "
    "ORDER BY s.current_period_end LIMIT 1 FOR UPDATE OF s SKIP LOCKED), "
    "u AS (SELECT COALESCE(sum(r.cost_units), 0)::bigint AS used FROM s LEFT JOIN usage_rollups r "
    "ON r.organization_id = s.organization_id AND r.bucket = 'hour' "
    "AND r.bucket_start >= date_trunc('hour', s.current_period_start) AND r.bucket_start < s.current_period_end), "
    "c AS (SELECT s.*, u.used, CASE WHEN s.quota_policy = 'allow_overage' THEN GREATEST(u.used - s.included_units, "
    "0) ELSE 0 END AS over_units FROM s, u), "
    "d AS (SELECT c.*, (c.over_units * c.overage_price_minor + c.overage_block_units / 2) / c.overage_block_units "
    "AS over_amount FROM c), "
    "rec AS (INSERT INTO billing_records (organization_id, subscription_id, plan_id, source, number, status, currency, "
    "period_start, period_end, subtotal_minor, total_minor, amount_due_minor, included_units, usage_units, "
    "overage_units, issued_at, due_at) SELECT d.organization_id, d.id, d.plan_id, 'local', 'TG-' || "
    "to_char(d.current_period_start AT TIME ZONE 'UTC', 'YYYYMM') || '-' || "
    "lpad(nextval('billing_record_number_seq')::text, 6, '0'), 'open', d.currency, d.current_period_start, "
    "d.current_period_end, d.base + d.over_amount, d.base + d.over_amount, d.base + d.over_amount, "
    "d.included_units, d.used, d.over_units, now(), now() + interval '14 days' FROM d "
    "WHERE d.source = 'local' AND d.base + d.over_amount > 0 ON CONFLICT DO NOTHING RETURNING id), "
    "lines AS (INSERT INTO invoice_lines (billing_record_id, position, kind, description, quantity, "
    "unit_price_minor, units_per_price, amount_minor, currency, period_start, period_end) "
    "SELECT rec.id, x.pos, x.kind, x.descr, x.qty, x.unit, x.per, x.amount, d.currency, d.current_period_start, "
    "d.current_period_end FROM rec, d, LATERAL (VALUES (0, 'base_fee', d.name || ' plan', 1::bigint, d.base, "
    "1::bigint, d.base), (1, 'included_units', 'Included units', LEAST(d.used, d.included_units), NULL::bigint, "
    "1::bigint, 0::bigint), (2, 'overage', 'Units beyond the included ones', d.over_units, d.overage_price_minor, "
    "d.overage_block_units, d.over_amount)) AS x(pos, kind, descr, qty, unit, per, amount) "
    "WHERE x.kind <> 'overage' OR d.over_units > 0), "
    "roll AS (UPDATE subscriptions t SET "
    "current_period_start = CASE WHEN d.ends THEN t.current_period_start ELSE d.current_period_end "
    "END, current_period_end = CASE WHEN d.ends THEN t.current_period_end ELSE "
    "d.current_period_end + CASE WHEN d.billing_interval = 'year' THEN interval '1 year' ELSE interval '1 month' "
    "END END, status = CASE WHEN d.ends THEN 'canceled' ELSE t.status END, "
    "ended_at = CASE WHEN d.ends THEN d.current_period_end END FROM d WHERE t.id = d.id "
    "RETURNING t.id) "
    "SELECT (SELECT count(*) FROM roll) AS rolled, (SELECT count(*) FROM rec) AS billed"};

// Local dunning: an overdue local invoice puts its subscription past due (the grace period starts; after it the
// decision engine answers PAYMENT_REQUIRED); once nothing is overdue any more it is active again.
const db::Query kLocalDunning{
    "billing_local_dunning",
    "WITH overdue AS (SELECT DISTINCT subscription_id FROM billing_records WHERE source = 'local' "
    "AND status IN ('open', 'failed') AND due_at < now() AND subscription_id IS NOT NULL), "
    "late AS (UPDATE subscriptions s SET status = 'past_due', past_due_since = now(), "
    "payment_grace_ends_at = now() + make_interval(days => $1::int) FROM overdue WHERE s.id = overdue.subscription_id "
    "AND s.source = 'local' AND s.status IN ('active', 'trialing') RETURNING s.id), "
    "cured AS (UPDATE subscriptions s SET status = 'active', past_due_since = NULL, payment_grace_ends_at = NULL "
    "WHERE s.source = 'local' AND s.status = 'past_due' AND NOT EXISTS (SELECT 1 FROM overdue "
    "WHERE overdue.subscription_id = s.id) RETURNING s.id) "
    "SELECT (SELECT count(*) FROM late) AS late, (SELECT count(*) FROM cured) AS cured"};

// 80 % and 100 % of the included units, once per organization, threshold and period (the outbox key), for the
// organizations that used anything in the last two hours. Over-quota mail says whether calls are refused
// (hard cap) or billed as overage.
const db::Query kQuotaNotices{
    "billing_quota_notices",
    "WITH active AS (SELECT DISTINCT organization_id FROM usage_rollups WHERE bucket = 'hour' "
    "AND bucket_start >= date_trunc('hour', now()) - interval '2 hours'), "
    "s AS (SELECT a.organization_id AS org, s.billing_interval AS iv, COALESCE(s.plan_id, (SELECT id FROM plans WHERE slug = 'free')) AS plan_id, "
    "COALESCE(s.current_period_start, date_trunc('month', now(), 'UTC')) AS ps, "
    "COALESCE(s.current_period_end, date_trunc('month', now(), 'UTC') + interval '1 month') AS pe "
    "FROM active a LEFT JOIN subscriptions s ON s.organization_id = a.organization_id AND s.status IN "
    CURRENT_STATUSES "), "
    "u AS (SELECT s.*, p.included_units * CASE WHEN s.iv = 'year' THEN 12 ELSE 1 END AS inc, p.quota_policy, (SELECT COALESCE(sum(r.cost_units), 0) FROM "
    "usage_rollups r WHERE r.organization_id = s.org AND r.bucket = 'hour' AND r.bucket_start >= "
    "date_trunc('hour', s.ps) AND r.bucket_start < s.pe)::bigint AS used FROM s JOIN plans p ON p.id = s.plan_id "
    "WHERE p.included_units > 0), "
    "t AS (SELECT u.*, x.tmpl FROM u, LATERAL (VALUES ('quota_warning', 80), ('quota_exceeded', 100)) AS x(tmpl, pct) "
    "WHERE u.used * 100 >= u.inc * x.pct), "
    "o AS (SELECT t.*, jsonb_build_object('used', t.used, 'limit', t.inc, 'hardCap', t.quota_policy = 'hard_cap', "
    "'periodStart', " SQL_TS("t.ps") ") AS doc FROM t JOIN organizations o ON o.id = t.org WHERE o.status = "
    "'active') "
    // To the members who see billing (OWNER, BILLING): in the bell, and by email per their preferences.
    "SELECT count(*) FILTER (WHERE tg_notify(m.user_id, o.org, CASE o.tmpl WHEN 'quota_warning' THEN 'quota_80' "
    "ELSE 'quota_100' END, o.doc, o.tmpl || ':' || o.org || ':' || (extract(epoch FROM o.ps))::bigint || ':' || "
    "m.user_id, o.tmpl, o.doc)) AS n FROM o JOIN organization_members m ON m.organization_id = o.org AND m.role IN "
    "('OWNER', 'BILLING')"};

// A payment's outcome, to the members who see billing (OWNER, BILLING): once per invoice, attempt and member.
const db::Query kInvoiceMembersNotify{
    "billing_invoice_members_notify",
    "SELECT count(*) FILTER (WHERE tg_notify(m.user_id, $1::uuid, $2, $3::jsonb, $2 || ':' || $4 || ':' || "
    "m.user_id, $2, $3::jsonb)) AS n FROM organization_members m WHERE m.organization_id = $1::uuid AND m.role IN "
    "('OWNER', 'BILLING')"};

const db::Query kMarkPaid{
    "billing_mark_invoice_paid",
    "WITH upd AS (UPDATE billing_records SET status = 'paid', paid_at = now(), amount_paid_minor = amount_due_minor, "
    "marked_paid_by = $2::uuid WHERE id = $1::uuid AND source = 'local' AND status IN ('open', 'failed') "
    "RETURNING *), "
    "audit AS (INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, "
    "reason, request_id) SELECT 'admin', $2::uuid, upd.organization_id, 'admin.invoice.marked_paid', "
    "'billing_record', upd.id::text, $3, $4 FROM upd) "
    "SELECT jsonb_build_object(" INVOICE_FIELDS("upd") ")::text FROM upd"};
const db::Query kInvoiceState{"billing_invoice_state",
                              "SELECT source || ' and ' || status AS state FROM billing_records WHERE id = $1::uuid"};
}  // namespace

Task<Result<std::optional<std::string>>> BillingRepository::invoice_state(const std::string& invoice_id) {
  db::Params p{invoice_id};
  auto r = co_await db_.query(kInvoiceState, std::move(p));
  if (!r) co_return r.error();
  std::optional<std::string> out;
  if (!r->empty()) out = std::string(r->get(0, "state"));
  co_return out;
}

Task<Result<InvoiceApplied>> BillingRepository::apply_invoice(const StripeInvoice& inv) {
  const auto n = [](std::int64_t v) { return std::to_string(v); };
  std::int64_t overage = 0;
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& l : inv.lines) {
    if (l.kind == "overage") overage += l.quantity;
    nlohmann::json unit = nullptr;
    if (l.unit_price) unit = std::to_string(*l.unit_price);
    lines.push_back({{"id", l.id},
                     {"kind", l.kind},
                     {"description", l.description},
                     {"quantity", std::to_string(l.quantity)},
                     {"unitPrice", unit},
                     {"amount", std::to_string(l.amount)},
                     {"periodStart", std::to_string(l.period_start)},
                     {"periodEnd", std::to_string(l.period_end)}});
  }
  std::string base_price;
  for (const auto& l : inv.lines)
    if (l.kind == "base_fee" && !l.price_id.empty()) {
      base_price = l.price_id;
      break;
    }
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  db::Params lock{inv.id};
  auto locked = co_await tx->query(kLockInvoice, std::move(lock));
  if (!locked) co_return locked.error();
  db::Params p{inv.id,
               inv.customer,
               inv.subscription,
               inv.number,
               inv.status,
               inv.currency,
               n(inv.period_start),
               n(inv.period_end),
               n(inv.subtotal),
               n(inv.discount),
               n(inv.tax),
               n(inv.total),
               n(inv.amount_due),
               n(inv.amount_paid),
               inv.hosted_url,
               inv.pdf_url,
               n(inv.created),
               n(inv.due_date),
               n(inv.paid_at),
               n(inv.voided_at),
               n(inv.attempt_count),
               n(overage),
               base_price};
  auto r = co_await tx->query(kApplyInvoice, std::move(p));
  if (!r) co_return r.error();
  InvoiceApplied out;
  if (r->empty()) {
    co_await tx->rollback();
    co_return out;
  }
  out.known = true;
  out.record_id = std::string(r->get(0, "id"));
  out.organization_id = std::string(r->get(0, "org"));
  const std::string now_status(r->get(0, "status"));
  const std::optional<std::string> prev = r->opt(0, "prev");
  out.became_paid = now_status == "paid" && prev.value_or("") != "paid";
  out.became_failed = now_status == "failed" && prev.value_or("") != "failed";
  db::Params lp{out.record_id, lines.dump(), inv.currency};
  auto lr = co_await tx->query(kReplaceLines, std::move(lp));
  if (!lr) co_return lr.error();
  if (out.became_paid || out.became_failed) {
    // Exactly once per transition, in the same transaction as the state: `prev` saw the row before this change.
    const char* action = out.became_paid ? "billing.payment.succeeded" : "billing.payment.failed";
    const char* tmpl = out.became_paid ? "payment_succeeded" : "payment_failed";
    std::int64_t amount = inv.amount_due;
    if (out.became_paid) amount = inv.amount_paid;
    const nlohmann::json detail = {{"stripeInvoiceId", inv.id}, {"amountMinor", amount}, {"currency", inv.currency}};
    db::Params np{out.organization_id, std::string(action), out.record_id, detail.dump()};
    auto who = co_await tx->query(kInvoiceNotice, std::move(np));
    if (!who) co_return who.error();
    if (!who->empty()) {
      const nlohmann::json payload = {{"amountMinor", amount},
                                      {"currency", inv.currency},
                                      {"invoiceNumber", inv.number},
                                      {"invoiceId", out.record_id}};
      db::Params mp{out.organization_id, std::string(tmpl), payload.dump(),
                    inv.id + ":" + std::to_string(inv.attempt_count)};
      auto queued = co_await tx->query(kInvoiceMembersNotify, std::move(mp));
      if (!queued) co_return queued.error();
    }
  }
  auto c = co_await tx->commit();
  if (!c) co_return c.error();
  co_return out;
}

Task<Result<nlohmann::json>> BillingRepository::invoice_page(const std::string& organization_id, int limit,
                                                             const std::optional<std::string>& cursor) {
  db::Param before_us, before_id;
  if (cursor) {
    const auto sep = cursor->find('_');
    if (sep == std::string::npos) co_return Error::of(ErrorCode::ValidationFailed, "bad cursor");
    const std::string us = cursor->substr(0, sep), id = cursor->substr(sep + 1);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(us.data(), us.data() + us.size(), v);
    if (ec != std::errc() || end != us.data() + us.size() || v < 0 || id.size() != 36)
      co_return Error::of(ErrorCode::ValidationFailed, "bad cursor");
    for (char ch : id)
      if (!std::isxdigit(static_cast<unsigned char>(ch)) && ch != '-')
        co_return Error::of(ErrorCode::ValidationFailed, "bad cursor");
    before_us = us;
    before_id = id;
  }
  db::Params p{organization_id, before_us, before_id, std::to_string(limit + 1)};
  auto r = co_await db_.query(kInvoicePage, std::move(p));
  if (!r) co_return r.error();
  nlohmann::json out = {{"invoices", nlohmann::json::array()}, {"nextCursor", nullptr}};
  const int n = std::min(r->size(), limit);
  for (int i = 0; i < n; ++i) out["invoices"].push_back(nlohmann::json::parse(r->get(i, "doc")));
  if (r->size() > limit) out["nextCursor"] = std::string(r->get(n - 1, "us")) + "_" + std::string(r->get(n - 1, "id"));
  co_return out;
}

Task<Result<std::optional<nlohmann::json>>> BillingRepository::invoice_json(const std::string& organization_id,
                                                                            const std::string& invoice_id) {
  db::Params p{invoice_id, organization_id};
  auto r = co_await db_.query(kInvoice, std::move(p));
  if (!r) co_return r.error();
  std::optional<nlohmann::json> out;
  if (!r->empty()) out = nlohmann::json::parse(r->get(0, 0));
  co_return out;
}

Task<Result<int>> BillingRepository::renew_local_subscriptions(int limit) {
  int handled = 0;
  for (int i = 0; i < limit; ++i) {
    const db::Params none;
    auto r = co_await db_.query(kRenewLocal, none);
    if (!r) co_return r.error();
    if (r->empty() || r->integer(0, "rolled") == 0) break;
    ++handled;
  }
  co_return handled;
}

Task<Status> BillingRepository::local_dunning(int grace_days) {
  db::Params p{std::to_string(grace_days)};
  auto r = co_await db_.query(kLocalDunning, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Status> BillingRepository::queue_quota_notices() {
  const db::Params none;
  auto r = co_await db_.query(kQuotaNotices, none);
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Result<std::optional<nlohmann::json>>> BillingRepository::mark_invoice_paid(const std::string& invoice_id,
                                                                                 const std::string& admin_user_id,
                                                                                 const std::string& reason,
                                                                                 const std::string& request_id) {
  db::Params p{invoice_id, admin_user_id, reason, request_id};
  auto r = co_await db_.query(kMarkPaid, std::move(p));
  if (!r) co_return r.error();
  std::optional<nlohmann::json> out;
  if (!r->empty()) out = nlohmann::json::parse(r->get(0, 0));
  co_return out;
}

}  // namespace tg::billing
