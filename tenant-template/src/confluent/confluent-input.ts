/**
 * The Confluent API's requests as zod schemas (confluent-route.ts validates with them and documents
 * them): path parameters, query parameters and bodies. Each problem is answered with the code and
 * message Confluent's clients expect (docs/confluent-api.md, "Endpoints"): an issue names its code
 * in `params.errorCode`, or takes the one declared on its schema with `answeredAs`.
 *
 * Path parameters are checked in the order a reader meets them in the URL's meaning: the subject
 * (42208), the URL's context (42210), the subject's own context (42210), the __GLOBAL context
 * (400), then the version (42202); an id that is not a number is not found (40403).
 */
import { z } from "@hono/zod-openapi";
import { COMPATIBILITY_LEVELS } from "../compat/compatibility.ts";
import { MAX_REFERENCES_PER_SCHEMA, MAX_SPEC_BYTES, subjectProblem } from "../http/input-limits.ts";
import { SCHEMA_FORMATS } from "../store/collections.ts";
import { CONFLUENT_ERRORS } from "./confluent-error.ts";
import {
  answeredAs,
  CONTEXT_NAME,
  confluentIssue,
  contextParam,
  contextProblem,
  type ParamsSchema,
  type PathParams,
} from "./confluent-route.ts";
import { contextOfUrl, parseSubject, type SchemaReference, type SubjectName } from "./confluent-store.ts";
import { contextLevel, GLOBAL_CONTEXT, MODES, subjectLevel, type SettingsLevel } from "./subject-settings.ts";

// ---- path parameters -----------------------------------------------------------------------------

const subjectParam = z.string().openapi({
  param: { name: "subject", in: "path" },
  description: "A subject; `:.ctx:name` names one in context `ctx`.",
  example: "orders-value",
});
const settingsSubjectParam = z.string().openapi({
  param: { name: "subject", in: "path" },
  description: "A subject (`:.ctx:name` in context `ctx`), or `:.ctx:` alone for that context's own level.",
  example: "orders-value",
});
const versionParam = z.string().openapi({
  param: { name: "version", in: "path" },
  description: "A version number, `latest` or `-1`.",
  example: "latest",
});
const idParam = z.string().openapi({
  param: { name: "id", in: "path" },
  description: "A global schema id.",
  example: "1",
});
const guidParam = z.string().openapi({ param: { name: "guid", in: "path" }, description: "A schema's guid." });

type Issue = ReturnType<typeof confluentIssue>;

/** The first problem of a context URL's `{context}`, if any. */
function urlContextIssue(params: PathParams): Issue | null {
  if (params.context === undefined) return null;
  const problem = contextProblem(params.context, contextOfUrl(params.context));
  return problem === null ? null : confluentIssue(CONFLUENT_ERRORS.invalidContext, problem, ["context"]);
}

function subjectIssue(raw: string): Issue | null {
  // The shared subject rules (http/input-limits.ts): no control/bidi characters, lone surrogates,
  // undecodable escapes, reserved or over-long names.
  const problem = subjectProblem(raw);
  return problem === null
    ? null
    : confluentIssue(CONFLUENT_ERRORS.invalidSubject, `The specified subject ${problem}.`, ["subject"]);
}

function versionIssue(raw: string): Issue | null {
  if (raw === "latest" || raw === "-1") return null;
  const number = /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : NaN;
  if (Number.isSafeInteger(number) && number <= 2 ** 31 - 1) return null;
  return confluentIssue(
    CONFLUENT_ERRORS.invalidVersion,
    `The specified version '${raw}' is not a valid version id. ` +
      `Allowed values are between [1, 2^31-1] and the string "latest"`,
    ["version"],
  );
}

/** A data subject's problems: its name, the URL's context, its own context, __GLOBAL (which holds no subjects). */
function dataSubjectIssue(params: PathParams): Issue | null {
  const named = subjectIssue(params.subject!) ?? urlContextIssue(params);
  if (named !== null) return named;
  const subject = subjectOf(params);
  if (subject.context !== "." && !CONTEXT_NAME.test(subject.context))
    return confluentIssue(CONFLUENT_ERRORS.invalidContext, `Invalid context name '${subject.context}'.`, ["subject"]);
  return subject.context === GLOBAL_CONTEXT ? globalContextIssue(["subject"]) : null;
}

function globalContextIssue(path: string[]): Issue {
  return confluentIssue(
    400,
    `The ${GLOBAL_CONTEXT} context holds only config and mode: it has no subjects or schemas.`,
    path,
  );
}

// `:.ctx:` alone: a context's own level on the settings routes.
const CONTEXT_ONLY = /^:\.([^:]*):$/;

/** The parameters of a route, checked in order by `check` (the first issue is the one answered). */
function params(shape: Record<string, z.ZodType>, check: (params: PathParams) => Issue | null): ParamsSchema {
  return (inContext) =>
    z.object({ ...(inContext ? { context: contextParam } : {}), ...shape }).superRefine((value, ctx) => {
      const issue = check(value as PathParams);
      if (issue !== null) ctx.addIssue(issue);
    });
}

/** `/subjects/{subject}...`: a data subject (register, read, delete, compatibility). */
export const subjectParams = params({ subject: subjectParam }, dataSubjectIssue);
/** `/subjects/{subject}/versions/{version}...`. */
export const subjectVersionParams = params(
  { subject: subjectParam, version: versionParam },
  (value) => dataSubjectIssue(value) ?? versionIssue(value.version!),
);
/** `/config/{subject}` and `/mode/{subject}`: a subject's level, or a context's (`:.ctx:`). */
export const settingsParams = params({ subject: settingsSubjectParam }, (value) => {
  const contextOnly = CONTEXT_ONLY.exec(value.subject!);
  if (contextOnly === null) return subjectIssue(value.subject!) ?? urlContextIssue(value);
  const context = contextOnly[1] === "" ? "." : contextOnly[1]!;
  if (context !== "." && !CONTEXT_NAME.test(context))
    return confluentIssue(CONFLUENT_ERRORS.invalidContext, `Invalid context name '${context}'.`, ["subject"]);
  return urlContextIssue(value);
});
/** `/schemas/ids/{id}...`: an id that is not a number names no schema. */
export const idParams = params({ id: idParam }, (value) =>
  /^\d{1,10}$/.test(value.id!)
    ? urlContextIssue(value)
    : confluentIssue(CONFLUENT_ERRORS.schemaNotFound, "Schema not found", ["id"]),
);
export const guidParams = params({ guid: guidParam }, urlContextIssue);
/** `/subjects` under a context URL: the context's subjects, which __GLOBAL has none of. */
export const subjectsListParams = params(
  {},
  (value) =>
    urlContextIssue(value) ?? (urlContextOf(value) === GLOBAL_CONTEXT ? globalContextIssue(["context"]) : null),
);

/** The context a request's URL names: `.` at the root or for `/contexts/.`, else the context's name. */
export function urlContextOf(params: PathParams): string {
  return params.context === undefined ? "." : contextOfUrl(params.context);
}

/** The subject of a `{subject}` parameter, in the URL's context unless qualified. */
export function subjectOf(params: PathParams): SubjectName {
  return parseSubject(params.subject!, urlContextOf(params));
}

/** `latest` (also `-1`) or a version number. */
export function versionOf(params: PathParams): number | "latest" {
  return params.version === "latest" || params.version === "-1" ? "latest" : Number(params.version);
}

/** The level a `/config/{subject}` or `/mode/{subject}` URL names: `:.ctx:` alone is that context's own level. */
export function settingsLevelOf(params: PathParams): SettingsLevel {
  const contextOnly = CONTEXT_ONLY.exec(params.subject!);
  if (contextOnly !== null) return contextLevel(contextOnly[1] === "" ? "." : contextOnly[1]!);
  return subjectLevel(subjectOf(params));
}

/** The level `/config` and `/mode` name: the root's (default context) or, under /contexts/{ctx}, that context's. */
export function urlLevelOf(params: PathParams): SettingsLevel {
  return contextLevel(urlContextOf(params));
}

// ---- query parameters ----------------------------------------------------------------------------

/** A `?name=true` switch: anything but `true` (or nothing) is off. */
export function flag(description: string) {
  return z
    .string()
    .optional()
    .transform((value) => value === "true")
    .openapi({ description, example: "true" });
}
export const deletedFlag = flag("Include soft-deleted versions.");
/** `offset` and `limit` of a list, as Confluent pages: a limit of 0 or -1, or none, is no limit. */
export const paging = {
  offset: z.string().optional().openapi({ description: "Entries to skip.", example: "0" }),
  limit: z.string().optional().openapi({ description: "At most this many (0 or -1: no limit).", example: "100" }),
};
export const subjectPrefixQuery = z.string().optional().openapi({
  description:
    "Only subjects starting with it; `:.ctx:` names a context, `:*:` every context (default: the default context).",
});

/** A page of `items` as `offset` and `limit` ask. */
export function page<T>(query: { offset?: string | undefined; limit?: string | undefined }, items: readonly T[]): T[] {
  const offset = Math.max(0, Number(query.offset ?? 0) || 0);
  const limit = Number(query.limit ?? -1);
  return items.slice(offset, Number.isInteger(limit) && limit > 0 ? offset + limit : undefined);
}

// ---- bodies --------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const RULE_GROUPS = ["migrationRules", "domainRules", "encodingRules"] as const;
const RULE_KINDS = ["TRANSFORM", "CONDITION"] as const;
/** Modes a rule may have, by group: migrations run between versions, domain and encoding rules on data. */
const RULE_MODES: Record<(typeof RULE_GROUPS)[number], readonly string[]> = {
  migrationRules: ["UPGRADE", "DOWNGRADE", "UPDOWN"],
  domainRules: ["WRITE", "READ", "WRITEREAD"],
  encodingRules: ["WRITE", "READ", "WRITEREAD"],
};
/** What a rule may do on success or failure (or a comma-separated pair for UPDOWN / WRITEREAD). */
const RULE_ACTIONS = new Set(["", "NONE", "DLQ", "ERROR"]);
const invalid = CONFLUENT_ERRORS.invalidSchema;

/** The rules of one group: each an object with a unique name, a kind, a mode for the group and a type. */
function rulesOf(group: (typeof RULE_GROUPS)[number]) {
  const needsName = `Invalid rule set: every rule of ${group} needs a name.`;
  const modes = RULE_MODES[group];
  const rule = z
    .looseObject(
      {
        name: z.string({ error: needsName }).min(1, { error: needsName }),
        kind: z
          .unknown()
          .optional()
          .openapi({ type: "string", enum: [...RULE_KINDS] }),
        mode: z
          .unknown()
          .optional()
          .openapi({ type: "string", enum: [...modes] }),
        type: z
          .unknown()
          .optional()
          .openapi({ type: "string", description: "The rule's executor, e.g. CEL, ENCRYPT." }),
        onSuccess: z
          .unknown()
          .optional()
          .openapi({ type: "string", description: "NONE, DLQ or ERROR (a pair for UPDOWN)." }),
        onFailure: z
          .unknown()
          .optional()
          .openapi({ type: "string", description: "NONE, DLQ or ERROR (a pair for UPDOWN)." }),
      },
      { error: needsName },
    )
    .superRefine((value, ctx) => {
      const problem = (message: string) => ctx.addIssue({ code: "custom", message });
      if (value.kind !== undefined && !(RULE_KINDS as readonly string[]).includes(String(value.kind)))
        return problem(`Invalid rule "${value.name}": kind must be TRANSFORM or CONDITION.`);
      if (value.mode !== undefined && !modes.includes(String(value.mode)))
        return problem(
          `Invalid rule "${value.name}": mode ${JSON.stringify(value.mode)} ` +
            `is not one of ${modes.join(", ")} for ${group}.`,
        );
      for (const action of ["onSuccess", "onFailure"] as const) {
        const actions = value[action];
        if (actions === undefined || actions === null) continue;
        if (typeof actions !== "string" || !actions.split(",").every((part) => RULE_ACTIONS.has(part.trim())))
          return problem(
            `Invalid rule "${value.name}": ${action} ${JSON.stringify(actions)} is not NONE, DLQ or ERROR.`,
          );
      }
      if (value.type !== undefined && (typeof value.type !== "string" || value.type === ""))
        return problem(`Invalid rule "${value.name}": type must be a non-empty string.`);
    });
  return z
    .array(rule, { error: `Invalid rule set: ${group} must be an array.` })
    .superRefine((rules, ctx) => {
      const names = new Set<string>();
      for (const { name } of rules) {
        if (names.has(name))
          return ctx.addIssue({ code: "custom", message: `Invalid rule set: duplicate rule name "${name}".` });
        names.add(name);
      }
    })
    .nullish();
}

/** A rule set (`{migrationRules?, domainRules?, encodingRules?}`); every problem is an invalid schema (42201). */
export const ruleSet = answeredAs(
  invalid,
  z
    .looseObject(
      Object.fromEntries(RULE_GROUPS.map((group) => [group, rulesOf(group)])) as Record<
        (typeof RULE_GROUPS)[number],
        ReturnType<typeof rulesOf>
      >,
      { error: "Invalid schema: `ruleSet` must be an object." },
    )
    .openapi("ConfluentRuleSet"),
);

const REFERENCE_SHAPE = "Invalid schema: each reference needs a name, a subject and a version.";
const reference = z
  .object(
    {
      name: z.string({ error: REFERENCE_SHAPE }).min(1, { error: REFERENCE_SHAPE }).openapi({
        description: "How the schema refers to it: an Avro full name, a JSON Schema $ref URL, a .proto import path.",
        example: "com.acme.common.Money",
      }),
      subject: z.string({ error: REFERENCE_SHAPE }).min(1, { error: REFERENCE_SHAPE }).openapi({
        example: "com.acme.common.Money",
      }),
      version: z
        .unknown()
        .optional()
        .openapi({ type: "integer", description: "A version number; -1, `latest` or none: the latest.", example: 1 }),
    },
    { error: REFERENCE_SHAPE },
  )
  .superRefine((value, ctx) => {
    const version = value.version === undefined || value.version === "latest" ? -1 : value.version;
    if (typeof version !== "number" || !Number.isSafeInteger(version) || (version < 1 && version !== -1))
      ctx.addIssue({ code: "custom", message: `Invalid schema: reference "${value.name}" has an invalid version.` });
  })
  .openapi("ConfluentSchemaReference");

/** An IMPORT's id or version: a non-negative 31-bit integer; 0 (like none) is not given. */
function importNumber(what: string, description: string) {
  const message = (issue: { input?: unknown }) => `Invalid ${what} ${JSON.stringify(issue.input)}.`;
  return z
    .number({ error: message })
    .int({ error: message })
    .min(0, { error: message })
    .max(2 ** 31 - 1, { error: message })
    .nullish()
    .transform((value) => (value === null || value === undefined || value === 0 ? undefined : value))
    .openapi({ description });
}

/** The schema text: not blank (`empty` answers that), at most MAX_SPEC_BYTES (42209). */
function schemaText(empty: string) {
  return z
    .string({ error: empty })
    .refine((text) => text.trim() !== "", { error: empty })
    .superRefine((text, ctx) => {
      const bytes = new TextEncoder().encode(text).byteLength;
      if (bytes > MAX_SPEC_BYTES)
        ctx.addIssue(
          confluentIssue(
            CONFLUENT_ERRORS.schemaTooLarge,
            `Schema is ${bytes} bytes, over the limit of ${MAX_SPEC_BYTES} bytes.`,
            [],
          ),
        );
    })
    .openapi({
      description: "The schema text.",
      example: '{"type":"record","name":"OrderPlaced","fields":[{"name":"id","type":"string"}]}',
    });
}

const schemaFields = {
  // Case-sensitive, as Confluent: "avro" is not a schema type.
  schemaType: z
    .enum(SCHEMA_FORMATS, {
      error: (issue) =>
        `Invalid schema type ${JSON.stringify(issue.input)}: expected one of ${SCHEMA_FORMATS.join(", ")}.`,
    })
    .nullish()
    .transform((type) => type ?? "AVRO")
    .openapi({ description: "AVRO (the default when a request omits it), JSON or PROTOBUF." }),
  schema: schemaText("Empty schema: send the schema text in `schema`."),
  references: z
    .array(reference, { error: "Invalid schema: `references` must be an array." })
    .max(MAX_REFERENCES_PER_SCHEMA, { error: `Invalid schema: more than ${MAX_REFERENCES_PER_SCHEMA} references.` })
    .nullish()
    .transform((references): SchemaReference[] =>
      (references ?? []).map(({ name, subject, version }) => ({
        name,
        subject,
        version: version === undefined || version === "latest" ? -1 : (version as number),
      })),
    ),
  metadata: z
    .record(z.string(), z.unknown(), { error: "Invalid schema: `metadata` must be an object." })
    .nullish()
    .openapi({
      description:
        "`{properties, tags, sensitive}`; without it, the previous version's. " +
        "`properties.confluent:version` asks for that version number.",
    }),
  ruleSet: ruleSet.nullish(),
  id: importNumber("id", "IMPORT mode: the id the schema keeps."),
  version: importNumber("version", "IMPORT mode: the version number it keeps."),
};

/** `{schema, schemaType?, references?, metadata?, ruleSet?, id?, version?}`: registration and compatibility. */
export const schemaBody = answeredAs(invalid, z.object(schemaFields).openapi("ConfluentSchemaRequest"));
/** A lookup's: the same, but looking up no schema at all finds nothing (40403), as Confluent answers. */
export const lookupBody = answeredAs(
  invalid,
  z
    .object({ ...schemaFields, schema: answeredAs(CONFLUENT_ERRORS.schemaNotFound, schemaText("Schema not found")) })
    .openapi("ConfluentLookupRequest"),
);
export type SchemaInput = z.output<typeof schemaBody>;

/** Config fields a PUT /config may set, beside `compatibility`. */
export const CONFIG_FIELDS = [
  "normalize",
  "alias",
  "compatibilityGroup",
  "validateFields",
  "defaultMetadata",
  "overrideMetadata",
  "defaultRuleSet",
  "overrideRuleSet",
] as const;

const level = { type: "string" as const, enum: [...COMPATIBILITY_LEVELS], example: "BACKWARD" };
const configFields = z.object({
  compatibility: z
    .unknown()
    .optional()
    .openapi({ ...level, description: "The compatibility level (any case)." }),
  compatibilityLevel: z
    .unknown()
    .optional()
    .openapi({ ...level, description: "The same, as GET answers it." }),
  normalize: z.unknown().optional().openapi({ type: "boolean" }),
  alias: z.unknown().optional().openapi({
    type: "string",
    description: 'A subject this one stands for on the data routes (`""` removes it).',
  }),
  compatibilityGroup: z.unknown().optional().openapi({
    type: "string",
    description: "A metadata property: only versions with the same value are compared.",
  }),
  validateFields: z.unknown().optional().openapi({ type: "boolean", description: "Enforce reserved field names." }),
  defaultMetadata: z.unknown().optional().openapi({ type: "object" }),
  overrideMetadata: z.unknown().optional().openapi({ type: "object" }),
  defaultRuleSet: ruleSet.nullish(),
  overrideRuleSet: ruleSet.nullish(),
});
/**
 * PUT /config: `compatibility` (any case; `compatibilityLevel` too) and Confluent's other fields;
 * null removes one. The level is checked first (42203), then the rule sets (42201).
 */
export const configBody = z
  .preprocess((body, ctx) => {
    const raw = isRecord(body) ? (body.compatibility ?? body.compatibilityLevel) : undefined;
    if (raw === undefined || raw === null) return body;
    const upper = typeof raw === "string" ? raw.toUpperCase() : raw;
    if (typeof upper !== "string" || !(COMPATIBILITY_LEVELS as readonly string[]).includes(upper))
      ctx.addIssue(
        confluentIssue(
          CONFLUENT_ERRORS.invalidCompatibilityLevel,
          "Invalid compatibility level. Valid values are none, backward, forward, full, " +
            "backward_transitive, forward_transitive, and full_transitive",
          ["compatibility"],
        ),
      );
    return body;
  }, configFields)
  .openapi("ConfluentConfigUpdate");
export type ConfigInput = z.output<typeof configBody>;

const invalidMode = (value: unknown) => `Invalid mode ${JSON.stringify(value)}. Valid values are: ${MODES.join(", ")}`;
/** PUT /mode: `{mode}` in any case; no mode at all puts the default back (Confluent's answer to an empty body). */
export const modeBody = answeredAs(
  CONFLUENT_ERRORS.invalidMode,
  z
    .object({
      mode: z
        .string({ error: (issue) => invalidMode(issue.input) })
        .refine((mode) => (MODES as readonly string[]).includes(mode.toUpperCase()), {
          error: (issue) => invalidMode(issue.input),
        })
        .optional()
        .openapi({ type: "string", enum: [...MODES] }),
    })
    .openapi("ConfluentModeUpdate"),
);
