import { apiClient } from '@/lib/api-client';
import type { NotificationPage } from '@/types';

/** The size of a page of the bell (the server allows 1 to 100, default 20). */
export const NOTIFICATIONS_PAGE_SIZE = 20;

export interface NotificationQuery {
  /** `nextCursor` of the previous page. */
  before?: string | undefined;
  unreadOnly?: boolean;
}

/** GET /api/notifications: mine, newest first, with the unread count (of all, not only this page). */
export async function listNotifications(query: NotificationQuery = {}, signal?: AbortSignal): Promise<NotificationPage> {
  const params: Record<string, string | number> = { limit: NOTIFICATIONS_PAGE_SIZE };
  if (query.before) params.before = query.before;
  if (query.unreadOnly) params.unread = 'true';
  const response = await apiClient.get<NotificationPage>('/api/notifications', { params, signal });
  return response.data;
}

/** POST /api/notifications/{id}/read: 204, also when it was read already (404 NOTIFICATION_NOT_FOUND: not mine). */
export async function markNotificationRead(id: string): Promise<void> {
  await apiClient.post(`/api/notifications/${encodeURIComponent(id)}/read`);
}

/** POST /api/notifications/read-all: answers how many were unread. */
export async function markAllNotificationsRead(): Promise<number> {
  const response = await apiClient.post<{ marked: number }>('/api/notifications/read-all');
  return response.data.marked;
}
