/** Workers KV: namespaces (create, list, get, rename, delete), values, keys and bulk writes. */
import { Hono, type Context } from "hono";
import { z } from "zod";
import { badRequest, jsonBody, notFound, ok, paginate } from "../cloudflare-envelope.ts";
import { requireAccount, type PlatformContext } from "../platform-context.ts";
import { hexId, type KvRecord } from "../platform-state.ts";

const MAX_KEY_BYTES = 512;
const MAX_VALUE_BYTES = 25 * 1024 * 1024;

export function kvRoutes(ctx: PlatformContext): Hono {
  const app = new Hono();
  const { state } = ctx;
  const base = "/accounts/:account_id/storage/kv/namespaces";
  const view = (ns: KvRecord) => ({ id: ns.id, title: ns.title, supports_url_encoding: true });

  const requireNamespace = (c: Context): KvRecord => {
    requireAccount(ctx, c);
    const record = state.data.kv[c.req.param("namespace_id")!];
    if (record === undefined) throw notFound(10013, "namespace not found");
    return record;
  };
  const keyParam = (c: Context): string => {
    const key = c.req.param("key_name")!;
    if (key === "" || key === "." || key === "..") throw badRequest(10019, "Illegal key name");
    if (Buffer.byteLength(key) > MAX_KEY_BYTES)
      throw badRequest(10033, `Key name is longer than ${MAX_KEY_BYTES} bytes`);
    return key;
  };
  const expirationOptions = (expiration?: string | number, ttl?: string | number) => {
    const options: { expiration?: number; expirationTtl?: number } = {};
    if (expiration !== undefined && expiration !== "") options.expiration = Number(expiration);
    if (ttl !== undefined && ttl !== "") options.expirationTtl = Number(ttl);
    if (
      (options.expiration !== undefined && !Number.isInteger(options.expiration)) ||
      (options.expirationTtl !== undefined && !(options.expirationTtl >= 60))
    ) {
      throw badRequest(
        10026,
        "Invalid expiration: expiration is a UNIX timestamp; expiration_ttl is at least 60 seconds",
      );
    }
    return options;
  };

  app.post(base, async (c) => {
    requireAccount(ctx, c);
    const body = await jsonBody(c, z.object({ title: z.string().min(1).max(512) }));
    if (Object.values(state.data.kv).some((ns) => ns.title === body.title)) {
      throw badRequest(10014, "A namespace with this account ID and title already exists");
    }
    if (Object.keys(state.data.kv).length >= ctx.limits.kvNamespaces) {
      throw badRequest(10018, "too many namespaces in this account");
    }
    const record: KvRecord = { id: hexId(), title: body.title };
    state.data.kv[record.id] = record;
    state.save();
    return ok(c, view(record));
  });
  app.get(base, (c) => {
    requireAccount(ctx, c);
    const { page, info } = paginate(c, Object.values(state.data.kv).map(view), 20, 1000);
    return ok(c, page, info);
  });
  app.get(`${base}/:namespace_id`, (c) => ok(c, view(requireNamespace(c))));
  app.put(`${base}/:namespace_id`, async (c) => {
    const record = requireNamespace(c);
    record.title = (await jsonBody(c, z.object({ title: z.string().min(1).max(512) }))).title;
    state.save();
    return ok(c, view(record));
  });
  app.delete(`${base}/:namespace_id`, async (c) => {
    const record = requireNamespace(c);
    try {
      await ctx.runtime.withKv(record.id, async (kv) => {
        let cursor: string | undefined;
        do {
          const page = await kv.list(cursor === undefined ? {} : { cursor });
          await Promise.all(page.keys.map((k) => kv.delete(k.name)));
          cursor = page.list_complete ? undefined : page.cursor;
        } while (cursor !== undefined);
      });
    } catch {
      // Best effort: with the record gone, nothing can reach the values.
    }
    delete state.data.kv[record.id];
    state.save();
    // No restart: the admin Worker's binding to it is dropped with the next one, and nothing
    // else can reach it (uploads that bind a deleted id are refused).
    return ok(c, {});
  });

  app.get(`${base}/:namespace_id/keys`, async (c) => {
    const record = requireNamespace(c);
    const limit = Number(c.req.query("limit") ?? 1000);
    if (!Number.isInteger(limit) || limit < 10 || limit > 1000)
      throw badRequest(10022, "limit must be between 10 and 1000");
    const prefix = c.req.query("prefix");
    const cursor = c.req.query("cursor");
    const page = await ctx.runtime.withKv(record.id, (kv) =>
      kv.list({ limit, ...(prefix ? { prefix } : {}), ...(cursor ? { cursor } : {}) }),
    );
    const keys = page.keys.map((k) => ({
      name: k.name,
      ...(k.expiration ? { expiration: k.expiration } : {}),
      ...(k.metadata !== undefined ? { metadata: k.metadata } : {}),
    }));
    return ok(c, keys, { count: keys.length, cursor: page.list_complete ? "" : page.cursor });
  });

  app.get(`${base}/:namespace_id/values/:key_name{.+}`, async (c) => {
    const record = requireNamespace(c);
    const value = (await ctx.runtime.withKv(record.id, (kv) =>
      kv.get(keyParam(c), "arrayBuffer"),
    )) as ArrayBuffer | null;
    if (value === null) throw notFound(10009, "get: 'key not found'");
    return new Response(value, { headers: { "content-type": "application/octet-stream" } });
  });
  app.get(`${base}/:namespace_id/metadata/:key_name{.+}`, async (c) => {
    const record = requireNamespace(c);
    const { value, metadata } = (await ctx.runtime.withKv(record.id, (kv) =>
      kv.getWithMetadata(keyParam(c), "arrayBuffer"),
    )) as { value: ArrayBuffer | null; metadata: unknown };
    if (value === null) throw notFound(10009, "get: 'key not found'");
    return ok(c, metadata ?? null);
  });
  app.put(`${base}/:namespace_id/values/:key_name{.+}`, async (c) => {
    const record = requireNamespace(c);
    const key = keyParam(c);
    let value: ArrayBuffer | string;
    let metadata: unknown;
    if ((c.req.header("content-type") ?? "").startsWith("multipart/form-data")) {
      const form = await c.req.raw.formData().catch(() => {
        throw badRequest(10021, "Malformed multipart/form-data body");
      });
      const part = form.get("value");
      if (part === null) throw badRequest(10021, "multipart write needs a 'value' part");
      value = typeof part === "string" ? part : await part.arrayBuffer();
      const meta = form.get("metadata");
      if (meta !== null) {
        try {
          metadata = JSON.parse(typeof meta === "string" ? meta : await meta.text());
        } catch {
          throw badRequest(10021, "metadata must be JSON");
        }
      }
    } else {
      value = await c.req.arrayBuffer();
    }
    const size = typeof value === "string" ? Buffer.byteLength(value) : value.byteLength;
    if (size > MAX_VALUE_BYTES) throw badRequest(10100, "Value too large");
    await ctx.runtime.withKv(record.id, (kv) =>
      kv.put(key, value, {
        ...expirationOptions(c.req.query("expiration"), c.req.query("expiration_ttl")),
        ...(metadata !== undefined ? { metadata } : {}),
      }),
    );
    return ok(c, {});
  });
  app.delete(`${base}/:namespace_id/values/:key_name{.+}`, async (c) => {
    const record = requireNamespace(c);
    await ctx.runtime.withKv(record.id, (kv) => kv.delete(keyParam(c)));
    return ok(c, {});
  });

  const BulkItem = z.object({
    key: z.string().min(1).max(MAX_KEY_BYTES),
    value: z.string(),
    base64: z.boolean().optional(),
    expiration: z.number().int().optional(),
    expiration_ttl: z.number().int().min(60).optional(),
    metadata: z.unknown().optional(),
  });
  app.put(`${base}/:namespace_id/bulk`, async (c) => {
    const record = requireNamespace(c);
    const items = await jsonBody(c, z.array(BulkItem).max(10000));
    await ctx.runtime.withKv(record.id, async (kv) => {
      for (const item of items) {
        const value = item.base64 ? Buffer.from(item.value, "base64") : item.value;
        await kv.put(item.key, value, {
          ...expirationOptions(item.expiration, item.expiration_ttl),
          ...(item.metadata !== undefined ? { metadata: item.metadata } : {}),
        });
      }
    });
    return ok(c, { successful_key_count: items.length, unsuccessful_keys: [] });
  });
  const bulkDelete = async (c: Context) => {
    const record = requireNamespace(c);
    const keys = await jsonBody(c, z.array(z.string().min(1)).max(10000));
    await ctx.runtime.withKv(record.id, (kv) => Promise.all(keys.map((key) => kv.delete(key))));
    return ok(c, { successful_key_count: keys.length, unsuccessful_keys: [] });
  };
  app.post(`${base}/:namespace_id/bulk/delete`, bulkDelete);
  app.delete(`${base}/:namespace_id/bulk`, bulkDelete);

  return app;
}
