/**
 * The tenant API's input layer, through a real Hono app and `app.request()`: every malformed
 * request gets the one error shape with the right 4xx, and never reaches the handler.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { onApiError } from "../../tenant-template/src/api-error.ts";
import { requestInput, validationHook } from "../../tenant-template/src/http/request-input.ts";
import { requestId, type RequestIdVariables } from "../../tenant-template/src/request-id.ts";

type TestEnv = { Variables: RequestIdVariables };

function testApp() {
  const handled: unknown[] = [];
  const app = new OpenAPIHono<TestEnv>({ defaultHook: validationHook });
  app.use(requestId());
  app.use(requestInput({ maxBodyBytes: 256 }));
  app.openapi(
    createRoute({
      method: "post",
      path: "/things/{thingId}",
      request: {
        params: z.object({ thingId: z.string().regex(/^[a-z]+$/) }),
        query: z.object({ dryRun: z.enum(["true", "false"]).optional() }),
        body: {
          content: {
            "application/json": {
              schema: z.strictObject({ name: z.string().min(1), size: z.number().int().optional() }),
            },
          },
        },
      },
      responses: { 201: { description: "created" } },
    }),
    (c) => {
      handled.push(c.req.valid("json"));
      return c.json({ ok: true }, 201);
    },
  );
  app.onError(onApiError);
  return { app, handled };
}

const post = (app: OpenAPIHono<TestEnv>, body: string, { path = "/things/abc", type = "application/json" } = {}) =>
  app.request(`http://registry.test${path}`, {
    method: "POST",
    body,
    headers: { "content-type": type, "x-request-id": "req-1" },
  });

describe("the tenant API's input layer", () => {
  it("lets a valid request through", async () => {
    const { app, handled } = testApp();
    const response = await post(app, JSON.stringify({ name: "a", size: 2 }));
    expect(response.status).toBe(201);
    expect(handled).toEqual([{ name: "a", size: 2 }]);
  });

  it.each([
    ["malformed JSON", '{"name": "a",', {}, 400, "malformed_json"],
    ["an unknown field", JSON.stringify({ name: "a", colour: "red" }), {}, 400, "unknown_fields"],
    ["a wrong type", JSON.stringify({ name: "a", size: "big" }), {}, 400, "invalid_request"],
    ["a missing field", JSON.stringify({}), {}, 400, "invalid_request"],
    ["a bad path parameter", JSON.stringify({ name: "a" }), { path: "/things/ABC1" }, 400, "invalid_request"],
    [
      "a bad query parameter",
      JSON.stringify({ name: "a" }),
      { path: "/things/abc?dryRun=maybe" },
      400,
      "invalid_request",
    ],
    ["an oversized body", JSON.stringify({ name: "x".repeat(300) }), {}, 413, "payload_too_large"],
    ["a body that is not JSON", "name=a", { type: "application/x-www-form-urlencoded" }, 415, "unsupported_media_type"],
  ] as const)(
    "answers %s with %i %s, in the API's shape, without running the handler",
    async (_, body, options, status, code) => {
      const { app, handled } = testApp();
      const response = await post(app, body, options);
      expect(response.status).toBe(status);
      const json = (await response.json()) as { error: { code: string; message: string; requestId: string } };
      expect(json.error).toMatchObject({ code, requestId: "req-1" });
      expect(json.error.message.length).toBeGreaterThan(10);
      expect(handled).toEqual([]);
    },
  );

  it("names every unknown field and says where the other problems are", async () => {
    const { app } = testApp();
    const response = await post(app, JSON.stringify({ name: "", colour: "red", shape: "round" }));
    const json = (await response.json()) as { error: { message: string; details: { path: string }[] } };
    expect(json.error.message).toBe("Unknown fields in the body: colour, shape.");
    expect(json.error.details.map((d) => d.path)).toEqual(["body/colour", "body/shape", "body/name"]);
  });
});
