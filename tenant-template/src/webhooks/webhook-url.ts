/**
 * Which URLs a webhook may deliver to (docs/webhooks.md, "Where deliveries may go"). A registry
 * must not become a way to reach what only the platform can reach (SSRF), so a URL is refused
 * when it is not https, carries credentials, or names a loopback, private, link-local, shared,
 * multicast or reserved address, or a name only a local resolver answers (`localhost`,
 * `*.local`, `*.internal`, a single label). Checked when the webhook is registered and again
 * before every delivery. WHATWG URL parsing has already turned `http://2130706433/` and `0x7f.1`
 * into `127.0.0.1`, so every spelling of an address is checked as the address it is.
 *
 * The local platform runs a test's receiver on loopback over plain http, so there (and only
 * there: it sets WEBHOOK_ALLOW_LOOPBACK in the env of the Workers it runs) a loopback URL, http
 * or https, is allowed. Private addresses stay refused even then.
 */

/** Why a URL is refused, for the API's error detail. */
export type UrlRefusal = string;

/** What the env says; anything but "true" is Cloudflare's rule. */
export interface WebhookUrlPolicy {
  allowLoopback: boolean;
}

const MAX_URL_LENGTH = 2048;

/**
 * The policy a Worker's env sets: Cloudflare's, unless the local platform said otherwise.
 *
 * @example
 *   webhookUrlRefusal(url, webhookUrlPolicy(c.env))
 */
export function webhookUrlPolicy(env: { WEBHOOK_ALLOW_LOOPBACK?: string | undefined }): WebhookUrlPolicy {
  return { allowLoopback: env.WEBHOOK_ALLOW_LOOPBACK === "true" };
}

/**
 * The reason a webhook URL is refused, or null when deliveries may go there.
 *
 * @example
 *   webhookUrlRefusal("https://hooks.example.com/registry", { allowLoopback: false }) // null
 *   webhookUrlRefusal("http://10.0.0.5/hook", { allowLoopback: false }) // "must use https"
 */
export function webhookUrlRefusal(text: string, policy: WebhookUrlPolicy): UrlRefusal | null {
  if (text.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "must be an absolute URL, e.g. https://hooks.example.com/registry";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must use https";
  if (url.username !== "" || url.password !== "") return "must not carry credentials (user:password@)";
  const host = url.hostname.toLowerCase();
  const loopback = isLoopback(host);
  if (loopback && policy.allowLoopback) return null;
  if (url.protocol !== "https:") return "must use https";
  if (loopback) return "must not name a loopback address";
  const ipv4 = parseIpv4(host);
  if (ipv4 !== null) return publicIpv4(ipv4) ? null : "must not name a private, link-local or reserved address";
  if (host.startsWith("[")) {
    return publicIpv6(host.slice(1, -1)) ? null : "must not name a private, link-local or reserved address";
  }
  if (!host.includes(".") || /\.(local|localhost|internal|home\.arpa|lan)\.?$/.test(host))
    return "must name a public host (not a local name)";
  return null;
}

function isLoopback(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host === "[::1]") return true;
  const ipv4 = parseIpv4(host);
  return ipv4 !== null && ipv4[0] === 127;
}

/** Dotted quad (WHATWG has normalized every other IPv4 spelling to it), or null. */
function parseIpv4(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return null;
  const bytes = parts.map(Number);
  return bytes.every((b) => b <= 255) ? bytes : null;
}

function publicIpv4([a = 0, b = 0]: number[]): boolean {
  if (a === 0 || a === 10 || a === 127) return false; // "this network", private, loopback
  if (a === 100 && b >= 64 && b <= 127) return false; // shared address space (carrier NAT)
  if (a === 169 && b === 254) return false; // link-local, cloud metadata endpoints
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 192 && b === 0) return false; // IETF protocol assignments, documentation
  if (a === 198 && (b === 18 || b === 19)) return false; // benchmarking
  return a < 224; // multicast and reserved above
}

function publicIpv6(address: string): boolean {
  const lower = address.toLowerCase();
  if (lower === "::" || lower === "::1") return false;
  // IPv4-mapped and -translated forms carry an IPv4 address: judge that one. WHATWG writes the
  // mapped form as hex groups (`::ffff:7f00:1`).
  const mapped =
    /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower) ?? /^64:ff9b::([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (mapped !== null) {
    const high = Number.parseInt(mapped[1] ?? "0", 16);
    const low = Number.parseInt(mapped[2] ?? "0", 16);
    return publicIpv4([high >> 8, high & 255, low >> 8, low & 255]);
  }
  const first = Number.parseInt(lower.split(":")[0] || "0", 16);
  if ((first & 0xfe00) === 0xfc00) return false; // unique local fc00::/7
  if ((first & 0xffc0) === 0xfe80) return false; // link-local fe80::/10
  if ((first & 0xff00) === 0xff00) return false; // multicast
  if (lower.startsWith("2001:db8:") || lower.startsWith("::")) return false; // documentation, other embeddings
  return true;
}
