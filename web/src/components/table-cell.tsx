import type { ReactNode } from 'react';

/**
 * A table cell that on phone widths becomes a labelled row of a stacked card (`.table--stack`): the label comes
 * from `data-label`, the content stays in one box so it lines up as one value.
 */
export function Cell({ label, num, className, children }: { label: string; num?: boolean; className?: string; children: ReactNode }) {
  const classes = [num ? 'num' : null, className].filter(Boolean).join(' ') || undefined;
  return (
    <td className={classes} data-label={label}>
      <span className="cell">{children}</span>
    </td>
  );
}
