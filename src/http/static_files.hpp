#pragma once
#include <optional>
#include <string>
#include <unordered_map>

#include "http/message.hpp"

namespace tg::http {

// The built dashboard (web/dist), loaded once at start. Hashed assets are immutable; index.html is no-cache and
// answers every other non-API GET so client-side routes survive a reload.
class StaticFiles {
 public:
  explicit StaticFiles(const std::string& root);
  bool available() const { return index_.has_value(); }
  std::optional<Response> serve(const Request& req) const;
  std::size_t file_count() const { return files_.size(); }

 private:
  struct File {
    std::string body;
    std::string gz;  // precompressed when worth it
    std::string type;
    bool immutable = false;
  };
  Response respond(const Request& req, const File& f) const;
  std::unordered_map<std::string, File> files_;
  std::optional<File> index_;
};

}  // namespace tg::http
