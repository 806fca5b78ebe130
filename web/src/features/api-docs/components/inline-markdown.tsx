import { Fragment, type ReactNode } from 'react';

// The contract's descriptions use a little CommonMark: `code`, **bold**, [links](url) and paragraphs.
// Rendering just that keeps the page dependency-free and never injects HTML.
const TOKEN = /(`[^`]+`|\*\*[^*]+\*\*|\[[^\]]+\]\([^)\s]+\))/g;

function renderInline(text: string): ReactNode[] {
  return text.split(TOKEN).map((part, i) => {
    if (part.startsWith('`') && part.endsWith('`') && part.length > 1) return <code key={i}>{part.slice(1, -1)}</code>;
    if (part.startsWith('**') && part.endsWith('**') && part.length > 3) return <strong key={i}>{part.slice(2, -2)}</strong>;
    const link = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(part);
    if (link) {
      const href = link[2] ?? '';
      // Only plain web and relative links; anything else (javascript:, data:) stays text.
      if (/^(https?:|\/|#)/.test(href)) {
        return (
          <a key={i} href={href} rel="noreferrer">
            {link[1]}
          </a>
        );
      }
      return <Fragment key={i}>{link[1]}</Fragment>;
    }
    return <Fragment key={i}>{part}</Fragment>;
  });
}

export function InlineMarkdown({ text, className }: { text: string | undefined; className?: string }) {
  if (!text) return null;
  const paragraphs = text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' '));
  return (
    <>
      {paragraphs.map((p, i) => (
        <p key={i} className={className}>
          {renderInline(p)}
        </p>
      ))}
    </>
  );
}
