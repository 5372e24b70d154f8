/**
 * `POST /import/schemas`: many schemas in one request, each keeping the id and version it had in
 * the registry it comes from (docs/confluent-api.md, "Bulk import"). Confluent imports one
 * registration at a time in IMPORT mode; this does the same for a list, with the rules an operator
 * moving a registry needs: each schema is imported or refused on its own, nothing that exists is
 * ever overwritten or answered as if imported (an import run again reports every schema as
 * refused), and the reply tallies exactly what was written.
 */
import { z } from "@hono/zod-openapi";
import { TENANT } from "../../auth/access-rule.ts";
import { noteChange } from "../../audit/note-change.ts";
import { subjectProblem } from "../../http/input-limits.ts";
import { CONFLUENT_ERRORS, ConfluentError } from "../confluent-error.ts";
import { schemaBody } from "../confluent-input.ts";
import { answeredAs, ConfluentResource, CONFLUENT_CONTENT_TYPE, errors, ok, type Ctx } from "../confluent-route.ts";
import {
  claimGlobalId,
  createSubject,
  readSubject,
  insertSubjectVersion,
  parseSubject,
  type SubjectName,
} from "../confluent-store.ts";
import { GLOBAL_CONTEXT, modeIn, subjectLevel } from "../subject-settings.ts";
import { parseSchemaInput } from "../subject-lookup.ts";

const { operationNotPermitted, invalidSubject, invalidSchema } = CONFLUENT_ERRORS;

/**
 * The most schemas one request imports. D1 allows 1,000 queries per Worker invocation (Workers
 * Paid) and importing a schema takes up to about 25 (mode, references, subject, versions, id,
 * write), so a batch stays well inside it; a registry moves in several requests.
 */
export const MAX_IMPORT_SCHEMAS = 25;
// As in contexts URLs: letters, digits, '.', '_', '-'.
const CONTEXT_NAME = /^[A-Za-z0-9_.-]{1,255}$/;

const importedSchema = schemaBody
  .extend({
    subject: z.string({ error: "Each schema to import names its `subject`." }).openapi({ example: "orders-value" }),
  })
  .openapi("ConfluentImportedSchema");
// A body that is not a list of schemas is refused as a whole, as an unprocessable request (42201).
const importBody = answeredAs(
  invalidSchema,
  z
    .object({
      schemas: z
        .array(importedSchema, { error: "The body is `{schemas: [...]}`: the schemas to import." })
        .min(1, { error: "There is no schema to import." })
        .max(MAX_IMPORT_SCHEMAS, { error: `At most ${MAX_IMPORT_SCHEMAS} schemas per request.` }),
    })
    .openapi("ConfluentImportRequest"),
);
type ImportedSchema = z.output<typeof importedSchema>;

const result = z.object({
  subject: z.string(),
  version: z.number().int().nullable(),
  id: z.number().int().nullable(),
  success: z.boolean(),
  error_code: z.number().int().optional(),
  message: z.string().optional(),
});
const tally = z
  .object({
    imported: z.number().int().openapi({ description: "Versions written." }),
    errors: z.number().int().openapi({ description: "Schemas refused, each with its reason in `results`." }),
    results: z.array(result).openapi({ description: "One per schema sent, in order." }),
  })
  .openapi("ConfluentImportResult");

export const bulkImport = new ConfluentResource("Confluent: import");

bulkImport.route(
  {
    method: "post",
    path: "/import/schemas",
    rootOnly: true,
    summary: "Import many schemas, each keeping its id and version",
    description:
      "Each schema's subject must be in IMPORT mode. Each is imported or refused on its own: a taken id " +
      "(another schema), a version that exists (even the same schema again), an invalid schema. 200 when " +
      "at least one was written; 422 (42205) with the same tally when none was.",
    access: { role: "write", scope: TENANT, action: "schemas.import" },
    body: importBody,
    responses: {
      ...ok(tally, "What was imported and why the rest was not."),
      ...errors(invalidSchema, operationNotPermitted),
    },
  },
  async (c, { body }) => {
    const results: z.output<typeof result>[] = [];
    for (const entry of body.schemas) {
      try {
        results.push(await importOne(c, entry));
      } catch (error) {
        if (!(error instanceof ConfluentError)) throw error;
        results.push({
          subject: entry.subject,
          version: entry.version ?? null,
          id: entry.id ?? null,
          success: false,
          error_code: error.errorCode,
          message: error.message,
        });
      }
    }
    const imported = results.filter((each) => each.success).length;
    const answer = { imported, errors: results.length - imported, results };
    if (imported === 0) {
      const others = results.length > 1 ? " (and others)" : "";
      const message = `Nothing imported: ${results[0]?.message ?? "no schema"}${others}`;
      return c.body(JSON.stringify({ error_code: operationNotPermitted, message, ...answer }), 422, {
        "content-type": CONFLUENT_CONTENT_TYPE,
      });
    }
    // The audit log hashes what was written (the successes), as the entry of this one request.
    noteChange(
      c,
      null,
      results.filter((each) => each.success),
    );
    return c.body(JSON.stringify(answer), 200, { "content-type": CONFLUENT_CONTENT_TYPE });
  },
);

function refuse(code: number, message: string): never {
  throw new ConfluentError(code, message);
}

/** The subject an import names, checked as a URL's subject is. */
function importSubject(raw: string): SubjectName {
  const problem = subjectProblem(raw);
  if (problem !== null) refuse(invalidSubject, `The specified subject ${problem}.`);
  const subject = parseSubject(raw);
  if (subject.context !== "." && !CONTEXT_NAME.test(subject.context))
    refuse(CONFLUENT_ERRORS.invalidContext, `Invalid context name '${subject.context}'.`);
  if (subject.context === GLOBAL_CONTEXT) refuse(400, `The ${GLOBAL_CONTEXT} context holds no subjects.`);
  return subject;
}

/** One schema: checked in the order that writes nothing before a refusal it could have known. */
async function importOne(c: Ctx, entry: ImportedSchema): Promise<z.output<typeof result>> {
  const session = c.var.session;
  const subject = importSubject(entry.subject);
  const { id, version } = entry;
  if (id === undefined || version === undefined)
    refuse(operationNotPermitted, "An import names the `id` and the `version` the schema keeps.");
  const mode = await modeIn(session, subjectLevel(subject));
  if (mode !== "IMPORT")
    refuse(operationNotPermitted, `Subject '${subject.qualified}' is not in import mode (${mode}).`);
  // 42201 with the parser's words; references resolve in the subject's context, as a registration's.
  await parseSchemaInput(c, subject, entry);
  const read = await readSubject(session, subject);
  if (read.versions.some((each) => each.version === version))
    refuse(
      operationNotPermitted,
      `Version ${version} of subject '${subject.qualified}' already exists: an import does not overwrite it.`,
    );
  const identity = {
    schemaType: entry.schemaType,
    schema: entry.schema,
    references: entry.references,
    context: subject.context,
  };
  if (!(await claimGlobalId(session, id, identity)))
    refuse(operationNotPermitted, `Schema id ${id} is already used by a different schema.`);
  const schema = read.schema ?? (await createSubject(session, subject, read.contextId));
  try {
    await insertSubjectVersion(session, schema, {
      schemaType: entry.schemaType,
      text: entry.schema,
      id,
      version,
      metadata: entry.metadata ?? null,
      ruleSet: entry.ruleSet ?? null,
      context: subject.context,
      ...(read.schema === null ? {} : { known: read }),
    });
  } catch (error) {
    // A concurrent import took the version between the check and the write.
    if (error instanceof ConfluentError && error.errorCode === invalidSchema)
      refuse(operationNotPermitted, error.message);
    throw error;
  }
  return { subject: entry.subject, version, id, success: true };
}
