import { thrownCode as codeOf } from "@scoop/test-helpers";
import { hostname } from "node:os";
import { chooseLauncher, endpointPort, formatPlan, isLocalHost, planRun, tcpEndpoint } from "../../src/plan.js";
import { expandHostsFlag } from "../../src/main.js";
import { RunKeys } from "../../src/secrets.js";


describe("which hosts", () => {
  test("this machine by default: every core, one local group, broker on loopback", () => {
    expect(planRun({ env: {}, cores: 3 })).toEqual({
      source: { kind: "local" },
      groups: [{ host: "localhost", launcher: "local", workers: 3, firstIndex: 0 }],
      workers: 3,
      broker: { bind: "tcp://127.0.0.1:*" },
      tunnel: false,
    });
    expect(planRun({ env: {}, cores: 3, workers: 5 }).workers).toBe(5);
  });
  test("--hosts: -n spread over the slots, remote hosts over SSH, the broker on every interface", () => {
    const plan = planRun({ env: {}, cores: 2, hosts: ["a:2", "b c"], workers: 7 });
    expect(plan.groups).toEqual([
      { host: "a", launcher: "ssh", workers: 3, firstIndex: 0 },
      { host: "b", launcher: "ssh", workers: 2, firstIndex: 3 },
      { host: "c", launcher: "ssh", workers: 2, firstIndex: 5 },
    ]);
    expect(plan.broker).toEqual({ bind: "tcp://0.0.0.0:*" });
  });
  test("--hostfile, read through the given reader", () => {
    const plan = planRun({ env: {}, cores: 4, hostfile: "/h", readFile: () => "# two hosts\nlocalhost 1\nnode1 2\n" });
    expect(plan.source).toEqual({ kind: "hostfile", detail: "/h" });
    expect(plan.groups.map((g) => [g.host, g.launcher, g.workers])).toEqual([["localhost", "local", 1], ["node1", "ssh", 2]]);
    expect(codeOf(() => planRun({ env: {}, hostfile: "/nowhere" }))).toBe("SCOOP_BAD_HOSTS");
    expect(codeOf(() => planRun({ env: {}, hostfile: "/h", hosts: ["a"], readFile: () => "a" }))).toBe("SCOOP_USAGE");
  });
  test("inside a SLURM job: the allocation, started with srun", () => {
    const plan = planRun({ env: { SLURM_JOB_NODELIST: "node[01-02]", SLURM_TASKS_PER_NODE: "2(x2)" } });
    expect(plan.source.kind).toBe("slurm");
    expect(plan.groups.map((g) => [g.host, g.launcher, g.workers])).toEqual([["node01", "srun", 2], ["node02", "srun", 2]]);
  });
  test("inside PBS, SGE and LSF jobs: their tools", () => {
    const read = (p: string) => (p === "/pbs" ? "n1\nn1\nn2\n" : "n1 2 all.q@n1 UNDEFINED\n");
    expect(planRun({ env: { PBS_NODEFILE: "/pbs" }, readFile: read }).groups.map((g) => [g.host, g.launcher, g.workers])).toEqual([["n1", "pbsdsh", 2], ["n2", "pbsdsh", 1]]);
    expect(planRun({ env: { PE_HOSTFILE: "/sge" }, readFile: read }).groups.map((g) => [g.host, g.launcher])).toEqual([["n1", "qrsh"]]);
    expect(planRun({ env: { LSB_MCPU_HOSTS: "h1 1 h2 3" } }).groups.map((g) => [g.host, g.launcher, g.workers])).toEqual([["h1", "blaunch", 1], ["h2", "blaunch", 3]]);
  });
  test("--hosts wins over the allocation", () => {
    expect(planRun({ env: { SLURM_JOB_NODELIST: "n1" }, hosts: ["x:1"] }).groups).toEqual([{ host: "x", launcher: "srun", workers: 1, firstIndex: 0 }]);
  });
});

describe("launchers", () => {
  test("auto: this machine runs local processes, other hosts ssh or the scheduler's tool", () => {
    for (const h of ["localhost", "127.0.0.1", "127.0.0.2", "::1", hostname()]) expect(chooseLauncher(h, "auto", undefined)).toBe("local");
    expect(chooseLauncher("node1", "auto", undefined)).toBe("ssh");
    expect(chooseLauncher("node1", "auto", "slurm")).toBe("srun");
    expect(chooseLauncher("node1", "auto", "pbs")).toBe("pbsdsh");
    expect(chooseLauncher("node1", "auto", "sge")).toBe("qrsh");
    expect(chooseLauncher("node1", "auto", "lsf")).toBe("blaunch");
    expect(chooseLauncher("localhost", "auto", "slurm")).toBe("local");
    expect(isLocalHost("node1", "node1.example.org")).toBe(true);
  });
  test("--launcher ssh makes loopback hosts remote; the broker stays on loopback for them", () => {
    const plan = planRun({ env: {}, hosts: ["127.0.0.1"], launcher: "ssh", workers: 2 });
    expect(plan.groups).toEqual([{ host: "127.0.0.1", launcher: "ssh", workers: 2, firstIndex: 0 }]);
    expect(plan.broker).toEqual({ bind: "tcp://127.0.0.1:*", advertise: "127.0.0.1" });
  });
  test("--broker-hostname is what remote workers dial; --tunnel keeps the broker on loopback", () => {
    expect(planRun({ env: {}, hosts: ["n1"], brokerHostname: "head" }).broker).toEqual({ bind: "tcp://0.0.0.0:*", advertise: "head" });
    expect(planRun({ env: {}, hosts: ["n1"], tunnel: true }).broker).toEqual({ bind: "tcp://127.0.0.1:*" });
  });
  test("refusals say what to do", () => {
    expect(codeOf(() => planRun({ env: {}, hosts: ["n1"], launcher: "local" }))).toBe("SCOOP_USAGE");
    expect(codeOf(() => planRun({ env: {}, hosts: ["n1"], launcher: "srun", tunnel: true }))).toBe("SCOOP_USAGE");
    expect(codeOf(() => planRun({ env: {}, launcher: "bogus" as never }))).toBe("SCOOP_USAGE");
    expect(codeOf(() => planRun({ env: {}, workers: 0 }))).toBe("SCOOP_INVALID_OPTION");
  });
});

test("the plan for --verbose names hosts, workers, launchers and the broker", () => {
  const plan = planRun({ env: {}, cores: 2, hosts: ["localhost:1", "n1:2"] });
  expect(formatPlan(plan, "tcp://0.0.0.0:5555")).toBe(
    [
      "run plan: 3 workers on 2 hosts (from --hosts)",
      "  localhost: 1 worker (w0, w0 is the origin) via local",
      "  n1: 2 workers (w1-w2) via ssh",
      "  broker: tcp://0.0.0.0:5555; remote workers dial the address their SSH connection comes from (or this hostname)",
    ].join("\n"),
  );
});

test("endpoints", () => {
  expect(tcpEndpoint("10.0.0.1", 5555)).toBe("tcp://10.0.0.1:5555");
  expect(tcpEndpoint("fe80::1", 5555)).toBe("tcp://[fe80::1]:5555");
  expect(endpointPort("tcp://0.0.0.0:41234")).toBe(41234);
});

describe("--hosts on the command line", () => {
  test("values run up to the next flag or the script", () => {
    expect(expandHostsFlag(["--hosts", "a", "b:2", "-n", "4", "s.ts", "x", "--hosts", "y"])).toEqual(["--hosts=a", "--hosts=b:2", "-n", "4", "s.ts", "x", "--hosts", "y"]);
    expect(expandHostsFlag(["--ssh-key", "k", "--hosts", "a", "b", "run.mjs", "-v"])).toEqual(["--ssh-key", "k", "--hosts=a", "--hosts=b", "run.mjs", "-v"]);
    expect(expandHostsFlag(["-v", "--hosts", "a", "--", "prog"])).toEqual(["-v", "--hosts=a", "--", "prog"]);
    expect(expandHostsFlag(["--hosts"])).toEqual(["--hosts"]);
  });
});

test("per-run keys: a broker keypair, one client keypair per worker, secrets as one JSON line", () => {
  const keys = new RunKeys();
  expect(keys.broker.publicKey).toMatch(/^.{40}$/);
  const line = keys.secretsLine("w0");
  expect(line.endsWith("\n")).toBe(true);
  const secrets = JSON.parse(line);
  expect(secrets).toEqual({ curveServerKey: keys.broker.publicKey, curvePublicKey: keys.client("w0").publicKey, curveSecretKey: keys.client("w0").secretKey });
  keys.client("w1");
  expect(keys.clientPublicKeys()).toHaveLength(2);
  expect(keys.client("w1").publicKey).not.toBe(keys.client("w0").publicKey);
});
