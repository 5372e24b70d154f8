/**
 * `GET /api/audit` (the audit log, newest first, filtered and paged) and `GET/PUT /api/settings`
 * (the tenant's settings: audit retention), admin only (docs/security.md).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AccessVariables } from "../auth/api-access.ts";
import { noteChange } from "./note-change.ts";
import { pageSizeQuery, requirePlainPageSize, rowCursorQuery } from "../http/page-size.ts";
import { validationHook } from "../http/request-input.ts";
import type { RequestIdVariables } from "../request-id.ts";
import { DEFAULT_AUDIT_RETENTION_DAYS, queryAudit } from "./audit-log.ts";

type AuditEnv = { Bindings: { DB: D1Database }; Variables: RequestIdVariables & AccessVariables };

const MAX_AUDIT_RETENTION_DAYS = 3650;

const errorShape = { description: "The API's error shape: `{ error: { code, message, requestId, details? } }`." };
const json = (schema: z.ZodType) => ({ content: { "application/json": { schema } } });
const OUTCOMES = ["ok", "denied", "error"] as const;

const auditEntry = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string().openapi({ description: "The key id, or `operator` for the tenant CLI." }),
    action: z.string().openapi({ example: "domain.update" }),
    target: z.string().openapi({ description: "The path acted on; for a create, the new document's URL." }),
    outcome: z.enum(OUTCOMES),
    status: z.number().int(),
    requestId: z.string(),
    beforeHash: z.string().nullable().openapi({
      description:
        "sha-256 (hex) of the document's JSON before the change, as the API answered it; null when not applicable.",
    }),
    afterHash: z.string().nullable(),
  })
  .openapi("AuditEntry");

const settings = z
  .strictObject({ auditRetentionDays: z.number().int().min(1).max(MAX_AUDIT_RETENTION_DAYS) })
  .openapi("TenantSettings");

/**
 * @example
 *   app.route("/api", auditApi); // GET /api/audit, GET/PUT /api/settings
 */
export const auditApi = new OpenAPIHono<AuditEnv>({ defaultHook: validationHook });

auditApi.openapi(
  createRoute({
    method: "get",
    path: "/audit",
    tags: ["audit"],
    summary: "The audit log, newest first",
    request: {
      query: z.strictObject({
        actor: z.string().max(64).optional(),
        action: z.string().max(64).optional(),
        target: z.string().max(2048).optional().openapi({ description: "Entries whose target starts with this." }),
        outcome: z.enum(OUTCOMES).optional(),
        since: z.iso
          .datetime({ offset: true })
          .optional()
          .openapi({ description: "ISO 8601; entries at or after it." }),
        until: z.iso.datetime({ offset: true }).optional().openapi({ description: "ISO 8601; entries before it." }),
        limit: pageSizeQuery(50),
        cursor: rowCursorQuery(),
      }),
    },
    responses: {
      200: {
        description: "A page of entries.",
        ...json(z.object({ items: z.array(auditEntry), nextCursor: z.string().nullable() })),
      },
      400: errorShape,
    },
  }),
  async (c) => {
    const query = c.req.valid("query");
    requirePlainPageSize(c.req.query("limit"));
    const iso = (value: string | undefined) => (value === undefined ? undefined : new Date(value).toISOString());
    const page = await queryAudit(c.env.DB, {
      actor: query.actor,
      action: query.action,
      target: query.target,
      outcome: query.outcome,
      since: iso(query.since),
      until: iso(query.until),
      limit: query.limit ?? 50,
      before: query.cursor === undefined ? undefined : Number(query.cursor),
    });
    return c.json(page, 200);
  },
);

async function readSettings(db: D1Database): Promise<z.infer<typeof settings>> {
  const row = await db
    .prepare("SELECT value FROM tenant_settings WHERE name = 'auditRetentionDays'")
    .first<{ value: string }>();
  const days = Number(row?.value);
  return { auditRetentionDays: Number.isInteger(days) && days >= 1 ? days : DEFAULT_AUDIT_RETENTION_DAYS };
}

auditApi.openapi(
  createRoute({
    method: "get",
    path: "/settings",
    tags: ["settings"],
    summary: "The tenant's settings",
    responses: { 200: { description: "The settings.", ...json(settings) } },
  }),
  async (c) => c.json(await readSettings(c.env.DB), 200),
);

auditApi.openapi(
  createRoute({
    method: "put",
    path: "/settings",
    tags: ["settings"],
    summary: "Change the tenant's settings (every field)",
    request: { body: { required: true, content: { "application/json": { schema: settings } } } },
    responses: { 200: { description: "The settings now.", ...json(settings) }, 400: errorShape },
  }),
  async (c) => {
    const wanted = c.req.valid("json");
    const before = await readSettings(c.env.DB);
    await c.env.DB.prepare(
      "INSERT INTO tenant_settings (name, value) VALUES ('auditRetentionDays', ?) " +
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
      .bind(String(wanted.auditRetentionDays))
      .run();
    const after = await readSettings(c.env.DB);
    noteChange(c, before, after);
    return c.json(after, 200);
  },
);
