/**
 * The Confluent-compatible Schema Registry API, at the root of the tenant's domain as Confluent
 * serves it (docs/confluent-api.md), over the same store as /api. Requests and answers use
 * Confluent's shapes, content type and `{"error_code", "message"}` errors, so its clients work
 * unchanged. Every route is served twice: at the root, and under `/contexts/{ctx}` where plain
 * subject names are in context `ctx`.
 */
import { canonicalJson } from "../../../contracts/canonical-json.ts";
import { Hono, type Context } from "hono";
import { COMPATIBILITY_LEVELS, type CompatibilityLevel, type CompatibilityResult } from "../compat/compatibility.ts";
import { protobufFirstMessageFields } from "../compat/protobuf-compatibility.ts";
import { reservedFieldProblems } from "../compat/reserved-fields.ts";
import type { RegistryEnv } from "../registry/level-routes.ts";
import type { ParsedSpec } from "../spec/validate-specification.ts";
import { d1Session } from "../store/d1-session.ts";
import { BOOKMARK_HEADER } from "../store/open-d1-session.ts";
import { SCHEMA_FORMATS } from "../store/collections.ts";
import {
  MAX_BODY_BYTES,
  MAX_REFERENCES_PER_SCHEMA,
  MAX_SPEC_BYTES,
  readBodyText,
  subjectProblem,
} from "../http/input-limits.ts";
import { CONFLUENT_ERRORS, ConfluentError } from "./confluent-error.ts";
import {
  canonicalSchema,
  claimGlobalId,
  dropVersion,
  contextKey,
  contextLabel,
  contextOfUrl,
  findOrCreateSubject,
  findSubject,
  globalIdOf,
  hardDelete,
  insertSubjectVersion,
  listContexts,
  listSubjects,
  listVersions,
  maxGlobalId,
  parseSubject,
  referencedBy,
  schemaByGuid,
  schemaById,
  setConfig,
  setMode,
  schemaIdCache,
  softDelete,
  subjectVersions,
  usesOf,
  type SchemaRecord,
  type SchemaReference,
  type SchemaType,
  type SubjectName,
  type SubjectVersion,
} from "./confluent-store.ts";
import { parseWithReferences, resolveReferences } from "./schema-references.ts";
import type { VersionBump } from "../registry/semantic-version.ts";
import { subjectCompatibility } from "./subject-compatibility.ts";
import {
  compatibilityLevelOf,
  contextLevel,
  DEFAULT_COMPATIBILITY,
  DEFAULT_MODE,
  effectiveConfig,
  GLOBAL_CONTEXT,
  GLOBAL_KEY,
  MODES,
  modeIn,
  settingsOf,
  subjectLevel,
  type SettingsLevel,
} from "./subject-settings.ts";

/** What Confluent answers with; its clients also accept application/vnd.schemaregistry+json and application/json. */
const CONFLUENT_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
/** Where an id read says whether the id cache answered: `hit`, `miss` or `bypass` (as /api's read cache does). */
const REGISTRY_CACHE_HEADER = "x-registry-cache";
/** Confluent's default global compatibility level and mode. */
/** The version Confluent's metadata endpoint reports (the features were checked against it). */
const CONFLUENT_VERSION = "8.1.1";

/** Levels whose check includes "backward compatible with the latest version". */
const BACKWARD_LEVELS: ReadonlySet<CompatibilityLevel> = new Set([
  "BACKWARD",
  "BACKWARD_TRANSITIVE",
  "FULL",
  "FULL_TRANSITIVE",
]);
const ACCEPTED_BODY = /^application\/(?:vnd\.schemaregistry(?:\.v1)?\+json|json|octet-stream)\b/i;
// A context name: letters, digits, '.', '_', '-' (Confluent's rule), after the leading dot.
const CONTEXT_NAME = /^[A-Za-z0-9_.-]{1,255}$/;
/** Config fields a PUT /config may set, beside `compatibility`. */
const CONFIG_FIELDS = [
  "normalize",
  "alias",
  "compatibilityGroup",
  "validateFields",
  "defaultMetadata",
  "overrideMetadata",
  "defaultRuleSet",
  "overrideRuleSet",
] as const;

type Ctx = Context<RegistryEnv>;

function reply(c: Ctx, body: unknown): Response {
  return c.body(JSON.stringify(body), 200, { "content-type": CONFLUENT_CONTENT_TYPE });
}

function fail(code: number, message: string): never {
  throw new ConfluentError(code, message);
}

/**
 * @example
 *   app.route("/", confluentApi); // GET /subjects, POST /subjects/{s}/versions, ...
 */
export const confluentApi = new Hono<RegistryEnv>();
const routes = new Hono<RegistryEnv>();

confluentApi.onError((error, c) => {
  if (error instanceof ConfluentError)
    return c.body(JSON.stringify({ error_code: error.errorCode, message: error.message }), error.status, {
      "content-type": CONFLUENT_CONTENT_TYPE,
    });
  console.error(
    JSON.stringify({ event: "unhandled_error", api: "confluent", requestId: c.var.requestId, error: String(error) }),
  );
  return c.body(JSON.stringify({ error_code: 50001, message: "Error in the backend data store" }), 500, {
    "content-type": CONFLUENT_CONTENT_TYPE,
  });
});
// Only on this API's own paths: mounted at the root, a bare `use()` would also run for /health and /api.
for (const path of [
  "/subjects",
  "/subjects/*",
  "/schemas",
  "/schemas/*",
  "/config",
  "/config/*",
  "/compatibility/*",
  "/mode",
  "/mode/*",
  "/contexts",
  "/contexts/*",
])
  confluentApi.use(path, d1Session());

/** The JSON body of a request; Confluent clients send their own content types. */
async function jsonBody(c: Ctx): Promise<Record<string, unknown>> {
  const type = c.req.header("content-type");
  if (type !== undefined && !ACCEPTED_BODY.test(type)) fail(415, `Unsupported content type ${type}.`);
  // Read at most MAX_BODY_BYTES: a larger body is refused without being held in memory.
  const text = await readBodyText(c.req.raw, MAX_BODY_BYTES);
  if (text === null) fail(413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail(400, "The request body is not JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    fail(422, "The request body must be a JSON object.");
  return parsed as Record<string, unknown>;
}

function flag(c: Ctx, name: string): boolean {
  return c.req.query(name) === "true";
}

/** The context of a `/contexts/{ctx}/...` URL (`.` for the default), or `.` at the root. */
function urlContext(c: Ctx): string {
  const raw = c.req.param("context" as never) as string | undefined;
  const name = raw === undefined ? "." : contextOfUrl(raw);
  if (name === ".") return name;
  if (!CONTEXT_NAME.test(name))
    fail(CONFLUENT_ERRORS.invalidContext, `Invalid context name '${raw}': use letters, digits, '.', '_' and '-'.`);
  return name;
}

function refuseGlobalContext(context: string): void {
  if (context === GLOBAL_CONTEXT)
    fail(400, `The ${GLOBAL_CONTEXT} context holds only config and mode: it has no subjects or schemas.`);
}

function subjectParam(c: Ctx): SubjectName {
  const raw = (c.req.param("subject" as never) as string | undefined) ?? "";
  // The shared subject rules (http/input-limits.ts): no control/bidi characters, lone surrogates,
  // undecodable escapes, reserved or over-long names.
  const problem = subjectProblem(raw);
  if (problem !== null) fail(CONFLUENT_ERRORS.invalidSubject, `The specified subject ${problem}.`);
  const subject = parseSubject(raw, urlContext(c));
  if (subject.context !== "." && !CONTEXT_NAME.test(subject.context))
    fail(CONFLUENT_ERRORS.invalidContext, `Invalid context name '${subject.context}'.`);
  refuseGlobalContext(subject.context);
  return subject;
}

/**
 * A subject as a data route means it: a subject whose own config names an `alias` stands for that
 * subject (in the same context unless qualified), one level deep.
 */
async function dataSubject(c: Ctx): Promise<SubjectName> {
  const subject = subjectParam(c);
  const alias = (await settingsOf(c.var.session, subject.qualified)).config?.alias;
  return typeof alias === "string" && alias !== "" ? parseSubject(alias, subject.context) : subject;
}

// ---- settings: compatibility config and mode (the chain is subject-settings.ts) --------------------

/** The level a `/config/{subject}` or `/mode/{subject}` URL names: `:.ctx:` alone is that context's own level. */
function settingsParam(c: Ctx): SettingsLevel {
  const raw = (c.req.param("subject" as never) as string | undefined) ?? "";
  const contextOnly = /^:\.([^:]*):$/.exec(raw);
  if (contextOnly) {
    const context = contextOnly[1] === "" ? "." : contextOnly[1]!;
    if (context !== "." && !CONTEXT_NAME.test(context))
      fail(CONFLUENT_ERRORS.invalidContext, `Invalid context name '${context}'.`);
    return contextLevel(context);
  }
  const problem = subjectProblem(raw);
  if (problem !== null) fail(CONFLUENT_ERRORS.invalidSubject, `The specified subject ${problem}.`);
  return subjectLevel(parseSubject(raw, urlContext(c)));
}

/** Writes to a subject (register, delete) are refused in READONLY and READONLY_OVERRIDE. */
async function requireWritable(c: Ctx, subject: SubjectName): Promise<string> {
  const mode = await modeIn(c.var.session, subjectLevel(subject));
  if (mode === "READONLY" || mode === "READONLY_OVERRIDE")
    fail(CONFLUENT_ERRORS.operationNotPermitted, `Subject '${subject.qualified}' is in read-only mode.`);
  return mode;
}

// ---- schema input ------------------------------------------------------------------------------

interface SchemaInput {
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
  metadata: Record<string, unknown> | null | undefined;
  ruleSet: Record<string, unknown> | null | undefined;
  /** IMPORT: the id and version to keep. */
  id?: number;
  version?: number;
  normalize: boolean;
  body: Record<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function positiveInteger(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > 2 ** 31 - 1)
    fail(CONFLUENT_ERRORS.invalidSchema, `Invalid ${what} ${JSON.stringify(value)}.`);
  return value;
}

/** `{schema, schemaType?, references?, metadata?, ruleSet?, id?, version?}`, checked in shape (not yet parsed). */
async function schemaInput(c: Ctx): Promise<SchemaInput> {
  const body = await jsonBody(c);
  const schemaType = body.schemaType ?? "AVRO";
  // Case-sensitive, as Confluent: "avro" is not a schema type.
  if (typeof schemaType !== "string" || !(SCHEMA_FORMATS as readonly string[]).includes(schemaType)) {
    fail(
      CONFLUENT_ERRORS.invalidSchema,
      `Invalid schema type ${JSON.stringify(schemaType)}: expected one of ${SCHEMA_FORMATS.join(", ")}.`,
    );
  }
  if (typeof body.schema !== "string" || body.schema.trim() === "")
    fail(CONFLUENT_ERRORS.invalidSchema, "Empty schema: send the schema text in `schema`.");
  const bytes = new TextEncoder().encode(body.schema).byteLength;
  if (bytes > MAX_SPEC_BYTES)
    fail(CONFLUENT_ERRORS.schemaTooLarge, `Schema is ${bytes} bytes, over the limit of ${MAX_SPEC_BYTES} bytes.`);
  const references: SchemaReference[] = [];
  if (body.references !== undefined && body.references !== null) {
    if (!Array.isArray(body.references))
      fail(CONFLUENT_ERRORS.invalidSchema, "Invalid schema: `references` must be an array.");
    if (body.references.length > MAX_REFERENCES_PER_SCHEMA)
      fail(CONFLUENT_ERRORS.invalidSchema, `Invalid schema: more than ${MAX_REFERENCES_PER_SCHEMA} references.`);
    for (const reference of body.references as unknown[]) {
      if (
        !isObject(reference) ||
        typeof reference.name !== "string" ||
        reference.name === "" ||
        typeof reference.subject !== "string" ||
        reference.subject === ""
      ) {
        fail(CONFLUENT_ERRORS.invalidSchema, "Invalid schema: each reference needs a name, a subject and a version.");
      }
      const version = reference.version === undefined || reference.version === "latest" ? -1 : reference.version;
      if (typeof version !== "number" || !Number.isSafeInteger(version) || (version < 1 && version !== -1))
        fail(CONFLUENT_ERRORS.invalidSchema, `Invalid schema: reference "${reference.name}" has an invalid version.`);
      references.push({ name: reference.name, subject: reference.subject, version });
    }
  }
  const metadata = body.metadata;
  const ruleSet = body.ruleSet;
  if (metadata !== undefined && metadata !== null && !isObject(metadata))
    fail(CONFLUENT_ERRORS.invalidSchema, "Invalid schema: `metadata` must be an object.");
  if (ruleSet !== undefined && ruleSet !== null) checkRuleSet(ruleSet);
  const id = positiveInteger(body.id, "id");
  const version = positiveInteger(body.version, "version");
  return {
    schemaType: schemaType as SchemaType,
    schema: body.schema,
    references,
    metadata: metadata as SchemaInput["metadata"],
    ruleSet: ruleSet as SchemaInput["ruleSet"],
    ...(id === undefined || id === 0 ? {} : { id }),
    ...(version === undefined || version === 0 ? {} : { version }),
    normalize: flag(c, "normalize") || body.normalize === true,
    body,
  };
}

const RULE_KINDS = new Set(["TRANSFORM", "CONDITION"]);
/** Modes a rule may have, by group: migrations run between versions, domain and encoding rules on data. */
const RULE_MODES: Record<string, ReadonlySet<string>> = {
  migrationRules: new Set(["UPGRADE", "DOWNGRADE", "UPDOWN"]),
  domainRules: new Set(["WRITE", "READ", "WRITEREAD"]),
  encodingRules: new Set(["WRITE", "READ", "WRITEREAD"]),
};
/** What a rule may do on success or failure (or a comma-separated pair for UPDOWN / WRITEREAD). */
const RULE_ACTIONS = new Set(["", "NONE", "DLQ", "ERROR"]);

/**
 * A rule set: `{migrationRules?, domainRules?, encodingRules?}`, each rule with a unique name, a
 * kind, a mode and a type.
 */
function checkRuleSet(ruleSet: unknown): asserts ruleSet is Record<string, unknown> {
  if (!isObject(ruleSet)) fail(CONFLUENT_ERRORS.invalidSchema, "Invalid schema: `ruleSet` must be an object.");
  for (const group of ["migrationRules", "domainRules", "encodingRules"]) {
    const rules = ruleSet[group];
    if (rules === undefined || rules === null) continue;
    if (!Array.isArray(rules)) fail(CONFLUENT_ERRORS.invalidSchema, `Invalid rule set: ${group} must be an array.`);
    const names = new Set<string>();
    for (const rule of rules as unknown[]) {
      if (!isObject(rule) || typeof rule.name !== "string" || rule.name === "")
        fail(CONFLUENT_ERRORS.invalidSchema, `Invalid rule set: every rule of ${group} needs a name.`);
      if (names.has(rule.name))
        fail(CONFLUENT_ERRORS.invalidSchema, `Invalid rule set: duplicate rule name "${rule.name}".`);
      names.add(rule.name);
      if (rule.kind !== undefined && !RULE_KINDS.has(String(rule.kind)))
        fail(CONFLUENT_ERRORS.invalidSchema, `Invalid rule "${rule.name}": kind must be TRANSFORM or CONDITION.`);
      if (rule.mode !== undefined && !RULE_MODES[group]!.has(String(rule.mode))) {
        fail(
          CONFLUENT_ERRORS.invalidSchema,
          `Invalid rule "${rule.name}": mode ${JSON.stringify(rule.mode)} ` +
            `is not one of ${[...RULE_MODES[group]!].join(", ")} for ${group}.`,
        );
      }
      for (const action of ["onSuccess", "onFailure"]) {
        const value = rule[action];
        if (value === undefined || value === null) continue;
        if (typeof value !== "string" || !value.split(",").every((part) => RULE_ACTIONS.has(part.trim()))) {
          fail(
            CONFLUENT_ERRORS.invalidSchema,
            `Invalid rule "${rule.name}": ${action} ${JSON.stringify(value)} is not NONE, DLQ or ERROR.`,
          );
        }
      }
      if (rule.type !== undefined && (typeof rule.type !== "string" || rule.type === ""))
        fail(CONFLUENT_ERRORS.invalidSchema, `Invalid rule "${rule.name}": type must be a non-empty string.`);
    }
  }
}

/** Parses the input with its references: 42201 with the parser's message and position. */
async function parseInput(c: Ctx, subject: SubjectName, input: SchemaInput): Promise<ParsedSpec> {
  const dependencies = await resolveReferences(c.var.session, input.references, subject.context, input.schemaType);
  const result = parseWithReferences(input.schemaType, input.schema, dependencies);
  if (!result.ok) {
    const first = result.errors[0];
    const where =
      first === undefined
        ? ""
        : first.line !== undefined
          ? ` (line ${first.line}${first.column === undefined ? "" : `, column ${first.column}`})`
          : first.path === ""
            ? ""
            : ` (at ${first.path})`;
    fail(CONFLUENT_ERRORS.invalidSchema, `Invalid schema: ${first?.message ?? "not valid"}${where}`);
  }
  return result.parsed;
}

// ---- metadata and rule sets: final = merge(merge(config.default, request or previous), config.override)

type Json = Record<string, unknown>;

function mergeMetadata(base: Json | null | undefined, over: Json | null | undefined): Json | null {
  if (!base) return over ?? null;
  if (!over) return base;
  const merged: Json = { ...base, ...over };
  for (const key of ["tags", "properties"]) {
    if (isObject(base[key]) || isObject(over[key]))
      merged[key] = { ...(isObject(base[key]) ? base[key] : {}), ...(isObject(over[key]) ? over[key] : {}) };
  }
  if (Array.isArray(base.sensitive) || Array.isArray(over.sensitive))
    merged.sensitive = [
      ...new Set([...((base.sensitive as unknown[]) ?? []), ...((over.sensitive as unknown[]) ?? [])]),
    ];
  return merged;
}

function mergeRuleSets(base: Json | null | undefined, over: Json | null | undefined): Json | null {
  if (!base) return over ?? null;
  if (!over) return base;
  const merged: Json = { ...base, ...over };
  for (const group of ["migrationRules", "domainRules", "encodingRules"]) {
    const rules = new Map<string, unknown>();
    for (const rule of [...((base[group] as Json[] | undefined) ?? []), ...((over[group] as Json[] | undefined) ?? [])])
      rules.set(String(rule.name), rule);
    if (rules.size > 0) merged[group] = [...rules.values()];
  }
  return merged;
}

/** confluent:version is a hint for the version number, never part of what is stored as the schema's identity. */
function withoutVersionHint(metadata: Json | null): Json | null {
  if (!metadata || !isObject(metadata.properties) || !("confluent:version" in metadata.properties)) return metadata;
  const { "confluent:version": _hint, ...properties } = metadata.properties;
  const rest: Json = { ...metadata, properties };
  if (Object.keys(properties).length === 0) delete rest.properties;
  return Object.keys(rest).length === 0 ? null : rest;
}

function versionHint(metadata: Json | null | undefined): number | undefined {
  const value = isObject(metadata?.properties) ? metadata.properties["confluent:version"] : undefined;
  const number =
    typeof value === "string" && /^\d+$/.test(value) ? Number(value) : typeof value === "number" ? value : NaN;
  return Number.isSafeInteger(number) && number > 0 ? number : undefined;
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

function sameReferences(a: readonly SchemaReference[], b: readonly SchemaReference[]): boolean {
  return (
    a.length === b.length &&
    a.every((ref, i) => ref.name === b[i]!.name && ref.subject === b[i]!.subject && ref.version === b[i]!.version)
  );
}

/**
 * A live version registering `input` again would duplicate (same schema, references, and
 * metadata/rule set when sent).
 */
function sameSchema(version: SubjectVersion, input: SchemaInput, metadata: Json | null, ruleSet: Json | null): boolean {
  return (
    version.document.body.format === input.schemaType &&
    canonicalSchema(input.schemaType, version.document.body.specification) ===
      canonicalSchema(input.schemaType, input.schema) &&
    sameReferences(version.references, input.references) &&
    sameJson(version.metadata, metadata) &&
    sameJson(version.ruleSet, ruleSet)
  );
}

/**
 * The fields Confluent's reserved-field rule applies to: an Avro record's fields, a JSON Schema's
 * properties, the fields of a .proto's first message.
 */
function topLevelFields(parsed: ParsedSpec): string[] {
  if (parsed.format === "AVRO")
    return parsed.schema.type === "record" ? parsed.schema.fields.map((field) => field.name) : [];
  if (parsed.format === "JSON")
    return typeof parsed.schema === "object" && isObject(parsed.schema.properties)
      ? Object.keys(parsed.schema.properties)
      : [];
  return protobufFirstMessageFields(parsed);
}

/**
 * `validateFields` (config): a field may not have a reserved name, and a name reserved by the
 * previous version stays reserved. Both are 409, as Confluent answers them.
 */
function checkReservedFields(parsed: ParsedSpec, metadata: Json | null, previous: Json | null): void {
  const [problem] = reservedFieldProblems(previous, metadata, topLevelFields(parsed));
  if (problem?.type === "FIELD_CONFLICTS_WITH_RESERVED_FIELD") {
    fail(
      CONFLUENT_ERRORS.incompatibleSchema,
      `The new schema has field that conflicts with the reserved field ${problem.name}.`,
    );
  }
  if (problem?.type === "RESERVED_FIELD_REMOVED") {
    fail(
      CONFLUENT_ERRORS.incompatibleSchema,
      `The new schema has reserved field ${problem.name} removed from its metadata.`,
    );
  }
}

// ---- answers -----------------------------------------------------------------------------------

function schemaFields(
  schemaType: SchemaType,
  schema: string,
  record: { references: readonly SchemaReference[]; metadata?: Json | null; ruleSet?: Json | null },
): Json {
  // Confluent (8.x) names the type, AVRO included, and leaves empty references out.
  return {
    schemaType,
    ...(record.references.length > 0 ? { references: record.references } : {}),
    ...(record.metadata ? { metadata: record.metadata } : {}),
    ...(record.ruleSet ? { ruleSet: record.ruleSet } : {}),
    schema,
  };
}

/**
 * A version's metadata as answered: what was stored, plus `confluent:version` (its number), as
 * Confluent fills it in.
 */
function versionMetadata(version: SubjectVersion): Json {
  const stored = version.metadata ?? {};
  return {
    ...stored,
    properties: {
      ...(isObject(stored.properties) ? stored.properties : {}),
      "confluent:version": String(version.version),
    },
  };
}

/** How a subject is named in an answer: plainly under its own context's URL prefix, else qualified. */
function subjectLabel(c: Ctx, subject: SubjectName): string {
  return c.req.param("context" as never) !== undefined && urlContext(c) === subject.context
    ? subject.name
    : subject.qualified;
}

/**
 * A version as answered; its subject is named within its context (as the features, checked against
 * Confluent 8, expect).
 */
function presentVersion(subject: SubjectName, version: SubjectVersion): Json {
  const { format, specification } = version.document.body;
  return {
    subject: subject.name,
    version: version.version,
    id: version.globalId,
    ...(version.guid ? { guid: version.guid } : {}),
    ...schemaFields(format, specification, {
      references: version.references,
      metadata: versionMetadata(version),
      ruleSet: version.ruleSet,
    }),
    ...(version.deleted ? { deleted: true } : {}),
  };
}

async function requireSubject(c: Ctx, subject: SubjectName, includeDeleted: boolean) {
  const schema = await findSubject(c.var.session, subject);
  const versions = schema === null ? [] : await subjectVersions(c.var.session, schema);
  if (schema === null || !versions.some((version) => includeDeleted || !version.deleted))
    fail(CONFLUENT_ERRORS.subjectNotFound, `Subject '${subject.qualified}' not found.`);
  return { schema, versions };
}

/** `latest`, -1 or a positive number; anything else is 42202. */
function versionParam(c: Ctx): number | "latest" {
  const raw = (c.req.param("version" as never) as string | undefined) ?? "";
  if (raw === "latest" || raw === "-1") return "latest";
  const number = /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(number) || number > 2 ** 31 - 1) {
    fail(
      CONFLUENT_ERRORS.invalidVersion,
      `The specified version '${raw}' is not a valid version id. ` +
        `Allowed values are between [1, 2^31-1] and the string "latest"`,
    );
  }
  return number;
}

function pickVersion(
  versions: readonly SubjectVersion[],
  wanted: number | "latest",
  includeDeleted: boolean,
  subject: SubjectName,
): SubjectVersion {
  const visible = versions.filter((version) => includeDeleted || !version.deleted);
  const found = wanted === "latest" ? visible.at(-1) : visible.find((version) => version.version === wanted);
  if (!found) fail(CONFLUENT_ERRORS.versionNotFound, `Version ${wanted} not found for subject '${subject.qualified}'.`);
  return found;
}

/** 42206 when a live schema references this version of the subject. */
async function refuseIfReferenced(c: Ctx, subject: SubjectName, versions: readonly SubjectVersion[]): Promise<void> {
  for (const version of versions) {
    const users = await referencedBy(c.var.session, subject.qualified, version.version);
    if (users.length > 0) {
      fail(
        CONFLUENT_ERRORS.referenceExists,
        `One or more references exist to the schema {subject=${subject.qualified},version=${version.version}}: ` +
          `schema ids ${users.join(", ")}.`,
      );
    }
  }
}

// ---- routes ------------------------------------------------------------------------------------

/** Routes that exist but not for this method: Confluent answers 405 with its own error shape. */
function methodNotAllowed(): never {
  fail(405, "HTTP 405 Method Not Allowed");
}

confluentApi.get("/", (c) => reply(c, {}));
// One registry per tenant and no Kafka cluster of ours: fixed names, as a single-node Confluent has.
confluentApi.get("/v1/metadata/id", (c) =>
  reply(c, {
    scope: { path: [], clusters: { "kafka-cluster": "wfp-tenant", "schema-registry-cluster": "wfp-tenant" } },
  }),
);
confluentApi.get("/v1/metadata/version", (c) => reply(c, { version: CONFLUENT_VERSION, commitId: "wfp" }));
confluentApi.get("/contexts", async (c) => reply(c, (await listContexts(c.var.session)).map(contextLabel)));

/** `offset` and `limit` of a list (a limit of 0 or -1, or none, is no limit), as Confluent pages. */
function page<T>(c: Ctx, items: readonly T[]): T[] {
  const offset = Math.max(0, Number(c.req.query("offset") ?? 0) || 0);
  const limit = Number(c.req.query("limit") ?? -1);
  return items.slice(offset, Number.isInteger(limit) && limit > 0 ? offset + limit : undefined);
}

routes.get("/schemas/types", (c) => reply(c, [...SCHEMA_FORMATS].sort()));
routes.all("/schemas/types", methodNotAllowed);

routes.get("/schemas", async (c) => {
  const prefix = c.req.query("subjectPrefix") ?? "";
  const context =
    c.req.param("context" as never) !== undefined
      ? urlContext(c)
      : prefix.startsWith(":*:") || prefix.startsWith(":.")
        ? undefined
        : ".";
  const deleted = flag(c, "deleted");
  const latestOnly = flag(c, "latestOnly");
  let listed = (await listVersions(c.var.session)).filter(
    (entry) =>
      (context === undefined || entry.subject.context === context) &&
      (deleted || !entry.deleted) &&
      (prefix === "" ||
        prefix.startsWith(":*:") ||
        entry.subject.qualified.startsWith(prefix) ||
        entry.subject.name.startsWith(prefix)),
  );
  if (latestOnly) listed = listed.filter((entry, i) => listed[i + 1]?.subject.qualified !== entry.subject.qualified);
  return reply(
    c,
    page(c, listed).map((entry) => ({
      subject: subjectLabel(c, entry.subject),
      version: entry.version,
      id: entry.globalId,
      guid: entry.record.guid,
      ...schemaFields(entry.schemaType, entry.schema, {
        references: entry.record.references,
        metadata: entry.metadata,
        ruleSet: entry.ruleSet,
      }),
    })),
  );
});
routes.all("/schemas", methodNotAllowed);

function idParam(c: Ctx): number {
  const raw = (c.req.param("id" as never) as string | undefined) ?? "";
  const id = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) fail(CONFLUENT_ERRORS.schemaNotFound, "Schema not found");
  return id;
}

/** A schema by id from D1, and the id cache brought up to date with what D1 said. */
async function loadSchema(c: Ctx, context: string, id: number): Promise<SchemaRecord | null> {
  const generation = schemaIdCache.generation;
  const found = await schemaById(c.var.session, id, context);
  // An id whose every version was deleted for good is gone, as in Confluent (never handed out again).
  const exists = found !== null && (await usesOf(c.var.session, id, true, context)).length > 0;
  if (exists) schemaIdCache.set(found, generation);
  else schemaIdCache.forget([[context, id]]);
  return exists ? found : null;
}

/**
 * The context an id is looked up in: Confluent numbers ids per context, and finds one in the
 * context of `?subject=` when given, else the URL's (`/contexts/{ctx}/...`), else the default.
 */
function idContext(c: Ctx): string {
  const subject = c.req.query("subject");
  if (subject !== undefined && subject !== "") return parseSubject(subject, urlContext(c)).context;
  return urlContext(c);
}

/** A schema by id in its context (idContext). */
async function requireSchema(c: Ctx): Promise<SchemaRecord> {
  const id = idParam(c);
  const found = await loadSchema(c, idContext(c), id);
  if (!found) fail(CONFLUENT_ERRORS.schemaNotFound, `Schema ${id} not found`);
  return found;
}

/**
 * `GET /schemas/ids/{id}[/schema]`: from this isolate's id cache when the answer depends on the id
 * alone, else from D1 (docs/confluent-api.md, "The schema id cache"). A client's bookmark asks for
 * read-your-writes, which only D1 can promise; `?subject` and `?fetchMaxId=true` read more than the id.
 */
async function schemaForIdRead(c: Ctx): Promise<SchemaRecord> {
  const query = new URL(c.req.url).searchParams;
  const onlyId = [...query].every(
    ([name, value]) => (name === "fetchMaxId" && value === "false") || (name === "subject" && value === ""),
  );
  const bookmarked = (c.req.header(BOOKMARK_HEADER) ?? "") !== "";
  if (onlyId && !bookmarked) {
    const cached = schemaIdCache.get(urlContext(c), idParam(c));
    c.header(REGISTRY_CACHE_HEADER, cached ? "hit" : "miss");
    if (cached) return cached;
  } else {
    c.header(REGISTRY_CACHE_HEADER, "bypass");
  }
  return requireSchema(c);
}

routes.get("/schemas/ids/:id", async (c) => {
  const record = await schemaForIdRead(c);
  const maxId = flag(c, "fetchMaxId") ? { maxId: await maxGlobalId(c.var.session, record.context) } : {};
  return reply(c, { ...schemaFields(record.schemaType, record.schema, record), ...maxId });
});
routes.all("/schemas/ids/:id", methodNotAllowed);

routes.get("/schemas/ids/:id/schema", async (c) => {
  const { schema } = await schemaForIdRead(c);
  return c.body(schema, 200, { "content-type": CONFLUENT_CONTENT_TYPE });
});

/** The (subject, version) pairs using an id of its context; `?subject` keeps only that subject's. */
async function usesAsked(c: Ctx, record: SchemaRecord): Promise<{ subject: string; version: number }[]> {
  const uses = (await usesOf(c.var.session, record.id, flag(c, "deleted"), record.context)).map((use) => ({
    ...use,
    subject: subjectLabel(c, parseSubject(use.subject)),
  }));
  const only = c.req.query("subject");
  if (only === undefined || only === "") return uses;
  const wanted = subjectLabel(c, parseSubject(only, urlContext(c)));
  return uses.filter((use) => use.subject === wanted);
}

routes.get("/schemas/ids/:id/subjects", async (c) => {
  const record = await requireSchema(c);
  return reply(c, page(c, [...new Set((await usesAsked(c, record)).map((use) => use.subject))]));
});

routes.get("/schemas/ids/:id/versions", async (c) => {
  const record = await requireSchema(c);
  return reply(c, page(c, await usesAsked(c, record)));
});

routes.get("/schemas/guids/:guid", async (c) => {
  const record = await schemaByGuid(c.var.session, c.req.param("guid"), urlContext(c));
  if (!record) fail(CONFLUENT_ERRORS.schemaNotFound, "Schema not found");
  return reply(c, { ...schemaFields(record.schemaType, record.schema, record), id: record.id, guid: record.guid });
});

routes.get("/subjects", async (c) => {
  const inContext = c.req.param("context" as never) !== undefined;
  const prefix = c.req.query("subjectPrefix") ?? "";
  // At the root, the default context's subjects, unless the prefix names another context
  // (`:.ctx:`) or all of them (`:*:`).
  const context = inContext ? urlContext(c) : prefix.startsWith(":*:") || prefix.startsWith(":.") ? undefined : ".";
  if (context !== undefined) refuseGlobalContext(context);
  const deletedOnly = flag(c, "deletedOnly");
  const deleted = flag(c, "deleted");
  const subjects = (await listSubjects(c.var.session, context))
    .filter((summary) => (deletedOnly ? summary.live === 0 && summary.deleted > 0 : summary.live > 0 || deleted))
    .map((summary) => (inContext ? summary.subject.name : summary.subject.qualified))
    .filter(
      (name) =>
        prefix === "" ||
        prefix.startsWith(":*:") ||
        name.startsWith(prefix) ||
        parseSubject(name).name.startsWith(prefix),
    );
  return reply(c, page(c, subjects));
});
routes.all("/subjects", methodNotAllowed);

routes.post("/subjects/:subject/versions", async (c) => {
  const subject = await dataSubject(c);
  const input = await schemaInput(c);
  const session = c.var.session;
  const mode = await requireWritable(c, subject);
  if (input.id !== undefined && mode !== "IMPORT")
    fail(
      CONFLUENT_ERRORS.operationNotPermitted,
      `Subject '${subject.qualified}' is not in import mode: a schema id can only be given when importing.`,
    );
  const parsed = await parseInput(c, subject, input);
  const schema = await findOrCreateSubject(session, subject);
  const versions = await subjectVersions(session, schema);
  const live = versions.filter((version) => !version.deleted);
  const previous = live.at(-1);

  const config = await effectiveConfig(c.var.session, subjectLevel(subject));
  const requested = input.metadata === undefined ? previous?.metadata : input.metadata;
  const metadata = withoutVersionHint(
    mergeMetadata(
      mergeMetadata(config.defaultMetadata as Json | undefined, requested),
      config.overrideMetadata as Json | undefined,
    ),
  );
  const requestedRules = input.ruleSet === undefined ? previous?.ruleSet : input.ruleSet;
  const ruleSet = mergeRuleSets(
    mergeRuleSets(config.defaultRuleSet as Json | undefined, requestedRules),
    config.overrideRuleSet as Json | undefined,
  );
  const identity = {
    schemaType: input.schemaType,
    schema: input.schema,
    references: input.references,
    context: subject.context,
  };

  // An import says which id the schema had: without one, it is not an import.
  if (mode === "IMPORT" && input.id === undefined)
    fail(
      CONFLUENT_ERRORS.operationNotPermitted,
      `Subject '${subject.qualified}' is in import mode: give the schema's id (and version) to import it.`,
    );
  // Registering a schema the subject already has is idempotent: same id, no new version (with a
  // confluent:version hint, only if it names that version).
  const hint = versionHint(input.metadata);
  const same = live
    .filter(
      (version) => sameSchema(version, input, metadata, ruleSet) && (hint === undefined || version.version === hint),
    )
    .at(-1);
  if (
    same &&
    (input.id === undefined || input.id === same.globalId) &&
    (input.version === undefined || input.version === same.version)
  )
    return reply(c, { id: same.globalId });

  if (mode === "IMPORT") {
    if (input.id === undefined)
      fail(
        CONFLUENT_ERRORS.operationNotPermitted,
        `Subject '${subject.qualified}' is in import mode: give the schema's id to import it.`,
      );
    const taken =
      input.version === undefined ? undefined : versions.find((version) => version.version === input.version);
    // A version that is already there is answered as it is, as Confluent does (mode_exhaustive's
    // "Confluent allows this (returns existing)"); the bulk import, POST /import/schemas, is the
    // strict one (docs/confluent-api.md, "Import").
    if (taken) return reply(c, { id: taken.globalId });
    const id = input.id;
    if (!(await claimGlobalId(session, input.id, identity)))
      fail(CONFLUENT_ERRORS.operationNotPermitted, `Schema id ${input.id} is already used by a different schema.`);
    await insertSubjectVersion(session, schema, input.schemaType, input.schema, id, {
      ...(input.version === undefined ? {} : { version: input.version }),
      metadata,
      ruleSet,
    });
    return reply(c, { id });
  }

  if (config.validateFields === true) checkReservedFields(parsed, metadata, previous?.metadata ?? null);
  const level = await compatibilityLevelOf(c.var.session, subject);
  // compatibilityGroup names a metadata property: only versions with the same value are compared.
  const group =
    typeof config.compatibilityGroup === "string" && config.compatibilityGroup !== ""
      ? config.compatibilityGroup
      : undefined;
  const groupOf = (data: Json | null | undefined): unknown =>
    group !== undefined && isObject(data?.properties) ? data.properties[group] : undefined;
  const comparable =
    group === undefined ? live : live.filter((version) => groupOf(version.metadata) === groupOf(metadata));
  const result = await subjectCompatibility(
    c.var.session,
    subject,
    { schemaType: input.schemaType, parsed },
    level,
    comparable,
  );
  if (!result.isCompatible) {
    fail(
      CONFLUENT_ERRORS.incompatibleSchema,
      `Schema being registered is incompatible with an earlier schema for subject "${subject.qualified}", ` +
        `details: [${result.messages.join(", ")}]`,
    );
  }
  // /api files the version as a minor bump when it is backward compatible with the latest, else major.
  const checkedBackward = BACKWARD_LEVELS.has(level) && previous !== undefined && comparable.at(-1) === previous;
  const bump: VersionBump =
    previous === undefined
      ? "major"
      : checkedBackward ||
          (
            await subjectCompatibility(session, subject, { schemaType: input.schemaType, parsed }, "BACKWARD", [
              previous,
            ])
          ).isCompatible
        ? "minor"
        : "major";
  const id = await globalIdOf(session, identity);
  const version = await insertSubjectVersion(session, schema, input.schemaType, input.schema, id, {
    metadata,
    ruleSet,
    bump,
  });
  // Concurrent registrations of the same schema each saw none and each added a version: the
  // lowest of them stays, the others take theirs back and answer its id (one version, one id).
  const twins = (await subjectVersions(session, schema)).filter(
    (each) => !each.deleted && sameSchema(each, input, metadata, ruleSet),
  );
  const first = twins[0];
  if (first && first.version < version) {
    const mine = twins.find((each) => each.version === version);
    if (mine) await dropVersion(session, mine);
    return reply(c, { id: first.globalId });
  }
  // Confluent answers the id alone.
  return reply(c, { id });
});

routes.get("/subjects/:subject/versions", async (c) => {
  const subject = await dataSubject(c);
  const includeDeleted = flag(c, "deleted") || flag(c, "deletedOnly");
  const { versions } = await requireSubject(c, subject, includeDeleted);
  const shown = versions.filter((version) =>
    flag(c, "deletedOnly") ? version.deleted : includeDeleted || !version.deleted,
  );
  return reply(
    c,
    page(
      c,
      shown.map((version) => version.version),
    ),
  );
});
routes.all("/subjects/:subject/versions", methodNotAllowed);

routes.post("/subjects/:subject", async (c) => {
  const subject = await dataSubject(c);
  // Looking up nothing finds nothing (Confluent: 40403), rather than an invalid registration.
  const input = await schemaInput(c).catch((error: unknown) => {
    if (error instanceof ConfluentError && error.message.startsWith("Empty schema"))
      fail(CONFLUENT_ERRORS.schemaNotFound, "Schema not found");
    throw error;
  });
  const includeDeleted = flag(c, "deleted");
  const { versions } = await requireSubject(c, subject, includeDeleted);
  await parseInput(c, subject, input);
  const found = versions
    .filter(
      (version) =>
        (includeDeleted || !version.deleted) &&
        version.document.body.format === input.schemaType &&
        canonicalSchema(input.schemaType, version.document.body.specification) ===
          canonicalSchema(input.schemaType, input.schema) &&
        sameReferences(version.references, input.references),
    )
    .at(-1);
  if (!found) fail(CONFLUENT_ERRORS.schemaNotFound, "Schema not found");
  return reply(c, presentVersion(subject, found));
});

routes.delete("/subjects/:subject", async (c) => {
  const subject = subjectParam(c);
  const permanent = flag(c, "permanent");
  await requireWritable(c, subject);
  const schema = await findSubject(c.var.session, subject);
  const versions = schema === null ? [] : await subjectVersions(c.var.session, schema);
  if (schema === null || versions.length === 0)
    fail(CONFLUENT_ERRORS.subjectNotFound, `Subject '${subject.qualified}' not found.`);
  const live = versions.filter((version) => !version.deleted);
  if (permanent) {
    if (live.length > 0)
      fail(
        CONFLUENT_ERRORS.subjectNotSoftDeleted,
        `Subject '${subject.qualified}' was not deleted first before being permanently deleted`,
      );
    await refuseIfReferenced(c, subject, versions);
    await hardDelete(c.var.session, schema, versions, subject.qualified);
    return reply(
      c,
      versions.map((version) => version.version),
    );
  }
  if (live.length === 0)
    fail(
      CONFLUENT_ERRORS.subjectSoftDeleted,
      `Subject '${subject.qualified}' was soft deleted. Set permanent=true to delete permanently`,
    );
  await refuseIfReferenced(c, subject, live);
  for (const version of live) await softDelete(c.var.session, version);
  return reply(
    c,
    live.map((version) => version.version),
  );
});
routes.all("/subjects/:subject", methodNotAllowed);

routes.get("/subjects/:subject/versions/:version", async (c) => {
  const subject = await dataSubject(c);
  const wanted = versionParam(c);
  const includeDeleted = flag(c, "deleted");
  const { versions } = await requireSubject(c, subject, includeDeleted);
  return reply(c, presentVersion(subject, pickVersion(versions, wanted, includeDeleted, subject)));
});

routes.get("/subjects/:subject/versions/:version/schema", async (c) => {
  const subject = await dataSubject(c);
  const wanted = versionParam(c);
  const includeDeleted = flag(c, "deleted");
  const { versions } = await requireSubject(c, subject, includeDeleted);
  // The schema text itself, exactly as registered.
  return c.body(pickVersion(versions, wanted, includeDeleted, subject).document.body.specification, 200, {
    "content-type": CONFLUENT_CONTENT_TYPE,
  });
});

/** The latest live version's metadata (`{}` when it has none): what a client reads before a CAS registration. */
routes.get("/subjects/:subject/metadata", async (c) => {
  const subject = await dataSubject(c);
  const { versions } = await requireSubject(c, subject, false);
  return reply(c, versions.filter((version) => !version.deleted).at(-1)?.metadata ?? {});
});

routes.get("/subjects/:subject/versions/:version/referencedby", async (c) => {
  const subject = await dataSubject(c);
  const wanted = versionParam(c);
  const { versions } = await requireSubject(c, subject, true);
  const version = pickVersion(versions, wanted, true, subject);
  return reply(c, await referencedBy(c.var.session, subject.qualified, version.version));
});

routes.delete("/subjects/:subject/versions/:version", async (c) => {
  const subject = subjectParam(c);
  const wanted = versionParam(c);
  const permanent = flag(c, "permanent");
  await requireWritable(c, subject);
  const { schema, versions } = await requireSubject(c, subject, true);
  // `latest` means the latest live version, as in Confluent; a number may name a soft-deleted one.
  // A permanent delete of `latest` means the latest version, soft-deleted or not (it must be, to go).
  const version = pickVersion(versions, wanted, wanted !== "latest" || permanent, subject);
  if (permanent) {
    if (!version.deleted)
      fail(
        CONFLUENT_ERRORS.versionNotSoftDeleted,
        `Subject '${subject.qualified}' Version ${version.version} ` +
          `was not deleted first before being permanently deleted`,
      );
    await refuseIfReferenced(c, subject, [version]);
    await hardDelete(c.var.session, schema, [version], subject.qualified);
    return reply(c, version.version);
  }
  if (version.deleted)
    fail(
      CONFLUENT_ERRORS.versionSoftDeleted,
      `Subject '${subject.qualified}' Version ${version.version} ` +
        `was soft deleted. Set permanent=true to delete permanently`,
    );
  await refuseIfReferenced(c, subject, [version]);
  await softDelete(c.var.session, version);
  return reply(c, version.version);
});
routes.all("/subjects/:subject/versions/:version", methodNotAllowed);

// ---- config ------------------------------------------------------------------------------------

/** The body of PUT /config: `compatibility` plus Confluent's other config fields, merged into what is stored. */
async function configUpdate(c: Ctx, stored: Json | null): Promise<{ config: Json; answer: Json }> {
  const body = await jsonBody(c);
  const config: Json = { ...(stored ?? {}) };
  const answer: Json = {};
  const raw = body.compatibility ?? body.compatibilityLevel;
  if (raw !== undefined && raw !== null) {
    const level = typeof raw === "string" ? raw.toUpperCase() : raw;
    if (typeof level !== "string" || !(COMPATIBILITY_LEVELS as readonly string[]).includes(level)) {
      fail(
        CONFLUENT_ERRORS.invalidCompatibilityLevel,
        `Invalid compatibility level. Valid values are none, backward, forward, full, ` +
          `backward_transitive, forward_transitive, and full_transitive`,
      );
    }
    config.compatibilityLevel = level;
    answer.compatibility = level;
  }
  for (const field of CONFIG_FIELDS) {
    if (body[field] === undefined) continue;
    if ((field === "defaultRuleSet" || field === "overrideRuleSet") && body[field] !== null) checkRuleSet(body[field]);
    // null (and an empty alias) removes the field.
    if (body[field] === null || (field === "alias" && body[field] === "")) delete config[field];
    else config[field] = body[field];
    answer[field] = body[field];
  }
  // An empty update changes nothing and answers the level in force, as Confluent does.
  if (Object.keys(answer).length === 0) answer.compatibility = config.compatibilityLevel ?? DEFAULT_COMPATIBILITY;
  return { config, answer };
}

function presentConfig(config: Json): Json {
  const { compatibilityLevel, ...rest } = config;
  return { compatibilityLevel: compatibilityLevel ?? DEFAULT_COMPATIBILITY, ...rest };
}

/** The level `/config` and `/mode` name: the root's (default context) or, under /contexts/{ctx}, that context's. */
function urlLevel(c: Ctx): SettingsLevel {
  return contextLevel(urlContext(c));
}

// The level's own config (else the server's default); `?defaultToGlobal=true` walks on to __GLOBAL.
routes.get("/config", async (c) => {
  const level = urlLevel(c);
  return reply(
    c,
    presentConfig(
      flag(c, "defaultToGlobal")
        ? await effectiveConfig(c.var.session, level)
        : ((await settingsOf(c.var.session, level.key)).config ?? {}),
    ),
  );
});

routes.put("/config", async (c) => {
  const level = urlLevel(c);
  const { config, answer } = await configUpdate(c, (await settingsOf(c.var.session, level.key)).config);
  await setConfig(c.var.session, level.key, config);
  return reply(c, answer);
});

routes.delete("/config", async (c) => {
  const level = urlLevel(c);
  const own = (await settingsOf(c.var.session, level.key)).config;
  await setConfig(c.var.session, level.key, null);
  return reply(c, presentConfig(own ?? {}));
});

routes.get("/config/:subject", async (c) => {
  const level = settingsParam(c);
  const own = (await settingsOf(c.var.session, level.key)).config;
  if (own !== null && Object.keys(own).length > 0) return reply(c, presentConfig(own));
  if (flag(c, "defaultToGlobal")) return reply(c, presentConfig(await effectiveConfig(c.var.session, level)));
  fail(CONFLUENT_ERRORS.subjectConfigNotFound, `${level.label} does not have subject-level compatibility configured`);
});

/** A subject's own config cannot change while the subject is read-only (42205). */
async function requireConfigWritable(c: Ctx, level: SettingsLevel): Promise<void> {
  if (level.subject === undefined) return;
  const mode = await modeIn(c.var.session, level);
  if (mode === "READONLY" || mode === "READONLY_OVERRIDE")
    fail(CONFLUENT_ERRORS.operationNotPermitted, `${level.label} is in read-only mode.`);
}

routes.put("/config/:subject", async (c) => {
  const level = settingsParam(c);
  await requireConfigWritable(c, level);
  const { config, answer } = await configUpdate(c, (await settingsOf(c.var.session, level.key)).config);
  await setConfig(c.var.session, level.key, config);
  return reply(c, answer);
});

routes.delete("/config/:subject", async (c) => {
  const level = settingsParam(c);
  await requireConfigWritable(c, level);
  const own = (await settingsOf(c.var.session, level.key)).config;
  if (own === null && level.subject !== undefined && (await findSubject(c.var.session, level.subject)) === null)
    fail(CONFLUENT_ERRORS.subjectNotFound, `Subject '${level.subject.qualified}' not found.`);
  if (own === null)
    fail(CONFLUENT_ERRORS.subjectConfigNotFound, `${level.label} does not have subject-level compatibility configured`);
  await setConfig(c.var.session, level.key, null);
  return reply(c, presentConfig(own));
});

// ---- mode --------------------------------------------------------------------------------------

async function modeBody(c: Ctx): Promise<string> {
  const body = await jsonBody(c);
  // No mode at all puts the default back (Confluent's answer to an empty body).
  const mode =
    body.mode === undefined ? DEFAULT_MODE : typeof body.mode === "string" ? body.mode.toUpperCase() : body.mode;
  if (typeof mode !== "string" || !(MODES as readonly string[]).includes(mode))
    fail(
      CONFLUENT_ERRORS.invalidMode,
      `Invalid mode ${JSON.stringify(body.mode)}. Valid values are: ${MODES.join(", ")}`,
    );
  return mode;
}

/** IMPORT over existing subjects needs `?force=true` (their ids could collide with the imported ones). */
async function checkImportSwitch(c: Ctx, mode: string, level: SettingsLevel): Promise<void> {
  if (mode !== "IMPORT" || flag(c, "force") || (await modeIn(c.var.session, level)) === "IMPORT") return;
  const subjects = await listSubjects(c.var.session);
  const key = level.key;
  const occupied = subjects.some(
    (summary) =>
      summary.live > 0 &&
      (key === GLOBAL_KEY || summary.subject.qualified === key || contextKey(summary.subject.context) === key),
  );
  if (occupied)
    fail(
      CONFLUENT_ERRORS.operationNotPermitted,
      "Cannot import since found existing subjects: set force=true to switch to IMPORT anyway.",
    );
}

routes.get("/mode", async (c) => reply(c, { mode: await modeIn(c.var.session, urlLevel(c)) }));

routes.put("/mode", async (c) => {
  const level = urlLevel(c);
  const mode = await modeBody(c);
  await checkImportSwitch(c, mode, level);
  await setMode(c.var.session, level.key, mode);
  return reply(c, { mode });
});

routes.delete("/mode", async (c) => {
  const level = urlLevel(c);
  const current = (await settingsOf(c.var.session, level.key)).mode ?? DEFAULT_MODE;
  await setMode(c.var.session, level.key, null);
  return reply(c, { mode: current });
});

routes.get("/mode/:subject", async (c) => {
  const level = settingsParam(c);
  const own = (await settingsOf(c.var.session, level.key)).mode;
  if (own !== null) return reply(c, { mode: own });
  if (flag(c, "defaultToGlobal")) return reply(c, { mode: await modeIn(c.var.session, level) });
  fail(CONFLUENT_ERRORS.subjectModeNotFound, `${level.label} does not have subject-level mode configured`);
});

routes.put("/mode/:subject", async (c) => {
  const level = settingsParam(c);
  const mode = await modeBody(c);
  await checkImportSwitch(c, mode, level);
  await setMode(c.var.session, level.key, mode);
  return reply(c, { mode });
});

routes.delete("/mode/:subject", async (c) => {
  const level = settingsParam(c);
  const own = (await settingsOf(c.var.session, level.key)).mode;
  if (own === null && level.subject !== undefined && (await findSubject(c.var.session, level.subject)) === null)
    fail(CONFLUENT_ERRORS.subjectNotFound, `Subject '${level.subject.qualified}' not found.`);
  if (own === null)
    fail(CONFLUENT_ERRORS.subjectModeNotFound, `${level.label} does not have subject-level mode configured`);
  await setMode(c.var.session, level.key, null);
  return reply(c, { mode: own });
});

// ---- compatibility -----------------------------------------------------------------------------

function compatibilityAnswer(c: Ctx, result: CompatibilityResult): Response {
  return reply(
    c,
    flag(c, "verbose")
      ? { is_compatible: result.isCompatible, messages: result.messages }
      : { is_compatible: result.isCompatible },
  );
}

routes.post("/compatibility/subjects/:subject/versions/:version", async (c) => {
  const subject = await dataSubject(c);
  const wanted = versionParam(c);
  const input = await schemaInput(c);
  const parsed = await parseInput(c, subject, input);
  // A version of a subject that does not exist is not found as a version (40402), as Confluent answers.
  const schema = await findSubject(c.var.session, subject);
  const versions =
    schema === null ? [] : (await subjectVersions(c.var.session, schema)).filter((version) => !version.deleted);
  const against = pickVersion(versions, wanted, false, subject);
  // Against one version, the level's direction applies without its transitivity.
  const level = (await compatibilityLevelOf(c.var.session, subject)).replace("_TRANSITIVE", "") as CompatibilityLevel;
  return compatibilityAnswer(
    c,
    await subjectCompatibility(c.var.session, subject, { schemaType: input.schemaType, parsed }, level, [against]),
  );
});

routes.post("/compatibility/subjects/:subject/versions", async (c) => {
  const subject = await dataSubject(c);
  const input = await schemaInput(c);
  const parsed = await parseInput(c, subject, input);
  const schema = await findSubject(c.var.session, subject);
  // A subject with no versions accepts anything (Confluent answers compatible too).
  const live =
    schema === null ? [] : (await subjectVersions(c.var.session, schema)).filter((version) => !version.deleted);
  return compatibilityAnswer(
    c,
    await subjectCompatibility(
      c.var.session,
      subject,
      { schemaType: input.schemaType, parsed },
      await compatibilityLevelOf(c.var.session, subject),
      live,
    ),
  );
});

confluentApi.route("/", routes);
confluentApi.route("/contexts/:context", routes);
