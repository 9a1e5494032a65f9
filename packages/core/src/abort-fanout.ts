/**
 * Many futures following one AbortSignal with a single `abort` listener on
 * it: a caller's `signal` option shared by 100,000 calls would otherwise cost
 * a listener per call and print a MaxListenersExceededWarning from the 11th
 * on. Here the signal gets one listener that fans out to every follower still
 * waiting. (A task's own children follow its CancelScope, not its signal.)
 */

interface Fanout {
  readonly followers: Set<() => void>;
  readonly listener: () => void;
}

const fanouts = new WeakMap<AbortSignal, Fanout>();

/**
 * Call `onAbort` once when `signal` aborts (at once if it already has).
 * Returns the function that stops following (call it when the follower
 * settles): the signal's one listener goes once no one follows it.
 */
export function followAbort(signal: AbortSignal, onAbort: () => void): () => void {
  if (signal.aborted) {
    onAbort();
    return () => undefined;
  }
  let fanout = fanouts.get(signal);
  if (fanout === undefined) {
    const followers = new Set<() => void>();
    const listener = () => {
      fanouts.delete(signal);
      for (const follower of followers) follower();
      followers.clear();
    };
    fanout = { followers, listener };
    fanouts.set(signal, fanout);
    signal.addEventListener("abort", listener, { once: true });
  }
  // A wrapper of our own: the same callback may follow twice, each stops alone.
  const follower = () => onAbort();
  const { followers, listener } = fanout;
  followers.add(follower);
  return () => {
    if (!followers.delete(follower) || followers.size > 0) return;
    if (fanouts.get(signal)?.followers === followers) fanouts.delete(signal);
    signal.removeEventListener("abort", listener);
  };
}
