/**
 * What the broker says about who may connect: a warning when it listens
 * beyond loopback without CURVE, and, with CURVE, one warning per kind of
 * refused handshake (a client with a wrong server key, or with no key), so
 * the person whose client waits in vain can see why. A client retries every
 * few hundred milliseconds: repeats are counted, not logged, within `everyMs`.
 */
import type { Logger } from "pino";
import type { Router } from "zeromq";
import { isLoopbackEndpoint } from "./options.js";

/** How often one kind of refusal is logged again (with the count of repeats). */
export const REFUSAL_LOG_EVERY_MS = 60_000;

/** What each ZMTP handshake error means for a person. */
const REASONS: Record<string, string> = {
  ERR_ZMTP_CRYPTOGRAPHIC: "the client's CURVE server key is not this broker's: give it this broker's broker.pub",
  ERR_ZMTP_MECHANISM_MISMATCH: "the client uses no CURVE key, and this broker requires one: give it this broker's broker.pub",
};

/**
 * Log, rate-limited, the handshakes `router` refuses (CURVE brokers only:
 * without CURVE nothing is refused). The events stop when the router closes.
 */
export function logRefusedHandshakes(router: Router, log: Logger, everyMs = REFUSAL_LOG_EVERY_MS): void {
  const last = new Map<string, { at: number; repeats: number }>();
  const refused = (endpoint: string, code: string) => {
    const now = Date.now();
    const seen = last.get(code);
    if (seen && now - seen.at < everyMs) {
      seen.repeats++;
      return;
    }
    last.set(code, { at: now, repeats: 0 });
    const repeats = seen?.repeats ?? 0;
    // ZeroMQ's events name the broker's endpoint, not the client's address.
    log.warn({ endpoint, code, ...(repeats > 0 ? { repeats } : {}) }, `refused a client's handshake on ${endpoint}: ${REASONS[code] ?? `ZeroMQ says ${code}`}${repeats > 0 ? ` (${repeats} more since the last warning)` : ""}`);
  };
  router.events.on("handshake:error:protocol", (e) => refused(e.address, e.error.code));
  router.events.on("handshake:error:other", (e) => refused(e.address, e.error.code ?? e.error.message));
}

/** Warn once when `bind` exposes a broker without CURVE beyond loopback. */
export function warnIfInsecure(bind: readonly string[], curve: boolean, log: Logger): void {
  const exposed = bind.filter((e) => !isLoopbackEndpoint(e));
  if (exposed.length > 0 && !curve) {
    log.warn({ endpoints: exposed }, "INSECURE: listening beyond loopback without CURVE; anyone who can reach these endpoints can join as a worker, submit work and read results");
  }
}
