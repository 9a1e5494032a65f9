/**
 * A ZAP handler (ZeroMQ RFC 27) for CURVE allow-lists. libzmq asks the
 * handler bound at `inproc://zeromq.zap.01` of the socket's context whether a
 * CURVE client (known by its long-term public key) may connect. One handler
 * serves the whole process (zeromq.js sockets share one context), so brokers
 * register their allow-list under their own ZAP domain and the handler is
 * bound while at least one broker needs it.
 *
 * Domains without a registered list are allowed: a CURVE broker without an
 * allow-list accepts any client that knows its public key, as without ZAP.
 */
import { randomUUID } from "node:crypto";
import { zmq, type Zmq } from "./zeromq.js";
import { z85Encode } from "@scoop/protocol";
import type { Logger } from "pino";

const ZAP_ENDPOINT = "inproc://zeromq.zap.01";

interface Domain {
  allowed: Set<string>;
  log: Logger;
}

const domains = new Map<string, Domain>();
let socket: Zmq.Reply | undefined;
let loop: Promise<void> | undefined;

async function serve(sock: Zmq.Reply): Promise<void> {
  try {
    for await (const frames of sock) {
      // version, request id, domain, address, identity, mechanism, credentials…
      const [version, requestId, domain, address, , mechanism, key] = frames;
      const domainName = domain?.toString() ?? "";
      const policy = domains.get(domainName);
      let status = "200";
      let text = "OK";
      let userId = "";
      if (version?.toString() !== "1.0") {
        status = "400";
        text = "unsupported ZAP version";
      } else if (policy !== undefined) {
        const client = mechanism?.toString() === "CURVE" && key?.length === 32 ? z85Encode(key) : undefined;
        if (client !== undefined && policy.allowed.has(client)) {
          userId = client;
        } else {
          status = "400";
          text = "client key not allowed";
          policy.log.warn({ address: address?.toString(), clientKey: client }, "refused a CURVE client whose public key is not in the allow-list");
        }
      }
      await sock.send(["1.0", requestId ?? "", status, text, userId, Buffer.alloc(0)]);
    }
  } catch {
    // closed
  }
}

/**
 * Register an allow-list; returns the ZAP domain to set on the server socket
 * and a function that unregisters it (and unbinds the handler when unused).
 */
export async function registerAllowList(allowed: readonly string[], log: Logger): Promise<{ domain: string; release(): void }> {
  const domain = `scoop-${randomUUID()}`;
  domains.set(domain, { allowed: new Set(allowed), log });
  if (socket === undefined) {
    const sock = new zmq.Reply({ linger: 0 });
    socket = sock;
    try {
      await sock.bind(ZAP_ENDPOINT);
    } catch (error) {
      socket = undefined;
      domains.delete(domain);
      sock.close();
      throw error;
    }
    loop = serve(sock);
  }
  let released = false;
  return {
    domain,
    release() {
      if (released) return;
      released = true;
      domains.delete(domain);
      if (domains.size === 0 && socket !== undefined) {
        socket.close();
        socket = undefined;
        void loop;
      }
    },
  };
}

