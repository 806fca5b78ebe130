#pragma once
#include <memory>
#include <string>

#include "core/config.hpp"
#include "core/error.hpp"

namespace tg::mail {

struct Message {
  std::string id;  // outbox id: also the Message-ID, so receivers can drop a duplicate after a crash-retry
  std::string from;
  std::string to;
  std::string subject;
  std::string text;
  std::string html;
};

// A transport. send() blocks (libcurl) and runs on the mail thread pool, never on an I/O thread.
class Mailer {
 public:
  virtual ~Mailer() = default;
  virtual const char* name() const = 0;
  // Returns the provider's message id when it gives one.
  virtual Result<std::string> send(const Message& m) = 0;
  // Whether the rendered message may stay in email_outbox after sending (only the dev transport: it is the inbox).
  virtual bool keeps_rendered() const { return false; }
};

std::unique_ptr<Mailer> make_mailer(const Config& cfg);

// RFC 5322 message with a multipart/alternative text + HTML body (base64 parts, CRLF lines).
std::string build_mime(const Message& m, std::int64_t unix_seconds);
// "Name <addr@host>" → "addr@host"; a bare address is returned as is.
std::string address_of(const std::string& from);

}  // namespace tg::mail
