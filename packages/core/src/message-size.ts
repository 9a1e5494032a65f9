/**
 * The broker drops the connection of a peer that sends a message part larger
 * than its limit (ZeroMQ's maxMessageSize), and the message is lost with it.
 * So whatever a peer sends is checked against the limit the broker announced
 * in WELCOME, where the user can still be told.
 */
import type { ScoopErrorOptions } from "@scoop/protocol";
import { MessageTooLargeError } from "./errors.js";

const MiB = 2 ** 20;
const size = (bytes: number) => (bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${bytes} bytes`);

/**
 * Throw {@link MessageTooLargeError} if a frame of `frames` is larger than
 * `limitBytes` (no limit when `undefined`). `what` names the payload, e.g.
 * `the arguments of task "sum"`. `storedLargest`: the largest buffer of the
 * payload kept in the run's payload store; it is held to the same limit, so
 * a program that runs on this machine alone also runs with workers elsewhere.
 */
export function checkMessageSize(frames: readonly Uint8Array[], limitBytes: number | undefined, what: string, options: ScoopErrorOptions = {}, storedLargest = 0): void {
  if (limitBytes === undefined) return;
  let largest = storedLargest;
  for (const frame of frames) if (frame.byteLength > largest) largest = frame.byteLength;
  if (largest > limitBytes) {
    throw new MessageTooLargeError(
      `${what}: ${size(largest)} once encoded, over the broker's limit of ${size(limitBytes)} per message part (maxMessageBytes). ` +
        "Send less per task (split the data, or share it once with shared.setConst and pass an index), or raise the limit " +
        "(scoop --max-message-bytes N, scoop-broker --max-message-bytes N, or startBroker({ maxMessageBytes }))",
      options,
    );
  }
}
