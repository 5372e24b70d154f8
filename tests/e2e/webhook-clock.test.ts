/**
 * Webhook deliveries driven by the dispatcher's clock, end to end through the local platform (real
 * workerd, D1, KV, HTTP): the tenant Worker queues a delivery when a schema is registered and asks
 * for its pump with the wake header; the dispatcher removes the header from the client's answer and
 * wakes the tenant's `WebhookClock`, whose alarm sends the pump; the delivery reaches a receiver on
 * loopback (allowed by the local platform only). Waits are bounded polls.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";
import { WEBHOOK_WAKE_HEADER } from "../../contracts/webhook-pump.ts";

const HOST = "registry.hooked.localhost";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let stateDir: string;
let platform: LocalPlatform;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
let auth: Record<string, string> = {};

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  stateDir = mkdtempSync(join(tmpdir(), "wfp-webhook-clock-e2e-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
  const { code, stdout, stderr } = await runTenant(platform.apiUrl, ["create", "hooked", "--domain", HOST, "--json"]);
  expect(code, stderr).toBe(EXIT.ok);
  auth = { authorization: `Bearer ${(JSON.parse(stdout) as { adminKey: string }).adminKey}` };
}, 120_000);

afterAll(async () => {
  await platform?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe("webhook deliveries through the dispatcher's clock", () => {
  it("a registration's delivery reaches the receiver; the client never sees the wake header", async () => {
    const hook = await requestTenant(platform.trafficUrl, HOST, "POST", "/api/webhooks", {
      headers: auth,
      body: { url: receiverUrl, events: ["schema.registered"] },
    });
    expect(hook.status, hook.body).toBe(201);

    const registered = await requestTenant(platform.trafficUrl, HOST, "POST", "/subjects/orders-value/versions", {
      headers: auth,
      body: { schema: JSON.stringify({ type: "record", name: "Order", fields: [{ name: "id", type: "string" }] }) },
    });
    expect(registered.status, registered.body).toBe(200);
    expect(registered.headers[WEBHOOK_WAKE_HEADER]).toBeUndefined();

    const deadline = Date.now() + 30_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toHaveLength(1);
    const [delivery] = received;
    expect(delivery!.headers["webhook-id"]).toEqual(expect.any(String));
    expect(delivery!.headers["webhook-signature"]).toMatch(/^v1,/);
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: "schema.registered" });
  }, 60_000);
});
