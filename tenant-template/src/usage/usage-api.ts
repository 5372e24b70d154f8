/**
 * `GET /api/usage`: the tenant's own usage this month (requests, errors, latency per route) as the
 * platform last published it into this tenant's database (migration 0009, docs/usage.md), and the
 * database's size now. Admin only (auth/access-policy.ts). The Worker reads nothing but its own
 * database: it holds no token for Analytics Engine, so it cannot see another tenant's figures.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { validationHook } from "../http/request-input.ts";
import type { RegistryEnv } from "../registry/level-routes.ts";

const json = (schema: z.ZodType) => ({ content: { "application/json": { schema } } });

const figures = {
  requests: z.number().int(),
  clientErrors: z.number().int().openapi({ description: "4xx answers, the platform's 429s and 403s included." }),
  serverErrors: z.number().int().openapi({ description: "5xx answers." }),
  p50Ms: z.number().openapi({ description: "Median time to the response's headers through the platform, ms." }),
  p99Ms: z.number(),
};

const published = z.object({
  since: z.string(),
  until: z.string(),
  ...figures,
  routes: z.array(z.object({ route: z.string(), ...figures })),
});

const usage = z
  .object({
    publishedAt: z
      .string()
      .nullable()
      .openapi({ description: "When the platform last published the figures; null before the first time." }),
    since: z.string().nullable().openapi({ description: "The start of the period counted (the month, UTC)." }),
    until: z.string().nullable().openapi({ description: "The end of the period counted." }),
    ...figures,
    routes: z.array(
      z.object({
        route: z.string().openapi({ example: "/subjects/{subject}/versions" }),
        ...figures,
      }),
    ),
    databaseBytes: z.number().int().nullable().openapi({ description: "The D1 database's size now (size_after)." }),
  })
  .openapi("Usage");

/** @example registryApi.route("/", usageApi); */
export const usageApi = new OpenAPIHono<RegistryEnv>({ defaultHook: validationHook });

usageApi.openapi(
  createRoute({
    method: "get",
    path: "/usage",
    tags: ["registry"],
    summary: "This month's requests, errors and latency per route, and the database's size",
    description:
      "The platform counts every request (Workers Analytics Engine) and publishes each tenant's figures " +
      "into its own database periodically (publishedAt says when), so they lag the traffic.",
    request: { query: z.strictObject({}) },
    responses: { 200: { description: "The figures.", ...json(usage) } },
  }),
  async (c) => {
    const result = await c.var.session
      .prepare("SELECT body, published_at FROM platform_usage WHERE id = 1")
      .all<{ body: string; published_at: string }>();
    const row = result.results[0];
    const size = result.meta.size_after;
    const parsed = row === undefined ? undefined : published.safeParse(JSON.parse(row.body));
    const body = parsed?.success === true ? parsed.data : undefined;
    return c.json(
      {
        publishedAt: body === undefined ? null : row!.published_at,
        since: body?.since ?? null,
        until: body?.until ?? null,
        requests: body?.requests ?? 0,
        clientErrors: body?.clientErrors ?? 0,
        serverErrors: body?.serverErrors ?? 0,
        p50Ms: body?.p50Ms ?? 0,
        p99Ms: body?.p99Ms ?? 0,
        routes: body?.routes ?? [],
        databaseBytes: typeof size === "number" ? size : null,
      },
      200,
    );
  },
);
