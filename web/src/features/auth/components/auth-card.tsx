import type { ReactNode, Ref } from 'react';

interface Props {
  title: string;
  description?: ReactNode;
  children: ReactNode;
  /** Links under the card ("No account? Create one"). */
  footer?: ReactNode;
  /** Lets a multi-step form move focus to the heading of the new step. */
  headingRef?: Ref<HTMLHeadingElement>;
}

/** The narrow centred card every sign-in page uses. */
export function AuthCard({ title, description, children, footer, headingRef }: Props) {
  return (
    <div className="auth">
      <section className="auth__card card" aria-labelledby="auth-title">
        <h1 id="auth-title" ref={headingRef} tabIndex={-1} className="auth__title">
          {title}
        </h1>
        {description && <div className="auth__desc">{description}</div>}
        {children}
      </section>
      {footer && <div className="auth__footer">{footer}</div>}
    </div>
  );
}
