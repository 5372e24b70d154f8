/**
 * What the Confluent routes read before they act: the subject a data route means (aliases), its
 * versions (40401 / 40402), whether it may be written (42205), whether a version is referenced
 * (42206), a schema parsed with its references (42201), and which subjects a prefix-scoped key
 * may see in a listing (docs/security.md).
 */
import type { ParsedSpec } from "../spec/validate-specification.ts";
import { subjectInScope } from "../auth/key-scope.ts";
import { CONFLUENT_ERRORS } from "./confluent-error.ts";
import type { SchemaInput } from "./confluent-input.ts";
import { subjectOf } from "./confluent-input.ts";
import { fail, type Ctx, type PathParams } from "./confluent-route.ts";
import {
  parseSubject,
  readSubject,
  referencedBy,
  type SubjectName,
  type SubjectReadWith,
  type SubjectVersion,
} from "./confluent-store.ts";
import { parseWithReferences, resolveReferences } from "./schema-references.ts";
import {
  modeIn,
  modeKeys,
  settingsOf,
  settingsStatement,
  subjectLevel,
  type LevelSettings,
} from "./subject-settings.ts";

/**
 * A subject as a data route means it: a subject whose own config names an `alias` stands for that
 * subject (in the same context unless qualified), one level deep.
 */
export async function dataSubject(c: Ctx, params: PathParams): Promise<SubjectName> {
  const subject = subjectOf(params);
  const alias = (await settingsOf(c.var.session, subject.qualified)).config?.alias;
  return typeof alias === "string" && alias !== "" ? parseSubject(alias, subject.context) : subject;
}

/** What a write to a subject reads before it decides (`readForWrite`). */
export interface WriteRead {
  /** The subject the route means (`dataSubject`). */
  subject: SubjectName;
  /** The settings of the subject's chain and of the kill-switch levels (`modeAmong`, `configAmong`). */
  settings: Map<string, LevelSettings>;
  read: SubjectReadWith;
}

/**
 * Everything a registration reads before it decides, in one D1 round trip (two when the subject's
 * own config names an `alias`: then its target is read too): the subject a data route means, the
 * settings its mode and config come from, its context, schema document and versions.
 *
 * @example
 *   const { subject, settings, read } = await readForWrite(c, params);
 *   modeAmong(settings, subjectLevel(subject)); // "READWRITE"
 */
export async function readForWrite(c: Ctx, params: PathParams): Promise<WriteRead> {
  const session = c.var.session;
  const named = subjectOf(params);
  const own = settingsStatement(session, modeKeys(subjectLevel(named)));
  const first = await readSubject(session, named, [own.statement]);
  const settings = own.decode(first.also[0]);
  const alias = settings.get(named.qualified)?.config?.alias;
  if (typeof alias !== "string" || alias === "") return { subject: named, settings, read: first };
  const subject = parseSubject(alias, named.context);
  const more = settingsStatement(session, modeKeys(subjectLevel(subject)));
  const read = await readSubject(session, subject, [more.statement]);
  for (const [key, value] of more.decode(read.also[0])) settings.set(key, value);
  return { subject, settings, read };
}

/** Writes to a subject (register, delete) are refused in READONLY and READONLY_OVERRIDE; the mode in force. */
export async function requireWritable(c: Ctx, subject: SubjectName): Promise<string> {
  return writableMode(subject, await modeIn(c.var.session, subjectLevel(subject)));
}

/** `requireWritable` for a mode already read (`modeAmong`): 42205 when it refuses writes, else the mode. */
export function writableMode(subject: SubjectName, mode: string): string {
  if (mode === "READONLY" || mode === "READONLY_OVERRIDE")
    fail(CONFLUENT_ERRORS.operationNotPermitted, `Subject '${subject.qualified}' is in read-only mode.`);
  return mode;
}

/** The subject's schema document and versions; 40401 when it has no version (no live one, unless `includeDeleted`). */
export async function requireSubject(c: Ctx, subject: SubjectName, includeDeleted: boolean) {
  const { schema, versions } = await readSubject(c.var.session, subject);
  if (schema === null || !versions.some((version) => includeDeleted || !version.deleted))
    fail(CONFLUENT_ERRORS.subjectNotFound, `Subject '${subject.qualified}' not found.`);
  return { schema, versions };
}

/** The version `wanted` names among `versions` (`latest`: the last visible one); 40402 when none. */
export function pickVersion(
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

/** 42206 when a live schema references one of these versions of the subject. */
export async function refuseIfReferenced(
  c: Ctx,
  subject: SubjectName,
  versions: readonly SubjectVersion[],
): Promise<void> {
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

/** Parses the input with its references: 42201 with the parser's message and position. */
export async function parseSchemaInput(c: Ctx, subject: SubjectName, input: SchemaInput): Promise<ParsedSpec> {
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

/**
 * Whether a listing may show a (qualified) subject to the request's key: a key scoped to a subject
 * prefix sees only the subjects inside it (docs/security.md); any other key sees every one.
 *
 * @example
 *   const shown = subjects.filter(visibleTo(c)); // ["orders-value"] for an `orders-` key
 */
export function visibleTo(c: Ctx): (qualified: string) => boolean {
  const prefix = c.get("principal")?.subjectPrefix ?? null;
  return prefix === null ? () => true : (qualified) => subjectInScope(qualified, prefix);
}
