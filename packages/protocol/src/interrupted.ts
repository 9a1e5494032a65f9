/**
 * Run `call` again while it fails with EINTR. A signal that lands while a
 * synchronous zeromq call waits inside libzmq (the CPU profiler's SIGPROF,
 * SIGCHLD of a task's child process) makes `socket.connect()` throw
 * "Interrupted system call"; zeromq.js retries its other calls itself, not
 * this one. Nothing happened yet when it throws, so trying again is safe.
 */
export function retryInterrupted<T>(call: () => T): T {
  for (;;) {
    try {
      return call();
    } catch (error) {
      if ((error as NodeJS.ErrnoException)?.code !== "EINTR") throw error;
    }
  }
}
