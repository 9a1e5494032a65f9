/**
 * The dashboard's page: one self-contained HTML document (no external
 * assets) that follows `/events` and redraws on each snapshot.
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>SCOOP dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --fg:#1d2330; --muted:#687086; --line:#e3e6ee; --ok:#2f9e62; --bad:#d6453d; --warn:#d98a1c; --accent:#3a6fd8; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: #f6f7fb; }
  header { display: flex; align-items: baseline; gap: 16px; padding: 14px 20px; background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 18px; margin: 0; }
  header .meta { color: var(--muted); font-size: 12px; }
  #live { margin-left: auto; font-size: 12px; color: var(--muted); }
  #live.on::before { content: "● "; color: var(--ok); }
  main { padding: 16px 20px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 8px; }
  .counters { display: flex; flex-wrap: wrap; gap: 22px; }
  .counter b { display: block; font-size: 22px; font-variant-numeric: tabular-nums; }
  .counter span { color: var(--muted); font-size: 12px; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { color: var(--muted); font-weight: 500; font-size: 12px; }
  td.num, th.num { text-align: right; }
  .state-busy { color: var(--accent); } .state-idle { color: var(--muted); }
  .bar { height: 8px; background: var(--line); border-radius: 4px; overflow: hidden; min-width: 120px; }
  .bar > i { display: block; height: 100%; background: var(--accent); }
  svg.chart { width: 100%; height: 120px; display: block; }
  .empty { color: var(--muted); font-style: italic; }
  .bad { color: var(--bad); } .warn { color: var(--warn); }
</style>
</head>
<body>
<header><h1>SCOOP</h1><span class="meta" id="broker">connecting…</span><span id="live">offline</span></header>
<main>
  <section class="wide"><h2>Run</h2><div class="counters">
    <div class="counter"><b id="tasks-done">0</b><span>tasks done</span></div>
    <div class="counter"><b id="tasks-rate">0</b><span>tasks/s</span></div>
    <div class="counter"><b id="queued">0</b><span>queued</span></div>
    <div class="counter"><b id="running">0</b><span>running</span></div>
    <div class="counter"><b id="workers-count">0</b><span>workers</span></div>
    <div class="counter"><b id="failed">0</b><span>failed</span></div>
    <div class="counter"><b id="retried">0</b><span>retried</span></div>
    <div class="counter"><b id="lost">0</b><span>workers lost</span></div>
  </div></section>
  <section><h2>Tasks per second</h2><svg class="chart" id="rate-chart" viewBox="0 0 600 120" preserveAspectRatio="none"></svg></section>
  <section><h2>Queue depth</h2><svg class="chart" id="queue-chart" viewBox="0 0 600 120" preserveAspectRatio="none"></svg></section>
  <section class="wide"><h2>Workers</h2><table id="workers"><thead><tr>
    <th>id</th><th>role</th><th>host</th><th class="num">pid</th><th>state</th><th class="num">running</th><th class="num">tasks run</th><th class="num">failed</th><th class="num">CPU %</th><th class="num">memory MB</th>
  </tr></thead><tbody></tbody></table></section>
  <section><h2>Running maps</h2><table id="maps"><thead><tr><th>map</th><th>progress</th><th class="num">done</th><th class="num">failed</th><th class="num">retried</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Failures and retries</h2><table id="incidents"><thead><tr><th>when</th><th>what</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Queues</h2><table id="queues"><thead><tr><th>task</th><th class="num">queued</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Shared constants</h2><table id="constants"><thead><tr><th>name</th><th>app</th><th class="num">size</th></tr></thead><tbody></tbody></table></section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const fmt = (n) => Math.round(n).toLocaleString("en-US");
const bytes = (n) => n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KiB" : (n / 1048576).toFixed(1) + " MiB";
const time = (at) => new Date(at).toLocaleTimeString();
function rows(id, items, render, empty) {
  const body = document.querySelector("#" + id + " tbody");
  body.innerHTML = items.length ? items.map(render).join("") : '<tr><td class="empty" colspan="10">' + empty + "</td></tr>";
}
function chart(id, values, color) {
  const max = Math.max(1, ...values);
  const n = Math.max(2, values.length);
  const pts = values.map((v, i) => (i * 600 / (n - 1)).toFixed(1) + "," + (116 - v / max * 108).toFixed(1)).join(" ");
  $(id).innerHTML = '<text x="4" y="12" font-size="11" fill="#687086">max ' + fmt(max) + "</text>" +
    (values.length ? '<polyline fill="none" stroke="' + color + '" stroke-width="2" points="' + pts + '"/>' : "");
}
function incident(e) {
  switch (e.type) {
    case "task:retried": return '<span class="warn">retry</span> ' + esc(e.name) + " #" + e.key + " (attempt " + e.attempt + ", worker " + esc(e.lostWorker) + " lost)";
    case "task:finished": return '<span class="bad">failed</span> ' + esc(e.name) + " #" + e.key + " on " + esc(e.worker);
    case "worker:lost": return '<span class="bad">lost</span> worker ' + esc(e.worker.id) + " (" + esc(e.worker.host) + ", pid " + e.worker.pid + "): " + e.requeued + " requeued, " + e.failed + " failed";
    case "task:cancelled": return "cancelled " + esc(e.name) + " #" + e.key;
    default: return esc(e.type);
  }
}
function draw({ snapshot: s, history: h }) {
  $("broker").textContent = "broker " + s.broker.slice(0, 8) + " · " + s.endpoints.join(", ") + " · up " + fmt(s.uptimeMs / 1000) + " s";
  const workers = s.workers.filter((w) => w.role !== "monitor");
  const last = h[h.length - 1];
  $("tasks-done").textContent = fmt(s.counters.delivered);
  $("tasks-rate").textContent = fmt(last ? last.tasksPerSec : 0);
  $("queued").textContent = fmt(s.queues.reduce((n, q) => n + q.queued, 0));
  $("running").textContent = fmt(workers.reduce((n, w) => n + w.running, 0));
  $("workers-count").textContent = fmt(workers.filter((w) => w.role !== "client").length);
  $("failed").textContent = fmt(s.counters.failed);
  $("retried").textContent = fmt(s.counters.retried);
  $("lost").textContent = fmt(s.counters.lost);
  chart("rate-chart", h.map((p) => p.tasksPerSec), "#3a6fd8");
  chart("queue-chart", h.map((p) => p.queued), "#d98a1c");
  rows("workers", workers, (w) => '<tr data-worker="' + esc(w.id) + '"><td>' + esc(w.id) + "</td><td>" + esc(w.role) + "</td><td>" + esc(w.host) +
    '</td><td class="num">' + w.pid + '</td><td class="state-' + w.state + '">' + w.state + '</td><td class="num">' + fmt(w.running) +
    '</td><td class="num">' + fmt(w.tasksRun) + '</td><td class="num">' + fmt(w.failed) + '</td><td class="num">' + (w.cpu == null ? "–" : w.cpu.toFixed(0)) +
    '</td><td class="num">' + (w.rssBytes == null ? "–" : fmt(w.rssBytes / 1048576)) + "</td></tr>", "no workers");
  rows("maps", s.maps, (m) => {
    const pct = m.total ? Math.min(100, m.done / m.total * 100) : 0;
    return "<tr><td>" + esc(m.name) + " <small>" + esc(m.id) + '</small></td><td><div class="bar"><i style="width:' + pct.toFixed(1) + '%"></i></div></td><td class="num">' +
      fmt(m.done) + "/" + (m.total == null ? "?" : fmt(m.total)) + '</td><td class="num">' + fmt(m.failed) + '</td><td class="num">' + fmt(m.retried) + "</td></tr>";
  }, "no map running");
  rows("incidents", (s.incidents || []).slice().reverse(), (e) => "<tr><td>" + time(e.at) + "</td><td>" + incident(e) + "</td></tr>", "none");
  rows("queues", s.queues, (q) => "<tr><td>" + esc(q.name) + '</td><td class="num">' + fmt(q.queued) + "</td></tr>", "empty");
  rows("constants", s.constants, (c) => "<tr><td>" + esc(c.name) + "</td><td><small>" + esc(c.app) + '</small></td><td class="num">' + bytes(c.bytes) + "</td></tr>", "none");
}
const token = new URLSearchParams(location.search).get("token");
const source = new EventSource("events" + (token ? "?token=" + encodeURIComponent(token) : ""));
source.addEventListener("snapshot", (m) => { $("live").className = "on"; $("live").textContent = "live"; draw(JSON.parse(m.data)); });
source.onerror = () => { $("live").className = ""; $("live").textContent = "reconnecting…"; };
</script>
</body>
</html>
`;
