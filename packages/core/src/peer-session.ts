/**
 * One peer's session with a broker: the connection, the distributed executor
 * installed for it, and what happens when the broker is lost. Used by
 * `connect()` (apps) and by `@scoop/worker` (workers, the origin included).
 */
import { ScoopError, type ScoopErrorContext } from "@scoop/protocol";
import { BrokerConnection, type ConnectionOptions } from "./connection.js";
import { DistributedExecutor } from "./distributed-executor.js";
import type { DistributedExecutorOptions } from "./distributed-options.js";
import { getCodec, setExecutor } from "./runtime.js";

/** What else lives on a session's connection (the worker's task runner); stopped when the broker is lost. */
export interface SessionAttachment {
  stop(): void;
}

/** Options of {@link openPeerSession}. */
export interface PeerSessionOptions<A extends SessionAttachment | undefined> extends Omit<ConnectionOptions, "onBrokerLost"> {
  /** What the `SCOOP_BROKER_LOST` error says after "lost the broker at <endpoint>: <reason>; ". */
  lostAdvice: string;
  /**
   * When the broker dropped this peer (it heard nothing from it: the process was stopped or suspended) and that
   * is not the run's end (a worker other than the origin), what the error says instead; it is then logged as a
   * warning, not an error. @default the lost-the-broker message, logged as an error
   */
  droppedMessage?(reason: string): string;
  /** More context of that error (its `address` is the endpoint). */
  lostContext?: ScoopErrorContext;
  /** Options of the executor beyond its connection, codec and logger. */
  executor?: Omit<DistributedExecutorOptions, "connection" | "codec" | "logger">;
  /** Build what else lives on this connection, before the executor is installed. */
  attach?(connection: BrokerConnection, executor: DistributedExecutor): A;
  /** The broker was lost: the attachment is stopped and the executor has failed what was in flight. */
  onBrokerLost?(error: ScoopError): void;
}

/** A joined session; call `connection.ready()` once every handler is in place. */
export interface PeerSession<A> {
  readonly connection: BrokerConnection;
  readonly executor: DistributedExecutor;
  readonly attached: A;
}

/**
 * Join a broker, build this peer's executor (and attachment) on the
 * connection and install the executor for the `futures` API.
 * @throws {ScoopError} what {@link BrokerConnection.open} throws.
 */
export async function openPeerSession<A extends SessionAttachment | undefined = undefined>(options: PeerSessionOptions<A>): Promise<PeerSession<A>> {
  const { lostAdvice, droppedMessage, lostContext, executor: executorOptions, attach, onBrokerLost, ...connectionOptions } = options;
  const log = options.logger;
  let executor: DistributedExecutor | undefined;
  let attached: A | undefined;
  const connection = await BrokerConnection.open({
    ...connectionOptions,
    onBrokerLost(silentMs, reason, dropped) {
      const droppedNote = dropped ? droppedMessage?.(reason) : undefined;
      const error = new ScoopError("SCOOP_BROKER_LOST", droppedNote ?? `lost the broker at ${options.endpoint}: ${reason}; ${lostAdvice}`, { address: options.endpoint, ...lostContext });
      if (droppedNote !== undefined) log.warn({ silentMs }, error.message);
      else log.error({ silentMs }, error.message);
      attached?.stop();
      executor?.failAll(error);
      onBrokerLost?.(error);
    },
  });
  executor = new DistributedExecutor({ connection, codec: getCodec(), logger: log, ...executorOptions });
  attached = attach?.(connection, executor);
  setExecutor(executor);
  return { connection, executor, attached: attached as A };
}
