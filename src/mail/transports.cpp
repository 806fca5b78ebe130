#include <curl/curl.h>
#include <openssl/evp.h>

#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/http_fetch.hpp"
#include "core/log.hpp"
#include "mail/mailer.hpp"

namespace tg::mail {
namespace {

std::string base64_lines(std::string_view data) {
  std::string out;
  for (std::size_t i = 0; i < data.size(); i += 57) {  // 57 bytes → 76 characters per line
    auto chunk = data.substr(i, 57);
    unsigned char buf[80];
    const int n =
        EVP_EncodeBlock(buf, reinterpret_cast<const unsigned char*>(chunk.data()), static_cast<int>(chunk.size()));
    out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
    out += "\r\n";
  }
  return out;
}

bool is_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80 || c < 0x20) return false;
  }
  return true;
}

std::string encode_header(std::string_view v) {
  if (is_ascii(v)) return std::string(v);
  std::string b64 = base64_lines(v);
  std::string flat;
  for (char c : b64) {
    if (c != '\r' && c != '\n') flat += c;
  }
  return "=?UTF-8?B?" + flat + "?=";
}

// Header values never carry CR/LF: no header injection through a name or subject.
std::string clean(std::string_view v) {
  std::string out;
  for (char c : v) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

struct CurlHandle {
  CURL* c = curl_easy_init();
  ~CurlHandle() {
    if (c) curl_easy_cleanup(c);
  }
};

struct Upload {
  std::string data;
  std::size_t pos = 0;
};

std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const std::size_t len = std::min(size * n, u->data.size() - u->pos);
  std::memcpy(buf, u->data.data() + u->pos, len);
  u->pos += len;
  return len;
}

void global_init() {
  static const bool done = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  (void)done;
}

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(std::string url) : url_(std::move(url)) { global_init(); }
  const char* name() const override { return "smtp"; }
  Result<std::string> send(const Message& m) override {
    CurlHandle h;
    if (!h.c) return Error::of(ErrorCode::Internal, "curl_easy_init failed");
    Upload up{build_mime(m, std::time(nullptr)), 0};
    const std::string from = "<" + address_of(m.from) + ">";
    curl_slist* rcpt = curl_slist_append(nullptr, ("<" + m.to + ">").c_str());
    char err[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h.c, CURLOPT_URL, url_.c_str());
    make_abortable(h.c);
    curl_easy_setopt(h.c, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(h.c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h.c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h.c, CURLOPT_READDATA, &up);
    curl_easy_setopt(h.c, CURLOPT_UPLOAD, 1L);
    // smtp:// upgrades with STARTTLS whenever the server offers it; smtps:// is TLS from the first byte.
    curl_easy_setopt(h.c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
    curl_easy_setopt(h.c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h.c, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(h.c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h.c, CURLOPT_ERRORBUFFER, err);
    const CURLcode rc = curl_easy_perform(h.c);
    curl_slist_free_all(rcpt);
    if (rc != CURLE_OK) {
      return Error::of(ErrorCode::ServiceUnavailable, std::string("smtp: ") + (err[0] ? err : curl_easy_strerror(rc)));
    }
    return std::string();
  }

 private:
  std::string url_;
};

class SendGridMailer final : public Mailer {
 public:
  SendGridMailer(std::string key, std::string url) : key_(std::move(key)), url_(std::move(url)) {}
  const char* name() const override { return "sendgrid"; }
  Result<std::string> send(const Message& m) override {
    nlohmann::json from = {{"email", address_of(m.from)}};
    if (auto lt = m.from.find('<'); lt != std::string::npos && lt > 0) {
      std::string display = m.from.substr(0, lt);
      while (!display.empty() && display.back() == ' ') display.pop_back();
      if (!display.empty()) from["name"] = display;
    }
    const nlohmann::json to_list = nlohmann::json::array({nlohmann::json{{"email", m.to}}});
    const nlohmann::json body = {
        {"personalizations", nlohmann::json::array({nlohmann::json{{"to", to_list}}})},
        {"from", from},
        {"subject", m.subject},
        {"headers", {{"Message-ID", "<" + m.id + "@tollgate>"}}},
        {"content", nlohmann::json::array({nlohmann::json{{"type", "text/plain"}, {"value", m.text}},
                                           nlohmann::json{{"type", "text/html"}, {"value", m.html}}})}};
    FetchRequest req;
    req.method = "POST";
    req.url = url_;
    req.headers = {"Authorization: Bearer " + key_, "Content-Type: application/json"};
    req.body = body.dump();
    auto res = fetch(req);
    if (!res) return Error::of(ErrorCode::ServiceUnavailable, "sendgrid: " + res.error().detail);
    if (res->status < 200 || res->status >= 300) {
      return Error::of(ErrorCode::ServiceUnavailable,
                       "sendgrid: HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 300));
    }
    std::string id;
    if (const auto* h = res->header("x-message-id")) id = *h;
    return id;
  }

 private:
  std::string key_;
  std::string url_;
};

// Development: the outbox row is the inbox; the message is also printed so a developer can follow links.
class DevMailer final : public Mailer {
 public:
  const char* name() const override { return "dev"; }
  bool keeps_rendered() const override { return true; }
  Result<std::string> send(const Message& m) override {
    log::info("mail (dev transport, not sent)", {{"to", m.to}, {"subject", m.subject}, {"text", m.text}});
    return std::string();
  }
};

}  // namespace

std::string address_of(const std::string& from) {
  auto lt = from.find('<');
  auto gt = from.find('>', lt == std::string::npos ? 0 : lt);
  if (lt == std::string::npos || gt == std::string::npos) return from;
  return from.substr(lt + 1, gt - lt - 1);
}

std::string build_mime(const Message& m, std::int64_t unix_seconds) {
  char date[64];
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  const std::string boundary = "tollgate-" + m.id;
  std::string out;
  out += "Date: " + std::string(date) + "\r\n";
  out += "From: " + clean(m.from) + "\r\n";
  out += "To: <" + clean(m.to) + ">\r\n";
  out += "Subject: " + encode_header(clean(m.subject)) + "\r\n";
  out += "Message-ID: <" + clean(m.id) + "@tollgate>\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  out += base64_lines(m.text);
  out += "--" + boundary + "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  out += base64_lines(m.html);
  out += "--" + boundary + "--\r\n";
  return out;
}

std::unique_ptr<Mailer> make_mailer(const Config& cfg) {
  if (cfg.mail_transport == "smtp") return std::make_unique<SmtpMailer>(cfg.smtp_url);
  if (cfg.mail_transport == "sendgrid") return std::make_unique<SendGridMailer>(cfg.sendgrid_api_key, cfg.sendgrid_url);
  return std::make_unique<DevMailer>();
}

}  // namespace tg::mail
