// Exposes the request conversion and response serialization of src/http/server.cpp (see shims.hpp).
#include "http/server.cpp"  // NOLINT(bugprone-suspicious-include): deliberate, to reach internal linkage

#include "shims.hpp"

namespace tg::fuzz {
http::Request server_to_request(const bhttp::request<bhttp::string_body>& msg, const std::string& peer) {
  return http::to_request(msg, peer);
}
http::Request server_head_request(const bhttp::request_parser<bhttp::string_body>& parser, const std::string& peer) {
  return http::head_request(parser, peer);
}
std::optional<Error> server_parse_error(const boost::system::error_code& ec) {
  return http::parse_error(ec);
}
std::string server_serialize_head(const http::Response& res, bool head_only, bool keep_alive, unsigned version) {
  return http::serialize_head(res, head_only, keep_alive, version);
}
const std::uint64_t kServerStreamRequestAbove = http::kStreamRequestAbove;
}  // namespace tg::fuzz

TG_FUZZ_GC_ANCHOR(server)
