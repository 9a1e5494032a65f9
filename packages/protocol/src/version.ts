declare const __SCOOP_VERSION__: string | undefined;

/**
 * The version of the SCOOP packages (all five are released together with one
 * version number). Set at build time; `0.0.0-dev` when run from source.
 */
export const SCOOP_VERSION: string = typeof __SCOOP_VERSION__ === "string" ? __SCOOP_VERSION__ : "0.0.0-dev";
