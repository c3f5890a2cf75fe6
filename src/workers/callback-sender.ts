import type { Deps } from '../deps.js';
import type { DeliveryTarget } from '../db/index.js';
import type { SignatureAlgorithm } from '../secret-formats.js';
import { createCircuitBreakers } from './circuit.js';
import type { AttemptResult } from './delivery-outcome.js';
import { sign } from '../net/index.js';

/** How long a delivery to a paused host waits before it looks again (a resume queues it at once). */
const PAUSED_RECHECK_MS = 60_000;

export type SendToCallback = (target: DeliveryTarget, body: Buffer, headers: Record<string, string>) => Promise<AttemptResult>;

/**
 * The signed POST of a body to one callback, behind its host's pause and its origin's circuit (per callback
 * origin, in this process only: see circuit.ts). Every delivery (page, retry, replay, crier.initial) sends through it.
 */
export function createCallbackSender(deps: Deps): SendToCallback {
  const circuits = createCircuitBreakers({
    minAttempts: deps.config.circuitMinAttempts,
    cooldownMs: deps.config.circuitCooldownMs,
    maxCooldownMs: 5 * 60 * 1000,
  });
  const { metrics } = deps;
  metrics.watchCircuits('callback', () => circuits.openCount());

  return async function send(target, body, headers) {
    // Runs once a slot is free (delivery-slots.ts): nothing is built for a queued subscriber.
    // Parsed once per delivery: the circuit keys on its origin and the client reuses it.
    let url: URL | string;
    let origin: string;
    try {
      url = new URL(target.callback);
      origin = url.origin;
    } catch {
      url = origin = target.callback;
    }
    // A paused host's deliveries wait without spending attempts; its resume queues them at once.
    if (target.paused)
      return { ok: false, deferred: true, retryAt: Date.now() + PAUSED_RECHECK_MS, error: `callback host paused by an operator` };
    // Asked once a slot is free: the circuit may have opened while this waited.
    const admission = circuits.admit(origin);
    if (!admission.allowed)
      return {
        ok: false,
        deferred: true,
        retryAt: admission.retryAt,
        error: `circuit open for ${origin}: too many recent failures; delivery postponed`,
      };
    try {
      if (target.secret) {
        const algorithm = (target.signatureAlgorithm as SignatureAlgorithm | null) ?? deps.config.signatureAlgorithm;
        // Signed over the exact bytes sent (a JSON Feed delivery's own bytes).
        headers['x-hub-signature'] = sign(body, deps.secrets.open(target.secret), algorithm);
      }
    } catch (err) {
      // A secret no configured key opens: never deliver unsigned, record why instead.
      return { ok: false, gone: false, status: null, error: (err as Error).message };
    }
    const began = performance.now();
    try {
      const { status } = await deps.http.callbacks.post(url, body, headers);
      metrics.deliveryDuration.observe((performance.now() - began) / 1000);
      // A 4xx is the subscriber's answer, not a sick host; timeouts, resets, 5xx, 408 and 429 are.
      circuits.record(origin, status < 500 && status !== 408 && status !== 429);
      if (status >= 200 && status < 300) return { ok: true };
      return { ok: false, gone: status === 410, status, error: `callback answered ${status}` };
    } catch (err) {
      metrics.deliveryDuration.observe((performance.now() - began) / 1000);
      circuits.record(origin, (err as { code?: string }).code === 'HUB_ERR_ADDRESS_BLOCKED');
      return { ok: false, gone: false, status: null, error: (err as Error).message };
    }
  };
}
