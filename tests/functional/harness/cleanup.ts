import type { ChildProcess } from 'node:child_process';

/**
 * Last-resort cleanup: whatever a test file spawned is killed when its worker exits,
 * even if an afterAll hook never ran.
 */
const children = new Set<ChildProcess>();
const syncHooks = new Set<() => void>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const killAll = () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        try {
          c.kill('SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    for (const h of syncHooks) {
      try {
        h();
      } catch {
        /* best effort */
      }
    }
  };
  process.once('exit', killAll);
}

export function trackChild(c: ChildProcess): void {
  install();
  children.add(c);
  c.once('exit', () => children.delete(c));
}

export function addExitHook(fn: () => void): () => void {
  install();
  syncHooks.add(fn);
  return () => syncHooks.delete(fn);
}
