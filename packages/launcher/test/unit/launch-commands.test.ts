import { schedulerCommand } from "../../src/scheduler-launch.js";
import { remoteWorkerCommand } from "../../src/ssh-workers.js";
import { shellQuote, workerArgs, workerShellCommand, type WorkerSpec } from "../../src/worker-spec.js";

const spec: WorkerSpec = { id: "w1", broker: "tcp://head:5555", app: "run-1", script: "/home/me/sim.ts", argv: ["--steps", "it's"], cwd: "/home/me", nice: 5, logLevel: "warn", secretsOnStdin: true };

test("scoop-worker arguments", () => {
  expect(workerArgs(spec)).toEqual(["--broker", "tcp://head:5555", "--id", "w1", "--app", "run-1", "--secrets-stdin", "--", "/home/me/sim.ts", "--steps", "it's"]);
  expect(workerArgs({ ...spec, origin: true, secretsOnStdin: false, modules: ["/m.js"] })).toEqual(["--broker", "tcp://head:5555", "--id", "w1", "--app", "run-1", "--module", "/m.js", "--origin", "--", "/home/me/sim.ts", "--steps", "it's"]);
  expect(workerArgs({ ...spec, secretsOnStdin: false, stuckGraceMs: 0 })).toEqual(["--broker", "tcp://head:5555", "--id", "w1", "--app", "run-1", "--stuck-grace-ms", "0", "--", "/home/me/sim.ts", "--steps", "it's"]);
});

test("shell quoting", () => {
  expect(shellQuote("plain/path-1.ts")).toBe("plain/path-1.ts");
  expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  expect(shellQuote("a b;$(x)")).toBe("'a b;$(x)'");
});

test("the remote shell command: PID first, cd, prolog, then exec with env and nice", () => {
  expect(remoteWorkerCommand(spec, "/opt/scoop/worker.js", { node: "/opt/node/bin/node", prolog: "/etc/scoop prolog.sh" })).toBe(
    "echo SCOOP_PID=$$ >&2 && cd /home/me && . '/etc/scoop prolog.sh' && exec env SCOOP_WORKER=1 SCOOP_LOG_LEVEL=warn nice -n 5 /opt/node/bin/node /opt/scoop/worker.js --broker tcp://head:5555 --id w1 --app run-1 --secrets-stdin -- /home/me/sim.ts --steps 'it'\\''s'",
  );
  expect(workerShellCommand({ ...spec, nice: 0, cwd: undefined, env: { A: "1 2" } }, "/w.js", { node: "node" })).toBe(
    "exec env A='1 2' SCOOP_WORKER=1 SCOOP_LOG_LEVEL=warn node /w.js --broker tcp://head:5555 --id w1 --app run-1 --secrets-stdin -- /home/me/sim.ts --steps 'it'\\''s'",
  );
});

describe("scheduler command lines", () => {
  const cmd = "exec node w.js";
  test("srun: one overlapping step on the node, stdin only when secrets are sent", () => {
    expect(schedulerCommand("srun", "node07", cmd, { stdin: true })).toEqual([
      "srun", "--nodes=1", "--ntasks=1", "--nodelist=node07", "--overlap", "--mem=0", "--kill-on-bad-exit=0", "--quiet", "/bin/sh", "-c", cmd,
    ]);
    expect(schedulerCommand("srun", "n1", cmd)).toContain("--input=none");
  });
  test("pbsdsh, blaunch, qrsh -inherit", () => {
    expect(schedulerCommand("pbsdsh", "n1", cmd)).toEqual(["pbsdsh", "-h", "n1", "/bin/sh", "-c", cmd]);
    expect(schedulerCommand("blaunch", "n1", cmd)).toEqual(["blaunch", "n1", "/bin/sh", "-c", cmd]);
    expect(schedulerCommand("qrsh", "n1", cmd)).toEqual(["qrsh", "-inherit", "-nostdin", "n1", "/bin/sh", "-c", cmd]);
    expect(schedulerCommand("qrsh", "n1", cmd, { stdin: true })).toEqual(["qrsh", "-inherit", "n1", "/bin/sh", "-c", cmd]);
  });
});
