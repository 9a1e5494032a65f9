/**
 * The peers measured in the same run as SCOOP: raw ZeroMQ through a relay
 * (the transport's limit, same topology as SCOOP: client → ROUTER relay →
 * server) and Piscina (a worker-thread pool, the in-process reference).
 */
import { Dealer, Router } from "zeromq";
import { Piscina } from "piscina";
import { WORKLOADS as w, median } from "./kernels.js";

const seconds = (start: number) => (performance.now() - start) / 1000;

/**
 * Raw ZeroMQ: pipelined messages/s (the sender never waits for replies),
 * sequential round trip µs (median), and pipelined MiB/s for 1 MiB frames.
 */
export async function rawZmq(): Promise<{ msgsPerSec: number; roundTripUs: number; mibPerSec: number }> {
  const relay = new Router({ linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  await relay.bind("tcp://127.0.0.1:*");
  const endpoint = relay.lastEndpoint!;
  const client = new Dealer({ routingId: "c", linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  const server = new Dealer({ routingId: "s", linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  client.connect(endpoint);
  server.connect(endpoint);
  await server.send("ready");
  await client.send("ready");
  // Relay: client → server and back, like broker routing.
  const relayLoop = (async () => {
    try {
      for await (const [from, ...frames] of relay) {
        if (frames[0].toString() === "ready") continue;
        await relay.send([from.toString() === "c" ? "s" : "c", ...frames]);
      }
    } catch {}
  })();
  // The server answers with a 1-byte frame (results are small; W5 sends data one way).
  const serverLoop = (async () => {
    try {
      for await (const frames of server) await server.send(frames[0].length > 1 ? frames[0].subarray(0, 1) : frames[0]);
    } catch {}
  })();
  await new Promise((r) => setTimeout(r, 200));
  /** Send `n` messages without waiting for replies, while receiving the replies. */
  const pipelined = async (n: number, message: () => Buffer | Buffer[]) => {
    const start = performance.now();
    const sender = (async () => {
      for (let i = 0; i < n; i++) await client.send(message());
    })();
    for (let got = 0; got < n; got++) await client.receive();
    await sender;
    return seconds(start);
  };
  const msgsPerSec = w.noopTasks / (await pipelined(w.noopTasks, () => Buffer.from([1])));
  const trips: number[] = [];
  for (let i = 0; i < w.latencyRounds; i++) {
    const start = performance.now();
    await client.send(Buffer.from([1]));
    await client.receive();
    trips.push(performance.now() - start);
  }
  const big = Buffer.alloc(w.payloadBytes, 1);
  const mibPerSec = (w.payloadTasks * w.payloadBytes) / 2 ** 20 / (await pipelined(w.payloadTasks, () => [Buffer.from([0]), big]));
  client.close();
  server.close();
  relay.close();
  await Promise.all([relayLoop, serverLoop]);
  return { msgsPerSec, roundTripUs: median(trips) * 1000, mibPerSec };
}

/** Piscina figures for W1, W2, W3, W5 with `threads` threads (W1 and W5: median of 3 runs, and the first run). */
export interface PiscinaFigures {
  noopPerSec: number;
  noopFirst: number;
  mibFirst: number;
  latencyUs: number;
  mcMs: number[];
  mibPerSec: number;
}

/** Run W1, W2, W3 (after the same tiny-task warm-up) and W5 on a Piscina pool. */
export async function piscina(threads: number, mcSamples: number, w3Runs: number): Promise<PiscinaFigures> {
  const pool = new Piscina({ filename: new URL("./piscina-worker.mjs", import.meta.url).href, minThreads: threads, maxThreads: threads });
  const noops = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => pool.run(i, { name: "noop" })));
  try {
    await noops(2000); // warm-up, as the SCOOP half does
    let start = performance.now();
    const noopRates: number[] = [];
    for (let run = 0; run < 3; run++) {
      start = performance.now();
      await noops(w.noopTasks);
      noopRates.push(w.noopTasks / seconds(start));
    }
    const trips: number[] = [];
    for (let i = 0; i < w.latencyRounds; i++) {
      start = performance.now();
      await pool.run(i, { name: "noop" });
      trips.push(performance.now() - start);
    }
    const mcMs: number[] = [];
    for (let run = 0; run < w3Runs; run++) {
      await noops(w.warmupTasks);
      start = performance.now();
      await Promise.all(Array.from({ length: w.mcTasks }, (_, i) => pool.run({ samples: mcSamples, seed: i + 1 }, { name: "hits" })));
      mcMs.push(performance.now() - start);
    }
    const arrays = Array.from({ length: 4 }, () => new Float64Array(w.payloadBytes / 8).fill(1));
    const mibRates: number[] = [];
    for (let run = 0; run < 3; run++) {
      start = performance.now();
      await Promise.all(Array.from({ length: w.payloadTasks }, (_, i) => pool.run(arrays[i % 4], { name: "sum" })));
      mibRates.push((w.payloadTasks * w.payloadBytes) / 2 ** 20 / seconds(start));
    }
    return { noopPerSec: median(noopRates), noopFirst: noopRates[0], latencyUs: median(trips) * 1000, mcMs, mibPerSec: median(mibRates), mibFirst: mibRates[0] };
  } finally {
    await pool.destroy();
  }
}
