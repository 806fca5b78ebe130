import type { ReactNode, Ref } from 'react';

interface Props {
  id: string;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  danger?: boolean;
  headingRef?: Ref<HTMLHeadingElement>;
}

/** One card of the organization pages (styled like the account settings sections). */
export function OrgSection({ id, title, description, children, danger, headingRef }: Props) {
  return (
    <section id={id} className={`settings-section card${danger ? ' settings-section--danger' : ''}`} aria-labelledby={`${id}-title`}>
      <header className="settings-section__head">
        <h2 id={`${id}-title`} ref={headingRef} tabIndex={-1} className="settings-section__title">
          {title}
        </h2>
        {description && <div className="settings-section__desc">{description}</div>}
      </header>
      <div className="settings-section__body">{children}</div>
    </section>
  );
}
