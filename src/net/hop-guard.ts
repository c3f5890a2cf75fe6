import type { Dispatcher } from 'undici';
import { assertUrlAllowed, type AddressPolicy } from './address-guard.js';

/** The statuses undici's redirect interceptor follows (lib/handler/redirect-handler.js). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([300, 301, 302, 303, 307, 308]);

/**
 * An undici interceptor, composed beneath the redirect interceptor so that it sees every hop's
 * response: a redirect whose target the policy refuses (scheme, credentials, port, an IP literal or a
 * localhost name) fails the fetch with the guard's HubError before the redirect is followed (H27).
 * Names are checked where they resolve: the agent's guarded lookup, at every connect.
 */
export function hopGuard(policy: AddressPolicy): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => dispatch(opts, new HopGuardHandler(opts, handler, policy));
}

/** Response header fields as undici hands them to a handler: lower-case names, repeated fields as arrays. */
export type ResponseHeaders = Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>[2];

class HopGuardHandler implements Dispatcher.DispatchHandler {
  constructor(
    private readonly opts: Dispatcher.DispatchOptions,
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly policy: AddressPolicy,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.handler.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>): void {
    this.handler.onRequestUpgrade?.(...args);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: ResponseHeaders, statusMessage?: string): void {
    const location = headers.location;
    if (REDIRECT_STATUSES.has(statusCode) && location !== undefined) {
      // Thrown here, undici aborts the request with this error and never dispatches the next hop.
      const here = new URL(this.opts.path, this.opts.origin);
      assertUrlAllowed(new URL(Array.isArray(location) ? location[0] : location, here), this.policy);
    }
    this.handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.handler.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: ResponseHeaders): void {
    this.handler.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.handler.onResponseError?.(controller, error);
  }
}
