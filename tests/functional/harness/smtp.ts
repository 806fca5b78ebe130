import { SMTPServer } from 'smtp-server';
import { simpleParser, type AddressObject } from 'mailparser';
import { sleep } from './env.js';

/** One message the sink received, parsed. Addresses are lower-cased. */
export interface Mail {
  /** Recipients from the To header (falls back to the SMTP envelope when the header is absent). */
  to: string[];
  /** RCPT TO addresses of the SMTP envelope. */
  envelopeTo: string[];
  /** MAIL FROM of the envelope. */
  envelopeFrom: string;
  /** The From header as sent (e.g. `Tollgate <no-reply@localhost>`). */
  from: string;
  subject: string;
  /** Plain-text part ('' when there is none). */
  text: string;
  /** HTML part ('' when there is none). */
  html: string;
  /** The whole message as received (headers + body). */
  raw: string;
  /** SMTP AUTH user name the client used, if any. */
  authUser?: string;
  receivedAt: number;
}

export interface MailFilter {
  /** Matches when the address is among `to` or `envelopeTo` (case-insensitive). */
  to?: string;
  /** Exact subject (string) or a pattern. */
  subject?: string | RegExp;
}

export interface SmtpSink {
  port: number;
  /** `smtp://127.0.0.1:PORT` — pass as SMTP_URL. */
  url: string;
  /** Every message received so far, oldest first. */
  messages(): Mail[];
  /** Messages matching the filter, oldest first (taken or not). */
  matching(filter: MailFilter): Mail[];
  /**
   * The oldest matching message not yet returned by an earlier waitForMail (so waiting twice for the same
   * address and subject yields the first and then the second mail). Rejects after timeoutMs.
   */
  waitForMail(filter: MailFilter, timeoutMs?: number): Promise<Mail>;
  /** Resolves after `ms` and fails when a matching message (taken or not) arrived meanwhile. */
  expectNoMail(filter: MailFilter, ms?: number, sinceIndex?: number): Promise<void>;
  /** Rejections by the sink (parse errors), for diagnostics. */
  errors(): string[];
  close(): Promise<void>;
}

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  if (!a) return [];
  const list = Array.isArray(a) ? a : [a];
  return list.flatMap((o) => o.value.map((v) => (v.address ?? '').toLowerCase())).filter(Boolean);
}

export function mailMatches(m: Mail, f: MailFilter): boolean {
  if (f.to !== undefined) {
    const want = f.to.toLowerCase();
    if (!m.to.includes(want) && !m.envelopeTo.includes(want)) return false;
  }
  if (f.subject !== undefined) {
    if (typeof f.subject === 'string' ? m.subject !== f.subject : !f.subject.test(m.subject)) return false;
  }
  return true;
}

function describeFilter(f: MailFilter): string {
  return JSON.stringify({ to: f.to, subject: f.subject instanceof RegExp ? String(f.subject) : f.subject });
}

/**
 * An SMTP server on 127.0.0.1 (random free port) that accepts every message, with or without AUTH
 * (any credentials), without TLS (STARTTLS is not offered).
 */
export async function startSmtpSink(): Promise<SmtpSink> {
  const received: Mail[] = [];
  const taken = new Set<Mail>();
  const errs: string[] = [];
  const waiters = new Set<() => void>();

  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    hideSTARTTLS: true,
    banner: 'tollgate functional-test sink',
    size: 10 * 1024 * 1024,
    logger: false,
    onAuth(auth, _session, cb) {
      cb(null, { user: auth.username ?? 'anonymous' });
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (e) => cb(e));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((p) => {
            const envelopeTo = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
            const headerTo = addresses(p.to);
            const from = session.envelope.mailFrom;
            received.push({
              to: headerTo.length ? headerTo : envelopeTo,
              envelopeTo,
              envelopeFrom: from ? from.address.toLowerCase() : '',
              from: p.from?.text ?? '',
              subject: p.subject ?? '',
              text: p.text ?? '',
              html: typeof p.html === 'string' ? p.html : '',
              raw: raw.toString('utf8'),
              authUser: typeof session.user === 'string' ? session.user : undefined,
              receivedAt: Date.now(),
            });
            waiters.forEach((w) => w());
            cb();
          })
          .catch((e: Error) => {
            errs.push(e.message);
            cb(e);
          });
      });
    },
  });
  server.on('error', (e: Error) => errs.push(e.message));

  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.server.address();
      if (addr && typeof addr === 'object') resolve(addr.port);
      else reject(new Error('smtp sink: no port'));
    });
  });

  const sink: SmtpSink = {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages: () => [...received],
    matching: (f) => received.filter((m) => mailMatches(m, f)),
    waitForMail(filter, timeoutMs = 15_000) {
      return new Promise<Mail>((resolve, reject) => {
        const check = (): boolean => {
          const m = received.find((x) => !taken.has(x) && mailMatches(x, filter));
          if (!m) return false;
          taken.add(m);
          clearTimeout(timer);
          waiters.delete(onMail);
          resolve(m);
          return true;
        };
        const onMail = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(onMail);
          const seen = received.map((m) => `  to=${m.to.join(',')} subject=${JSON.stringify(m.subject)}${taken.has(m) ? ' (taken)' : ''}`);
          reject(
            new Error(
              `no mail matching ${describeFilter(filter)} within ${timeoutMs} ms; received ${received.length}:\n${seen.join('\n')}` +
                (errs.length ? `\nsink errors: ${errs.join('; ')}` : ''),
            ),
          );
        }, timeoutMs);
        waiters.add(onMail);
        check();
      });
    },
    async expectNoMail(filter, ms = 3000, sinceIndex = 0) {
      await sleep(ms);
      const hits = received.slice(sinceIndex).filter((m) => mailMatches(m, filter));
      if (hits.length) {
        throw new Error(`unexpected mail matching ${describeFilter(filter)}: ${hits.map((m) => JSON.stringify(m.subject)).join(', ')}`);
      }
    },
    errors: () => [...errs],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
  return sink;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The token of the `{PUBLIC_URL}{path}?token=<token>` link in the mail's plain-text part (where the contract puts
 * the full link on its own line). `path` is `/verify-email` or `/reset-password`; with `publicUrl`, the link must
 * start with exactly that base. Throws when there is no such link.
 */
export function linkToken(mail: Mail, path: '/verify-email' | '/reset-password' | string, publicUrl?: string): string {
  const base = publicUrl !== undefined ? escapeRe(publicUrl.replace(/\/+$/, '')) : 'https?://[^\\s?#]*?';
  const re = new RegExp(`^${base}${escapeRe(path)}\\?token=([A-Za-z0-9_-]+)$`);
  for (const line of mail.text.split(/\r?\n/)) {
    const m = re.exec(line.trim());
    if (m) return m[1]!;
  }
  throw new Error(`no ${publicUrl ?? ''}${path}?token=… line in the text of mail ${JSON.stringify(mail.subject)}:\n${mail.text}`);
}
