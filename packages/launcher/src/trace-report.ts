/**
 * `scoop trace run.json --html report.html`: a Chrome trace written by
 * `scoop --trace` turned into one self-contained HTML page (no external
 * assets): the timeline (a lane per worker), per-worker utilisation, a
 * histogram of task durations and the slowest tasks — SCOOP's `--debug`
 * plots, in a browser.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import type { TraceEvent, TraceFile } from "@scoop/broker";
import { ScoopError } from "@scoop/protocol";

/** What the report shows, computed from a trace. */
export interface TraceSummary {
  /** Lanes, in track order. */
  workers: Array<{ tid: number; name: string; tasks: number; busyMs: number; utilisation: number }>;
  /** Whole run, ms. */
  spanMs: number;
  tasks: number;
  failed: number;
  lost: number;
  retries: number;
  histogram: Array<{ fromMs: number; toMs: number; count: number }>;
  slowest: Array<{ name: string; key: number; worker: string; ms: number; attempt: number; bytes?: number }>;
}

interface Span {
  tid: number;
  ts: number;
  dur: number;
  name: string;
  args: Record<string, unknown>;
}

/** Read a trace file, with a clear error when it is not one. */
export function readTrace(path: string): TraceFile {
  let trace: TraceFile;
  try {
    trace = JSON.parse(readFileSync(path, "utf8")) as TraceFile;
  } catch (error) {
    throw new ScoopError("SCOOP_BAD_TRACE", `cannot read the trace ${path}: ${(error as Error).message}; pass a file written by scoop --trace`, { cause: error });
  }
  if (!Array.isArray(trace?.traceEvents)) throw new ScoopError("SCOOP_BAD_TRACE", `${path} is not a Chrome trace (no traceEvents array); pass a file written by scoop --trace`);
  return trace;
}

function spansOf(trace: TraceFile): { spans: Span[]; names: Map<number, string>; instants: TraceEvent[] } {
  const names = new Map<number, string>();
  const spans: Span[] = [];
  const instants: TraceEvent[] = [];
  for (const e of trace.traceEvents) {
    if (e.ph === "M" && e.name === "thread_name") names.set(e.tid, String(e.args?.name ?? e.tid));
    else if (e.ph === "X" && e.cat === "task") spans.push({ tid: e.tid, ts: e.ts ?? 0, dur: e.dur ?? 0, name: e.name, args: e.args ?? {} });
    else if (e.ph === "i") instants.push(e);
  }
  return { spans, names, instants };
}

/** Utilisation, histogram and slowest tasks of a trace. */
export function summarizeTrace(trace: TraceFile, slowest = 20): TraceSummary {
  const { spans, names, instants } = spansOf(trace);
  let start = Infinity;
  let end = -Infinity;
  for (const s of spans) {
    start = Math.min(start, s.ts);
    end = Math.max(end, s.ts + s.dur);
  }
  const spanUs = spans.length > 0 ? Math.max(1, end - start) : 1;
  // Busy time per lane: the union of its spans (async tasks overlap on one worker).
  const byTid = new Map<number, Span[]>();
  for (const s of spans) {
    let list = byTid.get(s.tid);
    if (list === undefined) byTid.set(s.tid, (list = []));
    list.push(s);
  }
  const workers = [...byTid.entries()]
    .sort(([a], [b]) => a - b)
    .map(([tid, list]) => {
      list.sort((a, b) => a.ts - b.ts);
      let busy = 0;
      let coveredTo = -Infinity;
      for (const s of list) {
        const from = Math.max(s.ts, coveredTo);
        const to = s.ts + s.dur;
        if (to > from) busy += to - from;
        coveredTo = Math.max(coveredTo, to);
      }
      return { tid, name: names.get(tid) ?? `track ${tid}`, tasks: list.length, busyMs: busy / 1000, utilisation: busy / spanUs };
    });
  const done = spans.filter((s) => s.args.lost !== true && s.args.cancelled !== true);
  // Log-spaced bins: task times often spread over several orders of magnitude.
  const durations = done.map((s) => Math.max(1, s.dur));
  const histogram: TraceSummary["histogram"] = [];
  if (durations.length > 0) {
    const lo = Math.log10(Math.min(...durations));
    const hi = Math.log10(Math.max(...durations)) + 1e-9;
    const bins = Math.min(24, Math.max(1, Math.ceil((hi - lo) * 6)));
    const width = (hi - lo) / bins || 1;
    for (let i = 0; i < bins; i++) histogram.push({ fromMs: 10 ** (lo + i * width) / 1000, toMs: 10 ** (lo + (i + 1) * width) / 1000, count: 0 });
    for (const d of durations) histogram[Math.min(bins - 1, Math.floor((Math.log10(d) - lo) / width))].count++;
  }
  return {
    workers,
    spanMs: spans.length > 0 ? spanUs / 1000 : 0,
    tasks: done.length,
    failed: done.filter((s) => s.args.ok === false).length,
    lost: spans.filter((s) => s.args.lost === true).length,
    retries: instants.filter((e) => e.cat === "retry").length,
    histogram,
    slowest: [...done]
      .sort((a, b) => b.dur - a.dur)
      .slice(0, slowest)
      .map((s) => ({ name: s.name, key: Number(s.args.key), worker: names.get(s.tid) ?? String(s.tid), ms: s.dur / 1000, attempt: Number(s.args.attempt ?? 1), bytes: s.args.bytes as number | undefined })),
  };
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : v >= 1 ? `${v.toFixed(1)} ms` : `${(v * 1000).toFixed(0)} µs`);
/** Most spans drawn on the timeline (the table and histogram use them all). */
const MAX_DRAWN = 200_000;

/** The report page of a trace. */
export function traceReportHtml(trace: TraceFile, title = "SCOOP run"): string {
  const summary = summarizeTrace(trace);
  const { spans, instants } = spansOf(trace);
  const lanes = summary.workers.map((w) => w.tid);
  const origin = spans.reduce((m, s) => Math.min(m, s.ts), Infinity);
  const drawn = spans.slice(0, MAX_DRAWN).map((s) => [lanes.indexOf(s.tid), s.ts - origin, s.dur, s.args.lost ? 2 : s.args.ok === false ? 1 : 0]);
  const marks = instants.filter((e) => lanes.includes(e.tid)).map((e) => [lanes.indexOf(e.tid), (e.ts ?? 0) - origin, e.name]);
  const data = JSON.stringify({ lanes: summary.workers.map((w) => w.name), spans: drawn, marks, spanUs: summary.spanMs * 1000 }).replace(/</g, "\\u003c");
  const maxCount = Math.max(1, ...summary.histogram.map((b) => b.count));
  const histogram = summary.histogram
    .map((b, i, all) => {
      const w = 600 / all.length;
      const h = (b.count / maxCount) * 150;
      return `<rect x="${(i * w + 1).toFixed(1)}" y="${(160 - h).toFixed(1)}" width="${(w - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#3a6fd8"><title>${ms(b.fromMs)} – ${ms(b.toMs)}: ${b.count} tasks</title></rect>`;
    })
    .join("");
  const first = summary.histogram[0];
  const last = summary.histogram[summary.histogram.length - 1];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f6f7fb; }
  header { padding: 14px 20px; background: #fff; border-bottom: 1px solid #e3e6ee; }
  h1 { font-size: 18px; margin: 0 0 4px; } h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: #687086; margin: 0 0 8px; }
  .meta { color: #687086; font-size: 13px; }
  main { padding: 16px 20px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
  section { background: #fff; border: 1px solid #e3e6ee; border-radius: 8px; padding: 12px 14px; }
  section.wide { grid-column: 1 / -1; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #e3e6ee; white-space: nowrap; }
  th { color: #687086; font-weight: 500; font-size: 12px; } td.num, th.num { text-align: right; }
  .bar { height: 10px; background: #e3e6ee; border-radius: 5px; overflow: hidden; min-width: 160px; } .bar > i { display: block; height: 100%; background: #2f9e62; }
  #timeline { width: 100%; display: block; } svg { width: 100%; display: block; }
  .legend span { margin-right: 14px; font-size: 12px; color: #687086; } .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
</style></head><body>
<header><h1>${esc(title)}</h1><div class="meta">${summary.tasks} tasks · ${summary.workers.length} workers · ${ms(summary.spanMs)} · ${summary.failed} failed · ${summary.retries} retried · ${summary.lost} lost attempts</div></header>
<main>
<section class="wide"><h2>Timeline</h2>
<div class="legend"><span><i style="background:#3a6fd8"></i>task</span><span><i style="background:#d6453d"></i>failed</span><span><i style="background:#d98a1c"></i>lost attempt</span><span><i style="background:#1d2330"></i>retry / lost worker</span></div>
<canvas id="timeline"></canvas>${spans.length > MAX_DRAWN ? `<div class="meta">first ${MAX_DRAWN} of ${spans.length} spans drawn</div>` : ""}</section>
<section><h2>Worker utilisation</h2><table><thead><tr><th>worker</th><th class="num">tasks</th><th class="num">busy</th><th>utilisation</th><th class="num"></th></tr></thead><tbody>
${summary.workers.map((w) => `<tr><td>${esc(w.name)}</td><td class="num">${w.tasks}</td><td class="num">${ms(w.busyMs)}</td><td><div class="bar"><i style="width:${(w.utilisation * 100).toFixed(1)}%"></i></div></td><td class="num">${(w.utilisation * 100).toFixed(0)}%</td></tr>`).join("\n")}
</tbody></table></section>
<section><h2>Task durations</h2><svg viewBox="0 0 600 180" preserveAspectRatio="none">${histogram}</svg>
<div class="meta">${first ? `${ms(first.fromMs)} … ${ms(last.toMs)} (log scale), tallest bar ${maxCount} tasks` : "no tasks"}</div></section>
<section class="wide"><h2>Slowest tasks</h2><table><thead><tr><th>task</th><th class="num">key</th><th>worker</th><th class="num">attempt</th><th class="num">argument bytes</th><th class="num">time</th></tr></thead><tbody>
${summary.slowest.map((s) => `<tr><td>${esc(s.name)}</td><td class="num">${s.key}</td><td>${esc(s.worker)}</td><td class="num">${s.attempt}</td><td class="num">${s.bytes ?? ""}</td><td class="num">${ms(s.ms)}</td></tr>`).join("\n")}
</tbody></table></section>
</main>
<script type="application/json" id="trace-data">${data}</script>
<script>
"use strict";
const d = JSON.parse(document.getElementById("trace-data").textContent);
const canvas = document.getElementById("timeline");
function draw() {
  const lane = 22, left = 170, ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = Math.max(1, d.lanes.length) * lane + 24;
  canvas.width = width * ratio; canvas.height = height * ratio; canvas.style.height = height + "px";
  const g = canvas.getContext("2d"); g.scale(ratio, ratio);
  g.font = "12px system-ui, sans-serif"; g.textBaseline = "middle";
  const x = (us) => left + (us / Math.max(1, d.spanUs)) * (width - left - 8);
  d.lanes.forEach((name, i) => { g.fillStyle = i % 2 ? "#fff" : "#f3f5fa"; g.fillRect(0, i * lane, width, lane); g.fillStyle = "#1d2330"; g.fillText(name.length > 26 ? name.slice(0, 25) + "…" : name, 6, i * lane + lane / 2); });
  const colors = ["#3a6fd8", "#d6453d", "#d98a1c"];
  for (const [i, ts, dur, kind] of d.spans) { g.fillStyle = colors[kind]; g.fillRect(x(ts), i * lane + 3, Math.max(1, x(ts + dur) - x(ts)), lane - 6); }
  g.fillStyle = "#1d2330";
  for (const [i, ts] of d.marks) { const cx = x(ts); g.beginPath(); g.moveTo(cx, i * lane + 1); g.lineTo(cx - 5, i * lane - 7); g.lineTo(cx + 5, i * lane - 7); g.fill(); g.fillRect(cx - 1, i * lane, 2, lane); }
  const axis = d.lanes.length * lane + 14; g.fillStyle = "#687086";
  for (let k = 0; k <= 5; k++) { const us = d.spanUs * k / 5; const label = us >= 1e6 ? (us / 1e6).toFixed(2) + " s" : (us / 1e3).toFixed(1) + " ms"; g.fillText(label, Math.min(width - 60, x(us)), axis); }
}
draw(); window.addEventListener("resize", draw);
</script>
</body></html>
`;
}

/** Write the report of the trace at `tracePath` to `htmlPath`. */
export function writeTraceReport(tracePath: string, htmlPath: string): TraceSummary {
  const trace = readTrace(tracePath);
  writeFileSync(htmlPath, traceReportHtml(trace, `SCOOP run: ${basename(tracePath)}`));
  return summarizeTrace(trace);
}
