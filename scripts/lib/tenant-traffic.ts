/**
 * What end-to-end tests share: requests on the local platform's traffic port addressed to a
 * tenant's hostname (what `*.localhost` does for curl and browsers), and the tenant CLI run
 * in-process against a given local platform.
 */
import { request, type IncomingHttpHeaders } from "node:http";
import { runTenantCli } from "../../provisioner/src/tenant-cli.ts";

export interface TenantReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body as JSON (`{}` when empty). */
  json(): Record<string, unknown>;
}

/**
 * Sends one request to `trafficUrl` with `Host: host`; a body is sent as JSON.
 *
 * @example
 *   const reply = await requestTenant(platform.trafficUrl, "registry.acme.localhost", "GET", "/health");
 */
export function requestTenant(
  trafficUrl: string,
  host: string,
  method: string,
  path: string,
  {
    body,
    headers = {},
    timeoutMs,
  }: {
    body?: unknown;
    headers?: Record<string, string>;
    /** Fail (an error, as a refused connection) when no answer came within this long; none by default. */
    timeoutMs?: number;
  } = {},
): Promise<TenantReply> {
  const url = new URL(trafficUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const sent: Record<string, string> = { host, ...headers };
  if (payload !== undefined) sent["content-type"] = "application/json";
  return new Promise((resolve, reject) => {
    // A connection of its own (agent: false): Node's global agent keeps connections alive, and one
    // the server closes while idle can be picked for the next request at that moment, which then
    // fails with "socket hang up" though the server was fine.
    const req = request({ host: url.hostname, port: url.port, path, method, headers: sent, agent: false }, (res) => {
      let text = "";
      let ended = false;
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        ended = true;
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text,
          json: () => (text === "" ? {} : (JSON.parse(text) as Record<string, unknown>)),
        });
      });
      // A connection cut after the headers (the server killed mid-answer, or the timeout below)
      // never ends the body: without these the promise would wait forever.
      res.on("error", reject);
      res.on("close", () => {
        if (!ended) reject(new Error("the connection closed before the answer's body ended"));
      });
    });
    req.on("error", reject);
    if (timeoutMs !== undefined)
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.end(payload);
  });
}

/**
 * Sends GETs until one answers `status`, or 15 s have passed (then returns the last answer): the
 * dispatcher keeps a route it read for up to 10 s (dispatcher/src/route-cache.ts), as it does on
 * Cloudflare, so a tenant just deleted can answer from that cache for a while.
 *
 * @example
 *   expect((await untilStatus(platform.trafficUrl, "registry.acme.localhost", "/health", 404)).status).toBe(404);
 */
export async function untilStatus(
  trafficUrl: string,
  host: string,
  path: string,
  status: number,
): Promise<TenantReply> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const reply = await requestTenant(trafficUrl, host, "GET", path);
    if (reply.status === status || Date.now() > deadline) return reply;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Runs `npm run tenant -- <args>` in-process against the local platform at `apiUrl`.
 *
 * @example
 *   const { code, stdout } = await runTenant(platform.apiUrl, [
 *     "create", "acme", "--domain", "registry.acme.localhost",
 *   ]);
 */
export async function runTenant(
  apiUrl: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runTenantCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { CLOUDFLARE_API_BASE_URL: apiUrl, ...env },
  });
  return { code, stdout, stderr };
}
