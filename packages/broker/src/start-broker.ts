import { Broker } from "./broker.js";
import { resolveBrokerOptions, type BrokerOptions } from "./options.js";

/**
 * Start a broker and resolve once it listens.
 *
 * ```ts
 * const broker = await startBroker({ bind: "tcp://127.0.0.1:*" });
 * console.log(broker.endpoint); // tcp://127.0.0.1:41234
 * await broker.close();
 * ```
 */
export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const broker = new Broker(resolveBrokerOptions(options));
  try {
    await broker.bind();
  } catch (error) {
    await broker.close();
    throw error;
  }
  return broker;
}
