import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startServer, serverLogsSince, type TollgateServer, type ServerOptions } from './server.js';

/** Prints the output of every server of this file when a test fails. */
export function printLogsOnFailure(extra?: () => string): void {
  beforeEach((ctx) => {
    const since = Date.now();
    ctx.onTestFailed(() => {
      const text = serverLogsSince(since) + (extra ? '\n' + extra() : '');
      // eslint-disable-next-line no-console
      console.error(`\n===== server output for failed test "${ctx.task.name}" =====\n${text}\n===== end =====`);
    });
  });
}

/**
 * Starts a server in beforeAll and stops it in afterAll; returns a getter.
 * `env` may be a function so it can depend on resources created in earlier beforeAll hooks.
 */
export function useServer(
  env: Record<string, string> | (() => Record<string, string>) = {},
  opts: ServerOptions = {},
): () => TollgateServer {
  let server: TollgateServer | undefined;
  beforeAll(async () => {
    server = await startServer(typeof env === 'function' ? env() : env, opts);
  });
  afterAll(async () => {
    await server?.stop('SIGTERM');
  });
  return () => {
    if (!server) throw new Error('server not started');
    return server;
  };
}
