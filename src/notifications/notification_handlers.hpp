#pragma once
#include "http/router.hpp"
#include "notifications/notification_repository.hpp"

namespace tg::notifications {

// /api/notifications (the bell) and /api/user/notification-preferences (which events also come by email).
void register_routes(http::Router& router, NotificationRepository& repo);

}  // namespace tg::notifications
