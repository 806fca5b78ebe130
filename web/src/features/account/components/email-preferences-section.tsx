import { useState } from 'react';
import { ErrorState } from '@/components/error-state';
import { FormAlert, Notice, SubmitButton } from '@/components/form/form-alert';
import { LoadingBlock } from '@/components/spinner';
import { useForm } from '@/hooks/use-form';
import { useRequest } from '@/hooks/use-request';
import type { NotificationEmailSettings } from '@/types';
import { getNotificationPreferences, updateEmailPreferences, type EmailKind } from '../api/notification-preferences';
import { SettingsSection } from './settings-section';

const KINDS: readonly { kind: EmailKind; label: string; hint: string }[] = [
  {
    kind: 'quota_80',
    label: 'Quota at 80%',
    hint: 'When an organization you see billing for has used 80% of the units its plan includes this period.',
  },
  {
    kind: 'quota_100',
    label: 'Quota used up',
    hint: 'When the included units are used up: further calls are refused or billed as overage, depending on the plan.',
  },
  {
    kind: 'payment_failed',
    label: 'Failed payments',
    hint: 'When a payment fails, so you can update the card before the service is interrupted.',
  },
  { kind: 'payment_succeeded', label: 'Payment receipts', hint: 'When a payment goes through.' },
  {
    kind: 'key_expiring',
    label: 'Expiring API keys',
    hint: 'Seven days before an API key you can manage expires, so you can rotate it in time.',
  },
  {
    kind: 'new_sign_in',
    label: 'New sign-ins',
    hint: 'When your account is signed in to from a browser it has not used before. We recommend keeping this on.',
  },
];

const FIELDS = KINDS.map((k) => k.kind);

// The server names a refused kind `email.quota_80`.
const ALIASES: Partial<Record<string, EmailKind>> = Object.fromEntries(KINDS.map((k) => [`email.${k.kind}`, k.kind]));

/** Only the kinds that differ from what the server has go in the PATCH. */
function changesFrom(saved: NotificationEmailSettings, values: NotificationEmailSettings): Partial<NotificationEmailSettings> {
  const changes: Partial<NotificationEmailSettings> = {};
  for (const { kind } of KINDS) if (values[kind] !== saved[kind]) changes[kind] = values[kind];
  return changes;
}

function PreferencesForm({ initial }: { initial: NotificationEmailSettings }) {
  const [saved, setSaved] = useState(initial);
  const [values, setValues] = useState(initial);
  const [notice, setNotice] = useState<string | null>(null);
  const form = useForm(FIELDS, { aliases: ALIASES });

  const onSubmit = form.handleSubmit(async () => {
    setNotice(null);
    const changes = changesFrom(saved, values);
    if (Object.keys(changes).length === 0) {
      setNotice('Nothing to save: no preference changed.');
      return;
    }
    const updated = await updateEmailPreferences(changes);
    setSaved(updated);
    setValues(updated);
    setNotice('Email preferences saved.');
  });

  return (
    <form className="form" noValidate onSubmit={onSubmit} aria-label="Email notifications">
      <FormAlert error={form.formError} alertRef={form.alertRef} />
      {notice && <Notice>{notice}</Notice>}
      <fieldset className="prefs">
        <legend className="prefs__legend">Email me about</legend>
        <ul className="prefs__list">
          {KINDS.map(({ kind, label, hint }) => {
            const field = form.field(kind);
            const hintId = `${field.id}-hint`;
            const errorId = `${field.id}-error`;
            return (
              <li key={kind} className={`pref${field.error ? ' field--invalid' : ''}`}>
                <input
                  type="checkbox"
                  role="switch"
                  id={field.id}
                  name={kind}
                  className="pref__switch"
                  checked={values[kind]}
                  aria-invalid={field.error ? true : undefined}
                  aria-describedby={field.error ? `${hintId} ${errorId}` : hintId}
                  onChange={(e) => {
                    const on = e.target.checked;
                    setNotice(null);
                    setValues((v) => ({ ...v, [kind]: on }));
                  }}
                />
                <div className="pref__text">
                  <label htmlFor={field.id} className="pref__label">
                    {label}
                  </label>
                  <p id={hintId} className="field__hint">
                    {hint}
                  </p>
                  {field.error && (
                    <p id={errorId} className="field__error">
                      {field.error}
                    </p>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      </fieldset>
      <div className="form__actions">
        <SubmitButton pending={form.pending} pendingLabel="Saving…">
          Save email preferences
        </SubmitButton>
      </div>
    </form>
  );
}

/** Which notifications also come by email; the bell always shows them all. */
export function EmailPreferencesSection() {
  const prefs = useRequest(getNotificationPreferences);

  let body;
  if (prefs.isLoading) body = <LoadingBlock label="Loading your email preferences…" />;
  else if (prefs.error && !prefs.data)
    body = <ErrorState error={prefs.error} title="Could not load your email preferences" onRetry={prefs.refresh} />;
  else if (prefs.data) body = <PreferencesForm initial={prefs.data} />;

  return (
    <SettingsSection
      id="notifications"
      title="Email notifications"
      description="Choose which events also reach you by email. They always show under the bell at the top of the dashboard. Invitations to an organization always come by email."
    >
      {body}
    </SettingsSection>
  );
}
