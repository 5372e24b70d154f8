/**
 * Keeps `npm run conformance` from rotting and its steps strict: the runner plays a tiny fixture
 * feature on a real local platform (one pooled tenant, reset before each scenario), with
 * bookmarks and without, and its report has the promised shape; the reset really empties the
 * registry between scenarios (the schema id cache included); and the steps fail on crafted
 * replies a lenient step would have let pass (no platform needed for those).
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { SentRequest } from "../../scripts/conformance/audit-event-step.ts";
import {
  formatReport,
  runConformance,
  RunnerError,
  type ConformanceReport,
} from "../../scripts/conformance/conformance-runner.ts";
import {
  matchStep,
  StepSkipped,
  type ScenarioWorld,
  type StepArgument,
  type StepReply,
} from "../../scripts/conformance/confluent-steps.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures", import.meta.url));

function playFixture(bookmarks: boolean): Promise<ConformanceReport> {
  // One tenant, so every scenario runs on the same one: the third passes only if the reset
  // between scenarios really gave it an empty registry again.
  return runConformance({
    suiteDir: FIXTURES,
    featuresDir: FIXTURES,
    files: ["runner-smoke.feature"],
    platforms: 1,
    tenants: 1,
    bookmarks,
  });
}

function expectFixtureOutcome(report: ConformanceReport): void {
  expect(report.total.scenarios).toBe(4);
  expect(report.files).toEqual([expect.objectContaining({ file: "runner-smoke.feature", scenarios: 4 })]);
  const [health, register, fresh, flux] = report.scenarios;
  expect(health).toMatchObject({
    status: "passed",
    skippedSteps: [{ step: "the audit log should contain an event:", reason: expect.stringContaining("health") }],
    auditChecked: 0,
  });
  // The registration's audit step is checked against /api/audit; the lookup's is skipped (a read).
  expect(register).toMatchObject({
    status: "passed",
    auditChecked: 1,
    skippedSteps: [{ step: "the audit log should contain an event:", reason: expect.stringContaining("read") }],
  });
  expect(fresh).toMatchObject({ status: "passed" });
  expect(fresh!.message).toBeUndefined();
  expect(flux).toMatchObject({ status: "undefined", step: "the registry has a flux capacitor" });
  expect(report.undefinedSteps).toEqual([{ step: "the registry has a flux capacitor", scenarios: 1 }]);
  expect(report.skippedSteps).toHaveLength(2);
  expect(report.auditChecked).toEqual({ steps: 1, scenarios: 1 });
  expect(report.total.passed + report.total.failed + report.total.undefined + report.total.error).toBe(4);
  expect(report.total.passRate).toBe(75);
}

describe("the conformance runner", () => {
  it("refuses clearly when the suite is missing", async () => {
    await expect(runConformance({ suiteDir: "/nonexistent/shared/conformance/confluent-bdd" })).rejects.toThrow(
      RunnerError,
    );
    await expect(runConformance({ suiteDir: "/nonexistent/shared/conformance/confluent-bdd" })).rejects.toThrow(
      /core\.txt.*\.\.\/shared/,
    );
  });

  it(`plays a feature with bookmarks on a reset pooled tenant and reports per file, in total, \
with audit checks, skips and undefined steps`, async () => {
    const report = await playFixture(true);
    expectFixtureOutcome(report);
    expect(report.bookmarks).toBe(true);
    // Every id read carried a bookmark, so the Worker read D1 past its id cache each time.
    expect(report.idCache).toEqual({ hit: 0, miss: 0, bypass: 3 });
    // One JSON object, and a text report naming the mode, the file, the total and every skip.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    const text = formatReport(report);
    expect(text).toContain("bookmarks: on");
    expect(text).toMatch(/runner-smoke\.feature\s+3\/4/);
    expect(text).toMatch(/TOTAL\s+3\/4/);
    expect(text).toContain("Audit-log steps checked against /api/audit and held: 1 in 1 scenario(s)");
    expect(text).toContain("runner-smoke.feature:10 A tenant answers its health check (1 skipped)");
    expect(text).toContain("the registry has a flux capacitor");
  });

  it(`plays it without any bookmark, as a plain Confluent client: the id cache answers, \
and the reset evicts it`, async () => {
    const report = await playFixture(false);
    expectFixtureOutcome(report);
    expect(report.bookmarks).toBe(false);
    // No request carried a bookmark: the first id read filled the cache and the second was a hit;
    // after the reset, id 1 was read from D1 again (a miss answering 404), not from the cache.
    expect(report.idCache).toEqual({ hit: 1, miss: 2, bypass: 0 });
    expect(formatReport(report)).toContain("bookmarks: off (no x-d1-bookmark header");
  });
});

/** A world whose requests get crafted replies: what a step concludes from them, without a registry. */
function craftedWorld(answer: (method: string, path: string, body: unknown) => Partial<StepReply>): ScenarioWorld {
  const world: ScenarioWorld = {
    stored: new Map(),
    requests: [],
    keyId: "admin",
    async call(method, path, body) {
      const reply = { status: 200, headers: {}, body: "", ...answer(method, path, body) };
      world.requests.push({ method, path, status: reply.status, requestId: `req-${world.requests.length + 1}` });
      world.last = reply;
      return reply;
    },
  };
  return world;
}

function play(world: ScenarioWorld, text: string, argument?: StepArgument): Promise<void> {
  const definition = matchStep(text);
  if (definition === undefined) throw new Error(`no step definition for ${text}`);
  return definition.run(world, argument);
}

const json = (value: unknown): Partial<StepReply> => ({ body: JSON.stringify(value) });

describe("strict steps, on crafted replies", () => {
  it("an empty or null body is not an empty array", async () => {
    for (const body of ["", "null", " null\n", "{}"]) {
      const world = craftedWorld(() => ({ body }));
      await play(world, 'I GET "/subjects"');
      await expect(play(world, "the response should be an array of length 0")).rejects.toThrow(
        /not JSON|not a JSON array/,
      );
    }
    const world = craftedWorld(() => json([]));
    await play(world, 'I GET "/subjects"');
    await play(world, "the response should be an array of length 0");
  });

  const bulk = {
    docString: JSON.stringify({
      schemas: [300, 301, 302].map((id) => ({ id, subject: `bulk-${id}`, version: 1, schema: '"string"' })),
    }),
  };

  const tally = (imported: number[], failed: number[]) => ({
    imported: imported.length,
    errors: failed.length,
    results: [...imported, ...failed]
      .sort()
      .map((id) => ({ id, subject: `bulk-${id}`, version: 1, success: imported.includes(id) })),
  });

  it("an import keeps the endpoint's real reply and tally", async () => {
    const world = craftedWorld((_m, path) => {
      expect(path).toBe("/import/schemas");
      return json(tally([300, 301], [302]));
    });
    await play(world, "I import schemas:", bulk);
    await play(world, "the import should have 2 imported and 1 errors");
    await expect(play(world, "the import should have 3 imported and 0 errors")).rejects.toThrow(/expected 3 imported/);
    const refused = craftedWorld(() => ({
      status: 422,
      ...json({ error_code: 42205, ...tally([], [300, 301, 302]) }),
    }));
    await play(refused, "I import schemas:", bulk);
    await play(refused, "the import should have 0 imported and 3 errors");
    await expect(play(refused, "the response status should be 200")).rejects.toThrow(/expected status 200, got 422/);
  });

  it("an import step fails on a reply that is neither an import tally nor a refusal", async () => {
    const cases: [string, Partial<StepReply>][] = [
      ["a 5xx", { status: 500, ...json({ error_code: 50001 }) }],
      ["a success with another id", json({ ...tally([300, 301, 302], []), results: [{ id: 7, success: true }] })],
      ["a tally that is not the results'", json({ ...tally([300, 301], [302]), imported: 3, errors: 0 })],
      ["a result missing", json({ ...tally([300, 301], []), errors: 1 })],
      ["a 200 with no tally", json({ id: 300 })],
      ["a 422 that imported something", { status: 422, ...json({ error_code: 42205, ...tally([300], [301, 302]) }) }],
      ["a 4xx without an error code", { status: 400, ...json({ error: { code: "bad_request" } }) }],
    ];
    for (const [what, reply] of cases) {
      const world = craftedWorld(() => reply);
      await expect(play(world, "I import schemas:", bulk), what).rejects.toThrow(/the import of 3 schema/);
    }
    const single = craftedWorld(() => json({ id: 300 }));
    await expect(
      play(single, 'I import a schema with ID 300 under subject "one" version 1:', { docString: '"string"' }),
    ).rejects.toThrow(/the import of 1 schema/);
  });

  it("a setup step checks that its state took", async () => {
    const refused = craftedWorld(() => ({ status: 422, ...json({ error_code: 42203 }) }));
    for (const text of [
      'the global compatibility level is "NONE"',
      'subject "s" has compatibility level "FULL"',
      'the global mode is "IMPORT"',
      'subject "s" has mode "READONLY"',
      "the schema registry is running",
    ])
      await expect(play(refused, text), text).rejects.toThrow(/setup .* answered 422/);
    await expect(
      play(
        craftedWorld(() => json(["left-over"])),
        "no subjects exist",
      ),
    ).rejects.toThrow(/subjects exist/);
    // The When forms send and leave the verdict to the feature's own assertions.
    await play(refused, 'I set the global compatibility level to "NONE"');
  });

  it("concurrent writers' ids must be there to be unique or identical", async () => {
    const world = craftedWorld(() => ({ body: "{}" }));
    await play(world, '3 goroutines register the same Avro schema to subject "same"');
    await expect(play(world, "all returned schema IDs should be identical")).rejects.toThrow(/no integer id/);
    const refused = craftedWorld(() => ({ status: 409, ...json({ error_code: 409 }) }));
    await play(refused, "3 goroutines each register a unique Avro schema to separate subjects");
    await expect(play(refused, "all returned schema IDs should be unique")).rejects.toThrow(/no concurrent writer/);
  });

  const registerEvent = (fields: Record<string, string> = {}): StepArgument => ({
    table: Object.entries({
      event_type: "schema_register",
      outcome: "success",
      actor_id: "",
      actor_type: "anonymous",
      target_type: "subject",
      target_id: "smoke-value",
      schema_id: "*",
      before_hash: "",
      after_hash: "sha256:*",
      method: "POST",
      path: "/subjects/smoke-value/versions",
      status_code: "200",
      timestamp: "*",
      request_id: "*",
      ...fields,
    }),
  });
  const entry = (fields: Record<string, unknown> = {}) => ({
    id: 1,
    at: "2026-01-01T00:00:00.000Z",
    actor: "admin",
    action: "subject.register",
    target: "/subjects/smoke-value/versions",
    outcome: "ok",
    status: 200,
    requestId: "req-1",
    beforeHash: null,
    afterHash: "a".repeat(64),
    ...fields,
  });
  /** A world that registered under smoke-value (request req-1) and whose audit log holds `entries`. */
  async function registeredWith(entries: unknown[]): Promise<ScenarioWorld> {
    const world = craftedWorld((_m, path) =>
      path.startsWith("/api/audit") ? json({ items: entries, nextCursor: null }) : json({ id: 1 }),
    );
    await play(world, 'I register a schema under subject "smoke-value":', { docString: '"string"' });
    return world;
  }

  it("an audit step is checked against /api/audit, and the reply the features look at stays theirs", async () => {
    const world = await registeredWith([entry()]);
    await play(world, "the audit log should contain an event:", registerEvent());
    expect(world.last).toMatchObject({ body: JSON.stringify({ id: 1 }) });
    expect(world.requests.map((r: SentRequest) => `${r.method} ${r.path.split("?")[0]}`)).toEqual([
      "POST /subjects/smoke-value/versions",
      "GET /api/audit",
    ]);
  });

  it("an audit step fails when the audit log does not hold the event", async () => {
    const wrong: [string, unknown[], RegExp][] = [
      ["no entry", [], /has no entry/],
      ["another request's entry", [entry({ requestId: "req-9" })], /has no entry/],
      ["another action", [entry({ action: "subject.lookup" })], /action subject\.lookup/],
      ["another status", [entry({ status: 409, outcome: "error" })], /status 409/],
      ["another actor", [entry({ actor: "k1" })], /actor k1/],
      ["no after hash", [entry({ afterHash: null })], /afterHash null, expected a sha-256/],
      ["another target", [entry({ target: "/subjects/other/versions" })], /target \/subjects\/other/],
    ];
    for (const [what, entries, message] of wrong) {
      const world = await registeredWith(entries);
      await expect(play(world, "the audit log should contain an event:", registerEvent()), what).rejects.toThrow(
        message,
      );
    }
    // A failure records no hashes: an entry that hashes a refused change does not match.
    const refused = await registeredWith([entry({ status: 409, outcome: "error", afterHash: "b".repeat(64) })]);
    await expect(
      play(
        refused,
        "the audit log should contain an event:",
        registerEvent({ outcome: "failure", status_code: "409", after_hash: "" }),
      ),
    ).rejects.toThrow(/afterHash b+, expected none/);
    // The event must be one of this scenario's requests.
    await expect(
      play(await registeredWith([entry()]), "the audit log should contain an event:", registerEvent({ path: "/x" })),
    ).rejects.toThrow(/no request of this scenario was POST \/x/);
  });

  it("audit events the product does not log are skipped with their reason, not passed", async () => {
    const world = await registeredWith([]);
    const skipped = (table: string[][]) =>
      play(world, "the audit log should contain an event:", { table }).then(
        () => "held",
        (error: unknown) => (error instanceof StepSkipped ? error.message : "failed"),
      );
    expect(await skipped([["event_type", "schema_lookup"]])).toMatch(/records changes, not reads/);
    expect(await skipped([["event_type", "compatibility_check"]])).toMatch(/records changes, not reads/);
    expect(await skipped([["event_type", "exporter_create"]])).toMatch(/no counterpart/);
    // An event the product does log is never skipped: here the log is empty, so the step fails.
    expect(await skipped(registerEvent().table!)).toBe("failed");
  });
});
