#include "http/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "http/middleware.hpp"

namespace tg::http {
namespace fs = std::filesystem;

namespace {
std::string mime(const std::string& ext) {
  static const std::unordered_map<std::string, std::string> m = {{".html", "text/html; charset=utf-8"},
                                                                 {".js", "application/javascript"},
                                                                 {".mjs", "application/javascript"},
                                                                 {".css", "text/css; charset=utf-8"},
                                                                 {".json", "application/json"},
                                                                 {".svg", "image/svg+xml"},
                                                                 {".png", "image/png"},
                                                                 {".jpg", "image/jpeg"},
                                                                 {".jpeg", "image/jpeg"},
                                                                 {".gif", "image/gif"},
                                                                 {".ico", "image/x-icon"},
                                                                 {".webp", "image/webp"},
                                                                 {".woff", "font/woff"},
                                                                 {".woff2", "font/woff2"},
                                                                 {".txt", "text/plain; charset=utf-8"},
                                                                 {".map", "application/json"},
                                                                 {".webmanifest", "application/manifest+json"}};
  auto it = m.find(ext);
  return it == m.end() ? "application/octet-stream" : it->second;
}
}  // namespace

StaticFiles::StaticFiles(const std::string& root) {
  std::error_code ec;
  if (root.empty() || !fs::is_directory(root, ec)) return;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    File f;
    f.body = ss.str();
    f.type = mime(it->path().extension().string());
    auto rel = "/" + fs::relative(it->path(), root, ec).generic_string();
    f.immutable = rel.rfind("/assets/", 0) == 0;
    if (f.body.size() >= 1024 && compressible(f.type)) {
      if (auto z = gzip(f.body)) f.gz = std::move(*z);
    }
    if (rel == "/index.html") index_ = f;
    files_.emplace(rel, std::move(f));
  }
}

Response StaticFiles::respond(const Request& req, const File& f) const {
  Response r;
  r.status = 200;
  r.set("Content-Type", f.type);
  r.set("Cache-Control", f.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (!f.gz.empty()) {
    r.add("Vary", "Accept-Encoding");
    if (accepts_gzip(req)) {
      r.body = f.gz;
      r.set("Content-Encoding", "gzip");
      return r;
    }
  }
  r.body = f.body;
  return r;
}

std::optional<Response> StaticFiles::serve(const Request& req) const {
  if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
  if (auto it = files_.find(req.path); it != files_.end()) return respond(req, it->second);
  // A missing asset is a real 404; anything else is a client-side route.
  if (!index_ || req.path.rfind("/assets/", 0) == 0) return std::nullopt;
  const auto* accept = req.header("accept");
  if (accept && accept->find("text/html") == std::string::npos && accept->find("*/*") == std::string::npos)
    return std::nullopt;
  return respond(req, *index_);
}

}  // namespace tg::http
