/**
 * `/api/keys` (admin only, docs/security.md): create a key (shown once), list keys (never a hash
 * or a secret), read one, revoke one. The `admin` key is the provisioner's and is not managed here.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError } from "../api-error.ts";
import { pageSizeQuery, requirePlainPageSize, rowCursorQuery } from "../http/page-size.ts";
import { validationHook } from "../http/request-input.ts";
import type { RequestIdVariables } from "../request-id.ts";
import { DOCUMENT_ID } from "../../../contracts/document-id.ts";
import { noteChange } from "../audit/note-change.ts";
import type { AccessVariables } from "./api-access.ts";
import { ADMIN_KEY_ID, generateKey, generateKeyId, hashKey, KEY_ID, ROLES } from "../../../contracts/api-key.ts";
import { findKey, insertKeyStatement, listKeys, revokeKeyStatement } from "./key-store.ts";

type KeysEnv = { Bindings: { DB: D1Database }; Variables: RequestIdVariables & AccessVariables };

/** The most characters a subject prefix may have (a subject's own limit). */
const MAX_SUBJECT_PREFIX_LENGTH = 255;

const errorShape = { description: "The API's error shape: `{ error: { code, message, requestId, details? } }`." };
const json = (schema: z.ZodType) => ({ content: { "application/json": { schema } } });

const keyRecord = z
  .object({
    id: z.string(),
    role: z.enum(ROLES),
    productId: z.string().nullable(),
    subjectPrefix: z.string().nullable(),
    description: z.string().nullable(),
    createdAt: z.string(),
    createdBy: z.string().openapi({ description: "The key id that created it, or `operator` (the CLI)." }),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    revokedBy: z.string().nullable(),
    status: z.enum(["active", "expired", "revoked"]),
  })
  .openapi("ApiKey");

const newKey = z
  .strictObject({
    role: z.enum(ROLES).openapi({ description: "read < write < admin." }),
    productId: z.string().regex(DOCUMENT_ID).optional().openapi({
      description:
        "Limit /api to this product's subtree (and refuse the Confluent API unless subjectPrefix is set too).",
    }),
    subjectPrefix: z
      .string()
      .min(1)
      .max(MAX_SUBJECT_PREFIX_LENGTH)
      .regex(/^[^\p{Cc}]+$/u, { message: "must not contain control characters" })
      .optional()
      .openapi({
        description:
          "Limit the Confluent API to subjects whose qualified name starts with this (`orders-`, `:.payments:`).",
      }),
    expiresAt: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: "ISO 8601; the key is refused from then on." }),
    description: z.string().max(500).optional(),
  })
  .openapi("NewApiKey");

const keyIdParam = z.strictObject({
  keyId: z.string().regex(KEY_ID, { message: "must be a key id ([a-z0-9], at most 32)" }),
});

/**
 * @example
 *   app.route("/api", keysApi); // POST/GET /api/keys, GET/DELETE /api/keys/{keyId}
 */
export const keysApi = new OpenAPIHono<KeysEnv>({ defaultHook: validationHook });

keysApi.openapi(
  createRoute({
    method: "post",
    path: "/keys",
    tags: ["keys"],
    summary: "Create an API key; the key is in this answer and nowhere else",
    request: { body: { required: true, content: { "application/json": { schema: newKey } } } },
    responses: {
      201: {
        description: "The key's record and, once, the key itself (`key`).",
        ...json(keyRecord.extend({ key: z.string() })),
      },
      400: errorShape,
    },
  }),
  async (c) => {
    const input = c.req.valid("json");
    const now = new Date();
    const problems: { path: string; message: string }[] = [];
    if (input.role === "admin" && (input.productId !== undefined || input.subjectPrefix !== undefined)) {
      problems.push({ path: "body/role", message: "an admin key cannot be scoped: admin endpoints are tenant-wide" });
    }
    const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt).toISOString();
    if (expiresAt !== null && Date.parse(expiresAt) <= now.getTime())
      problems.push({ path: "body/expiresAt", message: "must be in the future" });
    if (input.productId !== undefined) {
      const product = await c.env.DB.prepare("SELECT id FROM products WHERE id = ?").bind(input.productId).first();
      if (product === null) problems.push({ path: "body/productId", message: "no such product" });
    }
    if (problems.length > 0)
      throw new ApiError(400, "invalid_request", `Invalid key: ${problems[0]!.path} ${problems[0]!.message}.`, {
        details: problems,
      });

    const id = generateKeyId();
    const key = generateKey(id);
    const createdBy = c.var.principal.keyId;
    const fields = {
      role: input.role,
      productId: input.productId ?? null,
      subjectPrefix: input.subjectPrefix ?? null,
      description: input.description ?? null,
      expiresAt,
    };
    await insertKeyStatement(c.env.DB, id, await hashKey(key), fields, createdBy, now.toISOString()).run();
    const record = await findKey(c.env.DB, id);
    noteChange(c, null, record);
    c.header("Location", `/api/keys/${id}`);
    c.header("Cache-Control", "no-store");
    return c.json({ ...record!, key }, 201);
  },
);

keysApi.openapi(
  createRoute({
    method: "get",
    path: "/keys",
    tags: ["keys"],
    summary: "List API keys, oldest first (the provisioner's `admin` key is not listed)",
    request: {
      query: z.strictObject({
        limit: pageSizeQuery(100),
        cursor: rowCursorQuery(),
      }),
    },
    responses: {
      200: {
        description: "A page of keys.",
        ...json(z.object({ items: z.array(keyRecord), nextCursor: z.string().nullable() })),
      },
      400: errorShape,
    },
  }),
  async (c) => {
    requirePlainPageSize(c.req.query("limit"));
    const { limit, cursor } = c.req.valid("query");
    return c.json(await listKeys(c.env.DB, limit ?? 100, cursor === undefined ? null : Number(cursor)), 200);
  },
);

keysApi.openapi(
  createRoute({
    method: "get",
    path: "/keys/{keyId}",
    tags: ["keys"],
    summary: "Read one API key's record",
    request: { params: keyIdParam },
    responses: { 200: { description: "The key's record.", ...json(keyRecord) }, 404: errorShape },
  }),
  async (c) => {
    const { keyId } = c.req.valid("param");
    const record = await findKey(c.env.DB, keyId);
    if (record === null) throw new ApiError(404, "not_found", `No key with id "${keyId}".`);
    return c.json(record, 200);
  },
);

keysApi.openapi(
  createRoute({
    method: "delete",
    path: "/keys/{keyId}",
    tags: ["keys"],
    summary: "Revoke an API key (at once; revoking again changes nothing)",
    request: { params: keyIdParam },
    responses: {
      200: { description: "The revoked key's record.", ...json(keyRecord) },
      404: errorShape,
      409: {
        description: "The `admin` key: the operator rotates it (tenant keys rotate-admin), it is not revoked here.",
      },
    },
  }),
  async (c) => {
    const { keyId } = c.req.valid("param");
    if (keyId === ADMIN_KEY_ID) {
      throw new ApiError(
        409,
        "not_revocable",
        "The admin key cannot be revoked through the API: it belongs to the tenant's provisioning, " +
          "and the platform operator replaces it with 'npm run tenant -- keys rotate-admin <tenant>' " +
          "(the old key is refused from then on). " +
          "Create another admin key to work with instead.",
      );
    }
    const before = await findKey(c.env.DB, keyId);
    if (before === null) throw new ApiError(404, "not_found", `No key with id "${keyId}".`);
    await revokeKeyStatement(c.env.DB, keyId, c.var.principal.keyId, new Date().toISOString()).run();
    const after = await findKey(c.env.DB, keyId);
    noteChange(c, before, after);
    return c.json(after!, 200);
  },
);
