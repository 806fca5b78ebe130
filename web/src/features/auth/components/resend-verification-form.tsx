import { useState } from 'react';
import { TextField } from '@/components/form/fields';
import { FormAlert, Notice, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import { compact, emailError } from '@/lib/validation';
import { resendVerification } from '../api/email-verification';

/** Asks for a new verification link. The answer is the same whether or not the address has an account. */
export function ResendVerificationForm({ defaultEmail = '' }: { defaultEmail?: string }) {
  const [email, setEmail] = useState(defaultEmail);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const form = useForm(['email'] as const);

  const onSubmit = form.handleSubmit(
    async () => {
      const address = email.trim();
      await resendVerification(address);
      setSentTo(address);
    },
    () => compact({ email: emailError(email) }),
  );

  return (
    <form className="form" noValidate onSubmit={onSubmit} aria-label="Send a new verification link">
      {sentTo && (
        <Notice>
          If <strong>{sentTo}</strong> is waiting for verification, a new link is on its way. It expires in 24 hours.
        </Notice>
      )}
      <FormAlert error={form.formError} alertRef={form.alertRef} />
      <TextField
        {...form.field('email')}
        label="Email"
        type="email"
        inputMode="email"
        autoComplete="email"
        maxLength={254}
        value={email}
        onChange={(e) => setEmail(e.target.value)}
      />
      <SubmitButton pending={form.pending} pendingLabel="Sending…" variant={sentTo ? 'secondary' : 'primary'} className="btn--block">
        {sentTo ? 'Send again' : 'Send a new link'}
      </SubmitButton>
    </form>
  );
}
