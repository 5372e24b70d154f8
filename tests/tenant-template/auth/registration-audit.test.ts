/**
 * The audit entry of a Confluent registration (docs/security.md, docs/confluent-api.md): one entry
 * per registration, whose before and after hashes are checked against the subject's state read
 * straight from D1 just before and just after the request, by this file's own queries (the ones
 * audit/confluent-state.ts runs, so a hash also stays what earlier entries chain on), for new and
 * existing subjects, settings, metadata, contexts, aliases, idempotent registrations, IMPORT, and
 * registrations running at the same time. Whatever way registration reads and writes (perf's
 * two-batch registration, when ported, computes the after hash ahead), these must hold.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashJson } from "../../../contracts/api-key.ts";
import type { StoredAuditEntry } from "../../../contracts/audit-entry.ts";
import { startAuthHarness, type AuthHarness } from "./auth-harness.ts";
import { avroRecord } from "../../support/avro-record.ts";

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness("registration-audit");
}, 60_000);
afterAll(async () => {
  await h?.dispose();
});

const record = avroRecord;

const MY_DOMAIN = "00000000-0000-7000-8000-000000000002";
const MY_CONTEXT = "00000000-0000-7000-8000-000000000003";

/**
 * The hash the audit log gives the state of `subject` (qualified, `:.ctx:name` or a plain name)
 * under the URL context `context` (`.ctx`), now: its schema (by name in its context, the Events
 * one first, then the oldest), that schema's versions, and the settings of the subject, the URL's
 * context and __GLOBAL.
 */
async function stateHash(subject: string, context?: string): Promise<string | null> {
  const db = await h.d1();
  const qualified = /^:\.([^:]*):(.*)$/s.exec(subject);
  const [ctx, name] = qualified === null ? [".", subject] : [qualified[1] || ".", qualified[2]!];
  const contextId =
    ctx === "."
      ? (await db.prepare("SELECT id FROM contexts WHERE id = ?").bind(MY_CONTEXT).first<{ id: string }>())?.id
      : (
          await db
            .prepare("SELECT id FROM contexts WHERE domain_id = ? AND name = ? ORDER BY id LIMIT 1")
            .bind(MY_DOMAIN, ctx)
            .first<{ id: string }>()
        )?.id;
  const schema =
    contextId === undefined
      ? null
      : await db
          .prepare(
            "SELECT id FROM schemas WHERE context_id = ? AND name = ? " +
              "ORDER BY schema_type_category = 'Events' DESC, created_at, id LIMIT 1",
          )
          .bind(contextId, name)
          .first<{ id: string }>();
  const versions =
    schema === null
      ? null
      : (
          await db
            .prepare(
              `SELECT sv.id, sv._version AS documentVersion, sv.status, cv.version, cv.global_id AS id, ` +
                `cv.metadata, cv.rule_set AS ruleSet
           FROM schema_versions sv LEFT JOIN confluent_versions cv ON cv.version_id = sv.id
           WHERE sv.schema_id = ? ORDER BY sv.id`,
            )
            .bind(schema.id)
            .all()
        ).results;
  const urlContext = context === undefined ? "" : `:.${context.replace(/^\./, "")}:`;
  const { results: settings } = await db
    .prepare("SELECT subject, config, mode FROM confluent_settings WHERE subject IN (?, ?, ?) ORDER BY subject")
    .bind(subject, urlContext, ":.__GLOBAL:")
    .all();
  return versions === null && settings.length === 0 ? null : hashJson({ subject, versions, settings });
}

let requests = 0;
/** Sends one request with a fresh request id and answers its status, body and audit entries. */
async function audited(method: string, path: string, body?: unknown) {
  const requestId = `reg-audit-${++requests}`;
  const reply = await h.call(method, path, { body, headers: { "x-request-id": requestId } });
  const entries = await entriesOf([requestId]);
  return { reply, entries: entries.get(requestId) ?? [] };
}

async function entriesOf(requestIds: readonly string[]): Promise<Map<string, StoredAuditEntry[]>> {
  const page = await h.call<{ items: StoredAuditEntry[] }>("GET", "/api/audit?limit=500");
  expect(page.status, page.text).toBe(200);
  const wanted = new Set(requestIds);
  const found = new Map<string, StoredAuditEntry[]>();
  for (const entry of page.json.items)
    if (wanted.has(entry.requestId)) found.set(entry.requestId, [...(found.get(entry.requestId) ?? []), entry]);
  return found;
}

/** A registration whose one entry hashes the states read around it. */
async function expectRegistration(
  path: string,
  body: unknown,
  subject: string,
  context?: string,
): Promise<{ id: number; before: string | null; after: string | null }> {
  const before = await stateHash(subject, context);
  const { reply, entries } = await audited("POST", path, body);
  expect(reply.status, reply.text).toBe(200);
  const after = await stateHash(subject, context);
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({
    action: "subject.register",
    outcome: "ok",
    status: 200,
    target: path,
    beforeHash: before,
    afterHash: after,
  });
  return { id: (reply.json as { id: number }).id, before, after };
}

describe("a registration's audit entry", () => {
  it("hashes the state before and after, through new and existing subjects, settings and metadata", async () => {
    const path = "/subjects/chain-value/versions";
    const first = await expectRegistration(path, { schema: record("Chain") }, "chain-value");
    expect(first.before).toBeNull();
    expect(first.after).not.toBeNull();
    // A setting of the subject's own is part of its state.
    expect((await h.call("PUT", "/config/chain-value", { body: { compatibility: "BACKWARD" } })).status).toBe(200);
    const second = await expectRegistration(path, { schema: record("Chain", ["a"]) }, "chain-value");
    expect(second.after).not.toBe(second.before);
    // The same schema again: nothing changes, and the entry says so.
    const again = await expectRegistration(path, { schema: record("Chain", ["a"]) }, "chain-value");
    expect(again.id).toBe(second.id);
    expect(again.after).toBe(again.before);
    // Metadata and a rule set are part of a version's state.
    await expectRegistration(
      path,
      {
        schema: record("Chain", ["a", "b"]),
        metadata: { properties: { owner: 'team "a"\nline' } },
        ruleSet: { domainRules: [{ name: "r", kind: "CONDITION", mode: "WRITE", type: "CEL", expr: "true" }] },
      },
      "chain-value",
    );
    // After a soft delete, and with the root level set too.
    expect((await h.call("DELETE", "/subjects/chain-value/versions/1")).status).toBe(200);
    expect((await h.call("PUT", "/config", { body: { compatibility: "BACKWARD" } })).status).toBe(200);
    await expectRegistration(path, { schema: record("Chain", ["a", "b", "c"]) }, "chain-value");
    const versions = await h.call<number[]>("GET", "/subjects/chain-value/versions");
    expect(versions.json).toEqual([2, 3, 4]);
  });

  it("hashes the state of the subject the URL names: in a context, qualified, or an alias of another", async () => {
    await expectRegistration(
      "/contexts/.audctx/subjects/ctx-value/versions",
      { schema: record("InContext") },
      ":.audctx:ctx-value",
      ".audctx",
    );
    await expectRegistration(
      `/subjects/${encodeURIComponent(":.audctx:q-value")}/versions`,
      { schema: record("Qualified") },
      ":.audctx:q-value",
    );
    // Under /contexts/.audctx the context's own settings are part of the state.
    expect((await h.call("PUT", "/contexts/.audctx/config", { body: { compatibility: "FULL" } })).status).toBe(200);
    await expectRegistration(
      "/contexts/.audctx/subjects/ctx-value/versions",
      { schema: record("InContext", ["x"]) },
      ":.audctx:ctx-value",
      ".audctx",
    );
    // An alias: the version goes to the target; the entry hashes the aliasing subject, unchanged.
    expect((await h.call("PUT", "/config/alias-value", { body: { alias: "target-value" } })).status).toBe(200);
    const aliased = await expectRegistration(
      "/subjects/alias-value/versions",
      { schema: record("Aliased") },
      "alias-value",
    );
    expect(aliased.after).toBe(aliased.before);
    expect((await h.call<number[]>("GET", "/subjects/target-value/versions")).json).toEqual([1]);
  });

  it("hashes an IMPORT's state too", async () => {
    expect((await h.call("PUT", "/mode/imported-value", { body: { mode: "IMPORT" } })).status).toBe(200);
    await expectRegistration(
      "/subjects/imported-value/versions",
      { schema: record("Imported"), id: 9000, version: 3 },
      "imported-value",
    );
    expect((await h.call<{ id: number }>("GET", "/subjects/imported-value/versions/3")).json.id).toBe(9000);
  });

  it("is recorded once per registration when many run at once, each with the state it left", async () => {
    const subjects = Array.from({ length: 8 }, (_, i) => `parallel-${i}-value`);
    const befores = await Promise.all(subjects.map((subject) => stateHash(subject)));
    const replies = await h.callMany(
      subjects.map((subject, i) => ({
        method: "POST",
        path: `/subjects/${subject}/versions`,
        body: { schema: record(`Parallel${i}`) },
        headers: { "x-request-id": `parallel-${i}` },
      })),
      8,
    );
    for (const reply of replies) expect(reply.status, reply.text).toBe(200);
    // Each got an id of its own.
    expect(new Set(replies.map((reply) => (reply.json as { id: number }).id)).size).toBe(subjects.length);
    const entries = await entriesOf(subjects.map((_, i) => `parallel-${i}`));
    for (const [i, subject] of subjects.entries()) {
      const mine = entries.get(`parallel-${i}`) ?? [];
      expect(mine, subject).toHaveLength(1);
      expect(mine[0]).toMatchObject({ outcome: "ok", beforeHash: befores[i], afterHash: await stateHash(subject) });
    }
  });

  it("concurrent registrations of one schema in one new subject: one version, one id, one entry each", async () => {
    const replies = await h.callMany(
      Array.from({ length: 6 }, (_, i) => ({
        method: "POST",
        path: "/subjects/twins-value/versions",
        body: { schema: record("Twin") },
        headers: { "x-request-id": `twin-${i}` },
      })),
      6,
    );
    for (const reply of replies) expect(reply.status, reply.text).toBe(200);
    expect(new Set(replies.map((reply) => (reply.json as { id: number }).id)).size).toBe(1);
    expect((await h.call<number[]>("GET", "/subjects/twins-value/versions")).json).toEqual([1]);
    const entries = await entriesOf(Array.from({ length: 6 }, (_, i) => `twin-${i}`));
    for (let i = 0; i < 6; i++) expect(entries.get(`twin-${i}`) ?? [], `twin-${i}`).toHaveLength(1);
  });
});
