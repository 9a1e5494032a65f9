/**
 * Shared test helpers of the SCOOP repository (a private workspace package,
 * never published): tagged processes and the built bins, `waitUntil`, a fake
 * peer on a real ZeroMQ socket, and throwaway sshd, SLURM and network
 * namespaces for the system suites.
 */
export * from "./processes.js";
export * from "./fake-peer.js";
export * from "./sshd.js";
export * from "./slurm.js";
export * from "./netns.js";
export * from "./node-warnings.js";
export * from "./readme-defaults.js";
