/**
 * What the real-client suites share: a local platform on free ports with one tenant provisioned by
 * the operator's CLI, and the way a Schema Registry client reaches it the way a user's would, by
 * URL: `http://<tenant host>:<traffic port>`, real HTTP through the dispatcher to the tenant's
 * Worker, authenticated with HTTP Basic (user = key id `admin`, password = the key's secret).
 *
 * Clients cannot send a Host header different from their URL's host, so the tenant's hostname
 * must resolve. `*.localhost` is loopback by RFC 6761, but glibc's resolver (which Node's
 * `dns.lookup` uses) does not know that on every machine. The clients each accept an
 * `http.Agent`, so they get one whose `lookup` answers 127.0.0.1 for `*.localhost` names and
 * asks the system resolver for everything else: the request is still a real HTTP request to the
 * hostname in the URL.
 */
import { lookup as systemLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalPlatform, type LocalPlatform } from "../../infra/local-platform/index.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { runTenant } from "../../scripts/lib/tenant-traffic.ts";

export interface ClientTenant {
  platform: LocalPlatform;
  /** The registry's URL as a client is configured with it, e.g. `http://registry.kjs.localhost:40123`. */
  baseUrl: string;
  host: string;
  /** The whole admin key printed once by `tenant create` (`wfp_admin_<secret>`). */
  adminKey: string;
  /** HTTP Basic credentials for the admin key: user = key id, password = secret. */
  basic: { username: string; password: string };
  /** Keep-alive agent resolving `*.localhost` to loopback; pass it to the client. */
  agent: Agent;
  close(): Promise<void>;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `net`/`http` lookup that answers loopback for `localhost` and `*.localhost` (RFC 6761) and
 * defers to the system resolver otherwise. Handles `options.all`, which Node sets when it races
 * address families.
 *
 * @example
 *   new Agent({ keepAlive: true, lookup: localhostLookup })
 */
function localhostLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) {
    if (options.all === true) callback(null, [{ address: "127.0.0.1", family: 4 }]);
    else callback(null, "127.0.0.1", 4);
    return;
  }
  systemLookup(hostname, options, callback as never);
}

/**
 * Splits `wfp_<keyId>_<secret>` into HTTP Basic credentials (docs/contracts.md: key ids are
 * `[a-z0-9]{1,32}`, so the first two underscores delimit it; the secret may contain more).
 *
 * @example
 *   basicCredentials("wfp_admin_abc_def") // { username: "admin", password: "abc_def" }
 */
function basicCredentials(key: string): { username: string; password: string } {
  const match = /^wfp_([a-z0-9]{1,32})_(.+)$/.exec(key);
  if (match === null) throw new Error(`not an API key: ${key.slice(0, 12)}...`);
  return { username: match[1]!, password: match[2]! };
}

/**
 * Starts a local platform and provisions tenant `tenantId` on `<tenantId>.clients.localhost`.
 *
 * @example
 *   const tenant = await startClientTenant("kjs");
 *   new SchemaRegistry({ host: tenant.baseUrl, agent: tenant.agent, auth: tenant.basic });
 */
export async function startClientTenant(tenantId: string): Promise<ClientTenant> {
  const stateDir = mkdtempSync(join(tmpdir(), `wfp-clients-${tenantId}-`));
  const platform = await startLocalPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
  const agent = new Agent({ keepAlive: true, lookup: localhostLookup as never });
  const close = async () => {
    agent.destroy();
    await platform.close();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const host = `registry.${tenantId}.localhost`;
    const created = await runTenant(platform.apiUrl, [
      "create",
      tenantId,
      "--domain",
      host,
      "--residency",
      "global",
      "--json",
    ]);
    if (created.code !== EXIT.ok) throw new Error(`tenant create failed (${created.code}): ${created.stderr}`);
    const { adminKey } = JSON.parse(created.stdout) as { adminKey?: string };
    if (adminKey === undefined) throw new Error("tenant create printed no adminKey");
    const port = new URL(platform.trafficUrl).port;
    return {
      platform,
      baseUrl: `http://${host}:${port}`,
      host,
      adminKey,
      basic: basicCredentials(adminKey),
      agent,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
