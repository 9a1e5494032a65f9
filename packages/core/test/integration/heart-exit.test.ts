/**
 * A process that ends while its heartbeat thread loads zeromq's native addon
 * waits for the load: a worker thread cut inside the addon's registration
 * aborts the whole process ("terminate called after throwing an instance of
 * 'Napi::Error'", exit 134). A short run ends while the thread boots, so this
 * happened to about one run in a few hundred on a loaded machine. The real
 * registration is too brief to hit at will, so the probe stretches the load
 * and the test checks that the thread was let finish it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const fixtures = join(__dirname, "../fixtures");

test("a process ending as its heartbeat thread loads zeromq lets the load finish and exits cleanly", () => {
  const dir = mkdtempSync(join(tmpdir(), "scoop-heart-exit-"));
  try {
    const started = join(dir, "started");
    const ended = join(dir, "ended");
    const r = spawnSync(process.execPath, ["-r", join(fixtures, "addon-load-probe.cjs"), join(fixtures, "exit-during-heart-load.cjs")], {
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, ADDON_LOAD_STARTED: started, ADDON_LOAD_ENDED: ended },
    });
    expect({ code: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ code: 0, signal: null, stderr: "" });
    expect(existsSync(ended)).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
