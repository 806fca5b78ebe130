import type { ReactNode } from 'react';

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state--empty">
      <div className="state__body">
        <p className="state__title">{title}</p>
        {children && <div className="state__detail">{children}</div>}
      </div>
    </div>
  );
}
