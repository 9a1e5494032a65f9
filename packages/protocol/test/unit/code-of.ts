import { decodeMessage } from "../../src/messages.js";
import { ProtocolError } from "../../src/errors.js";

/** The ProtocolError code `decodeMessage` rejects `frames` with (fails the test if it accepts them). */
export function codeOf(frames: Buffer[]): string {
  try {
    decodeMessage(frames);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return (error as ProtocolError).code;
  }
  throw new Error("decodeMessage accepted the frames");
}
