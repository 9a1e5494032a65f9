/** The options of a distributed executor (distributed-executor.ts). */
import type { Codec } from "@scoop/protocol";
import type { Logger } from "pino";
import type { BrokerConnection } from "./connection.js";

/** Options of a {@link DistributedExecutor}. */
export interface DistributedExecutorOptions {
  connection: BrokerConnection;
  codec: Codec;
  logger: Logger;
  /** Task names registered in this process (advertised to the broker before submitting, if this peer runs tasks). */
  taskNames?: () => Iterable<string>;
  /**
   * Most tasks of this peer at the broker (queued or running) at once; more
   * wait here, already encoded, until results come back. Bounds the broker's
   * memory whatever a program submits. @default 65536
   */
  maxInFlight?: number;
  /**
   * Most argument bytes of this peer at the broker at once (one task always
   * goes, however big). Large payloads stream instead of piling up in the
   * broker's and the sockets' queues. @default 16 MiB
   */
  maxInFlightBytes?: number;
  /**
   * Work-first: hold a task submitted on its own in this process, run it here
   * if this process awaits it first (or idles), send it to the broker when
   * another worker idles. Tasks with a deadline and tasks this process cannot
   * run always go to the broker. @default true for the origin and workers
   * unless `SCOOP_WORK_FIRST=0` (set by `scoop --trace`: the trace then shows
   * every task); false for a client (a `connect()` app sends its tasks to the
   * cluster: its thread serves something else)
   */
  workFirst?: boolean;
  /** What `currentTask().workerId` says in tasks run here. @default the connection's id */
  workerId?: string;
}
