import { useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { RequestState } from '@/hooks/use-request';
import type { Subscription } from '@/types';

export const CHECKOUT_POLL_MS = 2_000;
export const CHECKOUT_POLL_LIMIT_MS = 30_000;

export type CheckoutReturn =
  | { kind: 'none' }
  | { kind: 'canceled' }
  /** Back from a paid checkout: the subscription arrives by webhook; `phase` says whether it has. */
  | { kind: 'success'; phase: 'waiting' | 'updated' | 'timeout' };

/** Back from Stripe's "add a card" page (`?setup=success|canceled`). */
export type SetupReturn = 'success' | 'canceled' | null;

/** What Stripe appends to `/billing` when it sends the user back; removed once read. */
const RETURN_PARAMS = ['checkout', 'session_id', 'setup'];

function fingerprint(s: Subscription): string {
  return [s.plan.id, s.status, s.source, s.interval, s.implicit, s.currentPeriodEnd].join('|');
}

/**
 * Stripe sends the user back to `/billing?checkout=success&session_id=…` (or `checkout=canceled`, or
 * `setup=success|canceled` after adding a card). After a paid checkout the subscription is created by a webhook a
 * moment later, so poll `GET /api/user/subscription` every 2 s, for at most 30 s, until it changes (or already is
 * a Stripe subscription). The query parameters are removed so a reload does not repeat this.
 */
export function useCheckoutReturn(subscription: RequestState<Subscription>): { checkout: CheckoutReturn; setup: SetupReturn } {
  const [params, setParams] = useSearchParams();
  const [kind] = useState<'none' | 'success' | 'canceled'>(() => {
    const value = params.get('checkout');
    return value === 'success' || value === 'canceled' ? value : 'none';
  });
  const [setup] = useState<SetupReturn>(() => {
    const value = params.get('setup');
    return value === 'success' || value === 'canceled' ? value : null;
  });
  const [phase, setPhase] = useState<'waiting' | 'updated' | 'timeout'>('waiting');
  const baseline = useRef<string | null>(null);
  const refreshRef = useRef(subscription.refresh);
  refreshRef.current = subscription.refresh;

  useEffect(() => {
    if (!RETURN_PARAMS.some((p) => params.has(p))) return;
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        for (const p of RETURN_PARAMS) next.delete(p);
        return next;
      },
      { replace: true },
    );
    // Only once, on arrival.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const data = subscription.data;
  useEffect(() => {
    if (kind !== 'success' || phase !== 'waiting' || !data) return;
    const print = fingerprint(data);
    if (baseline.current === null) {
      baseline.current = print;
      // The webhook was quicker than the redirect.
      if (data.source === 'stripe' && !data.implicit) setPhase('updated');
      return;
    }
    if (print !== baseline.current) setPhase('updated');
  }, [kind, phase, data]);

  useEffect(() => {
    if (kind !== 'success' || phase !== 'waiting') return undefined;
    const started = Date.now();
    const id = window.setInterval(() => {
      if (Date.now() - started >= CHECKOUT_POLL_LIMIT_MS) {
        setPhase('timeout');
        return;
      }
      refreshRef.current();
    }, CHECKOUT_POLL_MS);
    return () => window.clearInterval(id);
  }, [kind, phase]);

  const checkout: CheckoutReturn = kind === 'success' ? { kind, phase } : { kind };
  return { checkout, setup };
}
