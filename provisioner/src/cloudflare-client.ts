/**
 * The one way the provisioner talks to Cloudflare (or the local platform): the official SDK with
 * its own retries turned off and a fetch of ours underneath that
 *   1. takes a permit from ONE account-wide token bucket before every attempt, and
 *   2. retries 429, 5xx and network errors with exponential backoff and jitter, honouring
 *      `Retry-After`, for a bounded number of attempts.
 * Doing this below the SDK means every call - typed methods and raw `client.get/post` alike -
 * is limited and retried the same way.
 */
import Cloudflare from "cloudflare";
import { abortableSleep, CLOUDFLARE_RATE_LIMIT, TokenBucket } from "./token-bucket.ts";

export interface RetryPolicy {
  /** Attempts per call, the first included. 1 disables retries. */
  maxAttempts: number;
  /** First backoff; doubles per attempt. */
  baseDelayMs: number;
  /** Longest backoff between two attempts when the server gives no Retry-After. */
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails (and is safe to re-run). */
  maxRetryAfterMs: number;
  /** Time limit of one attempt; a timed-out attempt counts as a network error. */
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  // Cloudflare blocks an account for 5 minutes once the rate limit is exceeded.
  maxRetryAfterMs: 300_000,
  attemptTimeoutMs: 60_000,
};

/** One retry about to happen; the CLI prints these so a long wait is never silent. */
export interface RetryEvent {
  method: string;
  url: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  maxAttempts: number;
  /** "429", "503", "network error: ..." */
  reason: string;
  delayMs: number;
}

export interface RetryingFetchOptions extends Partial<RetryPolicy> {
  /** The account-wide limiter; every attempt takes one permit. */
  rateLimiter: TokenBucket;
  /** The fetch to wrap (default: global fetch). */
  fetch?: typeof globalThis.fetch;
  /** Random source in [0, 1) for jitter; injectable for tests. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onRetry?: (event: RetryEvent) => void;
}

type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Parse `Retry-After` (delay in seconds, or an HTTP date) into milliseconds.
 *
 * @example
 *   parseRetryAfter("2") // 2000
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A body that can be sent again: anything but a one-shot stream. */
function isReplayable(body: RequestInit["body"]): boolean {
  return body === undefined || body === null || !(body instanceof ReadableStream);
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * Wrap fetch with the rate limiter and retry policy.
 *
 * @example
 *   const fetch = createRetryingFetch({ rateLimiter: new TokenBucket(CLOUDFLARE_RATE_LIMIT), maxAttempts: 5 });
 *   const res = await fetch("http://127.0.0.1:8788/client/v4/accounts");
 */
export function createRetryingFetch(options: RetryingFetchOptions): FetchFn {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...definedOnly(options) };
  const innerFetch: FetchFn = options.fetch ?? globalThis.fetch;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? abortableSleep;

  const retryingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    // Not an API call (the SDK probes FormData support with a data: URL): no permit, no retry.
    if (!/^https?:/i.test(url)) return innerFetch(input, init);

    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const outerSignal = init?.signal ?? undefined;
    const maxAttempts = isReplayable(init?.body) ? Math.max(1, policy.maxAttempts) : 1;

    for (let attempt = 1; ; attempt++) {
      await options.rateLimiter.take(outerSignal);
      const attemptSignal = AbortSignal.timeout(policy.attemptTimeoutMs);
      const signal = outerSignal ? AbortSignal.any([outerSignal, attemptSignal]) : attemptSignal;

      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await innerFetch(input, { ...init, signal });
      } catch (error) {
        // The caller gave up (SDK timeout or user abort): never retry that.
        if (outerSignal?.aborted) throw error;
        failure = error;
      }

      if (response !== undefined && !isRetryableStatus(response.status)) return response;
      if (attempt >= maxAttempts) {
        if (response !== undefined) return response;
        throw failure;
      }

      let delayMs: number;
      let reason: string;
      if (response !== undefined) {
        reason = String(response.status);
        const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
        if (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs) return response;
        // Honour the server's wait, plus a little jitter so parallel callers do not return in lockstep.
        delayMs = retryAfter !== undefined ? retryAfter + Math.floor(random() * 100) : backoff(attempt);
        // We will not read this body; release the connection.
        await response.body?.cancel().catch(() => undefined);
      } else {
        reason = `network error: ${describe(failure)}`;
        delayMs = backoff(attempt);
      }
      options.onRetry?.({ method, url, attempt, maxAttempts, reason, delayMs });
      await sleep(delayMs, outerSignal);
    }
  };

  /** Exponential backoff with "equal jitter": half fixed, half random, capped. */
  function backoff(attempt: number): number {
    const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(exponential / 2 + random() * (exponential / 2));
  }

  // The SDK checks `fetch.Response` to learn how FormData is encoded; giving it one spares a probe call.
  return Object.assign(retryingFetch, { Response });
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}

function definedOnly(options: RetryingFetchOptions): Partial<RetryPolicy> {
  const out: Partial<RetryPolicy> = {};
  for (const key of ["maxAttempts", "baseDelayMs", "maxDelayMs", "maxRetryAfterMs", "attemptTimeoutMs"] as const) {
    const value = options[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export interface CloudflareClientOptions {
  /** API base, e.g. https://api.cloudflare.com/client/v4 or http://127.0.0.1:8788/client/v4. */
  baseURL: string;
  apiToken: string;
  /**
   * The account-wide limiter. Create ONE client per account and share it, or pass the same
   * bucket to every client of the account; default: a new bucket at Cloudflare's limit.
   */
  rateLimiter?: TokenBucket;
  retry?: Partial<RetryPolicy>;
  onRetry?: (event: RetryEvent) => void;
  /** The fetch under the limiter and retries (tests). */
  fetch?: typeof globalThis.fetch;
}

/**
 * Build the SDK client every provisioner call goes through.
 *
 * @example
 *   const client = createCloudflareClient({ baseURL: "http://127.0.0.1:8788/client/v4", apiToken: "local" });
 *   const accounts = await client.accounts.list();
 */
export function createCloudflareClient(options: CloudflareClientOptions): Cloudflare {
  const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const fetch = createRetryingFetch({
    ...retry,
    rateLimiter: options.rateLimiter ?? new TokenBucket(CLOUDFLARE_RATE_LIMIT),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
  return new Cloudflare({
    apiToken: options.apiToken,
    // Explicit nulls: stray CLOUDFLARE_API_KEY / CLOUDFLARE_EMAIL in the environment must not
    // add a second auth scheme the target did not ask for.
    apiKey: null,
    apiEmail: null,
    userServiceKey: null,
    baseURL: options.baseURL,
    // Retries happen in our fetch, under the rate limiter; SDK retries would bypass it.
    maxRetries: 0,
    // The SDK's timeout spans all our attempts and waits (Retry-After can be minutes).
    timeout: retry.maxAttempts * (retry.attemptTimeoutMs + retry.maxRetryAfterMs),
    fetch,
  });
}

/** A page the SDK returns from list calls (`V4PagePaginationArray`, `SinglePage`, cursor pages). */
interface AnyPage<T> {
  getPaginatedItems(): T[];
  hasNextPage(): boolean;
  getNextPage(): Promise<AnyPage<T>>;
  result_info?: { page?: number; total_pages?: number; per_page?: number; count?: number } | unknown;
}

/**
 * Collect every item of a paginated list, stopping as soon as the API says there is no next page
 * (the SDK's iterator would ask for one more, empty page - a wasted call under the rate limit).
 *
 * @example
 *   const all = await collectAll(client.kv.namespaces.list({ account_id, per_page: 100 }));
 */
export async function collectAll<T>(first: PromiseLike<AnyPage<T>>, stopWhen?: (item: T) => boolean): Promise<T[]> {
  const items: T[] = [];
  let page: AnyPage<T> = await first;
  for (;;) {
    const pageItems = page.getPaginatedItems();
    items.push(...pageItems);
    if (stopWhen && pageItems.some(stopWhen)) return items;
    const info = page.result_info as
      | { page?: number; total_pages?: number; per_page?: number; count?: number }
      | undefined;
    if (
      info &&
      typeof info.page === "number" &&
      typeof info.total_pages === "number" &&
      info.page >= info.total_pages
    ) {
      return items;
    }
    if (info && typeof info.per_page === "number" && pageItems.length < info.per_page) return items;
    if (!page.hasNextPage()) return items;
    page = await page.getNextPage();
  }
}
