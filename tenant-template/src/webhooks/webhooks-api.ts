/**
 * `/api/webhooks` (admin only, docs/webhooks.md): register a webhook (its secret is in that answer
 * and nowhere else), list, read and delete them, rotate a secret, send a test delivery, and read a
 * webhook's delivery log. Deliveries themselves go out from the outbox (webhook-pump.ts).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ApiError } from "../api-error.ts";
import { noteChange } from "../audit/note-change.ts";
import type { AccessVariables } from "../auth/api-access.ts";
import { pageSizeQuery, requirePlainPageSize, rowCursorQuery } from "../http/page-size.ts";
import { validationHook } from "../http/request-input.ts";
import type { RequestIdVariables } from "../request-id.ts";
import { generateWebhookSecret } from "../../../contracts/webhook-signature.ts";
import { WEBHOOK_WAKE_HEADER } from "../../../contracts/webhook-pump.ts";
import { TEST_EVENT_TYPE, WEBHOOK_EVENT_TYPES } from "./webhook-events.ts";
import { deliverNow } from "./webhook-pump.ts";
import {
  deleteWebhookStatements,
  findWebhook,
  generateWebhookId,
  insertWebhookStatement,
  listDeliveries,
  listWebhooks,
  MAX_WEBHOOKS,
  rotateWebhookSecret,
  testEventStatements,
} from "./webhook-store.ts";
import { webhookUrlPolicy, webhookUrlRefusal } from "./webhook-url.ts";

type WebhooksEnv = {
  Bindings: { DB: D1Database; TENANT_ID?: string; WEBHOOK_ALLOW_LOOPBACK?: string };
  Variables: RequestIdVariables & AccessVariables;
};

const errorShape = { description: "The API's error shape: `{ error: { code, message, requestId, details? } }`." };
const json = (schema: z.ZodType) => ({ content: { "application/json": { schema } } });

const webhook = z
  .object({
    id: z.string().openapi({ example: "wh_3kq8f2m9x0c4v7b1n6zt" }),
    url: z.string().openapi({ example: "https://hooks.example.com/registry" }),
    events: z
      .array(z.enum(WEBHOOK_EVENT_TYPES))
      .nullable()
      .openapi({ description: "The event types delivered; null: every one." }),
    description: z.string(),
    createdAt: z.string(),
    createdBy: z.string().openapi({ description: "The key id that registered it." }),
    previousSecretExpiresAt: z.string().nullable().openapi({
      description: "After a rotation: until then, deliveries carry a signature with the previous secret too.",
    }),
  })
  .openapi("Webhook");

const newWebhook = z
  .strictObject({
    url: z.string().openapi({
      description:
        "Where deliveries are POSTed: https, and a public host (no private, loopback or link-local address).",
      example: "https://hooks.example.com/registry",
    }),
    events: z
      .array(z.enum(WEBHOOK_EVENT_TYPES))
      .min(1)
      .optional()
      .openapi({ description: "The event types to deliver; every one when omitted." }),
    description: z.string().max(500).optional(),
  })
  .openapi("NewWebhook");

/** How long a rotated-out secret keeps signing by default, and at most. */
const DEFAULT_PREVIOUS_SECRET_SECONDS = 24 * 60 * 60;
const MAX_PREVIOUS_SECRET_SECONDS = 7 * 24 * 60 * 60;

const rotation = z
  .strictObject({
    previousSecretValidSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_PREVIOUS_SECRET_SECONDS)
      .optional()
      .openapi({
        description:
          "How long deliveries stay signed with the previous secret too, so receivers can switch: " +
          `${DEFAULT_PREVIOUS_SECRET_SECONDS} (24 hours) when omitted; 0 stops it at once (a leaked secret).`,
        example: DEFAULT_PREVIOUS_SECRET_SECONDS,
      }),
  })
  .openapi("WebhookSecretRotation");

const delivery = z
  .object({
    id: z.number().int(),
    eventId: z.string().openapi({ description: "Sent as `webhook-id`; the same on every attempt." }),
    eventType: z.string(),
    status: z.enum(["pending", "delivered", "failed"]).openapi({
      description: "failed: no 2xx answer within 24 hours of the event.",
    }),
    attempts: z.number().int(),
    createdAt: z.string(),
    lastAttemptAt: z.string().nullable(),
    lastStatus: z.number().int().nullable().openapi({ description: "The receiver's last HTTP status." }),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
  })
  .openapi("WebhookDelivery");

const webhookIdParam = z.strictObject({
  webhookId: z.string().regex(/^wh_[a-z2-7]{20}$/, { message: "must be a webhook id (wh_ and 20 characters)" }),
});

async function requireWebhook(c: Context<WebhooksEnv>, id: string) {
  const found = await findWebhook(c.env.DB, id);
  if (found === null) throw new ApiError(404, "not_found", `No webhook with id "${id}".`);
  return found;
}

/**
 * @example
 *   registryApi.route("/", webhooksApi); // /api/webhooks...
 */
export const webhooksApi = new OpenAPIHono<WebhooksEnv>({ defaultHook: validationHook });

webhooksApi.openapi(
  createRoute({
    method: "post",
    path: "/webhooks",
    tags: ["webhooks"],
    summary: "Register a webhook; its signing secret is in this answer and nowhere else",
    request: { body: { required: true, content: { "application/json": { schema: newWebhook } } } },
    responses: {
      201: {
        description: "The webhook and, once, its secret (`secret`, Standard Webhooks' `whsec_` form).",
        ...json(webhook.extend({ secret: z.string() })),
      },
      400: errorShape,
      409: { description: `The registry already has ${MAX_WEBHOOKS} webhooks.` },
    },
  }),
  async (c) => {
    const input = c.req.valid("json");
    const refusal = webhookUrlRefusal(input.url, webhookUrlPolicy(c.env));
    if (refusal !== null)
      throw new ApiError(400, "invalid_request", `Invalid webhook: body/url ${refusal}.`, {
        details: [{ path: "body/url", message: refusal }],
      });
    const events = input.events === undefined ? null : [...new Set(input.events)];
    const record = {
      id: generateWebhookId(),
      url: new URL(input.url).href,
      events,
      description: input.description ?? "",
      createdAt: new Date().toISOString(),
      createdBy: c.var.principal.keyId,
      previousSecretExpiresAt: null,
    };
    const secret = generateWebhookSecret();
    const { meta } = await insertWebhookStatement(c.env.DB, { ...record, secret }).run();
    if (meta.changes === 0)
      throw new ApiError(
        409,
        "limit_exceeded",
        `This registry already has ${MAX_WEBHOOKS} webhooks, the most it may have. Delete one first.`,
      );
    noteChange(c, null, record);
    c.header("Location", `/api/webhooks/${record.id}`);
    c.header("Cache-Control", "no-store");
    return c.json({ ...record, secret }, 201);
  },
);

webhooksApi.openapi(
  createRoute({
    method: "get",
    path: "/webhooks",
    tags: ["webhooks"],
    summary: "List webhooks, oldest first (never their secrets)",
    request: { query: z.strictObject({}) },
    responses: { 200: { description: "Every webhook.", ...json(z.object({ items: z.array(webhook) })) } },
  }),
  async (c) => c.json({ items: await listWebhooks(c.env.DB) }, 200),
);

webhooksApi.openapi(
  createRoute({
    method: "get",
    path: "/webhooks/{webhookId}",
    tags: ["webhooks"],
    summary: "Read one webhook (never its secret)",
    request: { params: webhookIdParam },
    responses: { 200: { description: "The webhook.", ...json(webhook) }, 404: errorShape },
  }),
  async (c) => c.json(await requireWebhook(c, c.req.valid("param").webhookId), 200),
);

webhooksApi.openapi(
  createRoute({
    method: "delete",
    path: "/webhooks/{webhookId}",
    tags: ["webhooks"],
    summary: "Delete a webhook, its pending deliveries and its log",
    request: { params: webhookIdParam },
    responses: { 204: { description: "Deleted." }, 404: errorShape },
  }),
  async (c) => {
    const before = await requireWebhook(c, c.req.valid("param").webhookId);
    await c.env.DB.batch(deleteWebhookStatements(c.env.DB, before.id));
    noteChange(c, before, null);
    return c.body(null, 204);
  },
);

webhooksApi.openapi(
  createRoute({
    method: "post",
    path: "/webhooks/{webhookId}/rotate-secret",
    tags: ["webhooks"],
    summary: "Give a webhook a new signing secret; it is in this answer and nowhere else",
    description:
      "Deliveries are signed with the new secret and, until `previousSecretExpiresAt`, with the previous one " +
      "too (two `v1,` signatures in `webhook-signature`), so a receiver can switch without refusing one. " +
      "A rotation during that time drops the secret before the previous one.",
    request: {
      params: webhookIdParam,
      body: { required: false, content: { "application/json": { schema: rotation } } },
    },
    responses: {
      200: { description: "The webhook and, once, its new secret.", ...json(webhook.extend({ secret: z.string() })) },
      400: errorShape,
      404: errorShape,
    },
  }),
  async (c) => {
    const before = await requireWebhook(c, c.req.valid("param").webhookId);
    const seconds = c.req.valid("json").previousSecretValidSeconds ?? DEFAULT_PREVIOUS_SECRET_SECONDS;
    const secret = generateWebhookSecret();
    const after = await rotateWebhookSecret(
      c.env.DB,
      before.id,
      secret,
      seconds === 0 ? null : Date.now() + seconds * 1000,
    );
    // Deleted between the read and the update.
    if (after === null) throw new ApiError(404, "not_found", `No webhook with id "${before.id}".`);
    noteChange(c, before, after);
    c.header("Cache-Control", "no-store");
    return c.json({ ...after, secret }, 200);
  },
);

webhooksApi.openapi(
  createRoute({
    method: "post",
    path: "/webhooks/{webhookId}/test",
    tags: ["webhooks"],
    summary: "Send a `webhook.test` delivery now and answer how the receiver answered",
    description:
      "Signed as every delivery is. It is recorded in the delivery log; if it fails it is retried like any other.",
    request: { params: webhookIdParam },
    responses: {
      200: {
        description: "The attempt: delivered (a 2xx answer) or not, and why.",
        ...json(
          z.object({
            eventId: z.string(),
            delivered: z.boolean(),
            status: z.number().int().nullable(),
            error: z.string().nullable(),
          }),
        ),
      },
      404: errorShape,
    },
  }),
  async (c) => {
    const found = await requireWebhook(c, c.req.valid("param").webhookId);
    const now = Date.now();
    const envelope = { tenant: c.env.TENANT_ID ?? "", actor: c.var.principal.keyId, requestId: c.var.requestId };
    const event = { type: TEST_EVENT_TYPE, lane: `test:${found.id}`, data: { webhookId: found.id } } as const;
    const test = testEventStatements(c.env.DB, found.id, event, envelope, now);
    const results = await c.env.DB.batch(test.statements);
    const deliveryId = Number(results[1]?.meta.last_row_id);
    const outcome = await deliverNow(c.env.DB, webhookUrlPolicy(c.env), deliveryId);
    // Failed: it stays in the outbox, and the clock retries it as any other.
    if (outcome.pending) c.header(WEBHOOK_WAKE_HEADER, String(Date.now()));
    return c.json(
      { eventId: test.id, delivered: outcome.delivered, status: outcome.status, error: outcome.error },
      200,
    );
  },
);

webhooksApi.openapi(
  createRoute({
    method: "get",
    path: "/webhooks/{webhookId}/deliveries",
    tags: ["webhooks"],
    summary: "A webhook's delivery log, newest first",
    request: {
      params: webhookIdParam,
      query: z.strictObject({
        limit: pageSizeQuery(50),
        cursor: rowCursorQuery(),
        status: z.enum(["pending", "delivered", "failed"]).optional(),
      }),
    },
    responses: {
      200: {
        description: "A page of deliveries.",
        ...json(z.object({ items: z.array(delivery), nextCursor: z.string().nullable() })),
      },
      400: errorShape,
      404: errorShape,
    },
  }),
  async (c) => {
    requirePlainPageSize(c.req.query("limit"));
    const found = await requireWebhook(c, c.req.valid("param").webhookId);
    const { limit, cursor, status } = c.req.valid("query");
    const page = await listDeliveries(c.env.DB, found.id, {
      limit: limit ?? 50,
      before: cursor === undefined ? undefined : Number(cursor),
      status,
    });
    return c.json(page, 200);
  },
);
