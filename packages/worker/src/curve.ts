/**
 * CURVE keys for workers: the broker's public key from a file or the command
 * line, an ephemeral client keypair, and secrets read as one JSON line from
 * standard input (how the launcher passes keys without putting them on a
 * command line or in a log).
 */
import { InvalidOptionError, ScoopError, curveClientOptions, isZ85Key, type CurveClientOptions } from "@scoop/protocol";

/**
 * Validate secrets given as JSON: `{"curveServerKey","curvePublicKey","curveSecretKey"}`
 * (the client keypair may be omitted: one is generated).
 * @throws {InvalidOptionError} naming the bad field, never echoing a secret.
 */
export function parseSecrets(line: string): CurveClientOptions {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new InvalidOptionError("--secrets-stdin: standard input must be one line of JSON: {\"curveServerKey\":\"…\",\"curvePublicKey\":\"…\",\"curveSecretKey\":\"…\"}");
  }
  const o = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  if (!isZ85Key(o.curveServerKey)) throw new InvalidOptionError("--secrets-stdin: curveServerKey must be the broker's z85 public key (40 characters)");
  if (o.curvePublicKey === undefined && o.curveSecretKey === undefined) return curveClientOptions(o.curveServerKey);
  if (!isZ85Key(o.curvePublicKey) || !isZ85Key(o.curveSecretKey)) throw new InvalidOptionError("--secrets-stdin: curvePublicKey and curveSecretKey must both be z85 keys (40 characters), or both be left out");
  return curveClientOptions(o.curveServerKey, { publicKey: o.curvePublicKey, secretKey: o.curveSecretKey });
}

/**
 * Read one line (up to 64 KiB) from a stream, e.g. standard input.
 * @throws {ScoopError} `SCOOP_NO_SECRETS` if nothing arrives within `timeoutMs` or the stream ends empty.
 */
export function readLine(stream: NodeJS.ReadableStream, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const finish = (error?: Error) => {
      clearTimeout(timer);
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
      (stream as NodeJS.ReadStream).pause?.();
      if (error) reject(error);
      else resolve(text.split(/\r?\n/)[0]);
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (text.includes("\n")) finish();
      else if (text.length > 65536) finish(new ScoopError("SCOOP_NO_SECRETS", "--secrets-stdin: the first line of standard input is longer than 64 KiB"));
    };
    const onEnd = () => (text.trim() === "" ? finish(new ScoopError("SCOOP_NO_SECRETS", "--secrets-stdin: standard input ended without a line of secrets")) : finish());
    const onError = (error: Error) => finish(error);
    const timer = setTimeout(() => finish(new ScoopError("SCOOP_NO_SECRETS", `--secrets-stdin: no line of secrets on standard input within ${timeoutMs} ms`)), timeoutMs);
    timer.unref?.();
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onError);
  });
}
