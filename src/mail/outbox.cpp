#include "mail/outbox.hpp"

#include "core/log.hpp"
#include "core/metrics.hpp"
#include "mail/templates.hpp"

namespace tg::mail {

const db::Query kEnqueueMail{
    "mail_enqueue",
    "WITH o AS (INSERT INTO email_outbox (user_id, to_email, template, payload, idempotency_key) "
    "VALUES ($1::uuid, $2, $3, $4::jsonb, $5) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id) "
    "INSERT INTO jobs (kind, payload, idempotency_key, max_attempts) "
    "SELECT 'mail.send', jsonb_build_object('outboxId', id::text), 'mail.send:' || id::text, 20 FROM o"};

namespace {
const db::Query kClaim{"mail_claim",
                       "UPDATE email_outbox SET status = 'sending', attempts = attempts + 1 "
                       "WHERE id = $1::uuid AND status IN ('queued', 'sending', 'failed') "
                       "RETURNING to_email, template, payload::text AS payload"};
// Link tokens leave the database once the mail is out; only the dev transport keeps the rendered message.
const db::Query kSent{"mail_sent",
                      "UPDATE email_outbox SET status = 'sent', sent_at = now(), transport = $2, "
                      "provider_message_id = NULLIF($3, ''), subject = $4, last_error = NULL, "
                      "payload = CASE WHEN $5::boolean THEN payload ELSE payload - 'token' END, "
                      "body_text = CASE WHEN $5::boolean THEN $6 END, body_html = CASE WHEN $5::boolean THEN $7 END "
                      "WHERE id = $1::uuid"};
const db::Query kFailed{"mail_failed",
                        "UPDATE email_outbox SET status = 'failed', transport = $2, last_error = left($3, 2000) "
                        "WHERE id = $1::uuid"};
const db::Query kDead{"mail_dead",
                      "UPDATE email_outbox SET status = 'dead', last_error = left($2, 2000), "
                      "payload = payload - 'token' WHERE id = $1::uuid"};

metrics::Counter& sent(const char* transport, const char* outcome) {
  return metrics::registry().counter("tollgate_mail_total", "Emails by transport and outcome",
                                     {{"transport", transport}, {"outcome", outcome}});
}
}  // namespace

db::Params enqueue_params(const OutgoingMail& m) {
  return db::Params{m.user_id, m.to, m.tmpl, m.payload.dump(), m.idempotency_key};
}

Outbox::Outbox(db::Database& db, Mailer& mailer, asio::thread_pool& pool, std::string public_url, std::string from)
    : db_(db), mailer_(mailer), pool_(pool), public_url_(std::move(public_url)), from_(std::move(from)) {}

Task<Status> Outbox::enqueue(const OutgoingMail& m) {
  db::Params p = enqueue_params(m);
  auto r = co_await db_.query(kEnqueueMail, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Status> Outbox::deliver(const nlohmann::json& job) {
  if (!job.contains("outboxId") || !job["outboxId"].is_string()) co_return ok_status();
  const std::string id = job["outboxId"].get<std::string>();
  db::Params claim{id};
  auto row = co_await db_.query(kClaim, std::move(claim));
  if (!row) co_return row.error();
  if (row->empty()) co_return ok_status();  // already sent (a repeated job) or gone
  const std::string tmpl(row->get(0, "template"));
  auto payload = nlohmann::json::parse(row->get(0, "payload"), nullptr, false);
  auto rendered = render(tmpl, payload, public_url_);
  if (!rendered) {
    // A template that cannot render never will: stop retrying and say why.
    sent(mailer_.name(), "dead").inc();
    log::error("mail cannot be rendered", {{"outboxId", id}, {"template", tmpl}, {"error", rendered.error().detail}});
    db::Params dead{id, rendered.error().detail};
    co_await db_.query(kDead, std::move(dead));
    co_return ok_status();
  }
  Message msg{id, from_, std::string(row->get(0, "to_email")), rendered->subject, rendered->text, rendered->html};
  Mailer* mailer = &mailer_;
  auto sender = [mailer, msg] { return mailer->send(msg); };
  auto result = co_await run_blocking<Result<std::string>>(pool_, sender);
  if (!result) {
    sent(mailer_.name(), "failed").inc();
    log::warn("mail not sent; will retry", {{"outboxId", id}, {"template", tmpl}, {"error", result.error().detail}});
    db::Params failed{id, std::string(mailer_.name()), result.error().detail};
    co_await db_.query(kFailed, std::move(failed));
    co_return result.error();
  }
  sent(mailer_.name(), "sent").inc();
  const bool keep = mailer_.keeps_rendered();
  db::Params done{id,
                  std::string(mailer_.name()),
                  result.value(),
                  rendered->subject,
                  std::string(keep ? "true" : "false"),
                  rendered->text,
                  rendered->html};
  auto r = co_await db_.query(kSent, std::move(done));
  if (!r) co_return r.error();
  log::info("mail sent", {{"outboxId", id}, {"template", tmpl}, {"transport", mailer_.name()}});
  co_return ok_status();
}

}  // namespace tg::mail
