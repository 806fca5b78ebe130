#include "core/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace tg::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<std::uint64_t>(std::llround(std::max(0.0, v) * 1e6)), std::memory_order_relaxed);
}

std::vector<double> latency_buckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

namespace {
std::string escape(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
std::string fmt_double(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}
std::string with_label(const std::string& labels, const std::string& extra) {
  if (labels.empty()) return "{" + extra + "}";
  return labels.substr(0, labels.size() - 1) + "," + extra + "}";
}
}  // namespace

std::string label_string(const Labels& labels) {
  if (labels.empty()) return {};
  std::string s = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) s += ',';
    s += labels[i].first + "=\"" + escape(labels[i].second) + "\"";
  }
  return s + "}";
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lk(mu_);
  auto& f = families_.try_emplace(name, Family{Kind::counter, help, {}, {}, {}}).first->second;
  auto& slot = f.counters[label_string(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lk(mu_);
  auto& f = families_.try_emplace(name, Family{Kind::gauge, help, {}, {}, {}}).first->second;
  auto& slot = f.gauges[label_string(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, const Labels& labels,
                               std::vector<double> bounds) {
  std::lock_guard lk(mu_);
  auto& f = families_.try_emplace(name, Family{Kind::histogram, help, {}, {}, {}}).first->second;
  auto& slot = f.histograms[label_string(labels)];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return *slot;
}

void Registry::collector(const std::string& name, const std::string& help, const std::string& type,
                         std::function<void(std::string&)> fn) {
  std::lock_guard lk(mu_);
  collectors_[name] = Collector{help, type, std::move(fn)};
}

std::string Registry::render() const {
  std::string out;
  out.reserve(16384);
  std::map<std::string, Collector> collectors;
  {
    std::lock_guard lk(mu_);
    for (const auto& [name, f] : families_) {
      const char* type = f.kind == Kind::counter ? "counter" : f.kind == Kind::gauge ? "gauge" : "histogram";
      out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + type + "\n";
      for (const auto& [l, c] : f.counters) out += name + l + " " + std::to_string(c->value()) + "\n";
      for (const auto& [l, g] : f.gauges) out += name + l + " " + std::to_string(g->value()) + "\n";
      for (const auto& [l, h] : f.histograms) {
        std::uint64_t cum = 0;
        for (std::size_t i = 0; i < h->bounds().size(); ++i) {
          cum += h->bucket(i);
          out += name + "_bucket" + with_label(l, "le=\"" + fmt_double(h->bounds()[i]) + "\"") + " " +
                 std::to_string(cum) + "\n";
        }
        cum += h->bucket(h->bounds().size());
        out += name + "_bucket" + with_label(l, "le=\"+Inf\"") + " " + std::to_string(cum) + "\n";
        out += name + "_sum" + l + " " + fmt_double(h->sum()) + "\n";
        out += name + "_count" + l + " " + std::to_string(h->count()) + "\n";
      }
    }
    collectors = collectors_;
  }
  // Collectors run outside the lock: they may read state guarded by their own locks.
  for (const auto& [name, c] : collectors) {
    out += "# HELP " + name + " " + c.help + "\n# TYPE " + name + " " + c.type + "\n";
    c.fn(out);
  }
  return out;
}

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace tg::metrics
