/**
 * Exit codes a worker process ends with that mean something to whoever
 * started it (the launcher), beyond the program's own.
 */

/** The worker left on purpose after its task or memory limit: start a fresh one in its place. */
export const EXIT_RECYCLED = 75;
