import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Longest Unix socket path (sun_path is 108 bytes on Linux, 104 on macOS). */
const MAX_IPC_PATH = 100;

/**
 * A fresh owner-only directory for the run's payload store: in `/dev/shm`
 * (RAM; a file there costs no disk I/O) when this machine has one, else in
 * `fallback`. Its name holds this process's pid, so a later run removes
 * what a launcher killed outright (SIGKILL) left there.
 */
export function payloadStoreDir(fallback: string): string {
  try {
    removeOrphanStores(SHM);
    return mkdtempSync(join(SHM, `${STORE_PREFIX}${process.pid}-`));
  } catch {
    return mkdtempSync(join(fallback, "store-"));
  }
}

const SHM = "/dev/shm";
const STORE_PREFIX = "scoop-store-";

/** Remove this user's store directories whose launcher is gone. */
function removeOrphanStores(root: string): void {
  for (const name of readdirSync(root)) {
    const pid = Number(/^scoop-store-(\d+)-/.exec(name)?.[1]);
    if (!pid || alive(pid)) continue;
    const path = join(root, name);
    if (statSync(path).uid === process.getuid?.()) rmSync(path, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // someone else's process
  }
}

/** A Unix socket endpoint in a fresh private (0700) directory, or undefined if the path would be too long. */
export function privateIpcEndpoint(): { endpoint: string; dir: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), "scoop-"));
  const path = join(dir, "broker.sock");
  if (path.length <= MAX_IPC_PATH) return { endpoint: `ipc://${path}`, dir };
  rmSync(dir, { recursive: true, force: true });
  return undefined;
}
