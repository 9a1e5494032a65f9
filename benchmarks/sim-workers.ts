/**
 * Many lightweight simulated workers in one process, for the broker-scale
 * benchmark: each is a DEALER that speaks the real protocol (HELLO, CREDIT,
 * HEARTBEAT, RESULT) and answers every task at once with a one-byte result,
 * so what is measured is the broker, not task code.
 *
 * Usage: node sim-workers.ts ENDPOINT COUNT ID_PREFIX [CREDIT] [HEARTBEAT_MS]
 * Prints "ready" once every socket is welcomed; ends on SHUTDOWN or stdin EOF.
 */
import { hostname } from "node:os";
import { Dealer } from "zeromq";
import { SendQueue, decodeMessage, encodeMessage, type Header } from "@scoop/protocol";

const [endpoint, countArg, prefix, creditArg = "16", heartbeatArg = "1000"] = process.argv.slice(2);
const count = Number(countArg);
const credit = Number(creditArg);
const heartbeatMs = Number(heartbeatArg);
const host = hostname();
const result = Buffer.from([0xc0]); // msgpack nil
const sockets: Dealer[] = [];
const queues: SendQueue[] = [];
let welcomed = 0;

function simulate(i: number): Promise<void> {
  const socket = new Dealer({ linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  const out = new SendQueue((f) => socket.send(f as Uint8Array[]), () => {});
  const send = (header: Header, payload: Uint8Array[] = []) => out.send(encodeMessage(header, payload));
  sockets.push(socket);
  queues.push(out);
  socket.connect(endpoint);
  send({ t: "HELLO", id: `${prefix}-${i}`, role: "worker", host, pid: process.pid, app: "scale", tasks: ["noop"] });
  return (async () => {
    try {
      for await (const frames of socket) {
        const { header } = decodeMessage(frames as Buffer[]);
        if (header.t === "WELCOME") {
          send({ t: "CREDIT", n: credit });
          if (++welcomed === count) process.stdout.write("ready\n");
        } else if (header.t === "DISPATCH") {
          send({ t: "RESULT", results: header.tasks.map((t) => ({ key: t.key, ok: true, frames: 1 })) }, header.tasks.map(() => result));
          send({ t: "CREDIT", n: header.tasks.length });
        } else if (header.t === "ERROR" && header.code === "SCOOP_NOT_JOINED") {
          // Declared lost (this process was starved past the liveness bound): join again, as a worker would.
          send({ t: "HELLO", id: `${prefix}-${i}`, role: "worker", host, pid: process.pid, app: "scale", tasks: ["noop"] });
        } else if (header.t === "SHUTDOWN") break;
      }
    } catch {
      // closed
    }
  })();
}

const loops = Array.from({ length: count }, (_, i) => simulate(i));
// Each simulated worker beats on its data socket, as a worker without a heart thread would.
const beat = setInterval(() => {
  for (const out of queues) out.send(encodeMessage({ t: "HEARTBEAT" }));
}, heartbeatMs);
const stop = () => {
  clearInterval(beat);
  for (const out of queues) out.clear();
  for (const s of sockets) s.close();
};
process.stdin.on("end", stop).resume();
void Promise.all(loops).then(stop);
