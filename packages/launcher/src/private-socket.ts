import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Longest Unix socket path (sun_path is 108 bytes on Linux, 104 on macOS). */
const MAX_IPC_PATH = 100;

/** A Unix socket endpoint in a fresh private (0700) directory, or undefined if the path would be too long. */
export function privateIpcEndpoint(): { endpoint: string; dir: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), "scoop-"));
  const path = join(dir, "broker.sock");
  if (path.length <= MAX_IPC_PATH) return { endpoint: `ipc://${path}`, dir };
  rmSync(dir, { recursive: true, force: true });
  return undefined;
}
