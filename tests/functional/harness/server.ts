import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { TOLLGATE_BIN, REPO_ROOT, makeTempDir, randomSecret, sleep } from './env.js';
import { freePort } from './ports.js';
import { trackChild } from './cleanup.js';
import { createDatabase, dropDatabase } from './postgres.js';

export interface ServerOptions {
  /** Cluster in which the fresh `tg_<random>` database is created (default: the shared one). */
  adminDatabaseUrl?: string;
  /** Max time to wait for the listening line + /healthz. */
  startTimeoutMs?: number;
  /**
   * Also wait (up to 30 s) for /readyz 200 — migrations run after the listener is up (default true).
   * When it never gets ready, startServer still returns (the tests then show why) and notes it in logs().
   */
  waitReady?: boolean;
}

export interface TollgateServer {
  baseUrl: string;
  port: number;
  proc: ChildProcess;
  env: Record<string, string>;
  /** Sends `signal` (default SIGTERM), waits for exit (SIGKILL after timeoutMs); resolves the exit status. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  logs(): string;
}

const running = new Set<TollgateServer>();
const OUTPUT_CAP = 32 * 1024 * 1024;
const DROP_MARK = '[harness] output dropped: ';
/** Every server this worker started, with the time it was stopped (for failure diagnostics). */
const history: Array<{ server: TollgateServer; stoppedAt?: number }> = [];

export function sharedDatabaseUrl(): string {
  const fromEnv = process.env.TEST_DATABASE_URL;
  if (fromEnv) return fromEnv;
  return inject('databaseUrl');
}

export function sharedRedisUrl(): string {
  const fromEnv = process.env.TEST_REDIS_URL;
  if (fromEnv) return fromEnv;
  return inject('redisUrl');
}

/** Contract variables never inherited from the runner's environment: each test states what it needs. */
const CONTRACT_VARS = [
  'TOLLGATE_ENV', 'HOST', 'PORT', 'THREADS', 'DATABASE_URL', 'REDIS_URL', 'AUTO_MIGRATE', 'BODY_LIMIT',
  'CORS_ORIGINS', 'RATE_LIMIT_IP_MAX', 'RATE_LIMIT_IP_WINDOW', 'RATE_LIMIT_USER_MAX', 'RATE_LIMIT_USER_WINDOW',
  'TRUSTED_PROXIES', 'TRUST_PROXY_TLS', 'SHUTDOWN_GRACE', 'WEB_DIR', 'VAR_DIR', 'LOG_DIR', 'TOLLGATE_TEST_HOOKS',
  'JWT_SECRET', 'JWT_SECRET_FILE', 'JWT_EXPIRY', 'JWT_REFRESH_EXPIRY',
  'SMTP_URL', 'SMTP_URL_FILE', 'MAIL_FROM', 'MAIL_TRANSPORT', 'PUBLIC_URL', 'SENDGRID_API_KEY', 'SENDGRID_API_KEY_FILE',
  'SENDGRID_API_URL',
  'ENCRYPTION_KEY', 'ENCRYPTION_KEY_FILE', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'ADMIN_PASSWORD_FILE',
  'KEY_RATE_WINDOW', 'STRIPE_SYNC_PLANS_ON_START', 'BILLING_JOB_INTERVAL_SECONDS',
];

function inheritedEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !CONTRACT_VARS.includes(k)) out[k] = v;
  }
  return out;
}

interface Spawned {
  proc: ChildProcess;
  out: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the port from the "listening" line, or null when the process exits / line has no port. */
  listening: Promise<number | null>;
}

function spawnServer(env: Record<string, string>): Spawned {
  const proc = spawn(TOLLGATE_BIN, ['serve'], {
    cwd: REPO_ROOT,
    env: { ...inheritedEnv(), ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(proc);
  const out: string[] = [];
  // A soak writes ~1 GB of access log: keep the first chunk (start-up) and the newest OUTPUT_CAP bytes, so a
  // long run cannot exhaust the test process's heap.
  let outBytes = 0;
  let dropped = 0;
  const keep = (text: string) => {
    out.push(text);
    outBytes += text.length;
    if (outBytes <= OUTPUT_CAP) return;
    let cut = 0;
    let i = 1;
    while (outBytes > OUTPUT_CAP && i < out.length - 1) {
      outBytes -= out[i]!.length;
      if (!out[i]!.startsWith(DROP_MARK)) cut += out[i]!.length;
      i++;
    }
    if (i > 1) {
      dropped += cut;
      const mark = `${DROP_MARK}${dropped} bytes (kept the first chunk and the last ${OUTPUT_CAP} bytes)\n`;
      out.splice(1, i - 1, mark);
      outBytes += mark.length;
    }
  };
  let resolveListening: (p: number | null) => void = () => undefined;
  const listening = new Promise<number | null>((r) => (resolveListening = r));
  let partial = '';
  proc.stdout!.on('data', (d: Buffer) => {
    const text = d.toString('utf8');
    keep(text);
    partial += text;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl).trim();
      partial = partial.slice(nl + 1);
      if (!line.includes('listening')) continue;
      try {
        const obj = JSON.parse(line) as Record<string, unknown>;
        if (obj.msg === 'listening') {
          const p = Number(obj.port);
          resolveListening(Number.isInteger(p) && p > 0 ? p : null);
        }
      } catch {
        /* not JSON */
      }
    }
  });
  proc.stderr!.on('data', (d: Buffer) => keep('[stderr] ' + d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => {
      resolveListening(null);
      resolve({ code, signal });
    });
  });
  return { proc, out, exited, listening };
}

async function waitHealthy(baseUrl: string, s: Spawned, deadline: number): Promise<void> {
  let lastErr = '';
  while (Date.now() < deadline) {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) {
      throw new Error(`tollgate exited early (code ${s.proc.exitCode}, signal ${s.proc.signalCode})`);
    }
    try {
      const r = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.status === 200) return;
      lastErr = `status ${r.status}`;
    } catch (e) {
      lastErr = (e as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`tollgate did not become healthy at ${baseUrl}: ${lastErr}`);
}

/**
 * Starts `$TOLLGATE_BIN serve` against a fresh database with PORT=0 and test defaults; `overrides`
 * win over the defaults (pass DATABASE_URL to skip the fresh database).
 */
export async function startServer(overrides: Record<string, string> = {}, opts: ServerOptions = {}): Promise<TollgateServer> {
  const startTimeout = opts.startTimeoutMs ?? 45_000;
  const varDir = makeTempDir('tg-var-');
  let dbName: string | undefined;
  let adminUrl: string | undefined;
  let databaseUrl = overrides.DATABASE_URL;
  if (!databaseUrl) {
    adminUrl = opts.adminDatabaseUrl ?? sharedDatabaseUrl();
    const db = await createDatabase(adminUrl);
    dbName = db.name;
    databaseUrl = db.url;
  }
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    TOLLGATE_ENV: 'test',
    VAR_DIR: varDir,
    LOG_DIR: path.join(varDir, 'log'),
    TOLLGATE_TEST_HOOKS: 'true',
    JWT_SECRET: randomSecret(64),
    // Tests set Stripe price ids themselves; a start-up sync would race them (tests of the sync turn it on).
    STRIPE_SYNC_PLANS_ON_START: 'false',
    ...overrides,
    DATABASE_URL: databaseUrl,
  };

  const deadline = Date.now() + startTimeout;
  let s = spawnServer(env);
  let port: number | null = null;
  if (env.PORT === '0') {
    port = await Promise.race([s.listening, sleep(Math.max(0, deadline - Date.now())).then(() => null)]);
    if (port === null) {
      // Fallback: the binary did not report a port (or rejected PORT=0): pick one ourselves.
      const early = s.out.join('');
      if (s.proc.exitCode === null && s.proc.signalCode === null) {
        s.proc.kill('SIGKILL');
        await s.exited;
      }
      env.PORT = String(await freePort());
      s = spawnServer(env);
      s.out.unshift(`[harness] PORT=0 gave no listening port; retrying with PORT=${env.PORT}\n[harness] first attempt output:\n${early}\n`);
      port = Number(env.PORT);
    }
  } else {
    port = Number(env.PORT);
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(baseUrl, s, Math.max(deadline, Date.now() + 15_000));
  } catch (e) {
    if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
    await s.exited;
    throw new Error(`${(e as Error).message}\n--- tollgate output ---\n${s.out.join('')}`);
  }

  if (opts.waitReady !== false) {
    const readyDeadline = Date.now() + 30_000;
    let last = '';
    for (;;) {
      try {
        const r = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(3000) });
        last = `${r.status} ${await r.text()}`;
        if (r.status === 200) break;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > readyDeadline || s.proc.exitCode !== null || s.proc.signalCode !== null) {
        s.out.push(`[harness] /readyz not 200 within 30 s of start: ${last}\n`);
        break;
      }
      await sleep(100);
    }
  }

  const proc = s.proc;
  const server: TollgateServer = {
    baseUrl,
    port,
    proc,
    env,
    exited: s.exited,
    logs: () => s.out.join(''),
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000) {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill(signal);
        const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
        await s.exited;
        clearTimeout(t);
      }
      running.delete(server);
      const h = history.find((x) => x.server === server);
      if (h && h.stoppedAt === undefined) h.stoppedAt = Date.now();
      if (dbName && adminUrl) await dropDatabase(adminUrl, dbName);
      fs.rmSync(varDir, { recursive: true, force: true });
      return s.exited;
    },
  };
  running.add(server);
  history.push({ server });
  return server;
}

/** Stops every server this worker started that is still running. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop('SIGKILL').catch(() => undefined)));
}

/** Output of every server that was still running at time `since` (ms epoch) or started later. */
export function serverLogsSince(since: number): string {
  return history
    .filter((h) => h.stoppedAt === undefined || h.stoppedAt >= since)
    .map((h) => `--- tollgate ${h.server.baseUrl} (pid ${h.server.proc.pid}, exit ${h.server.proc.exitCode ?? h.server.proc.signalCode ?? 'running'}) ---\n${h.server.logs()}`)
    .join('\n');
}
