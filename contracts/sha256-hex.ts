/**
 * Lower-case hex sha-256, with Web Crypto so the same code runs in workerd and in Node: the
 * tenant Worker and the operator CLI must produce the same digest of the same key or document.
 */

/**
 * The lower-case hex sha-256 of a string (as UTF-8) or of bytes.
 *
 * @example
 *   await sha256Hex("abc") // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 */
export async function sha256Hex(input: string | Uint8Array): Promise<string> {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
