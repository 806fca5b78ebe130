import { useState, type ReactNode } from 'react';
import type { CodeRule, FieldBinding, FieldErrors } from '@/hooks/use-form';
import { useForm } from '@/hooks/use-form';
import { Dialog } from './dialog';
import { TextAreaField } from './form/fields';
import { FormAlert, SubmitButton } from './form/form-alert';

/** The server's limit for an admin action's reason (it is kept in the audit log). */
export const REASON_MAX = 2000;

interface ReasonDialogProps<F extends string> {
  title: string;
  description?: ReactNode;
  confirmLabel: string;
  pendingLabel: string;
  tone?: 'default' | 'danger';
  /** Default true. When false the reason may be left empty (it is still recorded when given). */
  reasonRequired?: boolean;
  reasonHint?: ReactNode;
  /** Other fields of the form, by name, so server field errors land next to them. */
  fields?: readonly F[];
  /** Renders those fields (above the reason); `field` gives each its id, name and error. */
  renderFields?: (field: (name: F) => FieldBinding<F | 'reason'>) => ReactNode;
  /** Client checks of those fields; the reason is checked here. */
  validate?: () => FieldErrors<F>;
  /** Problem codes turned into messages; any other refusal shows the server's `detail`. */
  codes?: Partial<Record<string, CodeRule<F | 'reason'>>>;
  onConfirm: (reason: string) => Promise<void>;
  onClose: () => void;
  children?: ReactNode;
}

/**
 * A confirmation for an admin action that asks why (the reason goes to the audit log). The server's refusal (a 409
 * with its `detail`, or field errors) shows inside the dialog, which stays open so the admin can read it.
 */
export function ReasonDialog<F extends string = never>({
  title,
  description,
  confirmLabel,
  pendingLabel,
  tone = 'danger',
  reasonRequired = true,
  reasonHint,
  fields = [],
  renderFields,
  validate,
  codes,
  onConfirm,
  onClose,
  children,
}: ReasonDialogProps<F>) {
  const [reason, setReason] = useState('');
  const form = useForm<F | 'reason'>([...fields, 'reason'], codes ? { codes } : {});

  const onSubmit = form.handleSubmit(
    () => onConfirm(reason.trim()),
    () => {
      const errors: FieldErrors<F | 'reason'> = { ...(validate?.() ?? {}) };
      const r = reason.trim();
      if (reasonRequired && !r) errors.reason = 'Say why: the reason is kept in the audit log.';
      else if (r.length > REASON_MAX) errors.reason = `Use at most ${REASON_MAX.toLocaleString('en-US')} characters.`;
      return errors;
    },
  );

  return (
    <Dialog title={title} tone={tone} onClose={onClose} description={description}>
      <form className="form" noValidate onSubmit={onSubmit} aria-label={title}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        {children}
        {renderFields?.(form.field)}
        <TextAreaField
          {...form.field('reason')}
          label="Reason"
          optional={!reasonRequired}
          required={reasonRequired}
          rows={3}
          className="input--prose"
          maxLength={REASON_MAX}
          hint={reasonHint ?? 'Recorded in the audit log with your name, e.g. a ticket number and what happened.'}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel={pendingLabel} variant={tone === 'danger' ? 'danger' : 'primary'}>
            {confirmLabel}
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
