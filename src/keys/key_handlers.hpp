#pragma once
#include "core/clock.hpp"
#include "http/router.hpp"
#include "keys/key_repository.hpp"

namespace tg::keys {

// /api/user/api-keys: CRUD, rotation. Validation here; the rules (plan allowance, revoked keys frozen) in the
// repository's transactions, where they are race-free.
void register_routes(http::Router& router, KeyRepository& repo, const Clock& clock);

}  // namespace tg::keys
