/**
 * The Confluent-compatible Schema Registry API, at the root of the tenant's domain as Confluent
 * serves it (docs/confluent-api.md), over the same store as /api. Requests and answers use
 * Confluent's shapes, content type and `{"error_code", "message"}` errors, so its clients work
 * unchanged.
 */
import { Hono, type Context } from "hono";
import { avroCompatibility } from "../compat/avro-compatibility.ts";
import { checkCompatibility, COMPATIBILITY_LEVELS, type CompatibilityEngine, type CompatibilityLevel, type CompatibilityResult } from "../compat/compatibility.ts";
import { jsonSchemaCompatibility } from "../compat/json-schema-compatibility.ts";
import { protobufCompatibility } from "../compat/protobuf-compatibility.ts";
import type { RegistryEnv } from "../registry/level-routes.ts";
import { validateSpecification, type ParsedSpec } from "../spec/validate-specification.ts";
import { d1Session } from "../store/d1-session.ts";
import { SCHEMA_FORMATS } from "../store/collections.ts";
import { MAX_BODY_BYTES, MAX_SPEC_BYTES, readBodyText, subjectProblem } from "../http/input-limits.ts";
import { CONFLUENT_ERRORS, ConfluentError } from "./confluent-error.ts";
import {
  configOf,
  deleteConfig,
  existingGlobalId,
  findOrCreateSubject,
  findSubject,
  globalIdOf,
  hardDelete,
  insertSubjectVersion,
  listSubjects,
  parseSubject,
  schemaById,
  setConfig,
  softDelete,
  subjectVersions,
  usesOf,
  type SchemaType,
  type SubjectName,
  type SubjectVersion,
} from "./confluent-store.ts";

/** What Confluent answers with; its clients also accept application/vnd.schemaregistry+json and application/json. */
export const CONFLUENT_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
/** Confluent's default global compatibility level. */
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = "BACKWARD";
/** The config key of the global level (subject names are never empty). */
const GLOBAL = "";

const ENGINES: Record<SchemaType, CompatibilityEngine> = { AVRO: avroCompatibility, JSON: jsonSchemaCompatibility, PROTOBUF: protobufCompatibility };
const ACCEPTED_BODY = /^application\/(?:vnd\.schemaregistry(?:\.v1)?\+json|json|octet-stream)\b/i;

type Ctx = Context<RegistryEnv>;

function reply(c: Ctx, body: unknown, status: 200 = 200): Response {
  return c.body(JSON.stringify(body), status, { "content-type": CONFLUENT_CONTENT_TYPE });
}

/**
 * @example
 *   app.route("/", confluentApi); // GET /subjects, POST /subjects/{s}/versions, ...
 */
export const confluentApi = new Hono<RegistryEnv>();

confluentApi.onError((error, c) => {
  if (error instanceof ConfluentError) return c.body(JSON.stringify({ error_code: error.errorCode, message: error.message }), error.status, { "content-type": CONFLUENT_CONTENT_TYPE });
  console.error(JSON.stringify({ event: "unhandled_error", api: "confluent", requestId: c.var.requestId, error: String(error) }));
  return c.body(JSON.stringify({ error_code: 50001, message: "Error in the backend data store" }), 500, { "content-type": CONFLUENT_CONTENT_TYPE });
});
// Only on this API's own paths: mounted at the root, a bare `use()` would also run for /health and /api.
for (const path of ["/subjects", "/subjects/*", "/schemas/*", "/config", "/config/*", "/compatibility/*"]) confluentApi.use(path, d1Session());

/** The JSON body of a request; Confluent clients send their own content types. */
async function jsonBody(c: Ctx): Promise<Record<string, unknown>> {
  const type = c.req.header("content-type");
  if (type !== undefined && !ACCEPTED_BODY.test(type)) throw new ConfluentError(415, `Unsupported content type ${type}.`);
  // Read at most MAX_BODY_BYTES: a larger body is refused without being held in memory.
  const text = await readBodyText(c.req.raw, MAX_BODY_BYTES);
  if (text === null) throw new ConfluentError(413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfluentError(400, "The request body is not JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ConfluentError(422, "The request body must be a JSON object.");
  return parsed as Record<string, unknown>;
}

interface SchemaInput {
  schemaType: SchemaType;
  schema: string;
  parsed: ParsedSpec;
}

/** `{schema, schemaType?, references?}`, validated: 42201 with the validator's message. */
async function schemaInput(c: Ctx): Promise<SchemaInput> {
  const body = await jsonBody(c);
  const schemaType = body.schemaType ?? "AVRO";
  if (typeof schemaType !== "string" || !(SCHEMA_FORMATS as readonly string[]).includes(schemaType)) {
    throw new ConfluentError(CONFLUENT_ERRORS.invalidSchema, `Invalid schema type ${JSON.stringify(schemaType)}: expected one of ${SCHEMA_FORMATS.join(", ")}.`);
  }
  if (typeof body.schema !== "string" || body.schema === "") throw new ConfluentError(CONFLUENT_ERRORS.invalidSchema, "Empty schema: send the schema text in `schema`.");
  if (Array.isArray(body.references) && body.references.length > 0) throw new ConfluentError(CONFLUENT_ERRORS.invalidSchema, "Schema references are not supported yet.");
  const bytes = new TextEncoder().encode(body.schema).byteLength;
  if (bytes > MAX_SPEC_BYTES) throw new ConfluentError(CONFLUENT_ERRORS.schemaTooLarge, `Schema is ${bytes} bytes, over the limit of ${MAX_SPEC_BYTES} bytes.`);
  const result = validateSpecification(schemaType as SchemaType, body.schema);
  if (!result.ok) {
    const first = result.errors[0];
    const where = first === undefined ? "" : first.line !== undefined ? ` (line ${first.line}${first.column === undefined ? "" : `, column ${first.column}`})` : first.path === "" ? "" : ` (at ${first.path})`;
    throw new ConfluentError(CONFLUENT_ERRORS.invalidSchema, `Invalid schema: ${first?.message ?? "not valid"}${where}`);
  }
  return { schemaType: schemaType as SchemaType, schema: body.schema, parsed: result.parsed };
}

function flag(c: Ctx, name: string): boolean {
  return c.req.query(name) === "true";
}

function subjectParam(c: Ctx): SubjectName {
  const raw = c.req.param("subject") ?? "";
  // The shared subject rules (http/input-limits.ts): no control/bidi characters, lone surrogates,
  // undecodable escapes, reserved or over-long names.
  const problem = subjectProblem(raw);
  if (problem !== null) throw new ConfluentError(CONFLUENT_ERRORS.invalidSubject, `The specified subject ${problem}.`);
  return parseSubject(raw);
}

async function requireSubject(c: Ctx, subject: SubjectName, includeDeleted: boolean) {
  const schema = await findSubject(c.var.session, subject);
  const versions = schema === null ? [] : await subjectVersions(c.var.session, schema);
  if (schema === null || !versions.some((version) => includeDeleted || !version.deleted)) {
    throw new ConfluentError(CONFLUENT_ERRORS.subjectNotFound, `Subject '${subject.qualified}' not found.`);
  }
  return { schema, versions };
}

/** `latest`, -1 or a positive number; anything else is 42202. */
function versionParam(c: Ctx): number | "latest" {
  const raw = c.req.param("version") ?? "";
  if (raw === "latest" || raw === "-1") return "latest";
  const number = /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(number) || number > 2 ** 31 - 1) {
    throw new ConfluentError(CONFLUENT_ERRORS.invalidVersion, `The specified version '${raw}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
  }
  return number;
}

function pickVersion(versions: readonly SubjectVersion[], wanted: number | "latest", includeDeleted: boolean, subject: SubjectName): SubjectVersion {
  const visible = versions.filter((version) => includeDeleted || !version.deleted);
  const found = wanted === "latest" ? visible.at(-1) : visible.find((version) => version.version === wanted);
  if (!found) throw new ConfluentError(CONFLUENT_ERRORS.versionNotFound, `Version ${wanted} not found for subject '${subject.qualified}'.`);
  return found;
}

function presentVersion(subject: SubjectName, version: SubjectVersion): Record<string, unknown> {
  const { format, specification } = version.document.body;
  // Confluent leaves schemaType out for AVRO, its default.
  return { subject: subject.qualified, version: version.version, id: version.globalId, ...(format === "AVRO" ? {} : { schemaType: format }), schema: specification };
}

async function levelOf(c: Ctx, subject: SubjectName): Promise<CompatibilityLevel> {
  return ((await configOf(c.var.session, subject.qualified)) ?? (await configOf(c.var.session, GLOBAL)) ?? DEFAULT_COMPATIBILITY) as CompatibilityLevel;
}

/** The candidate against `existing` (oldest first) at `level`; a different schema type is incompatible. */
function compatibility(candidate: SchemaInput, level: CompatibilityLevel, existing: readonly SubjectVersion[]): CompatibilityResult {
  const mismatched = existing.filter((version) => version.document.body.format !== candidate.schemaType);
  if (level !== "NONE" && mismatched.length > 0) {
    const message = `Incompatible schema type: ${candidate.schemaType} against version ${mismatched[0]!.version} (${mismatched[0]!.document.body.format})`;
    return { isCompatible: false, messages: [message], issues: [] };
  }
  const parsed = existing.flatMap((version) => {
    const result = validateSpecification(version.document.body.format, version.document.body.specification);
    return result.ok ? [{ version: version.version, spec: result.parsed }] : [];
  });
  return checkCompatibility(ENGINES[candidate.schemaType], level, candidate.parsed, parsed);
}

confluentApi.get("/schemas/types", (c) => reply(c, [...SCHEMA_FORMATS].sort()));

confluentApi.get("/subjects", async (c) => reply(c, await listSubjects(c.var.session, flag(c, "deleted"))));

confluentApi.post("/subjects/:subject/versions", async (c) => {
  const subject = subjectParam(c);
  const input = await schemaInput(c);
  const session = c.var.session;
  const schema = await findOrCreateSubject(session, subject);
  const live = (await subjectVersions(session, schema)).filter((version) => !version.deleted);
  // Registering a schema the subject already has is idempotent: same id, no new version.
  const knownId = await existingGlobalId(session, input.schemaType, input.schema);
  const same = knownId === null ? undefined : live.find((version) => version.globalId === knownId);
  if (same) return reply(c, { id: same.globalId });
  const level = await levelOf(c, subject);
  const result = compatibility(input, level, live);
  if (!result.isCompatible) {
    throw new ConfluentError(CONFLUENT_ERRORS.incompatibleSchema, `Schema being registered is incompatible with an earlier schema for subject "${subject.qualified}", details: [${result.messages.join(", ")}]`);
  }
  const id = await globalIdOf(session, input.schemaType, input.schema);
  await insertSubjectVersion(session, schema, input.schemaType, input.schema, id);
  return reply(c, { id });
});

confluentApi.post("/subjects/:subject", async (c) => {
  const subject = subjectParam(c);
  const input = await schemaInput(c);
  const includeDeleted = flag(c, "deleted");
  const { versions } = await requireSubject(c, subject, includeDeleted);
  const id = await existingGlobalId(c.var.session, input.schemaType, input.schema);
  const found = versions.filter((version) => (includeDeleted || !version.deleted) && version.globalId === id).at(-1);
  if (!found) throw new ConfluentError(CONFLUENT_ERRORS.schemaNotFound, "Schema not found");
  return reply(c, presentVersion(subject, found));
});

confluentApi.get("/subjects/:subject/versions", async (c) => {
  const subject = subjectParam(c);
  const includeDeleted = flag(c, "deleted");
  const { versions } = await requireSubject(c, subject, includeDeleted);
  return reply(c, versions.filter((version) => includeDeleted || !version.deleted).map((version) => version.version));
});

confluentApi.get("/subjects/:subject/versions/:version", async (c) => {
  const subject = subjectParam(c);
  const wanted = versionParam(c);
  const includeDeleted = flag(c, "deleted");
  const { versions } = await requireSubject(c, subject, includeDeleted);
  return reply(c, presentVersion(subject, pickVersion(versions, wanted, includeDeleted, subject)));
});

confluentApi.get("/subjects/:subject/versions/:version/schema", async (c) => {
  const subject = subjectParam(c);
  const wanted = versionParam(c);
  const includeDeleted = flag(c, "deleted");
  const { versions } = await requireSubject(c, subject, includeDeleted);
  // The schema text itself, exactly as registered.
  return c.body(pickVersion(versions, wanted, includeDeleted, subject).document.body.specification, 200, { "content-type": CONFLUENT_CONTENT_TYPE });
});

confluentApi.delete("/subjects/:subject", async (c) => {
  const subject = subjectParam(c);
  const permanent = flag(c, "permanent");
  const schema = await findSubject(c.var.session, subject);
  const versions = schema === null ? [] : await subjectVersions(c.var.session, schema);
  if (schema === null || versions.length === 0) throw new ConfluentError(CONFLUENT_ERRORS.subjectNotFound, `Subject '${subject.qualified}' not found.`);
  const live = versions.filter((version) => !version.deleted);
  if (permanent) {
    if (live.length > 0) throw new ConfluentError(CONFLUENT_ERRORS.subjectNotSoftDeleted, `Subject '${subject.qualified}' was not deleted first before being permanently deleted`);
    await hardDelete(c.var.session, schema, versions);
    return reply(c, versions.map((version) => version.version));
  }
  if (live.length === 0) throw new ConfluentError(CONFLUENT_ERRORS.subjectSoftDeleted, `Subject '${subject.qualified}' was soft deleted. Set permanent=true to delete permanently`);
  for (const version of live) await softDelete(c.var.session, version);
  return reply(c, live.map((version) => version.version));
});

confluentApi.delete("/subjects/:subject/versions/:version", async (c) => {
  const subject = subjectParam(c);
  const wanted = versionParam(c);
  const permanent = flag(c, "permanent");
  const { schema, versions } = await requireSubject(c, subject, true);
  // `latest` means the latest live version, as in Confluent; a number may name a soft-deleted one.
  const version = pickVersion(versions, wanted, wanted !== "latest", subject);
  if (permanent) {
    if (!version.deleted) throw new ConfluentError(CONFLUENT_ERRORS.versionNotSoftDeleted, `Subject '${subject.qualified}' Version ${version.version} was not deleted first before being permanently deleted`);
    await hardDelete(c.var.session, schema, [version]);
    return reply(c, version.version);
  }
  if (version.deleted) throw new ConfluentError(CONFLUENT_ERRORS.versionSoftDeleted, `Subject '${subject.qualified}' Version ${version.version} was soft deleted. Set permanent=true to delete permanently`);
  await softDelete(c.var.session, version);
  return reply(c, version.version);
});

function idParam(c: Ctx): number {
  const raw = c.req.param("id") ?? "";
  const id = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) throw new ConfluentError(CONFLUENT_ERRORS.schemaNotFound, "Schema not found");
  return id;
}

async function requireSchema(c: Ctx) {
  const id = idParam(c);
  const found = await schemaById(c.var.session, id);
  if (!found) throw new ConfluentError(CONFLUENT_ERRORS.schemaNotFound, "Schema not found");
  return { id, ...found };
}

confluentApi.get("/schemas/ids/:id", async (c) => {
  const { schemaType, schema } = await requireSchema(c);
  return reply(c, { ...(schemaType === "AVRO" ? {} : { schemaType }), schema });
});

confluentApi.get("/schemas/ids/:id/schema", async (c) => {
  const { schema } = await requireSchema(c);
  return c.body(schema, 200, { "content-type": CONFLUENT_CONTENT_TYPE });
});

confluentApi.get("/schemas/ids/:id/subjects", async (c) => {
  const { id } = await requireSchema(c);
  return reply(c, [...new Set((await usesOf(c.var.session, id, flag(c, "deleted"))).map((use) => use.subject))]);
});

confluentApi.get("/schemas/ids/:id/versions", async (c) => {
  const { id } = await requireSchema(c);
  return reply(c, await usesOf(c.var.session, id, flag(c, "deleted")));
});

async function compatibilityBody(c: Ctx): Promise<CompatibilityLevel> {
  const body = await jsonBody(c);
  const level = typeof body.compatibility === "string" ? body.compatibility.toUpperCase() : body.compatibility;
  if (typeof level !== "string" || !(COMPATIBILITY_LEVELS as readonly string[]).includes(level)) {
    throw new ConfluentError(CONFLUENT_ERRORS.invalidCompatibilityLevel, `Invalid compatibility level ${JSON.stringify(body.compatibility)}: expected one of ${COMPATIBILITY_LEVELS.join(", ")}.`);
  }
  return level as CompatibilityLevel;
}

confluentApi.get("/config", async (c) => reply(c, { compatibilityLevel: (await configOf(c.var.session, GLOBAL)) ?? DEFAULT_COMPATIBILITY }));

confluentApi.put("/config", async (c) => {
  const level = await compatibilityBody(c);
  await setConfig(c.var.session, GLOBAL, level);
  return reply(c, { compatibility: level });
});

confluentApi.get("/config/:subject", async (c) => {
  const subject = subjectParam(c);
  const own = await configOf(c.var.session, subject.qualified);
  if (own !== null) return reply(c, { compatibilityLevel: own });
  if (flag(c, "defaultToGlobal")) return reply(c, { compatibilityLevel: (await configOf(c.var.session, GLOBAL)) ?? DEFAULT_COMPATIBILITY });
  throw new ConfluentError(CONFLUENT_ERRORS.subjectConfigNotFound, `Subject '${subject.qualified}' does not have subject-level compatibility configured`);
});

confluentApi.put("/config/:subject", async (c) => {
  const subject = subjectParam(c);
  const level = await compatibilityBody(c);
  await setConfig(c.var.session, subject.qualified, level);
  return reply(c, { compatibility: level });
});

confluentApi.delete("/config/:subject", async (c) => {
  const subject = subjectParam(c);
  const own = await configOf(c.var.session, subject.qualified);
  if (own === null) throw new ConfluentError(CONFLUENT_ERRORS.subjectNotFound, `Subject '${subject.qualified}' not found.`);
  await deleteConfig(c.var.session, subject.qualified);
  return reply(c, { compatibilityLevel: own });
});

function compatibilityAnswer(c: Ctx, result: CompatibilityResult): Response {
  return reply(c, flag(c, "verbose") ? { is_compatible: result.isCompatible, messages: result.messages } : { is_compatible: result.isCompatible });
}

confluentApi.post("/compatibility/subjects/:subject/versions/:version", async (c) => {
  const subject = subjectParam(c);
  const wanted = versionParam(c);
  const input = await schemaInput(c);
  const { versions } = await requireSubject(c, subject, false);
  const against = pickVersion(versions, wanted, false, subject);
  // Against one version, the level's direction applies without its transitivity.
  const level = (await levelOf(c, subject)).replace("_TRANSITIVE", "") as CompatibilityLevel;
  return compatibilityAnswer(c, compatibility(input, level, [against]));
});

confluentApi.post("/compatibility/subjects/:subject/versions", async (c) => {
  const subject = subjectParam(c);
  const input = await schemaInput(c);
  const schema = await findSubject(c.var.session, subject);
  // A subject with no versions accepts anything (Confluent answers compatible too).
  const live = schema === null ? [] : (await subjectVersions(c.var.session, schema)).filter((version) => !version.deleted);
  return compatibilityAnswer(c, compatibility(input, await levelOf(c, subject), live));
});
