import { LAUNCHERS, SCHEDULER_LAUNCHER, chooseLauncher } from "../../src/plan.js";
import { isSchedulerLauncher, schedulerCommand } from "../../src/scheduler-launch.js";
import { SCHEDULERS, detectScheduler } from "../../src/schedulers/registry.js";

// The contract every adapter in schedulers/ keeps; a new scheduler is checked here by being in the registry.
describe.each(SCHEDULERS.map((s) => [s.name, s] as const))("scheduler %s", (name, adapter) => {
  test("is unique in the registry and reachable from --launcher", () => {
    expect(SCHEDULERS.filter((s) => s.name === name || s.launcher === adapter.launcher)).toHaveLength(1);
    expect(LAUNCHERS).toContain(adapter.launcher);
    expect(SCHEDULER_LAUNCHER[name]).toBe(adapter.launcher);
    expect(isSchedulerLauncher(adapter.launcher)).toBe(true);
    expect(chooseLauncher("node1", "auto", name)).toBe(adapter.launcher);
  });
  test("its command runs the worker's shell command on the host with its tool", () => {
    for (const stdin of [false, true]) {
      const argv = adapter.command("node07", "exec scoop-worker", { stdin });
      expect(argv[0]).toBe(adapter.launcher);
      expect(argv.some((a) => a.endsWith("node07"))).toBe(true);
      expect(argv.slice(-3)).toEqual(["/bin/sh", "-c", "exec scoop-worker"]);
      expect(schedulerCommand(adapter.launcher, "node07", "exec scoop-worker", { stdin })).toEqual(argv);
    }
  });
  test("is not detected outside an allocation", () => {
    expect(adapter.detect({ PATH: "/usr/bin" })).toBe(false);
    expect(detectScheduler({ PATH: "/usr/bin" })).toBeUndefined();
  });
});

test("the local machine and ssh are not scheduler tools", () => {
  expect(isSchedulerLauncher("local")).toBe(false);
  expect(isSchedulerLauncher("ssh")).toBe(false);
});
