/**
 * The local URL `tenant create` and `tenant show` print beside each hostname
 * (provisioner/src/local-urls.ts): only for hostnames routed to the tenant, only when the local
 * platform says where its traffic goes, and never a reason to fail. The URL reaching the tenant is
 * tests/local-platform/tenant-path.test.ts's job.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { readLocalTrafficUrl, withLocalUrls } from "../../provisioner/src/local-urls.ts";
import type { TenantReport } from "../../provisioner/src/tenant.ts";

const record = (tenantId: string) => ({
  tenantId,
  script: `tenant-${tenantId}`,
  status: "active" as const,
  rateLimit: { requestsPerMinute: 6000, keyRequestsPerMinute: 3000 },
  corsOrigins: [],
});

const report: TenantReport = {
  id: "acme",
  status: "active",
  complete: false,
  problems: [],
  target: { kind: "local", accountId: "a", zoneId: "z", dispatchNamespace: "tenants" },
  resources: {
    customHostnames: [],
    regionalHostnames: [],
    routes: [
      { hostname: "registry.acme.localhost", record: record("acme") },
      { hostname: "schemas.acme.localhost" },
      { hostname: "taken.other.localhost", record: record("other") },
    ],
  },
  dns: { records: [] },
};

describe("withLocalUrls", () => {
  it("gives a local URL to each hostname routed to the tenant, and to no other", () => {
    expect(withLocalUrls(report, "http://127.0.0.1:8787").resources.routes).toEqual([
      {
        hostname: "registry.acme.localhost",
        record: record("acme"),
        localUrl: "http://127.0.0.1:8787/_tenant/registry.acme.localhost",
      },
      { hostname: "schemas.acme.localhost" },
      { hostname: "taken.other.localhost", record: record("other") },
    ]);
  });

  it("changes nothing without a traffic URL (Cloudflare, or a platform that does not say)", () => {
    expect(withLocalUrls(report, undefined)).toBe(report);
  });
});

describe("readLocalTrafficUrl", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((done) => (server === undefined ? done() : server.close(() => done())));
    server = undefined;
  });

  /** An API base URL whose host answers GET /__platform/info with `status` and `body`. */
  async function platformInfo(status: number, body: unknown): Promise<string> {
    server = createServer((req, res) => {
      res.writeHead(req.url === "/__platform/info" ? status : 404, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`;
  }

  it("reads trafficUrl from the platform's /__platform/info", async () => {
    const apiUrl = await platformInfo(200, { accountId: "a", trafficUrl: "http://127.0.0.1:9787" });
    expect(await readLocalTrafficUrl(apiUrl)).toBe("http://127.0.0.1:9787");
  });

  it("is undefined when the platform does not say, answers an error, or is not there", async () => {
    expect(await readLocalTrafficUrl(await platformInfo(200, { accountId: "a" }))).toBeUndefined();
    server?.close();
    expect(await readLocalTrafficUrl(await platformInfo(200, { trafficUrl: "not a url" }))).toBeUndefined();
    server?.close();
    expect(await readLocalTrafficUrl(await platformInfo(500, { trafficUrl: "http://127.0.0.1:1" }))).toBeUndefined();
    const gone = server!.address() as AddressInfo;
    await new Promise<void>((done) => server!.close(() => done()));
    server = undefined;
    expect(await readLocalTrafficUrl(`http://127.0.0.1:${gone.port}/client/v4`)).toBeUndefined();
  });
});
