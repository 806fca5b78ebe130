import { looksLikeEmail } from '@/lib/validation';

// Client checks that mirror the contract; the server stays the authority and its `errors[]` show the same way.

export const ORGANIZATION_NAME_MAX = 200;
export const EMAIL_MAX = 254;

export function organizationNameError(value: string): string | undefined {
  const name = value.trim();
  if (!name) return 'Enter a name for the organization.';
  if ([...name].length > ORGANIZATION_NAME_MAX) return `Use at most ${ORGANIZATION_NAME_MAX} characters.`;
  return undefined;
}

/** An optional email: empty is fine (null: invoices go to the owner). */
export function billingEmailError(value: string): string | undefined {
  const email = value.trim();
  if (!email) return undefined;
  if (email.length > EMAIL_MAX || !looksLikeEmail(email)) return 'Enter an email address like billing@example.com, or leave it empty.';
  return undefined;
}

export function inviteEmailError(value: string): string | undefined {
  const email = value.trim();
  if (!email) return 'Enter the email address of the person to invite.';
  if (email.length > EMAIL_MAX || !looksLikeEmail(email)) return 'Enter an email address like name@example.com.';
  return undefined;
}
