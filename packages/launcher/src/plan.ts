/**
 * The plan of a run, decided before anything starts: which hosts, how many
 * workers on each, which launch method per host (local process, SSH, a batch
 * scheduler's remote-exec tool), and where the broker listens. Pure: the same
 * inputs give the same plan, so it is unit-tested without a cluster.
 */
import { readFileSync } from "node:fs";
import { availableParallelism, hostname } from "node:os";
import { ScoopError } from "@scoop/protocol";
import { distributeWorkers, parseHostfile, parseHostList, type HostPlanSource, type HostSlots } from "./hosts.js";
import { detectScheduler, SCHEDULERS, schedulerHosts, schedulerNamed, type Scheduler, type SchedulerLauncher } from "./schedulers/registry.js";

/** How workers of a host are started: this machine, SSH, or a batch scheduler's remote-exec tool. */
export type LauncherKind = "local" | "ssh" | SchedulerLauncher;

/** Every launcher name `--launcher` accepts. */
export const LAUNCHERS: readonly (LauncherKind | "auto")[] = ["auto", "local", "ssh", ...SCHEDULERS.map((s) => s.launcher)];

/** The remote-exec tool of each batch scheduler, used inside its allocation. */
export const SCHEDULER_LAUNCHER = Object.freeze(Object.fromEntries(SCHEDULERS.map((s) => [s.name, s.launcher]))) as Readonly<Record<Scheduler, LauncherKind>>;

/** Inputs of {@link planRun}. */
export interface PlanInput {
  /** `--hosts` values (`a b:4`, `a,b`). */
  hosts?: readonly string[];
  /** `--hostfile` path. */
  hostfile?: string;
  /** `-n`: total workers, the origin included. @default every slot (local: the number of cores) */
  workers?: number;
  /** `--launcher`. @default "auto" */
  launcher?: LauncherKind | "auto";
  /** Reverse SSH tunnels: remote workers dial the broker through their SSH connection. @default false */
  tunnel?: boolean;
  /** Address remote workers dial (`--broker-hostname`). @default per host: the local address of its SSH connection, else this machine's hostname */
  brokerHostname?: string;
  /** Environment that tells which batch allocation this runs in. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Cores of this machine (a host without a count gets this many slots). @default availableParallelism() */
  cores?: number;
  /** Reads the hostfile and scheduler node files. @default readFileSync(path, "utf8") */
  readFile?: (path: string) => string;
}

/** Workers of one host and how they start. */
export interface HostGroup {
  host: string;
  launcher: LauncherKind;
  workers: number;
  /** Index of this group's first worker in the run (`w<index>`); worker 0 is the origin. */
  firstIndex: number;
}

/** Where the broker listens and what workers dial. */
export interface BrokerPlan {
  /** ZeroMQ bind endpoint, port `*` (chosen freely). */
  bind: string;
  /** Hostname remote workers dial; undefined: per host (see {@link PlanInput.brokerHostname}). */
  advertise?: string;
}

/** A resolved run. */
export interface RunPlan {
  source: HostPlanSource;
  groups: HostGroup[];
  /** Total workers, the origin included. */
  workers: number;
  broker: BrokerPlan;
  tunnel: boolean;
}

const usage = (message: string) => new ScoopError("SCOOP_USAGE", message);

/** True for names that mean this machine: localhost, 127.0.0.0/8, ::1 and this machine's hostname. */
export function isLocalHost(host: string, self: string = hostname()): boolean {
  const h = host.toLowerCase();
  if (h === "localhost" || h === "localhost.localdomain" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h)) return true;
  const me = self.toLowerCase();
  return h === me || h === me.split(".")[0];
}

/** True for loopback addresses (reachable only from this machine's network namespace). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Launch method of `host` under `choice`; `scheduler` is the allocation this runs in, if any. */
export function chooseLauncher(host: string, choice: LauncherKind | "auto", scheduler: Scheduler | undefined): LauncherKind {
  if (choice !== "auto") return choice;
  if (isLocalHost(host)) return "local";
  return scheduler ? schedulerNamed(scheduler).launcher : "ssh";
}

/** The hosts of the run and where they came from. */
export function resolveHosts(input: PlanInput): { source: HostPlanSource; hosts: HostSlots[] } {
  const env = input.env ?? process.env;
  const read = input.readFile ?? ((p: string) => readFileSync(p, "utf8"));
  if (input.hosts && input.hosts.length > 0 && input.hostfile) throw usage("give either --hosts or --hostfile, not both");
  if (input.hosts && input.hosts.length > 0) return { source: { kind: "hosts" }, hosts: parseHostList(input.hosts) };
  if (input.hostfile) {
    let text: string;
    try {
      text = read(input.hostfile);
    } catch (error) {
      throw new ScoopError("SCOOP_BAD_HOSTS", `cannot read the hostfile ${input.hostfile}: ${(error as Error).message}; check the path`, { cause: error });
    }
    return { source: { kind: "hostfile", detail: input.hostfile }, hosts: parseHostfile(text, input.hostfile) };
  }
  const scheduler = detectScheduler(env);
  if (scheduler) {
    return { source: { kind: scheduler }, hosts: schedulerHosts(scheduler, env, read) };
  }
  return { source: { kind: "local" }, hosts: [{ host: "localhost" }] };
}

/**
 * Plan a run: hosts (from `--hosts`, `--hostfile`, the batch allocation this
 * runs in, or this machine), `-n` spread over them as SCOOP does, a launch
 * method per host and the broker's address.
 * @throws {ScoopError} `SCOOP_USAGE` or `SCOOP_BAD_HOSTS` saying what to fix.
 */
export function planRun(input: PlanInput): RunPlan {
  const env = input.env ?? process.env;
  const choice = input.launcher ?? "auto";
  if (!LAUNCHERS.includes(choice)) throw usage(`unknown launcher ${JSON.stringify(choice)}: use one of ${LAUNCHERS.join(", ")}`);
  const { source, hosts } = resolveHosts(input);
  const cores = input.cores ?? availableParallelism();
  const spread = distributeWorkers(hosts, input.workers, () => cores);
  const scheduler = detectScheduler(env);
  let firstIndex = 0;
  const groups: HostGroup[] = spread.map(({ host, workers }) => {
    const group = { host, launcher: chooseLauncher(host, choice, scheduler), workers, firstIndex };
    firstIndex += workers;
    return group;
  });
  if (choice === "local") {
    const far = groups.find((g) => !isLocalHost(g.host));
    if (far) throw usage(`--launcher local cannot start workers on ${far.host}: use --launcher ssh (or auto) for other hosts`);
  }
  const remote = groups.filter((g) => g.launcher !== "local");
  const tunnel = input.tunnel ?? false;
  if (tunnel) {
    const notSsh = remote.find((g) => g.launcher !== "ssh");
    if (notSsh) throw usage(`--tunnel works with SSH hosts only (${notSsh.host} uses ${notSsh.launcher}): drop --tunnel or use --launcher ssh`);
  }
  let broker: BrokerPlan;
  if (remote.length === 0 || tunnel) broker = { bind: "tcp://127.0.0.1:*" };
  else if (input.brokerHostname) broker = { bind: "tcp://0.0.0.0:*", advertise: input.brokerHostname };
  else if (remote.every((g) => isLoopback(g.host))) broker = { bind: "tcp://127.0.0.1:*", advertise: "127.0.0.1" };
  else broker = { bind: "tcp://0.0.0.0:*" };
  return { source, groups, workers: firstIndex, broker, tunnel };
}

/** A ZeroMQ TCP endpoint for `host:port` (IPv6 addresses in brackets). */
export function tcpEndpoint(host: string, port: number): string {
  return host.includes(":") ? `tcp://[${host}]:${port}` : `tcp://${host}:${port}`;
}

/** The port of a bound endpoint such as `tcp://0.0.0.0:41234`. */
export function endpointPort(endpoint: string): number {
  const m = /:(\d+)$/.exec(endpoint);
  if (!m) throw new ScoopError("SCOOP_INTERNAL", `the broker endpoint ${endpoint} has no port`);
  return Number(m[1]);
}

/** The plan in a few human lines, for `--verbose`. */
export function formatPlan(plan: RunPlan, brokerEndpoint?: string): string {
  const from = plan.source.kind === "local" ? "this machine" : plan.source.kind === "hosts" ? "--hosts" : plan.source.kind === "hostfile" ? `hostfile ${plan.source.detail}` : `the ${plan.source.kind.toUpperCase()} allocation`;
  const lines = [`run plan: ${plan.workers} worker${plan.workers === 1 ? "" : "s"} on ${plan.groups.length} host${plan.groups.length === 1 ? "" : "s"} (from ${from})`];
  for (const g of plan.groups) {
    const last = g.firstIndex + g.workers - 1;
    const ids = g.workers === 1 ? `w${g.firstIndex}` : `w${g.firstIndex}-w${last}`;
    lines.push(`  ${g.host}: ${g.workers} worker${g.workers === 1 ? "" : "s"} (${ids}${g.firstIndex === 0 ? ", w0 is the origin" : ""}) via ${g.launcher}`);
  }
  const dial = plan.tunnel ? "remote workers dial it through reverse SSH tunnels" : plan.broker.advertise ? `remote workers dial ${plan.broker.advertise}` : plan.groups.some((g) => g.launcher !== "local") ? "remote workers dial the address their SSH connection comes from (or this hostname)" : "";
  lines.push(`  broker: ${brokerEndpoint ?? plan.broker.bind}${dial ? `; ${dial}` : ""}`);
  return lines.join("\n");
}
