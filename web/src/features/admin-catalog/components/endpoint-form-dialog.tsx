import { useState, type ChangeEvent, type ReactNode } from 'react';
import { Dialog } from '@/components/dialog';
import { SelectField, TextAreaField, TextField } from '@/components/form/fields';
import { FormAlert, Notice, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import type { ApiEndpoint } from '@/types';
import { createEndpoint, updateEndpoint } from '../api/admin-endpoints';
import {
  endpointChanges,
  ENDPOINT_FIELDS,
  LIMITS,
  METHODS,
  NEW_ENDPOINT,
  parseEndpointForm,
  valuesFromEndpoint,
  type EndpointFormValues,
} from '../lib/endpoint-form';

type TextKey = Exclude<keyof EndpointFormValues, 'isPublic' | 'enabled'>;

const TAKEN = 'Another endpoint already has this method and path pattern. Edit that one, or change the method or path.';

function Checkbox({
  id,
  checked,
  error,
  onChange,
  children,
}: {
  id: string;
  checked: boolean;
  error: string | undefined;
  onChange: (checked: boolean) => void;
  children: ReactNode;
}) {
  return (
    <div>
      <label className="checkbox-field">
        <input
          type="checkbox"
          id={id}
          checked={checked}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(e) => onChange(e.target.checked)}
        />
        <span>{children}</span>
      </label>
      {error && (
        <p id={`${id}-error`} className="field__error">
          {error}
        </p>
      )}
    </div>
  );
}

/** Add an endpoint to the catalog, or edit one (the PATCH carries only what changed). */
export function EndpointFormDialog({
  endpoint,
  onSaved,
  onClose,
}: {
  /** The endpoint to edit; none: add one. */
  endpoint?: ApiEndpoint;
  onSaved: (saved: ApiEndpoint) => void;
  onClose: () => void;
}) {
  const [values, setValues] = useState<EndpointFormValues>(() => (endpoint ? valuesFromEndpoint(endpoint) : NEW_ENDPOINT));
  const [unchanged, setUnchanged] = useState(false);
  const form = useForm(ENDPOINT_FIELDS, {
    codes: {
      ENDPOINT_EXISTS: { field: 'pathPattern', message: TAKEN },
      ENDPOINT_NOT_FOUND: { message: 'This endpoint no longer exists. Close this and reload the list.' },
    },
  });

  const set = (key: TextKey) => (e: ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) => {
    setUnchanged(false);
    setValues((v) => ({ ...v, [key]: e.target.value }));
  };
  const toggle = (key: 'isPublic' | 'enabled') => (checked: boolean) => {
    setUnchanged(false);
    setValues((v) => ({ ...v, [key]: checked }));
  };

  const onSubmit = form.handleSubmit(
    async () => {
      const parsed = parseEndpointForm(values);
      if (!parsed.ok) return;
      if (!endpoint) {
        onSaved(await createEndpoint(parsed.endpoint));
        return;
      }
      const changes = endpointChanges(endpoint, parsed.endpoint);
      if (Object.keys(changes).length === 0) {
        setUnchanged(true);
        return;
      }
      onSaved(await updateEndpoint(endpoint.id, changes));
    },
    () => {
      setUnchanged(false);
      const parsed = parseEndpointForm(values);
      return parsed.ok ? {} : parsed.errors;
    },
  );

  const title = endpoint ? `Edit ${endpoint.method} ${endpoint.pathPattern}` : 'Add an endpoint';
  const isPublic = form.field('isPublic');
  const enabled = form.field('enabled');
  return (
    <Dialog
      title={title}
      description="Calls to /gw + the path pattern are checked, metered and forwarded to the upstream. Changes apply within seconds."
      onClose={onClose}
      wide
    >
      <form className="form" noValidate onSubmit={onSubmit} aria-label={title}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        {unchanged && <Notice tone="info">Nothing has changed, so there is nothing to save.</Notice>}
        <div className="form__grid admin-endpoint-form__route">
          <SelectField {...form.field('method')} label="Method" value={values.method} onChange={set('method')}>
            {METHODS.map((m) => (
              <option key={m} value={m}>
                {m === '*' ? 'Any method (*)' : m}
              </option>
            ))}
          </SelectField>
          <TextField
            {...form.field('pathPattern')}
            label="Path pattern"
            placeholder="/weather/{city}"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={LIMITS.pathMax}
            className="input--mono"
            hint={
              <>
                Below <code>/gw</code>. <code>{'{name}'}</code> matches one segment; <code>*</code> as the last segment matches
                the rest.
              </>
            }
            value={values.pathPattern}
            onChange={set('pathPattern')}
          />
        </div>
        <TextField
          {...form.field('upstreamUrl')}
          label="Upstream URL"
          type="url"
          inputMode="url"
          placeholder="https://api.example.com/v2"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={LIMITS.upstreamMax}
          className="input--mono"
          hint={
            <>
              The rest of the path and the caller&apos;s query are appended. <code>internal://echo</code> answers with the
              request, for testing.
            </>
          }
          value={values.upstreamUrl}
          onChange={set('upstreamUrl')}
        />
        <TextAreaField
          {...form.field('description')}
          label="Description"
          optional
          rows={2}
          className="input--prose"
          maxLength={LIMITS.descriptionMax}
          value={values.description}
          onChange={set('description')}
        />
        <div className="form__grid form__grid--3">
          <TextField
            {...form.field('cost')}
            label="Cost per call"
            inputMode="numeric"
            hint="Units counted against the quota."
            value={values.cost}
            onChange={set('cost')}
          />
          <TextField
            {...form.field('rateLimitPerMinute')}
            label="Rate limit per minute"
            optional
            inputMode="numeric"
            hint="Per key. Empty: none (the key's own limit only)."
            value={values.rateLimitPerMinute}
            onChange={set('rateLimitPerMinute')}
          />
          <TextField
            {...form.field('timeoutMs')}
            label="Timeout (ms)"
            inputMode="numeric"
            hint="Up to 600,000 (10 minutes)."
            value={values.timeoutMs}
            onChange={set('timeoutMs')}
          />
        </div>
        <Checkbox id={isPublic.id} checked={values.isPublic} error={isPublic.error} onChange={toggle('isPublic')}>
          Public <span className="muted small">— no API key needed, and calls are not metered</span>
        </Checkbox>
        <Checkbox id={enabled.id} checked={values.enabled} error={enabled.error} onChange={toggle('enabled')}>
          Enabled <span className="muted small">— when off, calls answer 404 as if it did not exist</span>
        </Checkbox>
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel={endpoint ? 'Saving…' : 'Adding…'}>
            {endpoint ? 'Save changes' : 'Add endpoint'}
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
