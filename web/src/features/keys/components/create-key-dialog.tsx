import { useState, type ChangeEvent } from 'react';
import { Link } from 'react-router-dom';
import { Dialog } from '@/components/dialog';
import { SelectField, TextAreaField, TextField } from '@/components/form/fields';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import { formatDate } from '@/lib/format';
import { compact } from '@/lib/validation';
import type { ApiKeyAllowance, ApiKeySecret, CreateApiKeyRequest } from '@/types';
import { createApiKey } from '../api/api-keys';
import {
  EXPIRY_PRESETS,
  expiresAtFor,
  expiryBounds,
  nameError,
  NAME_MAX,
  parseMetadata,
  parseWholeNumber,
  rateLimitError,
  RATE_LIMIT_MAX,
  limitMessage,
  type ExpiryChoice,
} from '../lib/key-form';
import { SecretPanel } from './secret-panel';

const FIELDS = ['name', 'environment', 'expiry', 'expiresAt', 'rateLimitPerMinute', 'metadata'] as const;
type Field = (typeof FIELDS)[number];

interface Values {
  name: string;
  environment: 'live' | 'test';
  expiry: ExpiryChoice;
  expiresAt: string;
  rateLimitPerMinute: string;
  metadata: string;
}

const INITIAL: Values = { name: '', environment: 'live', expiry: 'never', expiresAt: '', rateLimitPerMinute: '', metadata: '' };

export function CreateKeyDialog({
  allowance,
  onCreated,
  onClose,
}: {
  allowance: ApiKeyAllowance | undefined;
  /** A key was created (the list can refresh behind the dialog). */
  onCreated: (result: ApiKeySecret) => void;
  onClose: () => void;
}) {
  const [values, setValues] = useState<Values>(INITIAL);
  const [result, setResult] = useState<ApiKeySecret | null>(null);
  const form = useForm(FIELDS, {
    codes: { KEY_LIMIT_REACHED: { message: () => `You have reached your plan's key limit. ${limitMessage(allowance)}` } },
    // A server complaint about expiresAt belongs to whichever expiry control is on screen.
    aliases: values.expiry === 'custom' ? {} : { expiresAt: 'expiry' },
  });
  const bounds = expiryBounds();

  const set = (key: keyof Values) => (e: ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) =>
    setValues((v) => ({ ...v, [key]: e.target.value }));

  const onSubmit = form.handleSubmit(
    async () => {
      const body: CreateApiKeyRequest = { name: values.name.trim(), environment: values.environment };
      const expiry = expiresAtFor(values.expiry, values.expiresAt);
      if (expiry.value) body.expiresAt = expiry.value;
      const rate = parseWholeNumber(values.rateLimitPerMinute);
      if (typeof rate === 'number') body.rateLimitPerMinute = rate;
      const metadata = parseMetadata(values.metadata);
      // The contract's `metadata: { type: object }` generates Record<string, never>; any JSON object is meant.
      if (metadata.ok && metadata.value) body.metadata = metadata.value as CreateApiKeyRequest['metadata'];
      const created = await createApiKey(body);
      setResult(created);
      onCreated(created);
    },
    () => {
      const metadata = parseMetadata(values.metadata);
      const expiry = expiresAtFor(values.expiry, values.expiresAt);
      return compact<Field>({
        name: nameError(values.name),
        expiresAt: expiry.error,
        rateLimitPerMinute: rateLimitError(values.rateLimitPerMinute),
        metadata: metadata.ok ? undefined : metadata.error,
      });
    },
  );

  if (result) {
    return (
      <Dialog title="Copy your key now" stepKey="secret">
        <SecretPanel secret={result.secret} apiKey={result.key} onDone={onClose}>
          <p className="muted small">
            Send it as the <code>key</code> of <code>POST /v1/keys/verify</code> from your service.{' '}
            {result.key.expiresAt ? `It expires ${formatDate(result.key.expiresAt)}.` : 'It does not expire.'}
          </p>
        </SecretPanel>
      </Dialog>
    );
  }

  const envField = form.field('environment');
  return (
    <Dialog
      title="Create an API key"
      description="Give each app or customer its own key, so you can see its usage and revoke it alone."
      onClose={onClose}
      stepKey="form"
    >
      <form className="form" noValidate onSubmit={onSubmit} aria-label="Create an API key">
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <TextField
          {...form.field('name')}
          label="Name"
          hint="Only you see it, e.g. “Production server” or “Acme Corp”."
          autoComplete="off"
          maxLength={NAME_MAX}
          value={values.name}
          onChange={set('name')}
        />
        <fieldset className="field choice" aria-describedby={envField.error ? `${envField.id}-error` : undefined}>
          <legend className="field__label">Environment</legend>
          <div className="choice__options">
            {(
              [
                { value: 'live', title: 'Live', text: 'Real traffic. Keys start with tg_live_.' },
                { value: 'test', title: 'Test', text: 'Development and CI. Keys start with tg_test_.' },
              ] as const
            ).map((o, i) => (
              <label key={o.value} className="choice__option">
                <input
                  type="radio"
                  name="environment"
                  id={i === 0 ? envField.id : undefined}
                  value={o.value}
                  checked={values.environment === o.value}
                  onChange={() => setValues((v) => ({ ...v, environment: o.value }))}
                />
                <span>
                  <span className="choice__title">{o.title}</span>
                  <span className="choice__text">{o.text}</span>
                </span>
              </label>
            ))}
          </div>
          {envField.error && (
            <p id={`${envField.id}-error`} className="field__error">
              {envField.error}
            </p>
          )}
        </fieldset>
        <div className="form__grid">
          <SelectField {...form.field('expiry')} label="Expires" value={values.expiry} onChange={set('expiry')}>
            {EXPIRY_PRESETS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </SelectField>
          {values.expiry === 'custom' && (
            <TextField
              {...form.field('expiresAt')}
              type="date"
              label="Last day it works"
              min={bounds.min}
              max={bounds.max}
              value={values.expiresAt}
              onChange={set('expiresAt')}
            />
          )}
        </div>
        <TextField
          {...form.field('rateLimitPerMinute')}
          label="Rate limit per minute"
          optional
          inputMode="numeric"
          hint={`Overrides your plan's limit for this key (1 to ${RATE_LIMIT_MAX.toLocaleString()}). Empty: the plan's limit.`}
          value={values.rateLimitPerMinute}
          onChange={set('rateLimitPerMinute')}
        />
        <TextAreaField
          {...form.field('metadata')}
          label="Metadata"
          optional
          rows={4}
          spellCheck={false}
          autoCapitalize="none"
          placeholder={'{ "customer": "acme", "tier": "gold" }'}
          hint={
            <>
              A JSON object of up to 4 KiB. The verification API returns it as <code>meta</code>, so your service
              knows whose key it is. See the <Link to="/docs/api#verifyKey">verify API</Link>.
            </>
          }
          value={values.metadata}
          onChange={set('metadata')}
        />
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel="Creating…">
            Create key
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
