/** Inputs of a map: several (async) iterables, zipped into argument tuples. */
export type Inputs = Array<Iterable<unknown> | AsyncIterable<unknown>>;

/** How many tuples {@link zip} will give, when every input knows its size (arrays, typed arrays, Sets, Maps); else undefined. */
export function zipLength(inputs: Inputs): number | undefined {
  let n = Infinity;
  for (const input of inputs) {
    const size = Array.isArray(input) || ArrayBuffer.isView(input) ? (input as ArrayLike<unknown>).length : input instanceof Set || input instanceof Map ? input.size : undefined;
    if (size === undefined) return undefined;
    n = Math.min(n, size);
  }
  return Number.isFinite(n) ? n : undefined;
}

/** Zip several (async) iterables into argument tuples, stopping at the shortest, like SCOOP's map. */
export function zip(inputs: Inputs): { sync: Iterator<unknown[]> } | { async: AsyncIterator<unknown[]> } {
  if (inputs.every((i) => typeof (i as Iterable<unknown>)[Symbol.iterator] === "function")) {
    const its = inputs.map((i) => (i as Iterable<unknown>)[Symbol.iterator]());
    return {
      sync: {
        next() {
          const tuple: unknown[] = [];
          for (const it of its) {
            const r = it.next();
            if (r.done) return { done: true, value: undefined };
            tuple.push(r.value);
          }
          return { done: false, value: tuple };
        },
        return() {
          for (const it of its) it.return?.();
          return { done: true, value: undefined };
        },
      },
    };
  }
  const its = inputs.map((i) =>
    typeof (i as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function"
      ? (i as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (i as Iterable<unknown>)[Symbol.iterator](),
  );
  return {
    async: {
      async next() {
        const rs = await Promise.all(its.map((it) => it.next()));
        if (rs.some((r) => r.done)) return { done: true, value: undefined };
        return { done: false, value: rs.map((r) => r.value) };
      },
      async return() {
        await Promise.all(its.map((it) => it.return?.()));
        return { done: true, value: undefined };
      },
    },
  };
}

/**
 * The inputs of a map over `fn`: one (async) iterable per parameter, typed
 * by it, so `map(square, ["a"])` does not type-check when `square` takes a number.
 */
export type InputsFor<P extends readonly unknown[]> = { [K in keyof P]: Iterable<P[K]> | AsyncIterable<P[K]> };
