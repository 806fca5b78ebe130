import { useState } from 'react';
import { Dialog } from '@/components/dialog';
import { TextField } from '@/components/form/fields';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import { formatDateTime } from '@/lib/format';
import { compact } from '@/lib/validation';
import type { ApiKey, RotatedApiKey } from '@/types';
import { rotateApiKey } from '../api/api-keys';
import { graceError, GRACE_DEFAULT_HOURS, GRACE_MAX_HOURS, parseWholeNumber } from '../lib/key-form';
import { SecretPanel } from './secret-panel';

export function RotateKeyDialog({
  apiKey,
  onRotated,
  onClose,
}: {
  apiKey: ApiKey;
  onRotated: (result: RotatedApiKey) => void;
  onClose: () => void;
}) {
  const [hours, setHours] = useState(String(GRACE_DEFAULT_HOURS));
  const [result, setResult] = useState<RotatedApiKey | null>(null);
  const form = useForm(['gracePeriodHours'] as const, {
    codes: {
      KEY_REVOKED: { message: 'This key has been revoked, so it cannot be rotated. Create a new key instead.' },
      KEY_ALREADY_ROTATED: { message: 'This key was already replaced by a rotation. Rotate its replacement instead.' },
    },
  });

  const onSubmit = form.handleSubmit(
    async () => {
      const rotated = await rotateApiKey(apiKey.id, parseWholeNumber(hours) ?? GRACE_DEFAULT_HOURS);
      setResult(rotated);
      onRotated(rotated);
    },
    () => compact({ gracePeriodHours: graceError(hours) }),
  );

  if (result) {
    const ends = result.previous.graceEndsAt;
    const graceOver = !ends || Date.parse(ends) <= Date.now() || result.previous.status === 'revoked';
    return (
      <Dialog title="Copy your new key now" stepKey="secret">
        <SecretPanel secret={result.secret} apiKey={result.key} onDone={onClose}>
          <p className="rotate-note" data-testid="rotation-note">
            {graceOver ? (
              <>The old key ({result.previous.prefix}…) was revoked at once.</>
            ) : (
              <>
                The old key ({result.previous.prefix}…) keeps working until{' '}
                <strong>
                  <time dateTime={ends}>{formatDateTime(ends)}</time>
                </strong>
                . Deploy the new key before then; calls with the old one carry <code>Deprecation</code> and{' '}
                <code>Sunset</code> headers meanwhile.
              </>
            )}
          </p>
        </SecretPanel>
      </Dialog>
    );
  }

  return (
    <Dialog
      title={`Rotate “${apiKey.name}”`}
      description="Rotation creates a replacement key and retires this one after a grace period, so you can deploy the new key without downtime."
      onClose={onClose}
      stepKey="form"
    >
      <form className="form" noValidate onSubmit={onSubmit} aria-label="Rotate key">
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <TextField
          {...form.field('gracePeriodHours')}
          label="Grace period (hours)"
          inputMode="numeric"
          className="input--short"
          hint={`How long the old key keeps working: 0 to ${GRACE_MAX_HOURS} hours. 0 revokes it immediately.`}
          value={hours}
          onChange={(e) => setHours(e.target.value)}
        />
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel="Rotating…">
            Rotate key
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
