import { useEffect, useRef } from 'react';
import { CopyButton } from '@/components/copy-button';

function download(codes: string[], email: string) {
  const text = [
    'Tollgate recovery codes',
    `Account: ${email}`,
    `Created: ${new Date().toISOString()}`,
    '',
    'Each code works once, in place of a code from your authenticator app.',
    '',
    ...codes,
    '',
  ].join('\n');
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'tollgate-recovery-codes.txt';
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The recovery codes, shown once: copy, download, then confirm. */
export function RecoveryCodesPanel({
  codes,
  email,
  title,
  onDone,
}: {
  codes: string[];
  email: string;
  title: string;
  onDone: () => void;
}) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  return (
    <div className="recovery">
      <h3 ref={headingRef} tabIndex={-1} className="recovery__title">
        {title}
      </h3>
      <p className="recovery__text">
        Store these codes somewhere safe, such as a password manager. Each one signs you in once if you lose your
        authenticator. <strong>This is the only time they are shown.</strong>
      </p>
      <ol className="recovery__codes" aria-label="Recovery codes" data-testid="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="recovery__actions">
        <CopyButton text={codes.join('\n')} label="Copy codes" />
        <button type="button" className="btn btn--secondary btn--sm" onClick={() => download(codes, email)}>
          Download .txt
        </button>
        <button type="button" className="btn btn--primary btn--sm recovery__done" onClick={onDone}>
          I have saved my codes
        </button>
      </div>
    </div>
  );
}
