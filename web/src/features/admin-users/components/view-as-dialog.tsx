import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { Dialog } from '@/components/dialog';
import { TextAreaField, TextField } from '@/components/form/fields';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { REASON_MAX } from '@/components/reason-dialog';
import { useForm } from '@/hooks/use-form';
import { codeError, normaliseCode } from '@/lib/one-time-code';
import { compact } from '@/lib/validation';
import { useAuthStore } from '@/stores/auth-store';
import type { AdminUserDetail } from '@/types';
import { startImpersonation } from '../api/admin-users';
import { displayName } from '../lib/user-labels';
import { impersonationFrom } from '../lib/view-as';

const FIELDS = ['reason', 'code'] as const;

const WRONG_CODE =
  "That code didn't work. Enter the code your authenticator app shows now (each code works once: if you just used one, wait for the next). Recovery codes are not accepted here.";

/**
 * "View as customer": asks why (for the audit log) and for a current code of the administrator's authenticator
 * app, then switches the app to the customer's account, read-only, for 15 minutes.
 */
export function ViewAsDialog({ detail, onClose }: { detail: AdminUserDetail; onClose: () => void }) {
  const { user } = detail;
  const who = displayName(user);
  const navigate = useNavigate();
  const [values, setValues] = useState({ reason: '', code: '' });
  const form = useForm(FIELDS, {
    codes: {
      INVALID_MFA_CODE: { field: 'code', message: WRONG_CODE },
      TWO_FACTOR_NOT_ENABLED: { message: 'Turn on two-factor authentication for your own account first: the view needs a code from your app.' },
    },
  });

  const onSubmit = form.handleSubmit(
    async () => {
      const token = await startImpersonation(user.id, normaliseCode(values.code), values.reason.trim());
      useAuthStore.getState().startImpersonation(impersonationFrom(token, detail));
      navigate('/dashboard');
    },
    () => {
      const reason = values.reason.trim();
      return compact({
        reason: !reason
          ? 'Say why: the reason is kept in the audit log.'
          : reason.length > REASON_MAX
            ? `Use at most ${REASON_MAX.toLocaleString('en-US')} characters.`
            : undefined,
        code: codeError(normaliseCode(values.code), false),
      });
    },
  );

  return (
    <Dialog
      title={`View as ${who}?`}
      onClose={onClose}
      description={
        <p>
          You will see the dashboard as <strong>{user.email}</strong> sees it, read-only: every change is refused. The view
          ends after 15 minutes, or when you end it. Starting and ending it are recorded in the audit log with your name
          and reason.
        </p>
      }
    >
      <form className="form" noValidate onSubmit={onSubmit} aria-label={`View as ${who}`}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <TextAreaField
          {...form.field('reason')}
          label="Reason"
          required
          rows={3}
          className="input--prose"
          maxLength={REASON_MAX}
          hint="Recorded in the audit log, e.g. a ticket number and what the customer reported."
          value={values.reason}
          onChange={(e) => setValues((v) => ({ ...v, reason: e.target.value }))}
        />
        <TextField
          {...form.field('code')}
          label="Authenticator code"
          required
          hint="The 6-digit code your authenticator app shows now for your own account."
          inputMode="numeric"
          autoComplete="one-time-code"
          className="input--code"
          maxLength={7}
          value={values.code}
          onChange={(e) => setValues((v) => ({ ...v, code: e.target.value }))}
        />
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel="Starting…">
            View as customer
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
