import { useState } from 'react';

function initials(name: string | null | undefined, email: string): string {
  const source = name?.trim() || email.split('@')[0] || '?';
  const parts = source.split(/[\s._-]+/).filter(Boolean);
  const letters = parts.length > 1 ? `${parts[0]?.[0] ?? ''}${parts[1]?.[0] ?? ''}` : source.slice(0, 2);
  return letters.toUpperCase();
}

/**
 * The user's picture, or their initials when there is none or it fails to load (a dead link, or a
 * Content-Security-Policy that does not allow the image's origin).
 */
export function Avatar({
  url,
  name,
  email,
  size = 40,
}: {
  url: string | null | undefined;
  name: string | null | undefined;
  email: string;
  size?: number;
}) {
  const [failedUrl, setFailedUrl] = useState<string | null>(null);
  const showImage = Boolean(url) && failedUrl !== url;
  return (
    <span className="avatar" style={{ width: size, height: size, fontSize: Math.round(size * 0.38) }} aria-hidden="true">
      {showImage ? (
        <img src={url ?? undefined} alt="" width={size} height={size} referrerPolicy="no-referrer" onError={() => setFailedUrl(url ?? null)} />
      ) : (
        initials(name, email)
      )}
    </span>
  );
}
