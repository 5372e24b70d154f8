/**
 * How many D1 round trips a Confluent request makes (docs/confluent-api.md, "Registration speed"):
 * each is a call to D1 (the time of a registration was these calls, not parsing), so a change that
 * adds one to the hot paths fails here, and the count does not grow with a subject's versions.
 * Counted by wrapping the tenant's D1 binding (d1-round-trips.ts); every request carries the admin
 * key, whose check reads nothing from D1, as in bench:registry.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAuthHarness, type AuthHarness } from "../auth/auth-harness.ts";
import { ROUND_TRIPS_HEADER, ROUND_TRIPS_LOG_HEADER, ROWS_RETURNED_HEADER } from "../auth/d1-round-trips.ts";
import { CONFLUENT_JSON } from "./confluent-caller.ts";

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness("round-trips", { countRoundTrips: true });
}, 60_000);
afterAll(async () => {
  await h?.dispose();
});

/** A record with `fields` optional strings: each added field is a backward compatible change. */
const record = (name: string, fields: number) =>
  JSON.stringify({
    type: "record",
    name,
    fields: Array.from({ length: fields }, (_, i) => ({ name: `f${i}`, type: ["null", "string"], default: null })),
  });

/** Sends a request and answers its status, body and round trips (with what each ran, for messages). */
async function counted(method: string, path: string, body?: unknown) {
  const reply = await h.call(method, path, { body, headers: CONFLUENT_JSON });
  return {
    status: reply.status,
    text: reply.text,
    trips: Number(reply.headers.get(ROUND_TRIPS_HEADER)),
    log: reply.headers.get(ROUND_TRIPS_LOG_HEADER),
    rows: Number(reply.headers.get(ROWS_RETURNED_HEADER)),
  };
}

async function expectTrips(method: string, path: string, body: unknown, most: number) {
  const result = await counted(method, path, body);
  expect(result.status, result.text).toBe(200);
  expect(result.trips, `${method} ${path}: ${result.log}`).toBeLessThanOrEqual(most);
  expect(result.trips, "the wrapper counted nothing: is it wrapping the binding?").toBeGreaterThan(0);
  return result;
}

describe("D1 round trips of a Confluent registration", () => {
  // The subject with its settings and the audit log's before state; the write (the id, the version,
  // its possible twins read back, the audit log's after state); the audit entry. A new subject adds
  // its schema document.
  it("a new version of an existing subject: 3; a new subject's first: 4", async () => {
    await expectTrips("POST", "/subjects/rt-existing/versions", { schema: record("Existing", 1) }, 4);
    await expectTrips("POST", "/subjects/rt-existing/versions", { schema: record("Existing", 2) }, 3);
  });

  it("the same count in a named context (its first subject creates the context too)", async () => {
    await expectTrips("POST", "/subjects/:.rt-ctx:orders/versions", { schema: record("Ctx", 1) }, 6);
    await expectTrips("POST", "/subjects/:.rt-ctx:orders/versions", { schema: record("Ctx", 2) }, 3);
  });

  it("registering a schema the subject already has writes nothing: 2", async () => {
    await expectTrips("POST", "/subjects/rt-same/versions", { schema: record("Same", 1) }, 4);
    const again = await expectTrips("POST", "/subjects/rt-same/versions", { schema: record("Same", 1) }, 2);
    expect(JSON.parse(again.text)).toEqual({ id: expect.any(Number) });
  });

  it("does not grow with the subject's versions", async () => {
    await expectTrips("POST", "/subjects/rt-long/versions", { schema: record("Long", 1) }, 4);
    for (let fields = 2; fields <= 20; fields++)
      await expectTrips("POST", "/subjects/rt-long/versions", { schema: record("Long", fields) }, 3);
  });

  it("an alias reads its target and its settings in one more round trip", async () => {
    await expectTrips("POST", "/subjects/rt-target/versions", { schema: record("Target", 1) }, 4);
    expect((await counted("PUT", "/config/rt-alias", { alias: "rt-target" })).status).toBe(200);
    await expectTrips("POST", "/subjects/rt-alias/versions", { schema: record("Target", 2) }, 4);
  });

  it("with webhooks to notify, still 3: the events go in the audit entry's batch", async () => {
    const hook = await h.call<{ id: string }>("POST", "/api/webhooks", {
      body: { url: "https://hooks.example.com/round-trips" },
    });
    expect(hook.status, hook.text).toBe(201);
    try {
      await expectTrips("POST", "/subjects/rt-hooked/versions", { schema: record("Hooked", 1) }, 4);
      await expectTrips("POST", "/subjects/rt-hooked/versions", { schema: record("Hooked", 2) }, 3);
      const d1 = await h.d1();
      const queued = await d1
        .prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = ?")
        .bind(hook.json.id)
        .first<number>("n");
      // Each registration: schema.registered and version.published.
      expect(queued).toBe(4);
    } finally {
      await h.call("DELETE", `/api/webhooks/${hook.json.id}`);
    }
  });
});

describe("what impact analysis reads", () => {
  it("the subjects concerned only: the same rows and round trips however many other subjects there are", async () => {
    const uses = (name: string, target: string) => ({
      schema: JSON.stringify({ type: "record", name, fields: [{ name: "base", type: "ImpactBase" }] }),
      references: [{ name: "ImpactBase", subject: target, version: 1 }],
    });
    await expectTrips("POST", "/subjects/rt-impact-base/versions", { schema: record("ImpactBase", 1) }, 4);
    await expectTrips("POST", "/subjects/rt-impact-user/versions", uses("ImpactUser", "rt-impact-base"), 6);
    const analyse = async () => {
      const result = await counted("POST", "/impact/subjects/rt-impact-base", { schema: record("ImpactBase", 2) });
      expect(result.status, result.text).toBe(200);
      expect(JSON.parse(result.text)).toMatchObject({ dependents: [{ subject: "rt-impact-user" }], safe: true });
      return result;
    };
    const before = await analyse();
    expect(before.rows).toBeGreaterThan(0);
    // Other subjects, some with several versions, some referencing a base of their own.
    await expectTrips("POST", "/subjects/rt-other-base/versions", { schema: record("ImpactBase", 1) }, 4);
    for (let n = 0; n < 12; n++) {
      await expectTrips("POST", `/subjects/rt-other-${n}/versions`, { schema: record(`Other${n}`, 1) }, 4);
      await expectTrips("POST", `/subjects/rt-other-${n}/versions`, { schema: record(`Other${n}`, 2) }, 3);
      await expectTrips("POST", `/subjects/rt-other-user-${n}/versions`, uses(`OtherUser${n}`, "rt-other-base"), 6);
    }
    const after = await analyse();
    expect([after.rows, after.trips], `${before.log}\n${after.log}`).toEqual([before.rows, before.trips]);
  });
});

describe("D1 round trips of Confluent reads", () => {
  it("a subject's version, its versions, and a schema by id", async () => {
    const { text } = await expectTrips("POST", "/subjects/rt-read/versions", { schema: record("Read", 1) }, 4);
    const { id } = JSON.parse(text) as { id: number };
    await expectTrips("GET", "/subjects/rt-read/versions/latest", undefined, 2);
    await expectTrips("GET", "/subjects/rt-read/versions", undefined, 2);
    await expectTrips("GET", `/schemas/ids/${id}?subject=rt-read`, undefined, 2);
  });
});
