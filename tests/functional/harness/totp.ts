import crypto from 'node:crypto';
import { sleep } from './env.js';

/**
 * RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s steps) from a base32 secret, as an authenticator app computes it.
 *
 * The server refuses a code whose step is not newer than the last accepted one (no replay, even inside the
 * 30 s), and accepts the steps now-1, now, now+1. A test that needs several codes for one account in a row
 * therefore takes each from a NEW step: `TotpDevice.next()` does that (now, then now+1, then waits for the clock).
 */

export const TOTP_PERIOD = 30;

export function base32Decode(input: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = input.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${JSON.stringify(input)}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

export function currentStep(nowMs = Date.now()): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD);
}

/** The 6-digit code of time step `step` (RFC 4226 dynamic truncation). */
export function totpForStep(secret: string, step: number): string {
  const key = base32Decode(secret);
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = crypto.createHmac('sha1', key).update(msg).digest();
  const off = h[h.length - 1]! & 0x0f;
  const bin = ((h[off]! & 0x7f) << 24) | (h[off + 1]! << 16) | (h[off + 2]! << 8) | h[off + 3]!;
  return String(bin % 1_000_000).padStart(6, '0');
}

/** The code of the current step. */
export function totpNow(secret: string, nowMs = Date.now()): string {
  return totpForStep(secret, currentStep(nowMs));
}

/** The code of the NEXT step (accepted now thanks to the ±1 step window, and not yet used by totpNow()). */
export function totpNextStep(secret: string, nowMs = Date.now()): string {
  return totpForStep(secret, currentStep(nowMs) + 1);
}

/** A well-formed 6-digit code that is none of the codes of steps now-3 … now+3. */
export function wrongTotp(secret: string): string {
  const s = currentStep();
  const near = new Set<string>();
  for (let d = -3; d <= 3; d++) near.add(totpForStep(secret, s + d));
  let n = Number(totpForStep(secret, s));
  for (;;) {
    n = (n + 111_111) % 1_000_000;
    const c = String(n).padStart(6, '0');
    if (!near.has(c)) return c;
  }
}

/**
 * An authenticator for one secret that never hands out a step twice. Codes handed out count as used whether
 * or not the server accepted them (the server may have recorded the step).
 */
export class TotpDevice {
  private lastStep = -Infinity;
  constructor(readonly secret: string) {}

  /** Marks a step as used (e.g. a code computed elsewhere was sent). */
  markUsed(step: number): void {
    this.lastStep = Math.max(this.lastStep, step);
  }

  /** The step the last code handed out belongs to. */
  lastUsedStep(): number {
    return this.lastStep;
  }

  /**
   * A code for a step after every step handed out so far: the current step if unused, else the next one; when
   * even that is used, waits until the clock reaches it (at most ~30 s).
   */
  async next(): Promise<string> {
    for (;;) {
      const now = currentStep();
      const step = Math.max(now, this.lastStep + 1);
      if (step <= now + 1) {
        // now <= step <= now+1 stays inside the server's now±1 window while the request takes < 30 s.
        this.lastStep = step;
        return totpForStep(this.secret, step);
      }
      const waitMs = (step - 1) * TOTP_PERIOD * 1000 - Date.now() + 250;
      await sleep(Math.max(50, waitMs));
    }
  }
}

const devices = new Map<string, TotpDevice>();

/** One shared TotpDevice per secret (so every helper of a test file respects the same used steps). */
export function totpDevice(secret: string): TotpDevice {
  let d = devices.get(secret);
  if (!d) {
    d = new TotpDevice(secret);
    devices.set(secret, d);
  }
  return d;
}
