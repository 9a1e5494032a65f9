import { thrownCode as codeOf } from "@scoop/test-helpers";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  detectScheduler,
  distributeWorkers,
  lsfHosts,
  parseHostfile,
  parseHostList,
  parseSlurmNodelist,
  parseSlurmTasksPerNode,
  pbsHosts,
  sgeHosts,
  slurmHosts,
} from "../../src/hosts.js";

/** SCOOP's own test fixtures (test/hostfilesim.txt, pbshostssim.txt, sgehostssim.txt), same shapes. */
const fixture = (name: string) => join(__dirname, "..", "fixtures", "hostfiles", name);
const readFixture = (p: string) => readFileSync(p, "utf8");
/** What SCOOP's tests expect of each of its fixtures: 16 workers in all. */
const SCOOP_HOSTS = [{ host: "host1", slots: 8 }, { host: "host2", slots: 4 }, { host: "host3", slots: 2 }, { host: "host4", slots: 2 }];


describe("hostfile (SCOOP format)", () => {
  test("hosts, counts, comments, blank lines, repeats add up", () => {
    const text = "# cluster\nnode1 4\n\nnode2   # no count: its cores\n  node3 2  # trailing comment\nnode1 2\n";
    expect(parseHostfile(text)).toEqual([{ host: "node1", slots: 6 }, { host: "node2" }, { host: "node3", slots: 2 }]);
  });
  test("errors name the line and what was expected", () => {
    expect(codeOf(() => parseHostfile("a -2"))).toBe("SCOOP_BAD_HOSTS");
    expect(() => parseHostfile("ok 1\nbad x")).toThrow(/line 2 .*expected "hostname \[workers\]"/);
    expect(() => parseHostfile("a 2.5")).toThrow(/line 1 .*whole number/);
    expect(() => parseHostfile("a workers=x")).toThrow(/line 1 .*whole number/);
    expect(() => parseHostfile("workers=4 a")).toThrow(/line 1 .*not a host name/);
    expect(() => parseHostfile("# nothing\n")).toThrow(/no host/);
  });
  test("SCOOP's hostfile fixture: worker=8, a count, extra columns, a column before the count", () => {
    expect(parseHostfile(readFixture(fixture("scoop-hostfile.txt")))).toEqual(SCOOP_HOSTS);
    expect(distributeWorkers(parseHostfile(readFixture(fixture("scoop-hostfile.txt"))), undefined, () => 1).reduce((n, p) => n + p.workers, 0)).toBe(16);
  });
  test("every dialect SCOOP reads, each on its own line", () => {
    expect(parseHostfile(readFixture(fixture("dialects.txt")))).toEqual([
      { host: "node1", slots: 4 },
      { host: "node2", slots: 3 },
      { host: "node3" },
      { host: "node4" },
      { host: "node5", slots: 2 },
      { host: "node6", slots: 2 },
      { host: "rack1", slots: 1 },
      { host: "rack2", slots: 1 },
    ]);
    expect(parseHostfile("a workers=3")).toEqual([{ host: "a", slots: 3 }]);
    expect(parseHostfile("a worker=3")).toEqual([{ host: "a", slots: 3 }]);
    expect(parseHostfile("a slots=3")).toEqual([{ host: "a", slots: 3 }]);
    expect(parseHostfile("a\tX 2")).toEqual([{ host: "a", slots: 2 }]);
  });
  test("--hosts values", () => {
    expect(parseHostList(["a", "b:3", "a"])).toEqual([{ host: "a" }, { host: "b", slots: 3 }]);
    expect(parseHostList(["a,b c"])).toEqual([{ host: "a" }, { host: "b" }, { host: "c" }]);
  });
});

describe("SLURM", () => {
  test("node lists with ranges, padding, lists and several groups", () => {
    expect(parseSlurmNodelist("node[01-04,07],gpu[1-2]")).toEqual(["node01", "node02", "node03", "node04", "node07", "gpu1", "gpu2"]);
    expect(parseSlurmNodelist("login")).toEqual(["login"]);
    expect(parseSlurmNodelist("a,b,c[9-11]")).toEqual(["a", "b", "c9", "c10", "c11"]);
    expect(parseSlurmNodelist("rack[1-2]-n[1-2]")).toEqual(["rack1-n1", "rack1-n2", "rack2-n1", "rack2-n2"]);
    expect(parseSlurmNodelist("n[008-010]")).toEqual(["n008", "n009", "n010"]);
  });
  test("bad node lists", () => {
    expect(codeOf(() => parseSlurmNodelist("n[1-2"))).toBe("SCOOP_BAD_HOSTS");
    expect(codeOf(() => parseSlurmNodelist("n[3-1]"))).toBe("SCOOP_BAD_HOSTS");
    expect(codeOf(() => parseSlurmNodelist("n[a-b]"))).toBe("SCOOP_BAD_HOSTS");
  });
  test("tasks per node with repeats", () => {
    expect(parseSlurmTasksPerNode("2(x3),1")).toEqual([2, 2, 2, 1]);
    expect(parseSlurmTasksPerNode("16")).toEqual([16]);
    expect(codeOf(() => parseSlurmTasksPerNode("2(3)"))).toBe("SCOOP_BAD_HOSTS");
  });
  test("allocation from the environment", () => {
    expect(slurmHosts({ SLURM_JOB_NODELIST: "n[1-4]", SLURM_TASKS_PER_NODE: "2(x3),1" })).toEqual([
      { host: "n1", slots: 2 },
      { host: "n2", slots: 2 },
      { host: "n3", slots: 2 },
      { host: "n4", slots: 1 },
    ]);
    expect(slurmHosts({ SLURM_JOB_NODELIST: "n1" })).toEqual([{ host: "n1", slots: undefined }]);
    expect(() => slurmHosts({ SLURM_JOB_NODELIST: "n[1-2]", SLURM_TASKS_PER_NODE: "1" })).toThrow(/names 1 nodes/);
  });
});

describe("PBS, SGE, LSF", () => {
  test("PBS_NODEFILE: one line per slot", () => {
    const read = () => "n1\nn1\nn2\n\nn1\n";
    expect(pbsHosts({ PBS_NODEFILE: "/x" }, read)).toEqual([{ host: "n1", slots: 3 }, { host: "n2", slots: 1 }]);
  });
  test("PBS_NODEFILE: SCOOP's fixtures, many hosts on one line and one per line, give 16 workers", () => {
    for (const file of ["pbs-one-line.txt", "pbs-multi-line.txt"]) {
      const hosts = pbsHosts({ PBS_NODEFILE: fixture(file) });
      expect(hosts).toEqual(SCOOP_HOSTS);
      expect(distributeWorkers(hosts, undefined, () => 1).reduce((n, p) => n + p.workers, 0)).toBe(16);
    }
    expect(pbsHosts({ PBS_NODEFILE: "/x" }, () => "a  b\tb\r\nc\n")).toEqual([{ host: "a", slots: 1 }, { host: "b", slots: 2 }, { host: "c", slots: 1 }]);
    expect(() => pbsHosts({ PBS_NODEFILE: "/x" }, () => "a\nb=2\n")).toThrow(/line 2.*not a host name/);
  });
  test("PE_HOSTFILE: SCOOP's fixture", () => {
    expect(sgeHosts({ PE_HOSTFILE: fixture("sge-pe-hostfile.txt") })).toEqual(SCOOP_HOSTS);
  });
  test("PE_HOSTFILE: host slots queue processors", () => {
    const read = () => "n1.example 4 all.q@n1 UNDEFINED\nn2 2 all.q@n2 UNDEFINED\n";
    expect(sgeHosts({ PE_HOSTFILE: "/x" }, read)).toEqual([{ host: "n1.example", slots: 4 }, { host: "n2", slots: 2 }]);
    expect(codeOf(() => sgeHosts({ PE_HOSTFILE: "/x" }, () => "n1 zero q p"))).toBe("SCOOP_BAD_HOSTS");
  });
  test("LSB_MCPU_HOSTS: host count pairs", () => {
    expect(lsfHosts({ LSB_MCPU_HOSTS: "n1 4 n2 2" })).toEqual([{ host: "n1", slots: 4 }, { host: "n2", slots: 2 }]);
    expect(codeOf(() => lsfHosts({ LSB_MCPU_HOSTS: "n1 4 n2" }))).toBe("SCOOP_BAD_HOSTS");
  });
  test("detection", () => {
    expect(detectScheduler({})).toBeUndefined();
    expect(detectScheduler({ SLURM_JOB_NODELIST: "n1" })).toBe("slurm");
    expect(detectScheduler({ PBS_NODEFILE: "/f" })).toBe("pbs");
    expect(detectScheduler({ PE_HOSTFILE: "/f" })).toBe("sge");
    expect(detectScheduler({ LSB_MCPU_HOSTS: "n 1" })).toBe("lsf");
  });
});

describe("spreading -n workers", () => {
  const cores = (h: string) => (h === "big" ? 8 : 2);
  test("fills slots in order", () => {
    expect(distributeWorkers([{ host: "a", slots: 2 }, { host: "b", slots: 2 }], 3, cores)).toEqual([{ host: "a", workers: 2 }, { host: "b", workers: 1 }]);
  });
  test("a host without a count gets its cores", () => {
    expect(distributeWorkers([{ host: "big" }, { host: "small" }], undefined, cores)).toEqual([{ host: "big", workers: 8 }, { host: "small", workers: 2 }]);
  });
  test("more workers than slots go round-robin", () => {
    expect(distributeWorkers([{ host: "a", slots: 1 }, { host: "b", slots: 1 }], 5, cores)).toEqual([{ host: "a", workers: 3 }, { host: "b", workers: 2 }]);
  });
  test("hosts that get nothing are left out; bad n is refused", () => {
    expect(distributeWorkers([{ host: "a", slots: 4 }, { host: "b", slots: 4 }], 2, cores)).toEqual([{ host: "a", workers: 2 }]);
    expect(codeOf(() => distributeWorkers([{ host: "a" }], 0, cores))).toBe("SCOOP_INVALID_OPTION");
  });
});
