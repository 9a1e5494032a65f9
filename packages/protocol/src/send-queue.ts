/**
 * zeromq.js allows one send in progress per socket: a second `send()` while
 * the first waits (peer not connected yet, pipe full) throws EBUSY. Every
 * SCOOP socket sends through a SendQueue, so messages wait their turn, in
 * order, instead of throwing.
 */

/** Frames of one multipart message. */
export type Frames = readonly Uint8Array[];

/** Sends multipart messages one after the other through `sendNow`. */
export class SendQueue {
  private readonly queue: Frames[] = [];
  private head = 0;
  private busy = false;
  private idleWaiters: Array<() => void> = [];

  /**
   * @param sendNow the socket's send (e.g. `(f) => socket.send(f)`)
   * @param onError called with a failed send's error; the queue goes on
   */
  constructor(
    private readonly sendNow: (frames: Frames) => Promise<void>,
    private readonly onError: (error: unknown, frames: Frames) => void,
  ) {}

  /** Messages waiting for an earlier send to finish. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Send now if the socket is free, else after the messages before it. */
  send(frames: Frames): void {
    if (this.busy) this.queue.push(frames);
    else this.start(frames);
  }

  /** Resolves once every queued message has been handed to the socket. */
  flushed(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drop the messages still waiting (the socket is closing). */
  clear(): void {
    this.queue.length = 0;
    this.head = 0;
  }

  private start(frames: Frames): void {
    // A loop, not recursion: a socket that throws at once (closed) must not
    // overflow the stack when thousands of messages wait.
    for (;;) {
      this.busy = true;
      let sending: Promise<void>;
      try {
        sending = this.sendNow(frames);
      } catch (error) {
        this.onError(error, frames);
        const following = this.take();
        if (following === undefined) return;
        frames = following;
        continue;
      }
      const sent = frames;
      sending.then(
        () => this.next(),
        (error: unknown) => {
          this.onError(error, sent);
          this.next();
        },
      );
      return;
    }
  }

  private next(): void {
    const frames = this.take();
    if (frames !== undefined) this.start(frames);
  }

  /** The next waiting message; when none waits, mark idle and wake `flushed()` waiters. */
  private take(): Frames | undefined {
    this.busy = false;
    if (this.head >= this.queue.length) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
      return undefined;
    }
    const frames = this.queue[this.head++];
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    return frames;
  }
}
