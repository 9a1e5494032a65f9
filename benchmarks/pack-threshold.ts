/**
 * Where packing stops paying: send batches of 64 items of S bytes over a
 * DEALER → ROUTER pair (loopback TCP, as a worker and its broker), either
 * copied into one pack frame or as 64 frames of their own, and print MB/s of
 * each way per size. The size where own frames win is the packing threshold
 * (`PACK_ITEM_MAX_BYTES` in @scoop/protocol). Run: `pnpm --filter ./benchmarks exec tsx pack-threshold.ts`.
 */
import { Dealer, Router } from "zeromq";

const ITEMS = 64;
const sizes = [256, 1024, 4096, 16384, 65536, 262144];

async function measure(size: number, packed: boolean, endpoint: string, tx: Dealer, rx: Router): Promise<number> {
  const items = Array.from({ length: ITEMS }, (_, i) => Buffer.alloc(size, i));
  const totalBytes = 64 * 2 ** 20;
  const batches = Math.max(20, Math.round(totalBytes / (size * ITEMS)));
  const receiving = (async () => {
    for (let got = 0; got < batches; got++) await rx.receive();
  })();
  const start = performance.now();
  for (let b = 0; b < batches; b++) {
    if (packed) {
      const pack = new Uint8Array(size * ITEMS);
      for (let i = 0; i < ITEMS; i++) pack.set(items[i], i * size);
      await tx.send([Buffer.from("h"), pack]);
    } else await tx.send([Buffer.from("h"), ...items]);
  }
  await receiving;
  void endpoint;
  return (batches * ITEMS * size) / 1e6 / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const rx = new Router({ linger: 0 });
  await rx.bind("tcp://127.0.0.1:*");
  const endpoint = rx.lastEndpoint!;
  const tx = new Dealer({ linger: 0, sendHighWaterMark: 0 });
  tx.connect(endpoint);
  await measure(1024, true, endpoint, tx, rx); // warm-up
  console.log("item bytes   packed MB/s   own frames MB/s   packed/own");
  for (const size of sizes) {
    const p = await measure(size, true, endpoint, tx, rx);
    const o = await measure(size, false, endpoint, tx, rx);
    console.log(`${String(size).padStart(10)}   ${p.toFixed(0).padStart(11)}   ${o.toFixed(0).padStart(15)}   ${(p / o).toFixed(2).padStart(10)}`);
  }
  tx.close();
  rx.close();
}

void main();
