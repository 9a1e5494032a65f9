// Piscina's thread entry: Node's worker threads do not inherit tsx's loader,
// so register it here, then expose the TypeScript kernels.
import { register } from "tsx/esm/api";

register();
const tasks = await import("./piscina-tasks.ts");
export const { noop, sum, hits } = tasks;
