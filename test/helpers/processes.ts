// Moved to the private workspace package packages/test-helpers: import "@scoop/test-helpers".
// This re-export only keeps tests written before the move working; delete it once nothing imports it.
export * from "../../packages/test-helpers/src/processes";
