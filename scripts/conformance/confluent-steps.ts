/**
 * Step definitions for the confluent-bdd features: each step is an HTTP call to the Confluent API
 * at the tenant's root, or an assertion on the last response, or a stored value. The meaning of
 * each step follows the features' own README and their authors' step names (the same request a
 * Confluent client would send); nothing here knows how the registry is built. The steps are
 * strict: no reply is made up, an empty body is not an empty list, a setup step checks that its
 * state took, and the audit-log steps read the tenant's own audit log (audit-event-step.ts).
 */
import { auditExpectation, checkAuditEntry, type SentRequest } from "./audit-event-step.ts";

/** One reply from the registry under test. */
export interface StepReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** What the steps of one scenario share: a way to call the tenant, the last reply, stored values. */
export interface ScenarioWorld {
  /** Sends a request, records it in `requests` and keeps its reply as `last`. */
  call(method: string, path: string, body?: unknown): Promise<StepReply>;
  last?: StepReply;
  stored: Map<string, unknown>;
  /** Every request the scenario sent, in order, with its reply's request id (for the audit steps). */
  requests: SentRequest[];
  /** The id of the API key the runner sends: the actor the tenant's audit log must name. */
  keyId: string;
  /** Tally of the last import step, which the features then assert. */
  imports?: { imported: number; errors: number };
  /** Replies of the last concurrent step ("N goroutines ..."), each with the role that sent it. */
  concurrent?: { role: "writer" | "reader"; reply: StepReply }[];
  /** Subjects made by "N subjects each with one Avro schema", for the step that deletes them. */
  concurrentSubjects?: string[];
}

/** A step the runner deliberately does not play: the scenario goes on, and the reason is reported. */
export class StepSkipped extends Error {}

/** What a step may carry under its text: a doc string or a data table. */
export interface StepArgument {
  docString?: string | undefined;
  table?: string[][] | undefined;
}

interface StepDefinition {
  pattern: RegExp;
  run(world: ScenarioWorld, args: string[], docString: string | undefined, table: string[][] | undefined): unknown;
}

const definitions: StepDefinition[] = [];
function step(pattern: RegExp, run: StepDefinition["run"]): void {
  definitions.push({ pattern, run });
}

/** Finds the definition for a step's text; undefined when no definition matches. */
export function matchStep(
  text: string,
): { run: (world: ScenarioWorld, argument?: StepArgument) => Promise<void> } | undefined {
  for (const definition of definitions) {
    const match = definition.pattern.exec(text);
    if (match)
      return {
        run: async (world, argument = {}) =>
          void (await definition.run(world, match.slice(1), argument.docString, argument.table)),
      };
  }
  return undefined;
}

// ---- helpers -------------------------------------------------------------------------------

function enc(subject: string): string {
  // Subjects may hold ":.ctx:" prefixes and unicode; Confluent clients percent-encode them.
  return encodeURIComponent(subject);
}

function need(doc: string | undefined): string {
  if (doc === undefined) throw new Error("the step needs a doc string");
  return doc;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${what} is not JSON: ${text.slice(0, 300)}`);
  }
}

function last(world: ScenarioWorld): StepReply {
  if (!world.last) throw new Error("no request was sent before this assertion");
  return world.last;
}

function lastJson(world: ScenarioWorld): unknown {
  return parseJson(last(world).body, "the response");
}

function show(world: ScenarioWorld): string {
  const reply = last(world);
  return `${reply.status} ${reply.body.slice(0, 300)}`;
}

/** A field of the last JSON reply by dotted path (`a.b`, `schemas.0.id`); `found` false when absent. */
function field(world: ScenarioWorld, path: string): { found: boolean; value: unknown } {
  let value: unknown = lastJson(world);
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || !(key in value)) return { found: false, value: undefined };
    value = (value as Record<string, unknown>)[key];
  }
  return { found: true, value };
}

function requireField(world: ScenarioWorld, path: string): unknown {
  const { found, value } = field(world, path);
  if (!found) throw new Error(`the response has no field "${path}": ${show(world)}`);
  return value;
}

/** How the features compare a field with a quoted value: as text, whatever JSON type it has. */
function asText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function storedValue(world: ScenarioWorld, key: string): unknown {
  if (!world.stored.has(key)) throw new Error(`nothing was stored as "${key}"`);
  return world.stored.get(key);
}

function lastArray(world: ScenarioWorld): unknown[] {
  const value = lastJson(world);
  if (!Array.isArray(value)) throw new Error(`the response is not a JSON array: ${show(world)}`);
  return value;
}

async function registerExpecting200(
  world: ScenarioWorld,
  subject: string,
  body: Record<string, unknown>,
): Promise<void> {
  const reply = await world.call("POST", `/subjects/${enc(subject)}/versions`, body);
  if (reply.status !== 200)
    throw new Error(`setup registration under "${subject}" answered ${reply.status}: ${reply.body.slice(0, 300)}`);
}

/** A setup step ("Given the global mode is ..."): the state it names must really be set. */
async function setupExpecting200(world: ScenarioWorld, method: string, path: string, body?: unknown): Promise<void> {
  const reply = await world.call(method, path, body);
  if (reply.status !== 200) throw new Error(`setup ${method} ${path} answered ${reply.status}: ${show(world)}`);
}

function typed(schemaType: string | undefined, body: Record<string, unknown>): Record<string, unknown> {
  return schemaType === undefined ? body : { ...body, schemaType };
}

function reference(
  name: string,
  subject: string,
  version: string,
): { references: { name: string; subject: string; version: number }[] } {
  return { references: [{ name, subject, version: Number(version) }] };
}

// ---- setup and generic HTTP ------------------------------------------------------------------

// Setup steps check the state they name: a Given that did not take would leave the scenario
// testing something else.
step(/^the schema registry is running$/, (w) => setupExpecting200(w, "GET", "/"));
step(/^no subjects exist$/, async (w) => {
  // Every scenario starts on a reset registry; this checks it, it does not delete anything.
  await setupExpecting200(w, "GET", "/subjects?deleted=true");
  if (lastArray(w).length !== 0) throw new Error(`subjects exist at the start of the scenario: ${show(w)}`);
});
step(/^I (GET|DELETE|PATCH) "([^"]*)"$/, async (w, [method, path]) => void (await w.call(method!, path!)));
step(
  /^I (POST|PUT) "([^"]*)" with body:$/,
  async (w, [method, path], doc) => void (await w.call(method!, path!, parseJson(need(doc), "the step's body"))),
);

step(/^subject "([^"]*)" has schema:$/, (w, [subject], doc) =>
  registerExpecting200(w, subject!, { schema: need(doc) }),
);
step(/^subject "([^"]*)" has "([^"]*)" schema:$/, (w, [subject, type], doc) =>
  registerExpecting200(w, subject!, { schema: need(doc), schemaType: type }),
);
step(
  /^subject "([^"]*)" has "([^"]*)" schema with reference "([^"]*)" from subject "([^"]*)" version (\d+):$/,
  (w, [subject, type, name, from, version], doc) =>
    registerExpecting200(w, subject!, { schema: need(doc), schemaType: type, ...reference(name!, from!, version!) }),
);

// ---- config and mode -----------------------------------------------------------------------

step(/^the global compatibility level is "([^"]*)"$/, (w, [level]) =>
  setupExpecting200(w, "PUT", "/config", { compatibility: level }),
);
step(
  /^I set the global (?:config|compatibility level) to "([^"]*)"$/,
  async (w, [level]) => void (await w.call("PUT", "/config", { compatibility: level })),
);
step(/^subject "([^"]*)" has compatibility level "([^"]*)"$/, (w, [s, level]) =>
  setupExpecting200(w, "PUT", `/config/${enc(s!)}`, { compatibility: level }),
);
step(
  /^I set the config for subject "([^"]*)" to "([^"]*)"$/,
  async (w, [s, level]) => void (await w.call("PUT", `/config/${enc(s!)}`, { compatibility: level })),
);
step(/^I get the global config$/, async (w) => void (await w.call("GET", "/config")));
step(/^I delete the global config$/, async (w) => void (await w.call("DELETE", "/config")));
step(/^I get the config for subject "([^"]*)"$/, async (w, [s]) => void (await w.call("GET", `/config/${enc(s!)}`)));
step(
  /^I delete the config for subject "([^"]*)"$/,
  async (w, [s]) => void (await w.call("DELETE", `/config/${enc(s!)}`)),
);
// Setting a mode by these steps is the operator's deliberate act, so they send force=true: the
// features switch to IMPORT over existing subjects with them and expect it to work, while their
// raw `PUT "/mode"` without force over existing subjects expects 42205.
step(/^the global mode is "([^"]*)"$/, (w, [mode]) => setupExpecting200(w, "PUT", "/mode?force=true", { mode }));
step(
  /^I set the global mode to "([^"]*)"$/,
  async (w, [mode]) => void (await w.call("PUT", "/mode?force=true", { mode })),
);
step(/^subject "([^"]*)" has mode "([^"]*)"$/, (w, [s, mode]) =>
  setupExpecting200(w, "PUT", `/mode/${enc(s!)}?force=true`, { mode }),
);
step(
  /^I set the mode for subject "([^"]*)" to "([^"]*)"$/,
  async (w, [s, mode]) => void (await w.call("PUT", `/mode/${enc(s!)}?force=true`, { mode })),
);
step(/^I get the global mode$/, async (w) => void (await w.call("GET", "/mode")));
step(/^I get the mode for subject "([^"]*)"$/, async (w, [s]) => void (await w.call("GET", `/mode/${enc(s!)}`)));
step(/^I delete the mode for subject "([^"]*)"$/, async (w, [s]) => void (await w.call("DELETE", `/mode/${enc(s!)}`)));

// ---- schemas, subjects, versions -------------------------------------------------------------

step(
  /^I register a schema under subject "([^"]*)":$/,
  async (w, [s], doc) => void (await w.call("POST", `/subjects/${enc(s!)}/versions`, { schema: need(doc) })),
);
step(
  /^I register a "([^"]*)" schema under subject "([^"]*)":$/,
  async (w, [type, s], doc) =>
    void (await w.call("POST", `/subjects/${enc(s!)}/versions`, { schema: need(doc), schemaType: type })),
);
step(
  /^I register a schema under subject "([^"]*)" with references:$/,
  async (w, [s], doc) =>
    void (await w.call("POST", `/subjects/${enc(s!)}/versions`, parseJson(need(doc), "the step's body"))),
);
step(
  /^I register a "([^"]*)" schema under subject "([^"]*)" with references:$/,
  async (w, [type, s], doc) =>
    void (await w.call(
      "POST",
      `/subjects/${enc(s!)}/versions`,
      typed(type, parseJson(need(doc), "the step's body") as Record<string, unknown>),
    )),
);
// Imports go through the bulk endpoint the features name, POST /import/schemas (docs/confluent-api.md,
// "Bulk import"): each schema is imported or refused on its own, and the reply tallies them. The
// step checks that tally against the reply itself: every schema has a result, a success carries
// the id it was asked to keep, and the counts are the results'. A reply that is neither a 200 with
// such a tally nor a 4xx in the Confluent API's shape (a 5xx, a 200 with another id) fails the step,
// and the reply the features look at next is the endpoint's own, never one made up for the batch.
async function importBatch(w: ScenarioWorld, schemas: Record<string, unknown>[]): Promise<void> {
  const reply = await w.call("POST", "/import/schemas", { schemas });
  const what = `the import of ${schemas.length} schema(s) answered ${show(w)}`;
  const json = (() => {
    try {
      return JSON.parse(reply.body) as Record<string, unknown> | null;
    } catch {
      return null;
    }
  })();
  const results = json?.results;
  if ((reply.status === 200 || reply.status === 422) && Array.isArray(results)) {
    if (results.length !== schemas.length) throw new Error(`${what}: ${results.length} results for ${schemas.length}`);
    let imported = 0;
    for (const [index, result] of (results as Record<string, unknown>[]).entries()) {
      if (result.success !== true) continue;
      if (schemas[index]?.id !== undefined && result.id !== schemas[index]?.id)
        throw new Error(`${what}: result ${index} is not the id it was asked to keep`);
      imported += 1;
    }
    if (json?.imported !== imported || json?.errors !== schemas.length - imported)
      throw new Error(`${what}: the tally is not the results'`);
    if (reply.status === 422 && (imported > 0 || !Number.isInteger(json?.error_code)))
      throw new Error(`${what}: a 422 that imported something or has no error code`);
    w.imports = { imported, errors: schemas.length - imported };
    return;
  }
  if (reply.status >= 400 && reply.status < 500 && Number.isInteger(json?.error_code)) {
    w.imports = { imported: 0, errors: schemas.length };
    return;
  }
  throw new Error(`${what}: neither an import tally nor a refusal in the Confluent API's shape`);
}
step(
  /^I import (?:a "([^"]*)" |a )schema with ID (\d+) under subject "([^"]*)" version (\d+):$/,
  async (w, [type, id, s, version], doc) =>
    importBatch(w, [typed(type, { subject: s, schema: need(doc), id: Number(id), version: Number(version) })]),
);
step(/^I import schemas:$/, async (w, _args, doc) => {
  const { schemas } = parseJson(need(doc), "the step's body") as { schemas?: Record<string, unknown>[] };
  if (!Array.isArray(schemas) || schemas.length === 0) throw new Error('the import body has no "schemas" to import');
  await importBatch(w, schemas);
});
step(/^the import should have (\d+) imported and (\d+) errors$/, (w, [imported, errors]) => {
  if (!w.imports) throw new Error("no import step ran before this assertion");
  if (w.imports.imported !== Number(imported) || w.imports.errors !== Number(errors)) {
    throw new Error(
      `expected ${imported} imported and ${errors} errors, ` +
        `got ${w.imports.imported} and ${w.imports.errors} (last reply ${show(w)})`,
    );
  }
});
step(/^I get schema by ID (\d+)$/, async (w, [id]) => void (await w.call("GET", `/schemas/ids/${id}`)));
step(
  /^I get the stored schema by ID$/,
  async (w) => void (await w.call("GET", `/schemas/ids/${asText(storedValue(w, "schema_id"))}`)),
);
step(
  /^I get the subjects for schema ID (\d+)$/,
  async (w, [id]) => void (await w.call("GET", `/schemas/ids/${id}/subjects`)),
);
step(
  /^I get the subjects for the stored schema ID$/,
  async (w) => void (await w.call("GET", `/schemas/ids/${asText(storedValue(w, "schema_id"))}/subjects`)),
);
step(
  /^I get versions for schema ID (\d+)$/,
  async (w, [id]) => void (await w.call("GET", `/schemas/ids/${id}/versions`)),
);
step(/^I get the raw schema by ID (\d+)$/, async (w, [id]) => void (await w.call("GET", `/schemas/ids/${id}/schema`)));
step(
  /^I get the raw schema for subject "([^"]*)" version (\d+)$/,
  async (w, [s, v]) => void (await w.call("GET", `/subjects/${enc(s!)}/versions/${v}/schema`)),
);
step(
  /^I get version (\d+) of subject "([^"]*)"$/,
  async (w, [v, s]) => void (await w.call("GET", `/subjects/${enc(s!)}/versions/${v}`)),
);
step(
  /^I get the latest version of subject "([^"]*)"$/,
  async (w, [s]) => void (await w.call("GET", `/subjects/${enc(s!)}/versions/latest`)),
);
step(
  /^I get the referenced by for subject "([^"]*)" version (\d+)$/,
  async (w, [s, v]) => void (await w.call("GET", `/subjects/${enc(s!)}/versions/${v}/referencedby`)),
);
step(
  /^I list versions of subject "([^"]*)"$/,
  async (w, [s]) => void (await w.call("GET", `/subjects/${enc(s!)}/versions`)),
);
step(/^I list all subjects$/, async (w) => void (await w.call("GET", "/subjects")));
step(/^I list subjects with deleted$/, async (w) => void (await w.call("GET", "/subjects?deleted=true")));
step(/^I list all schemas$/, async (w) => void (await w.call("GET", "/schemas")));
step(/^I get the schema types$/, async (w) => void (await w.call("GET", "/schemas/types")));
step(/^I get the contexts$/, async (w) => void (await w.call("GET", "/contexts")));
step(/^I get the cluster ID$/, async (w) => void (await w.call("GET", "/v1/metadata/id")));
step(/^I get the server version$/, async (w) => void (await w.call("GET", "/v1/metadata/version")));
step(/^I delete subject "([^"]*)"$/, async (w, [s]) => void (await w.call("DELETE", `/subjects/${enc(s!)}`)));
step(
  /^I permanently delete subject "([^"]*)"$/,
  async (w, [s]) => void (await w.call("DELETE", `/subjects/${enc(s!)}?permanent=true`)),
);
step(
  /^I delete version (\d+) of subject "([^"]*)"$/,
  async (w, [v, s]) => void (await w.call("DELETE", `/subjects/${enc(s!)}/versions/${v}`)),
);
step(
  /^I permanently delete version (\d+) of subject "([^"]*)"$/,
  async (w, [v, s]) => void (await w.call("DELETE", `/subjects/${enc(s!)}/versions/${v}?permanent=true`)),
);
step(
  /^I lookup schema in subject "([^"]*)":$/,
  async (w, [s], doc) => void (await w.call("POST", `/subjects/${enc(s!)}`, { schema: need(doc) })),
);
step(
  /^I lookup a "([^"]*)" schema in subject "([^"]*)":$/,
  async (w, [type, s], doc) =>
    void (await w.call("POST", `/subjects/${enc(s!)}`, { schema: need(doc), schemaType: type })),
);
step(
  /^I lookup schema in subject "([^"]*)" with deleted:$/,
  async (w, [s], doc) => void (await w.call("POST", `/subjects/${enc(s!)}?deleted=true`, { schema: need(doc) })),
);

// ---- concurrency ("goroutines" in the features' Go runner; concurrent requests here) -----------

/** A distinct Avro record per index, so concurrent writers never send the same schema. */
function uniqueAvro(name: string, index: number): string {
  return JSON.stringify({ type: "record", name: `${name}${index}`, fields: [{ name: "id", type: "int" }] });
}

async function concurrently(
  w: ScenarioWorld,
  jobs: { role: "writer" | "reader"; send: () => Promise<StepReply> }[],
): Promise<void> {
  w.concurrent = await Promise.all(jobs.map(async (job) => ({ role: job.role, reply: await job.send() })));
}

step(/^(\d+) goroutines each register a unique Avro schema to separate subjects$/, (w, [n]) =>
  concurrently(
    w,
    Array.from({ length: Number(n) }, (_, i) => ({
      role: "writer" as const,
      send: () => w.call("POST", `/subjects/concurrent-subject-${i}/versions`, { schema: uniqueAvro("Concurrent", i) }),
    })),
  ),
);
step(/^(\d+) goroutines register the same Avro schema to subject "([^"]*)"$/, (w, [n, s]) =>
  concurrently(
    w,
    Array.from({ length: Number(n) }, () => ({
      role: "writer" as const,
      send: () =>
        w.call("POST", `/subjects/${enc(s!)}/versions`, {
          schema: JSON.stringify({ type: "record", name: "Idem", fields: [{ name: "v", type: "string" }] }),
        }),
    })),
  ),
);
step(/^(\d+) goroutines attempt to register schemas to subject "([^"]*)"$/, (w, [n, s]) =>
  concurrently(
    w,
    Array.from({ length: Number(n) }, (_, i) => ({
      role: "writer" as const,
      send: () => w.call("POST", `/subjects/${enc(s!)}/versions`, { schema: uniqueAvro("Attempt", i) }),
    })),
  ),
);
step(/^(\d+) subjects each with one Avro schema$/, async (w, [n]) => {
  w.concurrentSubjects = Array.from({ length: Number(n) }, (_, i) => `concurrent-delete-${i}`);
  for (const [i, subject] of w.concurrentSubjects.entries())
    await registerExpecting200(w, subject, { schema: uniqueAvro("ToDelete", i) });
});
step(/^(\d+) goroutines each soft-delete their own subject$/, (w, [n]) => {
  const subjects = w.concurrentSubjects ?? [];
  if (subjects.length < Number(n)) throw new Error(`only ${subjects.length} subjects were made for ${n} deleters`);
  return concurrently(
    w,
    subjects
      .slice(0, Number(n))
      .map((subject) => ({ role: "writer" as const, send: () => w.call("DELETE", `/subjects/${enc(subject)}`) })),
  );
});
step(
  /^(\d+) writer goroutines add versions and (\d+) reader goroutines read latest from subject "([^"]*)"$/,
  (w, [writers, readers, s]) =>
    concurrently(w, [
      // Each writer adds an optional field with a default: compatible at any level.
      ...Array.from({ length: Number(writers) }, (_, i) => ({
        role: "writer" as const,
        send: () =>
          w.call("POST", `/subjects/${enc(s!)}/versions`, {
            schema: JSON.stringify({
              type: "record",
              name: "Seed",
              fields: [
                { name: "x", type: "int" },
                { name: `added${i}`, type: ["null", "string"], default: null },
              ],
            }),
          }),
      })),
      ...Array.from({ length: Number(readers) }, () => ({
        role: "reader" as const,
        send: () => w.call("GET", `/subjects/${enc(s!)}/versions/latest`),
      })),
    ]),
);

function concurrentReplies(w: ScenarioWorld): { role: "writer" | "reader"; reply: StepReply }[] {
  if (!w.concurrent) throw new Error("no concurrent step ran before this assertion");
  return w.concurrent;
}
const describeReplies = (replies: { reply: StepReply }[]): string =>
  replies.map(({ reply }) => `${reply.status} ${reply.body.slice(0, 120)}`).join(" | ");
step(/^all concurrent results should succeed$/, (w) => {
  const failed = concurrentReplies(w).filter(({ reply }) => reply.status !== 200);
  if (failed.length > 0)
    throw new Error(`${failed.length} concurrent request(s) did not answer 200: ${describeReplies(failed)}`);
});
step(/^all concurrent results should have status (\d+)$/, (w, [status]) => {
  const other = concurrentReplies(w).filter(({ reply }) => reply.status !== Number(status));
  if (other.length > 0)
    throw new Error(`${other.length} concurrent request(s) did not answer ${status}: ${describeReplies(other)}`);
});
step(/^no concurrent results should have a 500 status$/, (w) => {
  const errors = concurrentReplies(w).filter(({ reply }) => reply.status >= 500);
  if (errors.length > 0)
    throw new Error(`${errors.length} concurrent request(s) answered 5xx: ${describeReplies(errors)}`);
});
/** The ids the writers answered with 200: each must carry one, and there must be some. */
function writerIds(w: ScenarioWorld): number[] {
  const ids = concurrentReplies(w)
    .filter(({ role, reply }) => role === "writer" && reply.status === 200)
    .map(({ reply }) => {
      const { id } = parseJson(reply.body, "a concurrent reply") as { id?: unknown };
      if (!Number.isInteger(id)) throw new Error(`a writer's 200 has no integer id: ${reply.body.slice(0, 200)}`);
      return id as number;
    });
  if (ids.length === 0) throw new Error("no concurrent writer answered 200 with an id");
  return ids;
}
step(/^all returned schema IDs should be unique$/, (w) => {
  const ids = writerIds(w);
  if (new Set(ids).size !== ids.length) throw new Error(`schema ids repeat: ${JSON.stringify(ids)}`);
});
step(/^all returned schema IDs should be identical$/, (w) => {
  const ids = writerIds(w);
  if (new Set(ids).size !== 1) throw new Error(`schema ids differ: ${JSON.stringify(ids)}`);
});
step(/^all reader responses should contain a valid schema$/, (w) => {
  for (const { reply } of concurrentReplies(w).filter(({ role }) => role === "reader")) {
    if (reply.status !== 200) throw new Error(`a reader got ${reply.status}: ${reply.body.slice(0, 200)}`);
    const body = parseJson(reply.body, "a reader's reply") as { schema?: unknown };
    if (typeof body.schema !== "string") throw new Error(`a reader's reply has no schema: ${reply.body.slice(0, 200)}`);
    parseJson(body.schema, "the schema a reader got");
  }
});

// ---- compatibility ---------------------------------------------------------------------------

step(
  /^I check compatibility of (?:"([^"]*)" )?schema against subject "([^"]*)":$/,
  async (w, [type, s], doc) =>
    void (await w.call(
      "POST",
      `/compatibility/subjects/${enc(s!)}/versions/latest`,
      typed(type, { schema: need(doc) }),
    )),
);
step(
  /^I check compatibility of (?:"([^"]*)" )?schema against subject "([^"]*)" version (\d+):$/,
  async (w, [type, s, v], doc) =>
    void (await w.call("POST", `/compatibility/subjects/${enc(s!)}/versions/${v}`, typed(type, { schema: need(doc) }))),
);
step(
  /^I check compatibility of (?:"([^"]*)" )?schema against all versions of subject "([^"]*)":$/,
  async (w, [type, s], doc) =>
    void (await w.call("POST", `/compatibility/subjects/${enc(s!)}/versions`, typed(type, { schema: need(doc) }))),
);
step(
  new RegExp(
    `^I check compatibility of "([^"]*)" schema with reference "([^"]*)" from subject "([^"]*)" ` +
      String.raw`version (\d+) against subject "([^"]*)":$`,
  ),
  async (w, [type, name, from, v, s], doc) =>
    void (await w.call("POST", `/compatibility/subjects/${enc(s!)}/versions/latest`, {
      schema: need(doc),
      schemaType: type,
      ...reference(name!, from!, v!),
    })),
);
step(/^the compatibility check should be (compatible|incompatible)$/, (w, [expected]) => {
  if (last(w).status !== 200) throw new Error(`expected 200 from the compatibility check, got ${show(w)}`);
  const value = requireField(w, "is_compatible");
  if (value !== (expected === "compatible"))
    throw new Error(`expected is_compatible ${expected === "compatible"}, got ${show(w)}`);
});

// ---- assertions on the last reply ------------------------------------------------------------

step(/^the response status should be (\d+)$/, (w, [status]) => {
  if (last(w).status !== Number(status)) throw new Error(`expected status ${status}, got ${show(w)}`);
});
step(/^the response (?:body )?should contain "([^"]*)"$/, (w, [text]) => {
  if (!last(w).body.includes(text!)) throw new Error(`the response does not contain "${text}": ${show(w)}`);
});
step(/^the response (?:body )?should not contain "([^"]*)"$/, (w, [text]) => {
  if (last(w).body.includes(text!)) throw new Error(`the response contains "${text}": ${show(w)}`);
});
step(/^the response should be valid JSON$/, (w) => void lastJson(w));
step(/^the response should have field "([^"]*)"$/, (w, [path]) => void requireField(w, path!));
step(/^the response should not have field "([^"]*)"$/, (w, [path]) => {
  if (field(w, path!).found) throw new Error(`the response has field "${path}": ${show(w)}`);
});
step(/^the response field "([^"]*)" should be empty or absent$/, (w, [path]) => {
  const { found, value } = field(w, path!);
  const empty =
    !found ||
    value === null ||
    value === "" ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === "object" && value !== null && Object.keys(value).length === 0);
  if (!empty) throw new Error(`field "${path}" is ${JSON.stringify(value)}`);
});
step(/^the response field "([^"]*)" should be (true|false)$/, (w, [path, bool]) => {
  const value = requireField(w, path!);
  if (value !== (bool === "true")) throw new Error(`field "${path}": expected ${bool}, got ${JSON.stringify(value)}`);
});
step(/^the response field "([^"]*)" should be (-?\d+)$/, (w, [path, n]) => {
  const value = requireField(w, path!);
  if (value !== Number(n)) throw new Error(`field "${path}": expected ${n}, got ${JSON.stringify(value)}`);
});
step(/^the response field "([^"]*)" should be "([^"]*)"$/, (w, [path, text]) => {
  const value = requireField(w, path!);
  if (asText(value) !== text) throw new Error(`field "${path}": expected "${text}", got ${JSON.stringify(value)}`);
});
step(/^the response field "([^"]*)" should (not )?equal stored "([^"]*)"$/, (w, [path, not, key]) => {
  const equal = asText(requireField(w, path!)) === asText(storedValue(w, key!));
  if (equal === (not !== undefined))
    throw new Error(
      `field "${path}" ${not ? "equals" : "differs from"} ` +
        `stored "${key}" (${asText(storedValue(w, key!))}): ${show(w)}`,
    );
});
step(
  /^I store the response field "([^"]*)" as "([^"]*)"$/,
  (w, [path, key]) => void w.stored.set(key!, requireField(w, path!)),
);
step(/^the stored "([^"]*)" should be greater than (-?\d+)$/, (w, [key, n]) => {
  const value = Number(storedValue(w, key!));
  if (!(value > Number(n))) throw new Error(`stored "${key}" is ${value}, not greater than ${n}`);
});
step(/^the response should have error code (\d+)$/, (w, [code]) => {
  const value = requireField(w, "error_code");
  if (value !== Number(code)) throw new Error(`expected error_code ${code}, got ${show(w)}`);
});
step(/^the response should be an array of length (\d+)$/, (w, [n]) => {
  // An empty body or `null` is not an empty array: a Confluent client parsing it gets no list.
  const length = lastArray(w).length;
  if (length !== Number(n)) throw new Error(`expected an array of length ${n}, got ${show(w)}`);
});
step(/^the response array should (not )?contain "([^"]*)"$/, (w, [not, text]) => {
  const has = lastArray(w).some((item) => asText(item) === text);
  if (has === (not !== undefined))
    throw new Error(`the array ${not ? "contains" : "does not contain"} "${text}": ${show(w)}`);
});
step(/^the response array should contain integer (-?\d+)$/, (w, [n]) => {
  if (!lastArray(w).includes(Number(n))) throw new Error(`the array does not contain ${n}: ${show(w)}`);
});
step(/^the response array should contain stored integer "([^"]*)"$/, (w, [key]) => {
  if (!lastArray(w).includes(Number(storedValue(w, key!))))
    throw new Error(`the array does not contain stored "${key}": ${show(w)}`);
});
step(/^the response should be an integer with value (-?\d+)$/, (w, [n]) => {
  if (lastJson(w) !== Number(n)) throw new Error(`expected the integer ${n}, got ${show(w)}`);
});
step(/^the response header "([^"]*)" should contain "([^"]*)"$/, (w, [name, text]) => {
  const value = last(w).headers[name!.toLowerCase()];
  const joined = Array.isArray(value) ? value.join(", ") : (value ?? "");
  if (!joined.includes(text!)) throw new Error(`header "${name}" is "${joined}", without "${text}"`);
});
step(/^subject "([^"]*)" should have exactly (\d+) versions?$/, async (w, [s, n]) => {
  await w.call("GET", `/subjects/${enc(s!)}/versions`);
  const length = lastArray(w).length;
  if (length !== Number(n)) throw new Error(`subject "${s}" has ${length} versions, expected ${n}: ${show(w)}`);
});
step(/^GET \/subjects should return an empty array$/, async (w) => {
  await w.call("GET", "/subjects");
  if (lastArray(w).length !== 0) throw new Error(`expected no subjects, got ${show(w)}`);
});

// ---- the features' audit log, as the tenant's own (/api/audit) ----------------------------------

/** The features' audit-log step: the runner counts how many it checked against the audit log. */
export const AUDIT_STEP = /^the audit log should contain an event:$/;
step(AUDIT_STEP, async (w, _args, _doc, table) => {
  const mapping = auditExpectation(table, w.keyId);
  if ("skip" in mapping) throw new StepSkipped(mapping.skip);
  // The audit query is not a step of the features: the reply they look at stays the last one.
  const before = w.last;
  try {
    await checkAuditEntry(mapping.expected, [...w.requests], (query) => w.call("GET", `/api/audit?${query}`));
  } finally {
    if (before === undefined) delete w.last;
    else w.last = before;
  }
});
