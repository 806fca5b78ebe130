#include "redis/client.hpp"

#include <hiredis/hiredis.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>
#include <openssl/sha.h>
#include <unordered_map>

#include "core/hex.hpp"
#include "core/log.hpp"

namespace tg::redis {

Result<Endpoint> parse_url(const std::string& url) {
  Endpoint ep;
  std::string rest = url;
  if (rest.rfind("redis://", 0) != 0)
    return Error::of(ErrorCode::ValidationFailed, "REDIS_URL: must start with redis://");
  rest = rest.substr(8);
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    auto cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = cred.find(':');
    ep.password = colon == std::string::npos ? cred : cred.substr(colon + 1);
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    auto db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) {
      auto [p, ec] = std::from_chars(db.data(), db.data() + db.size(), ep.db);
      if (ec != std::errc{}) return Error::of(ErrorCode::ValidationFailed, "REDIS_URL: bad database number");
    }
  }
  if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    auto port = rest.substr(colon + 1);
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc{} || p <= 0 || p > 65535) return Error::of(ErrorCode::ValidationFailed, "REDIS_URL: bad port");
    ep.port = static_cast<std::uint16_t>(p);
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) ep.host = rest == "localhost" ? "127.0.0.1" : rest;
  return ep;
}

namespace {
Reply convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::string;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::array;
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default: out.type = Reply::Type::nil; break;
  }
  return out;
}
}  // namespace

Client::Client(asio::any_io_executor ex, Endpoint ep, std::chrono::milliseconds timeout)
    : ex_(std::move(ex)), ep_(std::move(ep)), timeout_(timeout), socket_(ex_) {}

Client::~Client() {
  if (reader_) redisReaderFree(reader_);
}

void Client::fail_all() {
  boost::system::error_code ec;
  socket_.close(ec);
  state_ = State::disconnected;
  ++generation_;
  outbox_.clear();
  writing_ = false;
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& s : pending) s->signal.notify();  // no reply → caller sees an error
  next_dial_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
}

void Client::enqueue(const std::vector<std::string>& args, std::shared_ptr<Slot> slot) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  long long n = redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), argv.data(), lens.data());
  if (n > 0) outbox_.append(cmd, static_cast<std::size_t>(n));
  redisFreeCommand(cmd);
  pending_.push_back(std::move(slot));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(ex_, write_loop(generation_), asio::detached);
  }
}

Task<void> Client::connect() {
  state_ = State::connecting;
  auto gen = ++generation_;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(ep_.host, ec);
  if (ec) {
    asio::ip::tcp::resolver resolver(ex_);
    auto results = co_await resolver.async_resolve(ep_.host, std::to_string(ep_.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec || results.empty()) {
      fail_all();
      co_return;
    }
    addr = results.begin()->endpoint().address();
  }
  socket_ = asio::ip::tcp::socket(ex_);
  // Dialling gets a slightly longer budget than a command; a timer closes the socket when it runs out.
  auto timer = std::make_shared<asio::steady_timer>(ex_);
  timer->expires_after(std::max(timeout_ * 4, std::chrono::milliseconds(200)));
  timer->async_wait([this, gen](boost::system::error_code e) {
    if (!e && generation_ == gen && state_ == State::connecting) {
      boost::system::error_code ignore;
      socket_.close(ignore);
    }
  });
  asio::ip::tcp::endpoint target(addr, ep_.port);
  co_await socket_.async_connect(target, asio::redirect_error(asio::use_awaitable, ec));
  timer->cancel();
  if (ec || generation_ != gen) {
    if (generation_ == gen) fail_all();
    co_return;
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (reader_) redisReaderFree(reader_);
  reader_ = redisReaderCreate();
  state_ = State::connected;
  asio::co_spawn(ex_, read_loop(gen), asio::detached);
  // AUTH/SELECT go first on the wire; their replies are checked by the caller of command() like any other.
  if (!ep_.password.empty()) enqueue({"AUTH", ep_.password}, std::make_shared<Slot>(ex_));
  if (ep_.db != 0) enqueue({"SELECT", std::to_string(ep_.db)}, std::make_shared<Slot>(ex_));
}

Task<void> Client::write_loop(std::uint64_t gen) {
  while (generation_ == gen && !outbox_.empty() && state_ == State::connected) {
    std::string chunk = std::move(outbox_);
    outbox_.clear();
    boost::system::error_code ec;
    co_await asio::async_write(socket_, asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (generation_ == gen) fail_all();
      break;
    }
  }
  if (generation_ == gen) writing_ = false;
}

Task<void> Client::read_loop(std::uint64_t gen) {
  char buf[16384];
  while (generation_ == gen) {
    boost::system::error_code ec;
    std::size_t n = co_await socket_.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec || generation_ != gen) {
      if (generation_ == gen) {
        log::warn("redis connection lost", {{"error", ec.message()}});
        fail_all();
      }
      co_return;
    }
    redisReaderFeed(reader_, buf, n);
    void* raw = nullptr;
    while (redisReaderGetReply(reader_, &raw) == REDIS_OK && raw) {
      auto* r = static_cast<redisReply*>(raw);
      if (!pending_.empty()) {
        auto slot = pending_.front();
        pending_.pop_front();
        slot->reply = convert(r);
        slot->signal.notify();
      }
      freeReplyObject(r);
      raw = nullptr;
    }
    if (reader_->err) {
      fail_all();
      co_return;
    }
  }
}

Task<Result<Reply>> Client::command(std::vector<std::string> args) {
  if (state_ == State::disconnected && std::chrono::steady_clock::now() >= next_dial_) {
    co_await connect();
  }
  if (state_ != State::connected) co_return Error::of(ErrorCode::ServiceUnavailable, "redis unavailable");
  auto slot = std::make_shared<Slot>(ex_);
  enqueue(args, slot);
  bool done = co_await slot->signal.wait(timeout_);
  if (!done || !slot->reply) {
    if (!done) {
      // A reply that never comes would desynchronise the pipeline: drop the connection.
      log::warn("redis command timed out", {{"timeoutMs", timeout_.count()}});
      fail_all();
      co_return Error::of(ErrorCode::Timeout, "redis timeout");
    }
    co_return Error::of(ErrorCode::ServiceUnavailable, "redis connection lost");
  }
  co_return std::move(*slot->reply);
}

namespace {
// Scripts are string literals: their address identifies them, so each SHA-1 is computed once.
const std::string& script_sha(const char* script) {
  thread_local std::unordered_map<const char*, std::string> cache;
  auto it = cache.find(script);
  if (it != cache.end()) return it->second;
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(script), std::strlen(script), md);
  return cache.emplace(script, to_hex(md, sizeof md)).first->second;
}
}  // namespace

Task<Result<Reply>> Client::eval(const char* script, const std::vector<std::string>& keys_and_args) {
  std::vector<std::string> args;
  args.reserve(keys_and_args.size() + 2);
  args.emplace_back("EVALSHA");
  args.push_back(script_sha(script));
  args.insert(args.end(), keys_and_args.begin(), keys_and_args.end());
  auto reply = co_await command(args);
  if (reply && reply->type == Reply::Type::error && reply->str.rfind("NOSCRIPT", 0) == 0) {
    args[0] = "EVAL";
    args[1] = script;
    reply = co_await command(args);
  }
  co_return reply;
}

}  // namespace tg::redis
