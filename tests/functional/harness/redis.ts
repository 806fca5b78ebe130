import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from './ports.js';
import { trackChild } from './cleanup.js';
import { sleep } from './env.js';

export interface RedisInstance {
  url: string;
  port: number;
  running(): boolean;
  /** Stops the server; the port is kept for start(). */
  stop(): Promise<void>;
  /** Starts again on the SAME port. */
  start(): Promise<void>;
  /** Sends one command (RESP) and returns the raw reply. */
  command(...args: string[]): Promise<string>;
  logs(): string;
}

/** Sends a RESP command and returns the raw reply text (first chunk). */
export function redisCommand(port: number, args: string[], timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('redis command timeout'));
    }, timeoutMs);
    sock.on('connect', () => {
      let cmd = `*${args.length}\r\n`;
      for (const a of args) cmd += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
      sock.write(cmd);
    });
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.endsWith('\r\n')) {
        clearTimeout(timer);
        sock.destroy();
        resolve(buf);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** A private redis-server (no persistence) on a free port. */
export async function startRedis(opts: { port?: number } = {}): Promise<RedisInstance> {
  const port = opts.port ?? (await freePort());
  let proc: ChildProcess | undefined;
  let log = '';

  const launch = async () => {
    const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(p);
    p.stdout?.on('data', (d) => (log += d.toString()));
    p.stderr?.on('data', (d) => (log += d.toString()));
    proc = p;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (p.exitCode !== null) throw new Error(`redis-server exited (${p.exitCode}):\n${log}`);
      try {
        const r = await redisCommand(port, ['PING'], 500);
        if (r.startsWith('+PONG')) return;
      } catch {
        /* not yet */
      }
      await sleep(50);
    }
    throw new Error(`redis-server on ${port} did not answer PING:\n${log}`);
  };

  const halt = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    running: () => !!proc && proc.exitCode === null && proc.signalCode === null,
    stop: halt,
    start: launch,
    command: (...args: string[]) => redisCommand(port, args),
    logs: () => log,
  };
}
