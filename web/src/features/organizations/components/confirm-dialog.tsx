import type { ReactNode, RefObject } from 'react';
import { Dialog } from '@/components/dialog';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import { ORGANIZATION_CODE_RULES } from '../lib/messages';

/**
 * A yes/no question before an organization action. A refusal shows in the dialog (in the words of
 * lib/messages.ts); `onConfirm` decides what else to do with it (e.g. a 403 closes the dialog and refreshes the page).
 */
export function ConfirmDialog({
  title,
  description,
  confirmLabel,
  pendingLabel,
  cancelLabel = 'Cancel',
  tone = 'danger',
  onConfirm,
  onClose,
  returnFocusRef,
  children,
}: {
  title: string;
  description: ReactNode;
  confirmLabel: string;
  pendingLabel: string;
  cancelLabel?: string;
  tone?: 'default' | 'danger';
  onConfirm: () => Promise<void>;
  onClose: () => void;
  returnFocusRef?: RefObject<HTMLElement>;
  children?: ReactNode;
}) {
  const form = useForm([] as const, { codes: ORGANIZATION_CODE_RULES });
  return (
    <Dialog title={title} tone={tone} onClose={onClose} description={description} returnFocusRef={returnFocusRef}>
      <form className="form" noValidate onSubmit={form.handleSubmit(onConfirm)} aria-label={title}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        {children}
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel={pendingLabel} variant={tone === 'danger' ? 'danger' : 'primary'}>
            {confirmLabel}
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            {cancelLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
