import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { NotFoundError, RateLimitError } from "cloudflare";
import { afterEach, describe, expect, it } from "vitest";
import { createCloudflareClient, parseRetryAfter, type RetryEvent } from "../../provisioner/src/cloudflare-client.ts";
import { apiCall, ApiCallError, formatApiError } from "../../provisioner/src/errors.ts";
import { TokenBucket } from "../../provisioner/src/token-bucket.ts";

interface Seen {
  method: string;
  url: string;
  body: string;
  contentType: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A scripted API: the nth request (1-based) is answered by the handler. */
async function startApi(handler: Handler): Promise<{ baseURL: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        body: Buffer.concat(chunks).toString("utf8"),
        contentType: req.headers["content-type"] ?? "",
      });
      handler(req, res, seen.length);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { baseURL: `http://127.0.0.1:${port}/client/v4`, seen };
}

function envelope(
  res: ServerResponse,
  status: number,
  result: unknown,
  headers: Record<string, string> = {},
  errors: unknown[] = [],
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(
    JSON.stringify({
      success: status < 400,
      errors,
      messages: [],
      result,
      result_info: { page: 1, per_page: 20, count: 1, total_count: 1, total_pages: 1 },
    }),
  );
}

const accounts = [{ id: "acc", name: "local" }];

function client(
  baseURL: string,
  extra: {
    maxAttempts?: number;
    maxRetryAfterMs?: number;
    onRetry?: (e: RetryEvent) => void;
    rateLimiter?: TokenBucket;
  } = {},
) {
  return createCloudflareClient({
    baseURL,
    apiToken: "test-token",
    retry: {
      baseDelayMs: 10,
      maxDelayMs: 50,
      ...(extra.maxAttempts ? { maxAttempts: extra.maxAttempts } : {}),
      ...(extra.maxRetryAfterMs ? { maxRetryAfterMs: extra.maxRetryAfterMs } : {}),
    },
    ...(extra.onRetry ? { onRetry: extra.onRetry } : {}),
    ...(extra.rateLimiter ? { rateLimiter: extra.rateLimiter } : {}),
  });
}

describe("createCloudflareClient retries", () => {
  it("waits out 429 Retry-After, then succeeds", async () => {
    const api = await startApi((_req, res, n) =>
      n === 1
        ? envelope(res, 429, null, { "retry-after": "1" }, [{ code: 10000, message: "rate limited" }])
        : envelope(res, 200, accounts),
    );
    const retries: RetryEvent[] = [];
    const started = performance.now();
    const page = await client(api.baseURL, { onRetry: (e) => retries.push(e) }).accounts.list();
    expect(page.getPaginatedItems()).toEqual(accounts);
    expect(api.seen).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(retries).toEqual([expect.objectContaining({ method: "GET", attempt: 1, maxAttempts: 5, reason: "429" })]);
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(1000);
  });

  it("retries 5xx with backoff", async () => {
    const api = await startApi((_req, res, n) => (n <= 2 ? envelope(res, 503, null) : envelope(res, 200, accounts)));
    const page = await client(api.baseURL).accounts.list();
    expect(page.getPaginatedItems()).toEqual(accounts);
    expect(api.seen).toHaveLength(3);
  });

  it("gives up after the bounded number of attempts with a formatted error", async () => {
    const api = await startApi((_req, res) =>
      envelope(res, 500, null, {}, [{ code: 10013, message: "internal trouble" }]),
    );
    const cf = client(api.baseURL, { maxAttempts: 3 });
    const failure = apiCall("listing", "accounts at", api.baseURL, () => cf.accounts.list());
    await expect(failure).rejects.toBeInstanceOf(ApiCallError);
    await expect(failure).rejects.toThrow(
      `Error 500 listing accounts at '${api.baseURL}': internal trouble [code 10013]`,
    );
    expect(api.seen).toHaveLength(3);
  });

  it("does not retry a 4xx", async () => {
    const api = await startApi((_req, res) => envelope(res, 404, null, {}, [{ code: 7404, message: "not found" }]));
    await expect(client(api.baseURL).accounts.list()).rejects.toBeInstanceOf(NotFoundError);
    expect(api.seen).toHaveLength(1);
  });

  it("does not wait for a Retry-After longer than allowed", async () => {
    const api = await startApi((_req, res) => envelope(res, 429, null, { "retry-after": "600" }));
    await expect(client(api.baseURL, { maxRetryAfterMs: 5_000 }).accounts.list()).rejects.toBeInstanceOf(
      RateLimitError,
    );
    expect(api.seen).toHaveLength(1);
  });

  it("retries network errors", async () => {
    const api = await startApi((req, res, n) => {
      if (n === 1) req.socket.destroy();
      else envelope(res, 200, accounts);
    });
    const page = await client(api.baseURL).accounts.list();
    expect(page.getPaginatedItems()).toEqual(accounts);
    expect(api.seen).toHaveLength(2);
  });

  it("sends a multipart body again, whole, on retry", async () => {
    const api = await startApi((_req, res, n) =>
      n === 1 ? envelope(res, 502, null) : envelope(res, 200, { id: "s" }),
    );
    const form = new FormData();
    form.append(
      "metadata",
      new Blob([JSON.stringify({ main_module: "index.js" })], { type: "application/json" }),
      "metadata.json",
    );
    form.append("index.js", new File(["export default {}"], "index.js", { type: "application/javascript+module" }));
    await client(api.baseURL).put("/accounts/a/workers/dispatch/namespaces/n/scripts/s", { body: form });
    expect(api.seen).toHaveLength(2);
    const [first, second] = api.seen.map((s) => s.body.replace(/-{2,}[\w-]+/g, "--boundary"));
    expect(second).toBe(first);
    expect(second).toContain('name="metadata"');
    expect(second).toContain("application/javascript+module");
  });

  it("takes one rate-limiter permit per attempt", async () => {
    const api = await startApi((_req, res, n) => (n === 1 ? envelope(res, 503, null) : envelope(res, 200, accounts)));
    const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 0.001 });
    await client(api.baseURL, { rateLimiter: bucket }).accounts.list();
    expect(Math.round(bucket.available())).toBe(8);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter("0")).toBe(0);
    expect(parseRetryAfter(new Date(61_000).toUTCString(), 1_000)).toBe(60_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

describe("formatApiError", () => {
  it("names the status, the action, the resource and Cloudflare's message", async () => {
    const api = await startApi((_req, res) =>
      envelope(res, 409, null, {}, [{ code: 7502, message: "A database with that name already exists" }]),
    );
    const error = await client(api.baseURL)
      .d1.database.create({ account_id: "acc", name: "wfp-tenant-acme" })
      .catch((e: unknown) => e);
    expect(formatApiError(error, "creating", "D1 database", "wfp-tenant-acme")).toBe(
      "Error 409 creating D1 database 'wfp-tenant-acme': A database with that name already exists [code 7502]",
    );
  });

  it("says when the API cannot be reached", async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const cf = createCloudflareClient({
      baseURL: `http://127.0.0.1:${port}/client/v4`,
      apiToken: "t",
      retry: { maxAttempts: 1 },
    });
    const error = await cf.accounts.list().catch((e: unknown) => e);
    expect(formatApiError(error, "listing", "accounts at", "x")).toMatch(
      /^Error listing accounts at 'x': could not reach the API \(.*ECONNREFUSED/,
    );
  });
});
