export { Broker, startBroker } from "./broker.js";
export type { BrokerEvents, BrokerState, BrokerStats, PeerInfo } from "./broker.js";
export { BROKER_DEFAULTS, resolveBrokerOptions } from "./options.js";
export type { BrokerOptions, ResolvedBrokerOptions } from "./options.js";
export { main } from "./main.js";
