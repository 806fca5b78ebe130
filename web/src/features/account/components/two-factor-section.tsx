import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { Badge } from '@/components/badge';
import { CopyButton } from '@/components/copy-button';
import { ErrorState } from '@/components/error-state';
import { PasswordField, TextField } from '@/components/form/fields';
import { FormAlert, Notice, SubmitButton } from '@/components/form/form-alert';
import { LoadingBlock } from '@/components/spinner';
import { useForm } from '@/hooks/use-form';
import { useRequest } from '@/hooks/use-request';
import { isApiError } from '@/lib/api-client';
import { codeError, normaliseCode } from '@/lib/one-time-code';
import { compact, requiredError } from '@/lib/validation';
import { useAuthStore } from '@/stores/auth-store';
import type { TwoFactorSetup, User } from '@/types';
import {
  disableTwoFactor,
  enableTwoFactor,
  getTwoFactorStatus,
  regenerateRecoveryCodes,
  setupTwoFactor,
} from '../api/two-factor';
import { QrCode } from './qr-code';
import { RecoveryCodesPanel } from './recovery-codes';
import { SettingsSection } from './settings-section';

type Step =
  | { kind: 'overview'; notice?: string }
  | { kind: 'password'; notice?: string }
  | { kind: 'scan'; setup: TwoFactorSetup }
  | { kind: 'codes'; codes: string[]; title: string }
  | { kind: 'disable' }
  | { kind: 'regenerate' };

const WRONG_CODE = "That code didn't match. Codes change every 30 seconds: enter the one your app shows now.";

function useFocusFirstField(fieldId: string) {
  useEffect(() => {
    document.getElementById(fieldId)?.focus();
  }, [fieldId]);
}

function StepActions({ children, onCancel }: { children: ReactNode; onCancel: () => void }) {
  return (
    <div className="form__actions">
      {children}
      <button type="button" className="btn btn--secondary" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** Step 1: confirm the password to get a new secret. */
function PasswordStep({ notice, onSetup, onCancel, onAlreadyOn }: {
  notice: string | undefined;
  onSetup: (setup: TwoFactorSetup) => void;
  onCancel: () => void;
  onAlreadyOn: () => void;
}) {
  const [password, setPassword] = useState('');
  const form = useForm(['password'] as const, {
    codes: { INVALID_PASSWORD: { field: 'password', message: 'Your password is incorrect.' } },
  });
  useFocusFirstField(form.fieldId('password'));

  const onSubmit = form.handleSubmit(
    async () => {
      try {
        onSetup(await setupTwoFactor(password));
      } catch (err) {
        if (isApiError(err) && err.code === 'TWO_FACTOR_ALREADY_ENABLED') return onAlreadyOn();
        throw err;
      }
    },
    () => compact({ password: requiredError(password, 'Enter your password to continue.') }),
  );

  return (
    <form className="form" noValidate onSubmit={onSubmit} aria-label="Set up two-factor authentication">
      {notice && <Notice tone="info">{notice}</Notice>}
      <p className="step-label">Step 1 of 3 · Confirm it's you</p>
      <FormAlert error={form.formError} alertRef={form.alertRef} />
      <PasswordField
        {...form.field('password')}
        label="Password"
        autoComplete="current-password"
        maxLength={256}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <StepActions onCancel={onCancel}>
        <SubmitButton pending={form.pending} pendingLabel="Checking…">
          Continue
        </SubmitButton>
      </StepActions>
    </form>
  );
}

function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/** Step 2: scan (or type) the secret, then prove it works with a code. */
function ScanStep({ setup, email, onEnabled, onExpired, onCancel }: {
  setup: TwoFactorSetup;
  email: string;
  onEnabled: (codes: string[]) => void;
  onExpired: () => void;
  onCancel: () => void;
}) {
  const [code, setCode] = useState('');
  const form = useForm(['code'] as const, { codes: { INVALID_MFA_CODE: { field: 'code', message: WRONG_CODE } } });
  const headingRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  const onSubmit = form.handleSubmit(
    async () => {
      try {
        onEnabled(await enableTwoFactor(normaliseCode(code)));
      } catch (err) {
        if (isApiError(err) && err.code === 'TWO_FACTOR_NOT_PENDING') return onExpired();
        throw err;
      }
    },
    () => compact({ code: codeError(normaliseCode(code), false) }),
  );

  return (
    <div className="enrol">
      <p ref={headingRef} tabIndex={-1} className="step-label">
        Step 2 of 3 · Add Tollgate to your authenticator app
      </p>
      <div className="enrol__grid">
        <div className="enrol__qr">
          <QrCode value={setup.otpauthUri} label={`QR code for your authenticator app, account ${email}`} />
        </div>
        <div className="enrol__manual">
          <p>
            Scan the QR code with an authenticator app (1Password, Google Authenticator, Authy, Bitwarden…).
          </p>
          <p className="muted small">Can't scan it? Enter this setup key in the app instead (time-based, 6 digits):</p>
          <div className="secret">
            <code className="secret__value" data-testid="totp-secret" aria-label="Setup key">
              {groupSecret(setup.secret)}
            </code>
            <CopyButton text={setup.secret} label="Copy key" />
          </div>
        </div>
      </div>
      <form className="form" noValidate onSubmit={onSubmit} aria-label="Confirm two-factor authentication">
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <TextField
          {...form.field('code')}
          label="Code from the app"
          hint="Step 3 of 3 · Enter the 6-digit code the app now shows for Tollgate."
          inputMode="numeric"
          autoComplete="one-time-code"
          className="input--code"
          maxLength={7}
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
        <StepActions onCancel={onCancel}>
          <SubmitButton pending={form.pending} pendingLabel="Verifying…">
            Turn on two-factor
          </SubmitButton>
        </StepActions>
      </form>
    </div>
  );
}

function DisableForm({ onDisabled, onCancel }: { onDisabled: () => void; onCancel: () => void }) {
  const [values, setValues] = useState({ password: '', code: '' });
  const form = useForm(['password', 'code'] as const, {
    codes: {
      INVALID_PASSWORD: { field: 'password', message: 'Your password is incorrect.' },
      INVALID_MFA_CODE: { field: 'code', message: WRONG_CODE },
    },
  });
  useFocusFirstField(form.fieldId('password'));

  const onSubmit = form.handleSubmit(
    async () => {
      try {
        await disableTwoFactor(values.password, normaliseCode(values.code));
      } catch (err) {
        if (!(isApiError(err) && err.code === 'TWO_FACTOR_NOT_ENABLED')) throw err;
      }
      onDisabled();
    },
    () =>
      compact({
        password: requiredError(values.password, 'Enter your password.'),
        code: codeError(normaliseCode(values.code), true),
      }),
  );

  return (
    <form className="form" noValidate onSubmit={onSubmit} aria-label="Turn off two-factor authentication">
      <Notice tone="warning">Without two-factor authentication, your password alone protects this account.</Notice>
      <FormAlert error={form.formError} alertRef={form.alertRef} />
      <div className="form__grid">
        <PasswordField
          {...form.field('password')}
          label="Password"
          autoComplete="current-password"
          maxLength={256}
          value={values.password}
          onChange={(e) => setValues((v) => ({ ...v, password: e.target.value }))}
        />
        <TextField
          {...form.field('code')}
          label="Authentication code"
          hint="From your app, or a recovery code."
          autoComplete="one-time-code"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={32}
          value={values.code}
          onChange={(e) => setValues((v) => ({ ...v, code: e.target.value }))}
        />
      </div>
      <StepActions onCancel={onCancel}>
        <SubmitButton pending={form.pending} pendingLabel="Turning off…" variant="danger">
          Turn off two-factor
        </SubmitButton>
      </StepActions>
    </form>
  );
}

function RegenerateForm({ onCodes, onCancel }: { onCodes: (codes: string[]) => void; onCancel: () => void }) {
  const [code, setCode] = useState('');
  const form = useForm(['code'] as const, { codes: { INVALID_MFA_CODE: { field: 'code', message: WRONG_CODE } } });
  useFocusFirstField(form.fieldId('code'));

  const onSubmit = form.handleSubmit(
    async () => onCodes(await regenerateRecoveryCodes(normaliseCode(code))),
    () => compact({ code: codeError(normaliseCode(code), false) }),
  );

  return (
    <form className="form" noValidate onSubmit={onSubmit} aria-label="Regenerate recovery codes">
      <p>New codes replace all the old ones, which stop working at once.</p>
      <FormAlert error={form.formError} alertRef={form.alertRef} />
      <TextField
        {...form.field('code')}
        label="Code from your authenticator app"
        inputMode="numeric"
        autoComplete="one-time-code"
        className="input--code"
        maxLength={7}
        value={code}
        onChange={(e) => setCode(e.target.value)}
      />
      <StepActions onCancel={onCancel}>
        <SubmitButton pending={form.pending} pendingLabel="Generating…">
          Generate new codes
        </SubmitButton>
      </StepActions>
    </form>
  );
}

export function TwoFactorSection({ user }: { user: User }) {
  const status = useRequest(getTwoFactorStatus);
  const [step, setStep] = useState<Step>({ kind: 'overview' });
  const headingRef = useRef<HTMLHeadingElement>(null);
  const { refresh } = status;

  const markEnabled = useCallback(
    (enabled: boolean) => {
      const current = useAuthStore.getState().user;
      if (current) useAuthStore.getState().setUser({ ...current, twoFactorEnabled: enabled });
      refresh();
    },
    [refresh],
  );

  const backToOverview = useCallback((notice?: string) => {
    setStep({ kind: 'overview', notice });
    // The step's controls are gone: give focus a sensible home.
    window.setTimeout(() => headingRef.current?.focus(), 0);
  }, []);

  let body: ReactNode;
  if (status.isLoading) {
    body = <LoadingBlock label="Loading two-factor status…" />;
  } else if (status.error && !status.data) {
    body = <ErrorState error={status.error} title="Could not load the two-factor status" onRetry={refresh} />;
  } else if (step.kind === 'password') {
    body = (
      <PasswordStep
        notice={step.notice}
        onSetup={(setup) => setStep({ kind: 'scan', setup })}
        onCancel={() => backToOverview()}
        onAlreadyOn={() => {
          markEnabled(true);
          backToOverview('Two-factor authentication is already on.');
        }}
      />
    );
  } else if (step.kind === 'scan') {
    body = (
      <ScanStep
        setup={step.setup}
        email={user.email}
        onEnabled={(codes) => {
          markEnabled(true);
          setStep({ kind: 'codes', codes, title: 'Two-factor authentication is on. Save your recovery codes' });
        }}
        onExpired={() => setStep({ kind: 'password', notice: 'That setup is no longer pending. Start again.' })}
        onCancel={() => backToOverview()}
      />
    );
  } else if (step.kind === 'codes') {
    body = (
      <RecoveryCodesPanel
        codes={step.codes}
        email={user.email}
        title={step.title}
        onDone={() => {
          refresh();
          backToOverview();
        }}
      />
    );
  } else if (step.kind === 'disable') {
    body = (
      <DisableForm
        onDisabled={() => {
          markEnabled(false);
          backToOverview('Two-factor authentication is off.');
        }}
        onCancel={() => backToOverview()}
      />
    );
  } else if (step.kind === 'regenerate') {
    body = (
      <RegenerateForm
        onCodes={(codes) => {
          refresh();
          setStep({ kind: 'codes', codes, title: 'Your new recovery codes' });
        }}
        onCancel={() => backToOverview()}
      />
    );
  } else {
    const data = status.data;
    const enabled = data?.enabled ?? user.twoFactorEnabled;
    const remaining = data?.recoveryCodesRemaining ?? 0;
    body = (
      <div className="tfa-overview">
        {step.notice && <Notice>{step.notice}</Notice>}
        <p className="settings-current" data-testid="two-factor-state">
          {enabled ? <Badge tone="success" dot>On</Badge> : <Badge tone="neutral" dot>Off</Badge>}{' '}
          {enabled
            ? 'Signing in needs a code from your authenticator app.'
            : 'Add a second step to signing in: a code from an authenticator app on your phone.'}
        </p>
        {enabled && (
          <p className={remaining <= 3 ? 'warning-text' : 'muted'}>
            {remaining === 1 ? '1 recovery code left.' : `${remaining} recovery codes left.`}
            {remaining <= 3 && ' Generate new ones so you cannot get locked out.'}
          </p>
        )}
        {!enabled && data?.pending && (
          <p className="muted small">A setup was started but not finished. Starting again replaces it.</p>
        )}
        <div className="form__actions">
          {enabled ? (
            <>
              <button type="button" className="btn btn--secondary" onClick={() => setStep({ kind: 'regenerate' })}>
                Regenerate recovery codes
              </button>
              <button type="button" className="btn btn--danger-outline" onClick={() => setStep({ kind: 'disable' })}>
                Turn off
              </button>
            </>
          ) : (
            <button type="button" className="btn btn--primary" onClick={() => setStep({ kind: 'password' })}>
              Set up two-factor authentication
            </button>
          )}
        </div>
      </div>
    );
  }

  return (
    <SettingsSection
      id="two-factor"
      title="Two-factor authentication"
      headingRef={headingRef}
      description="Protects your account even if your password leaks."
    >
      {body}
    </SettingsSection>
  );
}
