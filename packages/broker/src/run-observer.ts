/**
 * What the broker knows about the run beyond routing: map progress, each
 * worker's tasks, CPU and memory, the latest incidents, and the event stream
 * built from the broker's hooks. The broker calls the per-task hooks only
 * while someone listens (`hot`), so a run nobody watches pays one branch per
 * task; map counters and incidents are kept always (a few increments).
 */
import {
  CHUNK_PREFIX,
  MAX_INCIDENTS,
  type MapSummary,
  type PeerSummary,
  type ScoopEvent,
  type ScoopEventType,
} from "@scoop/protocol";

/** The name events show: a chunk (`scoop:chunk:<task>`) is shown as the task whose calls it carries. */
export function taskLabel(name: string): string {
  return name.startsWith(CHUNK_PREFIX) ? name.slice(CHUNK_PREFIX.length) : name;
}

/** Counters of a running map. */
export interface MapState extends MapSummary {
  /** Last time a progress event was published. @internal */
  publishedAt: number;
  /** The owner's id for it. @internal */
  localId: number;
  /** Owner task ids of its items that failed: one submitted again is a retry (`retryOnError`), not a new item. @internal */
  failedIds?: Set<number>;
}

/** What the observer needs of a task. */
export interface ObservedTask {
  readonly key: number;
  /** The owner's id for it (a retry by the owner comes back with the same id). */
  readonly ownerTaskId: number;
  readonly name: string;
  readonly attempt: number;
  /** The map it belongs to, if any. */
  map?: MapState;
  /** Calls of the map it carries (a chunk). @default 1 */
  calls?: number;
  /** When its current attempt was dispatched (set while observed). */
  startedAt?: number;
}

/** Per-worker figures kept beside the broker's peer record. */
export interface WorkerFigures {
  tasksRun: number;
  failed: number;
  cpu?: number;
  rssBytes?: number;
  joinedAt: number;
}

/** Most finished maps kept listed (so views can show their last state). */
const FINISHED_MAPS_KEPT = 20;
/** A map's progress is published at most this often (and when it completes). */
const PROGRESS_EVERY_MS = 250;

const now = () => performance.timeOrigin + performance.now();

/** The broker's run observer. */
export class RunObserver {
  /** True while someone listens to per-task events: the broker calls the task hooks only then. */
  hot = false;
  readonly maps = new Map<string, MapState>();
  readonly incidents: ScoopEvent[] = [];
  readonly counters = { failed: 0, cancelled: 0, lost: 0 };
  /** The map of the last submitted map task. */
  private last?: MapState;

  constructor(private readonly publish: (event: ScoopEvent) => void) {}

  /** Find or start the map a submitted task (the owner's `taskId`, carrying `calls` of the map's calls) belongs to, and count it. */
  mapOf(owner: string, id: number, name: string, total: number | undefined, taskId: number, calls = 1): MapState {
    // A map's tasks come in runs: most lookups are the previous task's map.
    let map = this.last;
    if (map === undefined || map.localId !== id || map.owner !== owner || total !== undefined) {
      const mapId = `${owner}/${id}`;
      map = this.maps.get(mapId);
      if (map === undefined) {
        this.maps.set(mapId, (map = { id: mapId, localId: id, name, owner, total, submitted: 0, done: 0, failed: 0, retried: 0, startedAt: now(), publishedAt: 0 }));
      } else if (total !== undefined) map.total = total;
      this.last = map;
    }
    if (map.failedIds?.delete(taskId)) {
      // The owner tries a failed item again (retryOnError): it is no longer settled.
      map.done--;
      map.failed--;
      map.retried++;
      map.finishedAt = undefined;
    } else map.submitted += calls;
    return map;
  }

  queued(task: ObservedTask, owner: string, bytes: number, parent: number | undefined): void {
    const event: ScoopEvent = { type: "task:queued", at: now(), key: task.key, name: taskLabel(task.name), owner, bytes };
    if (parent !== undefined) event.parent = parent;
    if (task.map) event.map = task.map.id;
    this.publish(event);
  }

  started(task: ObservedTask, worker: string): void {
    task.startedAt = now();
    this.publish({ type: "task:started", at: task.startedAt, key: task.key, name: taskLabel(task.name), worker, attempt: task.attempt });
  }

  /** A task's outcome came back (or it failed at the broker). Always called: counts maps and failures. */
  finished(task: ObservedTask, worker: string, figures: WorkerFigures | undefined, ok: boolean): void {
    if (figures) {
      figures.tasksRun++;
      if (!ok) figures.failed++;
    }
    const map = task.map;
    if (map) {
      map.done += task.calls ?? 1;
      if (!ok) {
        map.failed += task.calls ?? 1;
        (map.failedIds ??= new Set()).add(task.ownerTaskId);
      }
    }
    if (!ok) this.counters.failed++;
    if (this.hot || !ok) {
      const at = now();
      const event: ScoopEvent = { type: "task:finished", at, key: task.key, name: taskLabel(task.name), worker, attempt: task.attempt, ok, ms: task.startedAt === undefined ? 0 : at - task.startedAt };
      if (map) event.map = map.id;
      if (!ok) this.incident(event);
      if (this.hot) this.publish(event);
    }
    if (map) this.progress(map);
  }

  retried(task: ObservedTask, lostWorker: string): void {
    if (task.map) task.map.retried++;
    const event: ScoopEvent = { type: "task:retried", at: now(), key: task.key, name: taskLabel(task.name), attempt: task.attempt, lostWorker };
    if (task.map) event.map = task.map.id;
    this.incident(event);
    this.publish(event);
  }

  cancelled(task: ObservedTask): void {
    this.counters.cancelled++;
    const event: ScoopEvent = { type: "task:cancelled", at: now(), key: task.key, name: taskLabel(task.name) };
    if (task.map) event.map = task.map.id;
    this.incident(event);
    this.publish(event);
    if (task.map) {
      // Settled for the map's count, so a map cancelled midway completes.
      task.map.done += task.calls ?? 1;
      this.progress(task.map);
    }
  }

  joined(worker: PeerSummary): void {
    this.publish({ type: "worker:joined", at: now(), worker });
  }

  gone(worker: PeerSummary, how: "left" | "recycled" | "lost", requeued: number, failed: number): void {
    const event: ScoopEvent = { type: `worker:${how}`, at: now(), worker, requeued, failed };
    if (how === "lost") {
      this.counters.lost++;
      this.incident(event);
    }
    this.publish(event);
  }

  /** A worker's heartbeat carried its CPU and memory. */
  stats(worker: string, figures: WorkerFigures, cpu: number, rssBytes: number): void {
    figures.cpu = cpu;
    figures.rssBytes = rssBytes;
    if (this.hot) this.publish({ type: "worker:stats", at: now(), worker, cpu, rssBytes });
  }

  /** Maps running and recently finished, as plain summaries. */
  mapList(): MapSummary[] {
    return [...this.maps.values()].map(summaryOf);
  }

  /** An owner left: its unfinished maps end there (and are dropped like finished ones, oldest first). */
  ownerLeft(owner: string): void {
    for (const map of this.maps.values()) if (map.owner === owner && map.finishedAt === undefined) map.finishedAt = now();
    this.prune();
  }

  private progress(map: MapState): void {
    const complete = map.total !== undefined && map.done >= map.total;
    if (complete) {
      map.finishedAt = now();
      this.prune();
    }
    if (!this.hot) return;
    const at = now();
    if (!complete && at - map.publishedAt < PROGRESS_EVERY_MS) return;
    map.publishedAt = at;
    this.publish({ type: "map:progress", at, map: summaryOf(map) });
  }

  /** Keep a few finished maps listed, dropping the oldest. */
  private prune(): void {
    const finished = [...this.maps.values()].filter((m) => m.finishedAt !== undefined);
    for (const old of finished.slice(0, Math.max(0, finished.length - FINISHED_MAPS_KEPT))) {
      this.maps.delete(old.id);
      if (this.last === old) this.last = undefined;
    }
  }

  private incident(event: ScoopEvent): void {
    this.incidents.push(event);
    if (this.incidents.length > MAX_INCIDENTS) this.incidents.splice(0, this.incidents.length - MAX_INCIDENTS);
  }
}

/** A map as views see it (without the broker's bookkeeping). */
function summaryOf({ publishedAt: _, localId: __, failedIds: ___, ...summary }: MapState): MapSummary {
  return summary;
}

/** Event types that come once per task (or more): listening to them makes the observer hot. */
export const PER_TASK_EVENTS: ReadonlySet<ScoopEventType | "event"> = new Set(["event", "task:queued", "task:started", "task:finished", "map:progress", "worker:stats"]);
