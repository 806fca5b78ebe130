import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import crypto from 'node:crypto';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Repository root (REPO_ROOT, else two levels above tests/functional). */
export const REPO_ROOT = path.resolve(process.env.REPO_ROOT ?? path.join(here, '..', '..', '..'));

/** The server binary under test. */
export const TOLLGATE_BIN = path.resolve(process.env.TOLLGATE_BIN ?? path.join(REPO_ROOT, 'build', 'release', 'tollgate'));

/** The API contract (TOLLGATE_SPEC overrides, for debugging the suite against a local copy). */
export const SPEC_PATH = path.resolve(process.env.TOLLGATE_SPEC ?? path.join(REPO_ROOT, 'api', 'openapi.yaml'));
export const PG_SH = path.join(REPO_ROOT, 'scripts', 'pg.sh');
export const WEB_DIST = path.join(REPO_ROOT, 'web', 'dist');

export function hasWebDist(): boolean {
  return fs.existsSync(path.join(WEB_DIST, 'index.html'));
}

export function randomId(len = 10): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(len);
  let out = '';
  for (let i = 0; i < len; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

export function randomSecret(len = 64): string {
  return crypto.randomBytes(len).toString('base64url').slice(0, len);
}

/** A fresh temp dir; postgres (via runuser) must be able to traverse it, so it is 0755. */
export function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
