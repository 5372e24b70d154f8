/**
 * How a webhook delivery is signed, and how a receiver checks it (docs/webhooks.md). The scheme is
 * Standard Webhooks' (standardwebhooks.com), so receivers can use its libraries in any language:
 *
 * - `webhook-id`: the event id, the same on every attempt (a receiver dedupes by it);
 * - `webhook-timestamp`: the attempt's time, in Unix seconds;
 * - `webhook-signature`: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the
 *   secret's bytes (the base64 after `whsec_`).
 *
 * The timestamp is signed, so a receiver that refuses timestamps more than five minutes from its
 * clock refuses a replayed delivery. Web Crypto only: the tenant Worker signs with it, and tests
 * and Node receivers verify with the same code.
 */

export const WEBHOOK_ID_HEADER = "webhook-id";
export const WEBHOOK_TIMESTAMP_HEADER = "webhook-timestamp";
export const WEBHOOK_SIGNATURE_HEADER = "webhook-signature";

/** What a receiver should accept between its clock and a delivery's timestamp. */
export const REPLAY_TOLERANCE_SECONDS = 5 * 60;

const SECRET_PREFIX = "whsec_";
/** 24 random bytes: 192 bits, as Standard Webhooks' own secrets. */
const SECRET_BYTES = 24;

/**
 * A new secret, `whsec_` and base64.
 *
 * @example
 *   generateWebhookSecret() // "whsec_q0mYk2..."
 */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

/**
 * The signature headers of one attempt: one `v1,` signature per secret, space-separated, as
 * Standard Webhooks lists them while a secret is rotated (the new one first, then the previous).
 *
 * @example
 *   const headers = await signWebhook([secret], "evt_01", Math.floor(Date.now() / 1000), body);
 *   // { "webhook-id": "evt_01", "webhook-timestamp": "1765100000", "webhook-signature": "v1,..." }
 */
export async function signWebhook(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<Record<string, string>> {
  const content = `${id}.${timestampSeconds}.${body}`;
  const signatures = await Promise.all(secrets.map(async (secret) => `v1,${await hmac(secret, content)}`));
  return {
    [WEBHOOK_ID_HEADER]: id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(timestampSeconds),
    [WEBHOOK_SIGNATURE_HEADER]: signatures.join(" "),
  };
}

/** Why a delivery was refused, or null when it is genuine and fresh. */
export type WebhookRefusal = "missing_headers" | "stale_timestamp" | "bad_signature";

/**
 * Checks a received delivery: its headers (any case), its body exactly as received, and the
 * receiver's clock. The signature header may list several `v1,` signatures (Standard Webhooks
 * allows it while a secret is rotated); one match is enough. Compared in constant time.
 *
 * @example
 *   const refusal = await verifyWebhook(secret, request.headers, await request.text());
 *   if (refusal !== null) return new Response(refusal, { status: 400 });
 */
export async function verifyWebhook(
  secret: string,
  headers: Headers | Record<string, string | string[] | undefined>,
  body: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<WebhookRefusal | null> {
  const get = (name: string): string | undefined => {
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = get(WEBHOOK_ID_HEADER);
  const timestamp = get(WEBHOOK_TIMESTAMP_HEADER);
  const signatures = get(WEBHOOK_SIGNATURE_HEADER);
  if (id === undefined || timestamp === undefined || signatures === undefined || !/^\d{1,12}$/.test(timestamp))
    return "missing_headers";
  if (Math.abs(nowSeconds - Number(timestamp)) > REPLAY_TOLERANCE_SECONDS) return "stale_timestamp";
  const expected = new TextEncoder().encode(await hmac(secret, `${id}.${timestamp}.${body}`));
  for (const candidate of signatures.split(" ")) {
    const [version, value] = candidate.split(",", 2);
    if (version !== "v1" || value === undefined) continue;
    if (constantTimeEqual(new TextEncoder().encode(value), expected)) return null;
  }
  return "bad_signature";
}

async function hmac(secret: string, content: string): Promise<string> {
  const raw = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = await crypto.subtle.importKey("raw", fromBase64(raw), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(content))));
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let difference = 0;
  for (let i = 0; i < a.byteLength; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
