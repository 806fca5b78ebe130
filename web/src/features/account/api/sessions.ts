import { apiClient } from '@/lib/api-client';
import type { Session, SessionList } from '@/types';

/** GET /api/user/sessions, newest first. */
export async function listSessions(signal?: AbortSignal): Promise<Session[]> {
  const response = await apiClient.get<SessionList>('/api/user/sessions', { signal });
  return response.data.sessions;
}

/** DELETE /api/user/sessions/{id}. */
export async function revokeSession(id: string): Promise<void> {
  await apiClient.delete(`/api/user/sessions/${encodeURIComponent(id)}`);
}

/** POST /api/auth/logout-all: every session of the account ends, this one included. */
export async function logoutEverywhere(): Promise<void> {
  await apiClient.post('/api/auth/logout-all');
}
