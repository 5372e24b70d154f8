/**
 * What the real-client suites share: a local platform on free ports with one tenant provisioned by
 * the operator's CLI, and the way a Schema Registry client reaches it the way a user's would, by
 * URL alone: the URL `tenant create` printed beside the tenant's hostname
 * (`http://127.0.0.1:<traffic port>/_tenant/<hostname>`, the local platform's path form), real
 * HTTP through the dispatcher to the tenant's Worker, authenticated with HTTP Basic (user = key id
 * `admin`, password = the key's secret). No custom agent, resolver or Host header: Node's resolver
 * does not know `*.localhost`, and a user's client would have none of those either.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { runTenant } from "../../scripts/lib/tenant-traffic.ts";

export interface ClientTenant {
  platform: LocalPlatform;
  /** The URL `create` printed for the hostname, e.g. `http://127.0.0.1:40123/_tenant/registry.kjs.localhost`. */
  baseUrl: string;
  host: string;
  /** The whole admin key printed once by `tenant create` (`wfp_admin_<secret>`). */
  adminKey: string;
  /** HTTP Basic credentials for the admin key: user = key id, password = secret. */
  basic: { username: string; password: string };
  close(): Promise<void>;
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
 * Starts a local platform and provisions tenant `tenantId` on `registry.<tenantId>.localhost`.
 *
 * @example
 *   const tenant = await startClientTenant("kjs");
 *   new SchemaRegistry({ host: tenant.baseUrl, auth: tenant.basic });
 */
export async function startClientTenant(tenantId: string): Promise<ClientTenant> {
  const stateDir = mkdtempSync(join(tmpdir(), `wfp-clients-${tenantId}-`));
  const platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
  const close = async () => {
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
    const { adminKey, resources } = JSON.parse(created.stdout) as {
      adminKey?: string;
      resources: { routes: Array<{ hostname: string; localUrl?: string }> };
    };
    if (adminKey === undefined) throw new Error("tenant create printed no adminKey");
    const baseUrl = resources.routes.find((route) => route.hostname === host)?.localUrl;
    if (baseUrl === undefined) throw new Error(`tenant create printed no local URL for ${host}`);
    return { platform, baseUrl, host, adminKey, basic: basicCredentials(adminKey), close };
  } catch (error) {
    await close();
    throw error;
  }
}
