// W0's floor: the skeleton the design prescribes, with no SCOOP code in it.
// A launcher process (the broker's) spawns SCOOP_BENCH_WORKERS (2) worker
// processes, each with a heartbeat worker thread that loads zeromq and
// connects its own socket (the fault model: a worker busy in synchronous code
// stays alive, and a lost broker leaves no orphan, so every worker process
// needs a thread of its own); argv[2] tasks go round through a ROUTER;
// everything exits. No `scoop -n N` command can be faster than this on the
// same machine, so run.ts prints it beside W0.
//   node w0-floor.cjs 200 [--no-heart]
"use strict";
const { spawn } = require("node:child_process");
const { mkdtempSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const [role, ...rest] = process.argv.slice(2);
const ZEROMQ = require.resolve("zeromq");

if (role === "--child") {
  const [endpoint, heartFlag] = rest;
  const { Worker } = require("node:worker_threads");
  // The heartbeat thread: its own Node environment, zeromq and socket.
  const heart =
    heartFlag === "heart"
      ? new Worker(`const zmq = require(${JSON.stringify(ZEROMQ)}); const s = new zmq.Dealer({ linger: 0 }); s.connect(${JSON.stringify(endpoint)}); void s.send("beat"); require("node:worker_threads").parentPort.once("message", () => s.close());`, { eval: true })
      : undefined;
  const zmq = require(ZEROMQ);
  const sock = new zmq.Dealer({ linger: 0 });
  sock.connect(endpoint);
  void (async () => {
    await sock.send("hello");
    for await (const [msg] of sock) {
      if (msg.length === 0) break; // the launcher's goodbye
      await sock.send(msg);
    }
    sock.close();
    heart?.postMessage("stop");
  })();
} else {
  const tasks = Number(role ?? 200);
  const heartFlag = rest.includes("--no-heart") ? "none" : "heart";
  const dir = mkdtempSync(join(tmpdir(), "w0-floor-"));
  const endpoint = `ipc://${join(dir, "broker.sock")}`;
  // Spawned first, as the launcher does: the children boot while it loads zeromq.
  const children = Array.from({ length: Number(process.env.SCOOP_BENCH_WORKERS ?? 2) }, () => spawn(process.execPath, [__filename, "--child", endpoint, heartFlag], { stdio: "inherit" }));
  const exited = Promise.all(children.map((c) => new Promise((resolve) => c.once("exit", resolve))));
  const zmq = require(ZEROMQ);
  const router = new zmq.Router({ linger: 0 });
  void (async () => {
    try {
      await router.bind(endpoint);
      const peers = [];
      let done = 0;
      for await (const [id, msg] of router) {
        const text = msg.toString();
        if (text === "beat") continue;
        if (text === "hello") {
          peers.push(id);
          if (peers.length === children.length) for (let i = 0; i < tasks; i++) await router.send([peers[i % peers.length], String(i)]);
        } else if (++done === tasks) break;
      }
      for (const id of peers) await router.send([id, ""]);
      await exited;
    } finally {
      router.close();
      for (const c of children) if (c.exitCode === null) c.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  })();
}
