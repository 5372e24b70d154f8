/**
 * A fetch that records every API answer it passes on: what the SDK contract test
 * (tests/local-platform/sdk-contract.test.ts) checks against the `cloudflare` SDK's types.
 */

/** One answer of the API, as the SDK received it. */
export interface RecordedCall {
  method: string;
  /** The path below the API base (`/accounts/…`), without the query. */
  path: string;
  /** The query string, `?…` or empty; for messages only. */
  query: string;
  status: number;
  contentType: string;
  body: string;
}

/**
 * Wrap fetch so that each call's answer is kept, read from a clone so the caller gets it intact.
 * `apiBasePath` is cut from every path (`/client/v4`).
 *
 * @example
 *   const recorder = recordApiCalls("/client/v4");
 *   const client = createCloudflareClient({ baseURL, apiToken, fetch: recorder.fetch });
 *   // ... run the provisioner ...
 *   recorder.calls // [{ method: "GET", path: "/accounts", status: 200, ... }]
 */
export function recordApiCalls(apiBasePath: string, inner: typeof fetch = fetch) {
  const calls: RecordedCall[] = [];
  const recording = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const response = await inner(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    // Not an API call (the SDK may probe FormData support with a data: URL).
    if (!/^https?:$/.test(url.protocol)) return response;
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const path = url.pathname.startsWith(apiBasePath) ? url.pathname.slice(apiBasePath.length) : url.pathname;
    calls.push({
      method,
      path,
      query: url.search,
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      body: await response.clone().text(),
    });
    return response;
  };
  // The SDK checks `fetch.Response` to learn how FormData is encoded.
  const recordingFetch = Object.assign(recording, { Response }) as unknown as typeof fetch;
  return { fetch: recordingFetch, calls };
}
