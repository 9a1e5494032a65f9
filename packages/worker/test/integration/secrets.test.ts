/**
 * `scoop-worker --secrets-stdin` joins a CURVE broker with keys read as one
 * JSON line from standard input (never on its command line), and bad secrets
 * fail clearly without echoing them.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
// The worker's own X25519 keypairs (node:crypto), which libzmq's CURVE must accept.
import { curveKeyPair } from "../../src/index.js";
// Test-only: the worker never depends on the broker; its build is imported by path (run pnpm build first).
import { startBroker } from "@scoop/broker";

const WORKER_BIN = resolve(__dirname, "../../dist/cli.js");

function runWorker(args: string[], stdin: string) {
  const child = spawn(process.execPath, [WORKER_BIN, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(stdin);
  const done = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  void done.then(() => clearTimeout(timer));
  return { child, done, stderr: () => stderr };
}

test("a worker reads its CURVE keys from stdin and joins; the keys are not on its command line", async () => {
  const server = curveKeyPair();
  const own = curveKeyPair();
  const broker = await startBroker({ curve: server });
  try {
    const joined = new Promise((r) => broker.once("peer:joined", r));
    const worker = runWorker(["--broker", broker.endpoint, "--id", "stdin-worker", "--secrets-stdin"], `${JSON.stringify({ curveServerKey: server.publicKey, curvePublicKey: own.publicKey, curveSecretKey: own.secretKey })}\n`);
    await expect(joined).resolves.toMatchObject({ id: "stdin-worker", role: "worker" });
    expect(worker.child.spawnargs.join(" ")).not.toContain(own.secretKey);
    broker.shutdown(0);
    expect(await worker.done).toBe(0);
  } finally {
    await broker.close();
  }
});

test("bad secrets fail at once with a clear message that does not echo them", async () => {
  const secret = curveKeyPair().secretKey;
  const worker = runWorker(["--broker", "tcp://127.0.0.1:1", "--secrets-stdin"], `{"curveServerKey":"short","curveSecretKey":"${secret}"}\n`);
  expect(await worker.done).toBe(1);
  expect(worker.stderr()).toContain("curveServerKey must be the broker's z85 public key");
  expect(worker.stderr()).not.toContain(secret);
});
