import { apiClient } from '@/lib/api-client';
import type {
  AssignableRole,
  Invitation,
  InviteMemberRequest,
  Member,
  MemberList,
  Organization,
  UpdateOrganizationRequest,
} from '@/types';

// Every call below except the list, create and accept acts for the active organization: the API client adds
// `X-Organization-Id` (docs/permissions.md).

function memberPath(userId: string): string {
  return `/api/organization/members/${encodeURIComponent(userId)}`;
}

function invitationPath(id: string): string {
  return `/api/organization/invitations/${encodeURIComponent(id)}`;
}

/** GET /api/organizations: mine, the personal one first, with my role in each. */
export async function listOrganizations(signal?: AbortSignal): Promise<Organization[]> {
  const response = await apiClient.get<{ organizations: Organization[] }>('/api/organizations', { signal });
  return response.data.organizations;
}

/** POST /api/organizations: a team organization owned by me (409 ORGANIZATION_LIMIT_REACHED past 20). */
export async function createOrganization(name: string): Promise<Organization> {
  const response = await apiClient.post<Organization>('/api/organizations', { name });
  return response.data;
}

/** GET /api/organization: the active organization, with my role in it. */
export async function getOrganization(signal?: AbortSignal): Promise<Organization> {
  const response = await apiClient.get<Organization>('/api/organization', { signal });
  return response.data;
}

/** PATCH /api/organization: rename, or set the billing email (null: invoices go to the owner). OWNER or ADMIN. */
export async function updateOrganization(changes: UpdateOrganizationRequest): Promise<Organization> {
  const response = await apiClient.patch<Organization>('/api/organization', changes);
  return response.data;
}

/** DELETE /api/organization: the active team organization (OWNER). */
export async function deleteOrganization(): Promise<void> {
  await apiClient.delete('/api/organization');
}

/** GET /api/organization/members: the owner first. */
export async function listMembers(signal?: AbortSignal): Promise<Member[]> {
  const response = await apiClient.get<MemberList>('/api/organization/members', { signal });
  return response.data.members;
}

/** PATCH /api/organization/members/{userId}: answers the members after the change. */
export async function changeMemberRole(userId: string, role: AssignableRole): Promise<Member[]> {
  const response = await apiClient.patch<MemberList>(memberPath(userId), { role });
  return response.data.members;
}

/** DELETE /api/organization/members/{userId}: their next request for this organization is refused. */
export async function removeMember(userId: string): Promise<void> {
  await apiClient.delete(memberPath(userId));
}

/** POST /api/organization/leave (not the owner: 409 OWNER_CANNOT_LEAVE). */
export async function leaveOrganization(): Promise<void> {
  await apiClient.post('/api/organization/leave');
}

/** POST /api/organization/transfer: the member becomes OWNER, I become ADMIN. */
export async function transferOwnership(userId: string): Promise<Member[]> {
  const response = await apiClient.post<MemberList>('/api/organization/transfer', { userId });
  return response.data.members;
}

/** GET /api/organization/invitations: pending and expired ones, newest first (OWNER or ADMIN). */
export async function listInvitations(signal?: AbortSignal): Promise<Invitation[]> {
  const response = await apiClient.get<{ invitations: Invitation[] }>('/api/organization/invitations', { signal });
  return response.data.invitations;
}

/** POST /api/organization/invitations: the link goes by email only. */
export async function inviteMember(body: InviteMemberRequest): Promise<Invitation> {
  const response = await apiClient.post<Invitation>('/api/organization/invitations', body);
  return response.data;
}

/** POST /api/organization/invitations/{id}/resend: a new link (the old one stops working) and 7 more days. */
export async function resendInvitation(id: string): Promise<void> {
  await apiClient.post(`${invitationPath(id)}/resend`);
}

/** DELETE /api/organization/invitations/{id}. */
export async function revokeInvitation(id: string): Promise<void> {
  await apiClient.delete(invitationPath(id));
}

/** POST /api/invitations/accept: joins the organization of the emailed link, as the signed-in user. */
export async function acceptInvitation(token: string): Promise<Organization> {
  const response = await apiClient.post<Organization>('/api/invitations/accept', { token });
  return response.data;
}
