/**
 * Webhooks end to end through the local platform (real workerd, D1, KV, HTTP; docs/webhooks.md):
 * a change's tenant Worker queues deliveries and asks for its pump with the wake header; the
 * dispatcher removes the header from the client's answer and wakes the tenant's `WebhookClock`,
 * whose alarms send the pumps, retries included, with no request from anyone. Receivers listen on
 * loopback, which the local platform alone allows. Waits are bounded polls.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";
import { WEBHOOK_PUMP_HEADER, WEBHOOK_PUMP_PATH, WEBHOOK_WAKE_HEADER } from "../../contracts/webhook-pump.ts";
import { verifyWebhook } from "../../contracts/webhook-signature.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.ts";
import { createCloudflareClient } from "../../provisioner/src/cloudflare-client.ts";
import { readTargetSettings, resolveTarget } from "../../provisioner/src/config.ts";
import { readRouteRecord, writeRouteRecord } from "../../provisioner/src/route-record-store.ts";
import { avroRecord } from "../support/avro-record.ts";

const HOST = "registry.hooked.localhost";

let stateDir: string;
let platform: LocalPlatform;
let receiver: WebhookReceiver;
let auth: Record<string, string> = {};

const call = (method: string, path: string, body?: unknown) =>
  requestTenant(platform.trafficUrl, HOST, method, path, { headers: auth, ...(body === undefined ? {} : { body }) });

async function webhook(path: string, events: string[]): Promise<{ id: string; secret: string }> {
  const reply = await call("POST", "/api/webhooks", { url: `${receiver.origin}${path}`, events });
  expect(reply.status, reply.body).toBe(201);
  return JSON.parse(reply.body) as { id: string; secret: string };
}

async function register(subject: string, schema: string): Promise<void> {
  const reply = await call("POST", `/subjects/${subject}/versions`, { schema });
  expect(reply.status, reply.body).toBe(200);
  // The dispatcher took the header: a client never sees it.
  expect(reply.headers[WEBHOOK_WAKE_HEADER]).toBeUndefined();
}

const versionsAt = (path: string) =>
  receiver.received.filter((r) => r.path === path).map((r) => [r.event.data.subject, r.event.data.version, r.answered]);

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stateDir = mkdtempSync(join(tmpdir(), "wfp-e2e-webhooks-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
  const { code, stdout, stderr } = await runTenant(platform.apiUrl, ["create", "hooked", "--domain", HOST, "--json"]);
  expect(code, stderr).toBe(EXIT.ok);
  auth = { authorization: `Bearer ${(JSON.parse(stdout) as { adminKey: string }).adminKey}` };
}, 120_000);

afterAll(async () => {
  await platform?.close();
  await receiver?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe("webhook deliveries through the dispatcher's clock", { timeout: 120_000 }, () => {
  it("a registration's delivery reaches the receiver, signed with the webhook's secret", async () => {
    const hook = await webhook("/first", ["schema.registered"]);
    await register("orders-value", avroRecord("Order"));
    await receiver.waitFor(() => versionsAt("/first").length === 1);
    const [delivery] = receiver.received.filter((r) => r.path === "/first");
    expect(delivery!.event).toMatchObject({
      type: "schema.registered",
      tenant: "hooked",
      data: { subject: "orders-value", version: 1 },
    });
    expect(await verifyWebhook(hook.secret, delivery!.headers as Record<string, string>, delivery!.body)).toBeNull();
  });

  it("retries on the clock's alarm alone, and keeps the subject's order", async () => {
    const hook = await webhook("/retried", ["schema.registered"]);
    receiver.answerWith("/retried", 500);
    await register("retried-value", avroRecord("Retried"));
    await register("retried-value", avroRecord("Retried", ["a"]));
    await register("retried-value", avroRecord("Retried", ["a", "b"]));
    // Nothing more is sent to the registry: the clock's alarm (about 5 s later) does the rest.
    await receiver.waitFor(() => versionsAt("/retried").length === 4, 90_000);
    expect(versionsAt("/retried")).toEqual([
      ["retried-value", 1, 500],
      ["retried-value", 1, 200],
      ["retried-value", 2, 200],
      ["retried-value", 3, 200],
    ]);
    const log = await call("GET", `/api/webhooks/${hook.id}/deliveries`);
    expect((JSON.parse(log.body) as { items: { status: string; attempts: number }[] }).items).toMatchObject([
      { status: "delivered", attempts: 1 },
      { status: "delivered", attempts: 1 },
      { status: "delivered", attempts: 2 },
    ]);
  });

  it("a client cannot run the pump: its x-wfp-* headers never reach the tenant", async () => {
    const before = receiver.received.length;
    const forged = await requestTenant(platform.trafficUrl, HOST, "POST", WEBHOOK_PUMP_PATH, {
      headers: { [WEBHOOK_PUMP_HEADER]: "1" },
    });
    expect(forged.status).toBe(401);
    const withKey = await requestTenant(platform.trafficUrl, HOST, "POST", WEBHOOK_PUMP_PATH, {
      headers: { ...auth, [WEBHOOK_PUMP_HEADER]: "1" },
    });
    expect(withKey.status).toBe(404);
    expect(receiver.received.length).toBe(before);
  });

  it("an eu tenant's route record carries its residency (its clock: the eu jurisdiction); it delivers", async () => {
    const host = "registry.hooked-eu.localhost";
    const created = await runTenant(platform.apiUrl, [
      "create",
      "hookedeu",
      "--domain",
      host,
      "--residency",
      "eu",
      "--json",
    ]);
    expect(created.code, created.stderr).toBe(EXIT.ok);
    const euAuth = { authorization: `Bearer ${(JSON.parse(created.stdout) as { adminKey: string }).adminKey}` };
    const settings = readTargetSettings({ CLOUDFLARE_API_BASE_URL: platform.apiUrl });
    const target = await resolveTarget(
      createCloudflareClient({ baseURL: settings.baseURL, apiToken: settings.apiToken }),
      settings,
    );
    const lookup = await readRouteRecord(target, host);
    if (lookup.kind !== "route") throw new Error(`no route record for ${host}`);
    expect(lookup.record.residency).toBe("eu");
    // A record written before residency was in it is rewritten by a re-run of create.
    const { residency: _residency, ...old } = lookup.record;
    await writeRouteRecord(target, host, old);
    const again = await runTenant(platform.apiUrl, ["create", "hookedeu", "--domain", host, "--residency", "eu"]);
    expect(again.code, again.stderr).toBe(EXIT.ok);
    const rewritten = await readRouteRecord(target, host);
    expect(rewritten.kind === "route" && rewritten.record.residency).toBe("eu");

    const hook = await requestTenant(platform.trafficUrl, host, "POST", "/api/webhooks", {
      headers: euAuth,
      body: { url: `${receiver.origin}/eu`, events: ["schema.registered"] },
    });
    expect(hook.status, hook.body).toBe(201);
    const write = await requestTenant(platform.trafficUrl, host, "POST", "/subjects/eu-value/versions", {
      headers: euAuth,
      body: { schema: avroRecord("Eu") },
    });
    expect(write.status, write.body).toBe(200);
    await receiver.waitFor(() => versionsAt("/eu").length === 1);
    expect(receiver.received.find((r) => r.path === "/eu")?.event.tenant).toBe("hookedeu");
  });

  it("refuses private addresses on the local platform too; only loopback is allowed here", async () => {
    for (const url of ["http://10.0.0.8/hook", "https://169.254.169.254/latest/meta-data/", "https://[fd00::2]/x"]) {
      const reply = await call("POST", "/api/webhooks", { url });
      expect(reply.status, url).toBe(400);
      expect(reply.body, url).toContain("body/url");
    }
  });
});
