import { isApiError, type ApiError } from '@/lib/api-client';
import { errorMessage } from '@/lib/errors';

/** The refusals of the organization endpoints, in words a person can act on. */
const MESSAGES: Partial<Record<string, string>> = {
  ORGANIZATION_ROLE_FORBIDDEN: 'Your role in this organization does not allow that.',
  ORGANIZATION_LIMIT_REACHED: 'You own as many team organizations as allowed (20). Delete one you no longer need first.',
  PERSONAL_ORGANIZATION:
    'A personal organization has exactly one member and is deleted only with your account. Create a team organization to work with others.',
  MEMBER_NOT_FOUND: 'That person is no longer a member of this organization.',
  USE_LEAVE: 'To leave the organization yourself, use “Leave organization” in the organization settings.',
  OWNER_CANNOT_LEAVE: 'The owner cannot leave. Transfer ownership to another member first.',
  ALREADY_MEMBER: 'This person is already a member of the organization.',
  INVITATION_PENDING: 'An invitation to this address is already pending. Resend it from the list instead.',
  MEMBER_LIMIT_REACHED:
    "The organization has as many members and pending invitations as its plan allows. Revoke an invitation, remove a member, or upgrade the plan.",
  INVITATION_NOT_FOUND: 'That invitation is no longer pending: it was accepted, revoked or replaced.',
};

/**
 * A sentence for a failed organization action. A 403 keeps the server's detail when it has one: it names the
 * role the action needs.
 */
export function organizationErrorMessage(error: ApiError): string {
  if (error.code === 'ORGANIZATION_ROLE_FORBIDDEN' && error.detail) return error.detail;
  return MESSAGES[error.code] ?? errorMessage(error);
}

/** For useForm's `codes`: every organization refusal shown at form level in the words above. */
export const ORGANIZATION_CODE_RULES: Partial<Record<string, { message: (error: ApiError) => string }>> = Object.fromEntries(
  Object.keys(MESSAGES).map((code) => [code, { message: organizationErrorMessage }]),
);

/** 403 ORGANIZATION_ROLE_FORBIDDEN: the role changed since the page loaded (or the page offered too much). */
export function isRoleForbidden(error: unknown): error is ApiError {
  return isApiError(error) && error.code === 'ORGANIZATION_ROLE_FORBIDDEN';
}
