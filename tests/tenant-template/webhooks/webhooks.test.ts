/**
 * Webhooks in the tenant Worker (real workerd, D1 and HTTP; docs/webhooks.md): registration and
 * its refusals, events from both APIs, Standard Webhooks signatures and the replay window, order
 * per subject, retries after a receiver's 500, giving up after 24 hours, the test delivery, the
 * delivery log, and a write that succeeds when the outbox cannot be written. The pump is called
 * here as the dispatcher's clock calls it (contracts/webhook-pump.ts); tests/e2e/webhooks.test.ts
 * runs the clock itself.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_PUMP_HEADER, WEBHOOK_PUMP_PATH, WEBHOOK_WAKE_HEADER } from "../../../contracts/webhook-pump.ts";
import { verifyWebhook } from "../../../contracts/webhook-signature.ts";
import { startAuthHarness, type AuthHarness } from "../auth/auth-harness.ts";
import { startWebhookReceiver, type ReceivedDelivery, type WebhookReceiver } from "../../support/webhook-receiver.ts";
import { avroRecord } from "../../support/avro-record.ts";

let h: AuthHarness;
let receiver: WebhookReceiver;

interface Created {
  id: string;
  secret: string;
  url: string;
}

async function createWebhook(body: Record<string, unknown>): Promise<Created> {
  const reply = await h.call<Created>("POST", "/api/webhooks", { body });
  expect(reply.status, reply.text).toBe(201);
  return reply.json;
}

async function pump(): Promise<Record<string, unknown>> {
  const reply = await h.call("POST", WEBHOOK_PUMP_PATH, { key: null, headers: { [WEBHOOK_PUMP_HEADER]: "1" } });
  expect(reply.status, reply.text).toBe(200);
  return reply.json;
}

async function register(subject: string, schema: string): Promise<number> {
  const reply = await h.call<{ id: number }>("POST", `/subjects/${subject}/versions`, { body: { schema } });
  expect(reply.status, reply.text).toBe(200);
  return reply.json.id;
}

interface Delivery {
  id: number;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}

async function deliveries(webhookId: string, query = ""): Promise<Delivery[]> {
  const reply = await h.call<{ items: Delivery[] }>("GET", `/api/webhooks/${webhookId}/deliveries${query}`);
  expect(reply.status, reply.text).toBe(200);
  return reply.json.items;
}

/** What one path of the receiver got, as [type, subject or path, version]. */
const seen = (path: string) =>
  receiver.received
    .filter((r) => r.path === path)
    .map((r) => [r.event.type, r.event.data.subject ?? r.event.data.path, r.event.data.version ?? null]);

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h = await startAuthHarness("webhooks", { bindings: { WEBHOOK_ALLOW_LOOPBACK: "true" } });
});

afterAll(async () => {
  await h?.dispose();
  await receiver?.close();
});

describe("registering a webhook", () => {
  it("answers the secret once, never again, and lists the webhook", async () => {
    const created = await createWebhook({ url: `${receiver.origin}/once`, description: "the secret test" });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(created.id).toMatch(/^wh_[a-z2-7]{20}$/);
    const read = await h.call("GET", `/api/webhooks/${created.id}`);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ id: created.id, url: `${receiver.origin}/once`, events: null });
    expect(read.text).not.toContain(created.secret);
    expect(read.json).not.toHaveProperty("secret");
    const list = await h.call("GET", "/api/webhooks");
    expect(list.text).toContain(created.id);
    expect(list.text).not.toContain("whsec_");
    // The audit log records it, without the secret.
    const audit = await h.call("GET", "/api/audit?action=webhook.create");
    expect(audit.text).toContain(created.id);
    expect(audit.text).not.toContain(created.secret);
  });

  it("refuses bad input with the API's error shape", async () => {
    const cases: [unknown, string][] = [
      [{}, "body/url"],
      [{ url: "not a url" }, "body/url"],
      [{ url: "ftp://hooks.example.com/x" }, "body/url"],
      [{ url: `${receiver.origin}/x`, events: ["schema.exploded"] }, "body/events/0"],
      [{ url: `${receiver.origin}/x`, events: [] }, "body/events"],
      [{ url: `${receiver.origin}/x`, description: "d".repeat(501) }, "body/description"],
    ];
    for (const [body, path] of cases) {
      const reply = await h.call<{ error: { code: string; details: { path: string }[] } }>("POST", "/api/webhooks", {
        body,
      });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.json.error.code).toBe("invalid_request");
      expect(reply.json.error.details.map((d) => d.path).join(" "), JSON.stringify(body)).toContain(path);
    }
    // A field of its own (the secret is the registry's to make): refused, named.
    const own = await h.call("POST", "/api/webhooks", { body: { url: `${receiver.origin}/x`, secret: "mine" } });
    expect(own.status).toBe(400);
    expect(own.text).toContain("body/secret");
    expect((await h.call("GET", `/api/webhooks/wh_${"a".repeat(20)}`)).status).toBe(404);
    expect((await h.call("GET", "/api/webhooks/not-an-id")).status).toBe(400);
  });

  it("refuses private, link-local and local addresses even where loopback is allowed (SSRF)", async () => {
    const refused = [
      "http://10.0.0.1/hook",
      "https://10.1.2.3/hook",
      "https://169.254.169.254/latest/meta-data/",
      "https://172.16.5.4/",
      "https://192.168.1.10/",
      "https://100.64.0.1/",
      "https://0.0.0.0/",
      "https://[fd00::1]/",
      "https://[fe80::1]/",
      "https://[::ffff:10.0.0.1]/",
      "https://metadata.google.internal/",
      "https://printer.local/",
      "https://intranet/",
      "http://hooks.example.com/",
      "https://user:pass@hooks.example.com/",
    ];
    for (const url of refused) {
      const reply = await h.call<{ error: { details: { path: string }[] } }>("POST", "/api/webhooks", {
        body: { url },
      });
      expect(reply.status, url).toBe(400);
      expect(reply.json.error.details[0]?.path, url).toBe("body/url");
    }
  });

  it("refuses a 21st webhook (409), and takes one again after a delete", async () => {
    const existing = ((await h.call<{ items: unknown[] }>("GET", "/api/webhooks")).json.items ?? []).length;
    const made: string[] = [];
    for (let i = existing; i < 20; i++) made.push((await createWebhook({ url: `${receiver.origin}/limit${i}` })).id);
    const refused = await h.call<{ error: { code: string } }>("POST", "/api/webhooks", {
      body: { url: `${receiver.origin}/limit-over` },
    });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe("limit_exceeded");
    for (const id of made) expect((await h.call("DELETE", `/api/webhooks/${id}`)).status).toBe(204);
    const again = await createWebhook({ url: `${receiver.origin}/limit-again` });
    expect((await h.call("DELETE", `/api/webhooks/${again.id}`)).status).toBe(204);
    expect((await h.call("GET", `/api/webhooks/${again.id}`)).status).toBe(404);
    expect((await h.call("GET", `/api/webhooks/${again.id}/deliveries`)).status).toBe(404);
  });
});

describe("deliveries", { timeout: 120_000 }, () => {
  it("are signed over id, timestamp and body, and a receiver refuses them replayed or altered", async () => {
    const hook = await createWebhook({ url: `${receiver.origin}/signed`, events: ["schema.registered"] });
    const before = receiver.received.length;
    const write = await h.call("POST", "/subjects/signed-value/versions", { body: { schema: avroRecord("Signed") } });
    expect(write.status).toBe(200);
    // The write asks for the pump; nothing is sent before it runs.
    expect(Number(write.headers.get(WEBHOOK_WAKE_HEADER))).toBeGreaterThan(0);
    expect(receiver.received.length).toBe(before);
    await pump();
    await receiver.waitFor(() => seen("/signed").length === 1);
    const [delivery] = receiver.received.filter((r) => r.path === "/signed") as [ReceivedDelivery];
    expect(delivery.event).toMatchObject({
      type: "schema.registered",
      tenant: "webhooks",
      data: { subject: "signed-value", version: 1, id: (write.json as { id: number }).id },
    });
    expect(delivery.headers["webhook-id"]).toBe(delivery.event.id);
    expect(delivery.headers["content-type"]).toBe("application/json");
    expect(await verifyWebhook(hook.secret, delivery.headers as Record<string, string>, delivery.body)).toBeNull();
    // The same check written out with node:crypto, so the shared code cannot agree with itself by mistake.
    const timestamp = String(delivery.headers["webhook-timestamp"]);
    const expected = createHmac("sha256", Buffer.from(hook.secret.slice("whsec_".length), "base64"))
      .update(`${delivery.event.id}.${timestamp}.${delivery.body}`)
      .digest("base64");
    expect(delivery.headers["webhook-signature"]).toBe(`v1,${expected}`);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(300);
    // Replayed six minutes later, altered, or signed with another secret: refused.
    const headers = delivery.headers as Record<string, string>;
    expect(await verifyWebhook(hook.secret, headers, delivery.body, Number(timestamp) + 6 * 60)).toBe(
      "stale_timestamp",
    );
    expect(await verifyWebhook(hook.secret, headers, delivery.body.replace("signed-value", "other-value"))).toBe(
      "bad_signature",
    );
    expect(await verifyWebhook(`whsec_${Buffer.alloc(24).toString("base64")}`, headers, delivery.body)).toBe(
      "bad_signature",
    );
    expect(await verifyWebhook(hook.secret, { ...headers, "webhook-id": "evt_other" }, delivery.body)).toBe(
      "bad_signature",
    );
    const log = await deliveries(hook.id);
    expect(log).toMatchObject([{ eventId: delivery.event.id, status: "delivered", attempts: 1, lastStatus: 200 }]);
  });

  it("keep a subject's order through a receiver's 500, retried with backoff; other subjects go on", async () => {
    const hook = await createWebhook({ url: `${receiver.origin}/ordered`, events: ["schema.registered"] });
    // Lanes send at once, in an order no one can know: the 500 is for the ordered subject's delivery.
    receiver.answerWith((d) => d.path === "/ordered" && d.event.data.subject === "ordered-value", 500);
    await register("ordered-value", avroRecord("Ordered"));
    await register("ordered-value", avroRecord("Ordered", ["a"]));
    await register("ordered-value", avroRecord("Ordered", ["a", "b"]));
    await register("unrelated-value", avroRecord("Unrelated"));
    await pump();
    // The subject's first delivery failed; its later ones wait for it; the other subject's went.
    await receiver.waitFor(() => seen("/ordered").length === 2);
    expect(seen("/ordered").sort()).toEqual([
      ["schema.registered", "ordered-value", 1],
      ["schema.registered", "unrelated-value", 1],
    ]);
    const failed = (await deliveries(hook.id)).find((d) => d.status === "pending" && d.attempts === 1);
    expect(failed).toMatchObject({ lastStatus: 500, lastError: "HTTP 500: receiver refused it" });
    expect(Date.parse(failed!.nextAttemptAt!)).toBeGreaterThan(Date.now() - 1000);
    // Before the retry is due, a pump sends nothing of that subject (checked when the pump surely
    // ran before then: a busy machine may take longer than the backoff to get here).
    const dueAt = Date.parse(failed!.nextAttemptAt!);
    await pump();
    if (Date.now() < dueAt) expect(seen("/ordered")).toHaveLength(2);
    // Once it is due, the retry succeeds and the rest follow in order.
    await waitUntil(async () => {
      await pump();
      return seen("/ordered").length >= 5;
    });
    expect(seen("/ordered").slice(2)).toEqual([
      ["schema.registered", "ordered-value", 1],
      ["schema.registered", "ordered-value", 2],
      ["schema.registered", "ordered-value", 3],
    ]);
    const log = await deliveries(hook.id);
    expect(log.map((d) => [d.status, d.attempts])).toEqual([
      ["delivered", 1],
      ["delivered", 1],
      ["delivered", 1],
      ["delivered", 2],
    ]);
    // Paged, newest first, and filtered by status.
    const page = await h.call<{ items: Delivery[]; nextCursor: string }>(
      "GET",
      `/api/webhooks/${hook.id}/deliveries?limit=3`,
    );
    expect(page.json.items).toHaveLength(3);
    const rest = await deliveries(hook.id, `?limit=3&cursor=${page.json.nextCursor}`);
    expect(rest.map((d) => d.id)).toEqual([log[3]!.id]);
    expect(await deliveries(hook.id, "?status=pending")).toEqual([]);
    expect((await h.call("GET", `/api/webhooks/${hook.id}/deliveries?status=lost`)).status).toBe(400);
  });

  it("give up after 24 hours, and the subject's next delivery then goes", async () => {
    const hook = await createWebhook({ url: `${receiver.origin}/late`, events: ["schema.registered"] });
    receiver.answerWith("/late", 500);
    await register("late-value", avroRecord("Late"));
    await pump();
    await receiver.waitFor(() => seen("/late").length === 1);
    // The event is now older than the retry window (the table is the tenant's; the test owns this row).
    const d1 = await h.d1();
    await d1
      .prepare(
        `UPDATE webhook_deliveries SET created_at = created_at - 25 * 3600 * 1000, next_attempt_at = 0
          WHERE webhook_id = ?`,
      )
      .bind(hook.id)
      .run();
    receiver.answerWith("/late", 500);
    await register("late-value", avroRecord("Late", ["a"]));
    await pump();
    await receiver.waitFor(() => seen("/late").length === 3);
    expect(seen("/late")).toEqual([
      ["schema.registered", "late-value", 1],
      ["schema.registered", "late-value", 1],
      ["schema.registered", "late-value", 2],
    ]);
    expect((await deliveries(hook.id)).map((d) => [d.status, d.attempts, d.lastStatus])).toEqual([
      ["delivered", 1, 200],
      ["failed", 2, 500],
    ]);
  });

  it("carry only the events a webhook subscribed to, and only real changes", async () => {
    const hook = await createWebhook({
      url: `${receiver.origin}/settings`,
      events: ["config.changed", "mode.changed"],
    });
    await register("settings-value", avroRecord("Settings"));
    const put = (path: string, body: unknown) => h.call("PUT", path, { body });
    expect((await put("/config/settings-value", { compatibility: "FULL" })).status).toBe(200);
    expect((await put("/config/settings-value", { compatibility: "FULL" })).status).toBe(200); // no change
    expect((await h.call("DELETE", "/config/settings-value")).status).toBe(200);
    expect((await put("/mode/settings-value", { mode: "READONLY" })).status).toBe(200);
    await pump();
    await receiver.waitFor(() => seen("/settings").length >= 3);
    await pump();
    const events = receiver.received.filter((r) => r.path === "/settings").map((r) => [r.event.type, r.event.data]);
    expect(events).toEqual([
      [
        "config.changed",
        expect.objectContaining({
          subject: "settings-value",
          config: expect.objectContaining({ compatibilityLevel: "FULL" }),
        }),
      ],
      ["config.changed", expect.objectContaining({ subject: "settings-value", config: null })],
      ["mode.changed", expect.objectContaining({ subject: "settings-value", mode: "READONLY" })],
    ]);
    expect((await deliveries(hook.id)).every((d) => d.status === "delivered")).toBe(true);
  });

  it("describe deletes through the Confluent API", async () => {
    await createWebhook({ url: `${receiver.origin}/deletes`, events: ["version.deleted", "subject.deleted"] });
    await register("doomed-value", avroRecord("Doomed"));
    await register("doomed-value", avroRecord("Doomed", ["a"]));
    expect((await h.call("DELETE", "/subjects/doomed-value/versions/2")).status).toBe(200);
    expect((await h.call("DELETE", "/subjects/doomed-value")).status).toBe(200);
    expect((await h.call("DELETE", "/subjects/doomed-value?permanent=true")).status).toBe(200);
    await pump();
    await receiver.waitFor(() => seen("/deletes").length >= 3);
    expect(receiver.received.filter((r) => r.path === "/deletes").map((r) => [r.event.type, r.event.data])).toEqual([
      ["version.deleted", expect.objectContaining({ subject: "doomed-value", version: 2, permanent: false })],
      ["subject.deleted", expect.objectContaining({ subject: "doomed-value", versions: [1], permanent: false })],
      ["subject.deleted", expect.objectContaining({ subject: "doomed-value", versions: [1, 2], permanent: true })],
    ]);
  });

  it("describe the /api version lifecycle", async () => {
    await createWebhook({ url: `${receiver.origin}/lifecycle` });
    const post = async (path: string, body: unknown) => {
      const reply = await h.call<{ id: string }>("POST", path, { body });
      expect(reply.status, reply.text).toBe(201);
      return reply.json.id;
    };
    const product = await post("/api/products", { name: "Hooks" });
    const domain = await post(`/api/products/${product}/domains`, { name: "Events" });
    const context = await post(`/api/domains/${domain}/contexts`, { name: "Orders" });
    const schema = await post(`/api/contexts/${context}/schemas`, {
      name: "Lifecycle",
      schemaTypeCategory: "Events",
      scope: "Public",
    });
    const version = await post(`/api/schemas/${schema}/versions`, {
      semanticVersion: "1.0.0",
      status: "Draft",
      format: "AVRO",
      specification: avroRecord("Lifecycle"),
    });
    const item = `/api/schemas/${schema}/versions/${version}`;
    for (const status of ["Published", "Deprecated", "Removed"]) {
      const reply = await h.call("PATCH", item, { body: { status } });
      expect(reply.status, reply.text).toBe(200);
    }
    await pump();
    await receiver.waitFor(() => seen("/lifecycle").length >= 4);
    expect(receiver.received.filter((r) => r.path === "/lifecycle").map((r) => [r.event.type, r.event.data])).toEqual([
      ["schema.registered", expect.objectContaining({ path: item, status: "Draft", semanticVersion: "1.0.0" })],
      ["version.published", expect.objectContaining({ path: item, status: "Published" })],
      ["version.deprecated", expect.objectContaining({ path: item, status: "Deprecated" })],
      ["version.removed", expect.objectContaining({ path: item, status: "Removed" })],
    ]);
  });

  it("rotate the secret: both sign until the previous one expires, or only the new one at once", async () => {
    const hook = await createWebhook({ url: `${receiver.origin}/rotated`, events: ["schema.registered"] });
    const rotate = (body?: unknown) =>
      h.call<Created & { previousSecretExpiresAt: string | null }>(
        "POST",
        `/api/webhooks/${hook.id}/rotate-secret`,
        body === undefined ? {} : { body },
      );
    const delivered = async (subject: string) => {
      await register(subject, avroRecord("Rotated"));
      await pump();
      const mine = (r: ReceivedDelivery) => r.path === "/rotated" && r.event.data.subject === subject;
      await receiver.waitFor(() => receiver.received.some(mine));
      const found = receiver.received.find(mine)!;
      const headers = found.headers as Record<string, string>;
      return {
        signatures: headers["webhook-signature"]!.split(" ").length,
        verifies: (secret: string) => verifyWebhook(secret, headers, found.body),
      };
    };

    const rotated = await rotate();
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(hook.secret);
    const until = Date.parse(rotated.json.previousSecretExpiresAt!);
    expect(until - Date.now()).toBeGreaterThan(23 * 3600_000);
    expect(until - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    const read = await h.call("GET", `/api/webhooks/${hook.id}`);
    expect(read.json).toMatchObject({ previousSecretExpiresAt: rotated.json.previousSecretExpiresAt });
    expect(read.text).not.toContain("whsec_");
    // While both sign, a receiver with either secret accepts the delivery.
    const both = await delivered("rotated-both-value");
    expect(both.signatures).toBe(2);
    expect(await both.verifies(rotated.json.secret)).toBeNull();
    expect(await both.verifies(hook.secret)).toBeNull();

    // Once the previous secret's time is over, only the new one signs.
    await (await h.d1())
      .prepare("UPDATE webhooks SET previous_secret_expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1000, hook.id)
      .run();
    expect((await h.call("GET", `/api/webhooks/${hook.id}`)).json).toMatchObject({ previousSecretExpiresAt: null });
    const expired = await delivered("rotated-expired-value");
    expect(expired.signatures).toBe(1);
    expect(await expired.verifies(rotated.json.secret)).toBeNull();
    expect(await expired.verifies(hook.secret)).toBe("bad_signature");
    // ...and the pump that sent it forgot the previous secret.
    const stored = await (await h.d1())
      .prepare("SELECT previous_secret, previous_secret_expires_at FROM webhooks WHERE id = ?")
      .bind(hook.id)
      .first();
    expect(stored).toEqual({ previous_secret: null, previous_secret_expires_at: null });

    // A leaked secret: 0 stops it at once.
    const revoked = await rotate({ previousSecretValidSeconds: 0 });
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.json.previousSecretExpiresAt).toBeNull();
    const alone = await delivered("rotated-alone-value");
    expect(alone.signatures).toBe(1);
    expect(await alone.verifies(revoked.json.secret)).toBeNull();
    expect(await alone.verifies(rotated.json.secret)).toBe("bad_signature");

    // Recorded without any secret; bad input and unknown webhooks refused in the API's shape.
    const audit = await h.call("GET", "/api/audit?action=webhook.rotate");
    expect(audit.text).toContain(hook.id);
    expect(audit.text).not.toContain("whsec_");
    const refusals: [unknown, string][] = [
      [{ previousSecretValidSeconds: -1 }, "invalid_request"],
      [{ previousSecretValidSeconds: 8 * 86400 }, "invalid_request"],
      [{ previousSecretValidSeconds: "soon" }, "invalid_request"],
      [{ keep: 1 }, "unknown_fields"],
    ];
    for (const [body, code] of refusals) {
      const refused = await rotate(body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect((refused.json as unknown as { error: { code: string } }).error.code).toBe(code);
    }
    const missing = await h.call("POST", "/api/webhooks/wh_aaaaaaaaaaaaaaaaaaaa/rotate-secret");
    expect(missing.status).toBe(404);
    // The refusals changed nothing: the last secret still signs, alone.
    const after = await delivered("rotated-after-value");
    expect([after.signatures, await after.verifies(revoked.json.secret)]).toEqual([1, null]);

    // Two rotations at once: each is one statement, so the one that ran second keeps the other's
    // secret as its previous one; the secret before both stops signing.
    const raced = await Promise.all([rotate(), rotate()]);
    expect(raced.map((r) => r.status)).toEqual([200, 200]);
    const last = await delivered("rotated-raced-value");
    expect(last.signatures).toBe(2);
    expect(await Promise.all(raced.map((r) => last.verifies(r.json.secret)))).toEqual([null, null]);
    expect(await last.verifies(revoked.json.secret)).toBe("bad_signature");
  });

  it("a test delivery answers how the receiver answered, and a failed one is retried", async () => {
    const hook = await createWebhook({ url: `${receiver.origin}/ping`, events: ["mode.changed"] });
    const ok = await h.call<{ delivered: boolean; status: number; eventId: string }>(
      "POST",
      `/api/webhooks/${hook.id}/test`,
    );
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ delivered: true, status: 200, error: null });
    expect(ok.headers.get(WEBHOOK_WAKE_HEADER)).toBeNull();
    const ping = receiver.received.find((r) => r.event.id === ok.json.eventId);
    expect(ping?.event).toMatchObject({ type: "webhook.test", data: { webhookId: hook.id } });
    expect(await verifyWebhook(hook.secret, ping!.headers as Record<string, string>, ping!.body)).toBeNull();

    receiver.answerWith("/ping", 503);
    const failed = await h.call("POST", `/api/webhooks/${hook.id}/test`);
    expect(failed.json).toMatchObject({ delivered: false, status: 503, error: "HTTP 503: receiver refused it" });
    expect(Number(failed.headers.get(WEBHOOK_WAKE_HEADER))).toBeGreaterThan(0);
    expect((await deliveries(hook.id)).map((d) => [d.eventType, d.status, d.attempts])).toEqual([
      ["webhook.test", "pending", 1],
      ["webhook.test", "delivered", 1],
    ]);
    await waitUntil(async () => {
      await pump();
      return (await deliveries(hook.id, "?status=pending")).length === 0;
    });
    expect((await deliveries(hook.id))[0]).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("a webhook whose receiver is gone fails its attempt with the reason, and is retried", async () => {
    const hook = await createWebhook({ url: "http://127.0.0.1:9/nothing-listens" });
    const reply = await h.call<{ delivered: boolean; status: null; error: string }>(
      "POST",
      `/api/webhooks/${hook.id}/test`,
    );
    expect(reply.json.delivered).toBe(false);
    expect(reply.json.status).toBeNull();
    expect(reply.json.error.length).toBeGreaterThan(0);
    expect((await deliveries(hook.id))[0]).toMatchObject({ status: "pending", lastStatus: null });
    expect((await h.call("DELETE", `/api/webhooks/${hook.id}`)).status).toBe(204);
  });
});

describe("a write whose outbox cannot be written", () => {
  let broken: AuthHarness;
  beforeAll(async () => {
    broken = await startAuthHarness("webhooks-broken", { bindings: { WEBHOOK_ALLOW_LOOPBACK: "true" } });
  });
  afterAll(async () => broken?.dispose());

  it("still succeeds, and its audit entry is still written", async () => {
    const created = await broken.call("POST", "/api/webhooks", { body: { url: `${receiver.origin}/broken` } });
    expect(created.status).toBe(201);
    await (await broken.d1()).exec("DROP TABLE webhook_deliveries");
    const write = await broken.call("POST", "/subjects/kept-value/versions", { body: { schema: avroRecord("Kept") } });
    expect(write.status, write.text).toBe(200);
    expect(write.headers.get(WEBHOOK_WAKE_HEADER)).toBeNull();
    expect((await broken.call("GET", "/subjects/kept-value/versions")).json).toEqual([1]);
    const audit = await broken.call<{ items: { action: string; outcome: string }[] }>(
      "GET",
      "/api/audit?action=subject.register",
    );
    expect(audit.json.items).toMatchObject([{ action: "subject.register", outcome: "ok" }]);
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("the condition did not hold in time");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
