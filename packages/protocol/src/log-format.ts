/**
 * One log format for people, shared by the CLIs: a pino record (one JSON
 * line) becomes `<prefix><level>: <message> (k=v …)`. JSON stays the format
 * of log files and of daemons whose output is not a terminal.
 */

/** Log formats the CLIs accept with `--log-format`. */
export const LOG_FORMATS = ["pretty", "json"] as const;
/** `pretty`: one readable line per record; `json`: pino's JSON lines. */
export type LogFormat = (typeof LOG_FORMATS)[number];

const LEVELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warning", 50: "error", 60: "fatal" };
const SKIP = new Set(["level", "time", "pid", "hostname", "msg", "component"]);

/** A pino record as one line for people, `<prefix><level>: <message> (k=v …)`; `undefined` if `record` is not one. */
export function formatLogRecord(record: string, prefix: string): string | undefined {
  if (!record.startsWith("{")) return undefined;
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(record) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof r !== "object" || r === null || typeof r.level !== "number" || typeof r.msg !== "string") return undefined;
  const fields = Object.entries(r)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === "object" && v !== null ? ((v as { message?: string }).message ?? JSON.stringify(v)) : String(v)}`);
  return `${prefix}${LEVELS[r.level] ?? String(r.level)}: ${r.msg}${fields.length ? ` (${fields.join(" ")})` : ""}`;
}

/** A pino destination writing each record as one line for people (`prefix` e.g. `"scoop: "`). */
export function prettyLogDestination(prefix: string, write: (line: string) => void): { write(record: string): void } {
  return {
    write(record: string) {
      const line = formatLogRecord(record.trimEnd(), prefix);
      write(line === undefined ? record : `${line}\n`);
    },
  };
}

/** `record` (a pino JSON line) with `worker: id` added (unless it names its worker already), for a log that mixes every process's records. */
export function tagLogRecord(record: string, worker: string): string {
  return record.startsWith("{") && !record.includes('"worker":') ? `{"worker":${JSON.stringify(worker)},${record.slice(1)}` : record;
}
