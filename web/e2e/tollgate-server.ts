import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A Tollgate server of a test's own (for tests that need a configuration the shared E2E server does not have,
 * e.g. Stripe billing mode): `$E2E_TOLLGATE_BIN serve` on a fresh database created in the cluster of
 * $E2E_ADMIN_DATABASE_URL, serving $E2E_WEB_DIR. `stop()` ends the process and drops the database.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

export interface OwnServerConfig {
  bin: string;
  adminDatabaseUrl: string;
  webDir: string;
}

/** What is needed to start a server, or the list of what is missing (so the caller can say why it skips). */
export function ownServerConfig(): { config: OwnServerConfig; missing: [] } | { config: null; missing: string[] } {
  const bin = process.env.E2E_TOLLGATE_BIN || process.env.TOLLGATE_BIN || '';
  const adminDatabaseUrl = process.env.E2E_ADMIN_DATABASE_URL || process.env.TEST_DATABASE_URL || '';
  const webDir = process.env.E2E_WEB_DIR || path.join(repoRoot, 'web/dist');
  const missing: string[] = [];
  if (!bin) missing.push('E2E_TOLLGATE_BIN (the tollgate binary)');
  else if (!existsSync(bin)) missing.push(`E2E_TOLLGATE_BIN: ${bin} does not exist`);
  if (!adminDatabaseUrl) missing.push('E2E_ADMIN_DATABASE_URL (a PostgreSQL URL allowed to CREATE DATABASE)');
  if (!existsSync(path.join(webDir, 'index.html'))) missing.push(`E2E_WEB_DIR: no index.html in ${webDir} (run npm run build)`);
  return missing.length === 0 ? { config: { bin, adminDatabaseUrl, webDir }, missing: [] } : { config: null, missing };
}

function psql(url: string, sql: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`psql: ${sql}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface OwnServer {
  baseUrl: string;
  /** The environment it runs with (secrets included). */
  env: Record<string, string>;
  /** stdout + stderr so far (the last 256 KiB). */
  logs(): string;
  /** SIGTERM (SIGKILL after 10 s), then drops the database and removes the var dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface OwnServerOptions {
  /** Extra environment (STRIPE_*, SMTP_URL, …); PUBLIC_URL defaults to the server's own address. */
  env?: (baseUrl: string) => Record<string, string>;
  /** Runs `tollgate create-admin` first (which also applies the migrations). */
  admin?: { email: string; password: string };
}

const LOG_LIMIT = 256 * 1024;
const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/** If the test process dies without afterAll, take the servers with it. */
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
}

function run(bin: string, args: string[], env: Record<string, string>, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env, cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(bin)} ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A minimal environment: the server reads nothing from the runner's (DATABASE_URL, STRIPE_*, …) by accident. */
function baseEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR']) {
    const v = process.env[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export async function startOwnServer(config: OwnServerConfig, opts: OwnServerOptions = {}): Promise<OwnServer> {
  installExitHook();
  const dbName = `tollgate_e2e_${process.pid}_${randomBytes(4).toString('hex')}`;
  // The working directory is the var dir: the binary also reads ./.env and var/tollgate.env, which must not
  // leak a developer's settings into the test.
  const varDir = await mkdtemp(path.join(tmpdir(), 'tollgate-e2e-server-'));
  await psql(config.adminDatabaseUrl, `CREATE DATABASE "${dbName}"`);

  let proc: ChildProcess | null = null;
  let out = '';
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const p = proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((resolve) => p.once('exit', resolve));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (p) children.delete(p);
    await psql(config.adminDatabaseUrl, `DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch((e: Error) => {
      out += `\n[e2e] could not drop database ${dbName}: ${e.message}\n`;
    });
    await rm(varDir, { recursive: true, force: true });
  };

  try {
    const common: Record<string, string> = {
      ...baseEnv(),
      TOLLGATE_ENV: 'test',
      HOST: '127.0.0.1',
      DATABASE_URL: withDatabase(config.adminDatabaseUrl, dbName),
      VAR_DIR: path.join(varDir, 'var'),
      WEB_DIR: config.webDir,
      JWT_SECRET: randomBytes(32).toString('hex'),
    };
    if (opts.admin) {
      await run(config.bin, ['create-admin', '--email', opts.admin.email, '--password', opts.admin.password], common, varDir);
    }

    // PUBLIC_URL must name the port before the server starts, so pick a free one; a lost race is retried.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const env: Record<string, string> = { ...common, PORT: String(port), PUBLIC_URL: baseUrl, ...(opts.env?.(baseUrl) ?? {}) };
      out += `[e2e] starting ${config.bin} serve on ${baseUrl} (database ${dbName}, attempt ${attempt})\n`;
      const p = spawn(config.bin, ['serve'], { env, cwd: varDir, stdio: ['ignore', 'pipe', 'pipe'] });
      proc = p;
      children.add(p);
      const append = (d: Buffer) => {
        out += d.toString('utf8');
        if (out.length > LOG_LIMIT) out = out.slice(-LOG_LIMIT);
      };
      p.stdout?.on('data', append);
      p.stderr?.on('data', append);

      const deadline = Date.now() + 60_000;
      let last = '';
      while (Date.now() < deadline && p.exitCode === null && p.signalCode === null) {
        try {
          const r = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
          last = `${r.status} ${await r.text()}`;
          if (r.status === 200) return { baseUrl, env, logs: () => out, stop };
        } catch (e) {
          last = (e as Error).message;
        }
        await sleep(100);
      }
      if (p.exitCode === null && p.signalCode === null) {
        throw new Error(`tollgate did not become ready at ${baseUrl} within 60 s (last: ${last})\n${out}`);
      }
      children.delete(p);
      if (attempt >= 3 || !/address (already )?in use|EADDRINUSE|bind/i.test(out)) {
        throw new Error(`tollgate exited at start (code ${p.exitCode}, signal ${p.signalCode})\n${out}`);
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
}
