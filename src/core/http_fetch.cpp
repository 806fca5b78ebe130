#include "core/http_fetch.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>

namespace tg {
namespace {
std::atomic<bool> g_abort{false};

// libcurl calls this at least once a second, also while it waits for the peer.
int progress_cb(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return g_abort.load() ? 1 : 0;
}

struct Sink {
  std::string* out;
  std::size_t max;
};

std::size_t body_cb(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const std::size_t len = size * n;
  if (s->out->size() < s->max) s->out->append(buf, std::min(len, s->max - s->out->size()));
  return len;
}

std::size_t header_cb(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string_view line(buf, size * n);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos && headers->size() < 200) {
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    headers->emplace_back(std::move(name), std::string(value));
  }
  return size * n;
}
}  // namespace

const std::string* FetchResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

Result<FetchResponse> fetch(const FetchRequest& req) {
  static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  (void)initialized;
  CURL* c = curl_easy_init();
  if (!c) return Error::of(ErrorCode::Internal, "curl_easy_init failed");
  FetchResponse res;
  Sink sink{&res.body, req.max_response};
  curl_slist* headers = nullptr;
  for (const auto& h : req.headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  if (req.method != "GET" && req.method != "DELETE") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &res.headers);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  make_abortable(c);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) {
    Error e = Error::of(ErrorCode::ServiceUnavailable, std::string("request failed: ") + curl_easy_strerror(rc));
    if (rc == CURLE_OPERATION_TIMEDOUT) e.code = ErrorCode::Timeout;
    return e;
  }
  return res;
}

void abort_outbound_calls() {
  g_abort.store(true);
}

void make_abortable(void* curl_handle) {
  auto* c = static_cast<CURL*>(curl_handle);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
}

}  // namespace tg
