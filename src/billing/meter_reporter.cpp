#include "billing/meter_reporter.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "core/metrics.hpp"

namespace tg::billing {
namespace {
constexpr const char* kCursor = "stripe.meter_events";
// Late units are found as far back as Stripe accepts meter events (35 days), so a long outage is still billed.
constexpr std::int64_t kRescan = 35 * 86400;

void count(const char* outcome, std::int64_t units) {
  auto& reg = metrics::registry();
  reg.counter("tollgate_meter_events_total", "Usage reports sent to Stripe Billing Meters by outcome",
              {{"outcome", outcome}})
      .inc();
  if (units > 0 && std::string_view(outcome) == "sent")
    reg.counter("tollgate_meter_units_reported_total", "Overage units reported to Stripe Billing Meters").inc(units);
}
}  // namespace

Task<Status> MeterReporter::run_once(std::int64_t now_s) {
  if (!stripe_) co_return ok_status();
  const std::int64_t hour = now_s - now_s % 3600;
  auto cur = co_await repo_.cursor(kCursor);
  if (!cur) co_return cur.error();
  std::int64_t scan_from = 0;  // first run: everything in the current periods
  if (cur.value()) scan_from = std::max<std::int64_t>(*cur.value() - kRescan, 0);
  auto planned = co_await repo_.plan_meter_reports(hour, scan_from);
  if (!planned) co_return planned.error();
  bool all_sent = true;
  for (;;) {
    auto batch = co_await repo_.unsent_meter_reports(200);
    if (!batch) co_return batch.error();
    if (batch->empty()) break;
    int sent_now = 0;
    for (const MeterReport& m : batch.value()) {
      // Inside the hour it stands for, and never in the future (Stripe refuses both).
      const std::int64_t ts = std::min(m.bucket_start_s + 3599, now_s);
      const nlohmann::json params = {
          {"event_name", m.event_name},
          {"identifier", m.identifier},
          {"timestamp", ts},
          {"payload", {{"stripe_customer_id", m.customer}, {"value", std::to_string(m.units)}}}};
      const std::string method = "POST", path = "/v1/billing/meter_events";
      auto r = co_await stripe_->call(method, path, params, m.identifier);
      if (r) {
        const std::string sent = "sent", none;
        auto marked = co_await repo_.mark_meter_report(m.id, sent, none);
        if (!marked) co_return marked.error();
        count("sent", m.units);
        ++sent_now;
        continue;
      }
      all_sent = false;
      const std::string failed = "failed";
      co_await repo_.mark_meter_report(m.id, failed, r.error().detail);
      count("failed", 0);
      log::warn("meter event not sent", {{"identifier", m.identifier}, {"cause", r.error().detail}});
      // Stripe unreachable: stop here, the next round resends (same identifiers).
      if (r.error().code == ErrorCode::ServiceUnavailable || r.error().code == ErrorCode::Timeout) co_return ok_status();
    }
    if (sent_now == 0) break;  // only refusals left: keep them for the next round
  }
  if (all_sent) {
    auto moved = co_await repo_.set_cursor(kCursor, hour);
    if (!moved) co_return moved.error();
  }
  co_return ok_status();
}

}  // namespace tg::billing
