import type { DeliveredOutcome } from "@scoop/protocol";

/**
 * Outcomes waiting to be delivered to one owner. They are batched and flushed
 * once per pump as a single DELIVER, so a burst of results costs one message.
 */
export class Outbox {
  private results: DeliveredOutcome[] = [];
  private frames: Buffer[] = [];

  /** Queue one outcome and its frames. */
  push(outcome: DeliveredOutcome, frames: readonly Buffer[]): void {
    this.results.push(outcome);
    for (const f of frames) this.frames.push(f);
  }

  /** Everything queued so far (and empty the box), or undefined when there is nothing. */
  take(): { results: DeliveredOutcome[]; frames: Buffer[] } | undefined {
    if (this.results.length === 0) return undefined;
    const batch = { results: this.results, frames: this.frames };
    this.results = [];
    this.frames = [];
    return batch;
  }
}
