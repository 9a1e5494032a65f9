/**
 * Which local transport is faster between a worker and a broker on one
 * machine: loopback TCP or ipc:// (a Unix socket)? Echo through a ROUTER,
 * pipelined (1,000 in flight), for small messages (msg/s) and 1 MiB frames
 * (MB/s); each transport measured three times, alternating, medians printed.
 * Run: `pnpm --filter ./benchmarks exec tsx ipc-vs-tcp.ts`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Dealer, Router } from "zeromq";

async function echo(endpoint: string, count: number, size: number): Promise<number> {
  const router = new Router({ linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  await router.bind(endpoint);
  const dealer = new Dealer({ linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  dealer.connect(router.lastEndpoint!);
  const loop = (async () => {
    try {
      for await (const [from, ...frames] of router) await router.send([from, ...frames]);
    } catch {
      // closed
    }
  })();
  const body = Buffer.alloc(size, 7);
  await dealer.send(body);
  await dealer.receive(); // connected
  const start = performance.now();
  let sent = 0;
  let got = 0;
  const window = size > 65536 ? 8 : 1000;
  while (got < count) {
    while (sent < count && sent - got < window) {
      await dealer.send(body);
      sent++;
    }
    await dealer.receive();
    got++;
  }
  const seconds = (performance.now() - start) / 1000;
  dealer.close();
  router.close();
  await loop;
  return size > 65536 ? (count * size) / 1e6 / seconds : count / seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "scoop-ipc-"));
  const result: Record<string, number[]> = { "tcp small": [], "ipc small": [], "tcp 1MiB": [], "ipc 1MiB": [] };
  try {
    for (let round = 0; round < 3; round++) {
      result["tcp small"].push(await echo("tcp://127.0.0.1:*", 50_000, 16));
      result["ipc small"].push(await echo(`ipc://${join(dir, `s${round}`)}`, 50_000, 16));
      result["tcp 1MiB"].push(await echo("tcp://127.0.0.1:*", 300, 1 << 20));
      result["ipc 1MiB"].push(await echo(`ipc://${join(dir, `b${round}`)}`, 300, 1 << 20));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const small = [median(result["tcp small"]), median(result["ipc small"])];
  const big = [median(result["tcp 1MiB"]), median(result["ipc 1MiB"])];
  console.log(`small messages: tcp ${Math.round(small[0])} msg/s, ipc ${Math.round(small[1])} msg/s (ipc/tcp ${(small[1] / small[0]).toFixed(2)})`);
  console.log(`1 MiB frames:   tcp ${Math.round(big[0])} MB/s, ipc ${Math.round(big[1])} MB/s (ipc/tcp ${(big[1] / big[0]).toFixed(2)})`);
}

void main();
