/**
 * Network namespaces for multi-host tests (root only): each "host" is a
 * namespace of our own joined to this one by a veth pair on a private /30,
 * with its own sshd. Links can be cut to simulate a host that drops.
 */
import { execFileSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { existsSync } from "node:fs";

/** Why namespace tests cannot run here, or undefined if they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not root: creating network namespaces needs root";
  if (!existsSync("/usr/sbin/ip") && !existsSync("/sbin/ip") && !existsSync("/usr/bin/ip")) return "the ip tool is missing: install Debian's iproute2";
  const probe = `scoop-probe-${process.pid}`;
  try {
    execFileSync("ip", ["netns", "add", probe], { stdio: "pipe" });
    execFileSync("ip", ["netns", "del", probe], { stdio: "pipe" });
  } catch (error) {
    return `cannot create a network namespace: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
  return undefined;
}

/** A namespace reachable from here at `address`; `gateway` is this side's address on the link. */
export interface TestHost {
  netns: string;
  /** Address of the host (inside its namespace). */
  address: string;
  /** Address of this (root) side of the link. */
  gateway: string;
  /** The veth end in this namespace: `ip link set <link> down` cuts the host off. */
  link: string;
  cut(): void;
}

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });

/** A /24 of 192.168.0.0/16 that no route of this machine uses. */
function freeSubnet(): number {
  const routes = execFileSync("ip", ["-4", "route", "show", "table", "all"], { encoding: "utf8" });
  for (let i = 0; i < 200; i++) {
    const x = randomInt(100, 250);
    if (!routes.includes(`192.168.${x}.`)) return x;
  }
  throw new Error("no free 192.168.x.0/24 for the test namespaces");
}

/** Create `count` namespaces named `scoop-<random>-<i>`, each linked to this one. */
export function createHosts(count: number): { hosts: TestHost[]; destroy(): void } {
  const id = randomInt(0x10000, 0xfffff).toString(16);
  const x = freeSubnet();
  const hosts: TestHost[] = [];
  const destroy = () => {
    for (const h of hosts) {
      try {
        ip("link", "del", h.link); // deletes both ends
      } catch {
        // gone with the namespace
      }
      try {
        ip("netns", "del", h.netns);
      } catch {
        // already deleted
      }
    }
  };
  try {
    for (let i = 0; i < count; i++) {
      const netns = `scoop-${id}-${i}`;
      const link = `sc${id}r${i}`;
      const peer = `sc${id}n${i}`;
      const gateway = `192.168.${x}.${4 * i + 1}`;
      const address = `192.168.${x}.${4 * i + 2}`;
      ip("netns", "add", netns);
      hosts.push({ netns, address, gateway, link, cut: () => ip("link", "set", link, "down") });
      ip("link", "add", link, "type", "veth", "peer", "name", peer);
      ip("link", "set", peer, "netns", netns);
      ip("addr", "add", `${gateway}/30`, "dev", link);
      ip("link", "set", link, "up");
      ip("-n", netns, "addr", "add", `${address}/30`, "dev", peer);
      ip("-n", netns, "link", "set", peer, "up");
      ip("-n", netns, "link", "set", "lo", "up");
      // Answers to any address of this side (the broker may listen on 0.0.0.0) go back over the link.
      ip("-n", netns, "route", "add", "default", "via", gateway);
    }
  } catch (error) {
    destroy();
    throw error;
  }
  return { hosts, destroy };
}
