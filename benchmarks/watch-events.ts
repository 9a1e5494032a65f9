/**
 * A remote watcher for `observe.ts`: joins the broker as a monitor peer,
 * sends WATCH and counts the events that arrive in EVENTS batches, so the
 * broker pays what a remote dashboard costs it (encoding and sending).
 *
 * Usage: tsx watch-events.ts ENDPOINT. Prints "watching" when the first
 * events arrive; on stdin EOF it prints "events N" and leaves.
 */
import { hostname } from "node:os";
import { Dealer } from "zeromq";
import { decodeMessage, encodeMessage, type Header } from "@scoop/protocol";

const endpoint = process.argv[2];
const id = `watch-${process.pid}`;
const sock = new Dealer({ routingId: id, linger: 0 });
const send = (header: Header) => sock.send(encodeMessage(header));
let events = 0;
sock.connect(endpoint);
await send({ t: "HELLO", id, role: "monitor", host: hostname(), pid: process.pid, app: id, tasks: [] });
const beat = setInterval(() => void send({ t: "HEARTBEAT" }), 500);
process.stdin.resume();
process.stdin.on("end", () => {
  clearInterval(beat);
  void send({ t: "BYE" }).finally(() => {
    console.log(`events ${events}`);
    sock.close();
  });
});
try {
  for await (const frames of sock) {
    const { header } = decodeMessage(frames);
    if (header.t === "WELCOME") await send({ t: "WATCH", on: true });
    else if (header.t === "EVENTS") {
      if (events === 0) console.log("watching");
      events += header.events.length;
    }
  }
} catch {
  // closed
}
