import { apiClient } from '@/lib/api-client';
import type { NotificationEmailSettings, NotificationPreferences } from '@/types';

export type EmailKind = keyof NotificationEmailSettings;

/** GET /api/user/notification-preferences: which kinds also come by email (all on by default). */
export async function getNotificationPreferences(signal?: AbortSignal): Promise<NotificationEmailSettings> {
  const response = await apiClient.get<NotificationPreferences>('/api/user/notification-preferences', { signal });
  return response.data.email;
}

/** PATCH /api/user/notification-preferences: only the kinds sent change; answers all of them after the change. */
export async function updateEmailPreferences(changes: Partial<NotificationEmailSettings>): Promise<NotificationEmailSettings> {
  const response = await apiClient.patch<NotificationPreferences>('/api/user/notification-preferences', { email: changes });
  return response.data.email;
}
