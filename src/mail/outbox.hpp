#pragma once
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "db/db.hpp"
#include "mail/mailer.hpp"

namespace tg::mail {

struct OutgoingMail {
  std::optional<std::string> user_id;
  std::string to;
  std::string tmpl;
  nlohmann::json payload = nlohmann::json::object();
  std::optional<std::string> idempotency_key;  // a second enqueue with the same key is a no-op
};

// Queues one email: an email_outbox row and its `mail.send` job in one statement. Run it inside the transaction
// of the change that causes the mail, so the mail exists exactly when the change does.
extern const db::Query kEnqueueMail;
db::Params enqueue_params(const OutgoingMail& m);

// Sends queued mail from the job queue: a mail server outage delays mail (retries with back-off for about a day)
// but never fails a request, and nothing queued is lost.
class Outbox {
 public:
  Outbox(db::Database& db, Mailer& mailer, asio::thread_pool& pool, std::string public_url, std::string from);
  Task<Status> enqueue(const OutgoingMail& m);
  // Handler of the `mail.send` job. Idempotent: a row already sent is skipped.
  Task<Status> deliver(const nlohmann::json& job_payload);

 private:
  db::Database& db_;
  Mailer& mailer_;
  asio::thread_pool& pool_;
  std::string public_url_;
  std::string from_;
};

}  // namespace tg::mail
