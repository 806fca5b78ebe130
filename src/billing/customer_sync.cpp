#include "billing/customer_sync.hpp"

#include "core/log.hpp"

namespace tg::billing {
namespace {
std::string organization_of(const nlohmann::json& payload) {
  if (payload.is_object() && payload.contains("organizationId") && payload["organizationId"].is_string())
    return payload["organizationId"].get<std::string>();
  return {};
}
}  // namespace

Task<Status> CustomerSync::create(const nlohmann::json& payload) {
  const std::string org = organization_of(payload);
  if (org.empty()) co_return Error::of(ErrorCode::BadRequest, "stripe.create_customer: no organizationId");
  if (!stripe_) co_return ok_status();  // local billing mode: no Stripe customers
  auto id = co_await ensure(org);
  // A deleted or unknown organization has nothing to bill any more: done.
  if (!id && id.error().code != ErrorCode::NotFound) co_return id.error();
  co_return ok_status();
}

Task<Result<std::string>> CustomerSync::ensure(const std::string& organization_id) {
  if (!stripe_) co_return Error::of(ErrorCode::Internal, "no Stripe gateway in local billing mode");
  auto target = co_await repo_.customer_target(organization_id);
  if (!target) co_return target.error();
  if (!target.value() || target.value()->status == "deleted")
    co_return Error::of(ErrorCode::NotFound, "organization not found");
  const CustomerTarget& t = *target.value();
  if (t.stripe_customer_id) co_return *t.stripe_customer_id;
  nlohmann::json params = {
      {"email", t.email}, {"name", t.name}, {"metadata", {{"organization_id", t.organization_id}}}};
  // One key per organization: a retried job (or a second instance running it) gets the same customer back. If
  // that customer was deleted since (customer.deleted made us forget it), Stripe would replay the dead id for a
  // day: the next key names the dead customer, so it is unique and still the same for every racing caller.
  std::string key = "tollgate-create-customer-" + t.organization_id;
  const std::string method = "POST", path = "/v1/customers", get = "GET", no_key;
  const nlohmann::json none = nlohmann::json::object();
  std::string id;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto created = co_await stripe_->call(method, path, params, key);
    if (!created) co_return created.error();
    if (!created->contains("id") || !(*created)["id"].is_string())
      co_return Error::of(ErrorCode::BadGateway, "Stripe answered a customer without an id");
    id = (*created)["id"].get<std::string>();
    const std::string cpath = "/v1/customers/" + id;
    auto live = co_await stripe_->call(get, cpath, none, no_key);
    if (!live && live.error().code != ErrorCode::NotFound) co_return live.error();
    if (live && !live->value("deleted", false)) break;
    key = "tollgate-create-customer-" + t.organization_id + "-after-" + id;
    id.clear();
  }
  if (id.empty()) co_return Error::of(ErrorCode::BadGateway, "Stripe keeps answering a deleted customer");
  auto recorded = co_await repo_.set_customer_id(t.organization_id, id);
  if (!recorded) co_return recorded.error();
  log::info("stripe customer created", {{"organizationId", t.organization_id}, {"customer", recorded.value()}});
  co_return recorded.value();
}

Task<Status> CustomerSync::remove(const nlohmann::json& payload) {
  const std::string org = organization_of(payload);
  if (org.empty()) co_return Error::of(ErrorCode::BadRequest, "stripe.delete_customer: no organizationId");
  if (!stripe_) co_return ok_status();
  auto target = co_await repo_.customer_target(org);
  if (!target) co_return target.error();
  if (!target.value() || !target.value()->stripe_customer_id) co_return ok_status();
  const std::string method = "DELETE", path = "/v1/customers/" + *target.value()->stripe_customer_id, no_key;
  const nlohmann::json none = nlohmann::json::object();
  auto deleted = co_await stripe_->call(method, path, none, no_key);
  // Already gone at Stripe (deleted there, or by an earlier attempt of this job): done.
  if (!deleted && deleted.error().code != ErrorCode::NotFound) co_return deleted.error();
  log::info("stripe customer deleted", {{"organizationId", org}});
  co_return ok_status();
}

}  // namespace tg::billing
