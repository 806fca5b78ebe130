import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Mail {
  to: string[];
  subject: string;
  text: string;
}

export interface MailSink {
  /** Resolves with the first not-yet-taken mail to `to` with this subject; each mail is handed out once. */
  waitFor: (to: string, subject: string, timeoutMs?: number) => Promise<Mail>;
  all: () => readonly Mail[];
  close: () => Promise<void>;
}

export function smtpPort(): number {
  const port = Number(process.env.E2E_SMTP_PORT);
  if (!Number.isInteger(port) || port <= 0) {
    throw new Error('E2E_SMTP_PORT is not set: the port the server under test sends mail to (its SMTP_URL).');
  }
  return port;
}

/** A local SMTP server that keeps every message in memory: the server under test sends its mail here. */
export async function startMailSink(port: number): Promise<MailSink> {
  const mails: Mail[] = [];
  const taken = new Set<Mail>();
  const listeners = new Set<() => void>();

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth: (_auth, _session, callback) => callback(null, { user: 'e2e' }),
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          mails.push({
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
          });
          for (const notify of listeners) notify();
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  const take = (to: string, subject: string): Mail | undefined => {
    const mail = mails.find((m) => !taken.has(m) && m.subject === subject && m.to.includes(to.toLowerCase()));
    if (mail) taken.add(mail);
    return mail;
  };

  return {
    all: () => mails,
    waitFor: (to, subject, timeoutMs = 30_000) =>
      new Promise<Mail>((resolve, reject) => {
        const found = take(to, subject);
        if (found) return resolve(found);
        const check = () => {
          const mail = take(to, subject);
          if (!mail) return;
          cleanup();
          resolve(mail);
        };
        const timer = setTimeout(() => {
          cleanup();
          const seen = mails.map((m) => `${m.to.join(',')}: ${m.subject}`).join('; ') || 'none';
          reject(new Error(`No mail "${subject}" to ${to} within ${timeoutMs} ms (received: ${seen})`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
