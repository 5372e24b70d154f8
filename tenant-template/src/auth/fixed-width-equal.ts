/**
 * A constant-time comparison of a presented secret with a known one that needs no hashing: both
 * are written into buffers of the same fixed width, and every byte of the width is compared, the
 * lengths too, without branching on either. So the time taken depends on neither secret's content
 * nor length (up to the width; a longer presented value is simply unequal).
 */

/** A known secret, ready for `fixedWidthEqual`. */
export interface PaddedSecret {
  readonly bytes: Uint8Array;
  readonly length: number;
}

/** Wide enough for an API key (at most 165 characters) and a dispatch proof. */
export const SECRET_WIDTH = 256;

/**
 * The secret as `fixedWidthEqual` compares it; null when it is wider than `SECRET_WIDTH` (the
 * caller compares it another way).
 *
 * @example
 *   const expected = paddedSecret(env.DISPATCH_PROOF);
 */
export function paddedSecret(secret: string): PaddedSecret | null {
  const encoded = new TextEncoder().encode(secret);
  if (encoded.length > SECRET_WIDTH) return null;
  const bytes = new Uint8Array(SECRET_WIDTH);
  bytes.set(encoded);
  return { bytes, length: encoded.length };
}

/** workerd's native constant-time comparison; undefined elsewhere (Node), where a loop does it. */
const timingSafeEqual = (
  crypto.subtle as typeof crypto.subtle & { timingSafeEqual?: (a: ArrayBufferView, b: ArrayBufferView) => boolean }
).timingSafeEqual?.bind(crypto.subtle);

const encoder = new TextEncoder();
// The presented value's bytes: one buffer, filled afresh by each (synchronous) comparison.
const scratch = new Uint8Array(SECRET_WIDTH);

/**
 * True when `presented` is exactly the padded secret.
 *
 * @example
 *   fixedWidthEqual(request.headers.get("x-wfp-proof") ?? "", expected) // true or false, in the same time
 */
export function fixedWidthEqual(presented: string, expected: PaddedSecret): boolean {
  scratch.fill(0);
  const { read, written } = encoder.encodeInto(presented, scratch);
  let difference = (written ^ expected.length) | (read < presented.length ? 1 : 0);
  if (timingSafeEqual !== undefined) difference |= timingSafeEqual(scratch, expected.bytes) ? 0 : 1;
  else for (let index = 0; index < SECRET_WIDTH; index += 1) difference |= scratch[index]! ^ expected.bytes[index]!;
  return difference === 0;
}
