import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import pg from 'pg';
import { PG_SH, makeTempDir, randomId } from './env.js';
import { freePort } from './ports.js';
import { addExitHook } from './cleanup.js';

const run = promisify(execFile);

export interface PostgresInstance {
  /** libpq URL of the cluster's `postgres` database. */
  url: string;
  port: number;
  dir: string;
  running(): boolean;
  /** Fast shutdown; the data dir and port are kept. */
  stop(): Promise<void>;
  /** Start again on the SAME port and data dir. */
  start(): Promise<void>;
  /** Stop and delete the data dir. */
  destroy(): Promise<void>;
}

async function pgsh(...args: string[]): Promise<void> {
  try {
    await run('bash', [PG_SH, ...args], { timeout: 90_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/pg.sh ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`);
  }
}

/** A private PostgreSQL 15 cluster (scripts/pg.sh) on a free port, in a temp dir. */
export async function startPostgres(opts: { dir?: string; port?: number } = {}): Promise<PostgresInstance> {
  const dir = opts.dir ?? makeTempDir('tg-pg-');
  const port = opts.port ?? (await freePort());
  await pgsh('init', dir);
  await pgsh('start', dir, String(port));
  let up = true;
  const removeHook = addExitHook(() => {
    if (up) {
      try {
        execFileSync('bash', [PG_SH, 'stop', dir], { stdio: 'ignore', timeout: 30_000 });
      } catch {
        /* best effort */
      }
    }
  });
  const inst: PostgresInstance = {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    running: () => up,
    async stop() {
      await pgsh('stop', dir);
      up = false;
    },
    async start() {
      await pgsh('start', dir, String(port));
      up = true;
    },
    async destroy() {
      await pgsh('stop', dir).catch(() => undefined);
      up = false;
      removeHook();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return inst;
}

/** Replaces the database name of a libpq URL. */
export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = '/' + db;
  return u.toString();
}

/** Creates `tg_<random>` in the cluster at adminUrl and returns its URL. */
export async function createDatabase(adminUrl: string): Promise<{ name: string; url: string }> {
  const name = `tg_${randomId(12)}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return { name, url: withDatabase(adminUrl, name) };
}

/** Best-effort DROP DATABASE ... WITH (FORCE). */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } catch {
    /* best effort: the cluster may be gone */
  } finally {
    await client.end().catch(() => undefined);
  }
}
