export { Broker, startBroker } from "./broker.js";
export type { BrokerEvents, BrokerState, BrokerStats, PeerInfo } from "./broker.js";
export { BROKER_DEFAULTS, resolveBrokerOptions, isLoopbackEndpoint, isZ85Key } from "./options.js";
export type { BrokerOptions, BrokerCurveOptions, ResolvedBrokerOptions } from "./options.js";
export { writeBrokerKeys, readBrokerKeys, readPublicKeys } from "./keys.js";
export type { KeyPair, BrokerKeyFiles } from "./keys.js";
export { main } from "./main.js";
