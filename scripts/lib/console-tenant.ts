/**
 * A tenant Worker for the console's browser tests and screenshots (tests/tenant-template/console,
 * scripts/console-screenshots.ts): the template as every tenant runs it, in real workerd with real
 * D1 (every migration applied), behind a small front Worker that adds the dispatch proof as the
 * dispatcher does, so a browser talks to it over plain HTTP like to a tenant's domain. Also the
 * browser: Debian's Chromium driven by playwright-core (no browser download: none can work here).
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { Miniflare } from "miniflare";
import { type Browser, chromium } from "playwright-core";
import { DISPATCH_PROOF_HEADER } from "../../contracts/dispatch-headers.ts";
import { applyMigrationsLocally } from "./local-migrations.ts";
import { bundleTenantTemplate } from "./worker-bundles.ts";

export interface ConsoleTenant {
  /** Where the console is: `<origin>/ui`. */
  origin: string;
  /** The tenant's admin key (key id `admin`). */
  adminKey: string;
  /** An API call as `key` (the admin key by default); throws on an answer that is not 2xx. */
  call<T = unknown>(method: string, path: string, body?: unknown, key?: string): Promise<T>;
  dispose(): Promise<void>;
}

const FRONT_SCRIPT = `export default {
  fetch(request, env) {
    const forwarded = new Request(request);
    forwarded.headers.set(${JSON.stringify(DISPATCH_PROOF_HEADER)}, env.PROOF);
    return env.TENANT.fetch(forwarded);
  },
};`;

/**
 * `bindings` are added to the tenant Worker's env, e.g. `WEBHOOK_ALLOW_LOOPBACK: "true"` (as the
 * local platform sets it) so webhooks may deliver to a receiver on 127.0.0.1.
 *
 * @example
 *   const tenant = await startConsoleTenant("console-flows");
 *   await page.goto(`${tenant.origin}/ui`);
 */
export async function startConsoleTenant(
  name: string,
  options: { bindings?: Record<string, string> } = {},
): Promise<ConsoleTenant> {
  const proof = randomBytes(24).toString("base64url");
  const adminKey = `wfp_admin_${randomBytes(32).toString("base64url")}`;
  const mf = new Miniflare({
    workers: [
      {
        name: "front",
        modules: true,
        script: FRONT_SCRIPT,
        compatibilityDate: "2026-06-01",
        bindings: { PROOF: proof },
        serviceBindings: { TENANT: "tenant" },
      },
      {
        name: "tenant",
        modules: true,
        script: await bundleTenantTemplate(),
        compatibilityDate: "2026-06-01",
        d1Databases: { DB: `console-${name}` },
        kvNamespaces: { CACHE: `console-${name}-cache` },
        bindings: {
          TENANT_ID: name,
          TEMPLATE_VERSION: "console",
          RESIDENCY: "global",
          CACHE_MODE: "off",
          ADMIN_KEY_HASH: createHash("sha256").update(adminKey, "utf8").digest("hex"),
          DISPATCH_PROOF: proof,
          ...options.bindings,
        },
      },
    ],
  });
  const origin = (await mf.ready).origin;
  await applyMigrationsLocally(await mf.getD1Database("DB", "tenant"));
  return {
    origin,
    adminKey,
    async call<T>(method: string, path: string, body?: unknown, key = adminKey): Promise<T> {
      const response = await fetch(`${origin}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return (text === "" ? null : JSON.parse(text)) as T;
    },
    dispose: () => mf.dispose(),
  };
}

/** Where Debian (and most distributions) install Chromium; CHROMIUM_PATH overrides. */
const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The Chromium executable, or null when there is none on this machine. */
export function chromiumPath(): string | null {
  const wanted = process.env.CHROMIUM_PATH;
  if (wanted !== undefined && wanted !== "") return existsSync(wanted) ? wanted : null;
  return CHROMIUM_PATHS.find((path) => existsSync(path)) ?? null;
}

/**
 * Chromium, headless. `--no-sandbox`: CI runs as root, where Chromium's sandbox refuses to start.
 *
 * @example
 *   const browser = await launchChromium(chromiumPath()!);
 */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
}

/** The seed data the console's tests and screenshots browse. */
export const SEED = {
  address: "common-address",
  orders: "orders-value",
  payments: "payments-value",
  customers: "customers-value",
} as const;

const ADDRESS = {
  type: "record",
  name: "Address",
  namespace: "com.acme",
  fields: [
    { name: "street", type: "string" },
    { name: "city", type: "string" },
  ],
};
const order = (extra: object[]) => ({
  type: "record",
  name: "Order",
  namespace: "com.acme",
  fields: [{ name: "id", type: "string" }, { name: "shipTo", type: "com.acme.Address" }, ...extra],
});

/**
 * Registers a small registry through the Confluent API: an Avro subject referenced by another with
 * two versions, a Protobuf subject and a JSON Schema subject. Each registration is also a version
 * of a schema in My Product > My Domain > My Context (the /api hierarchy over the same store).
 */
export async function seedConsoleData(tenant: ConsoleTenant): Promise<void> {
  const register = (subject: string, body: object) =>
    tenant.call("POST", `/subjects/${encodeURIComponent(subject)}/versions`, body);
  await register(SEED.address, { schema: JSON.stringify(ADDRESS) });
  const references = [{ name: "com.acme.Address", subject: SEED.address, version: 1 }];
  await register(SEED.orders, { schema: JSON.stringify(order([])), references });
  await register(SEED.orders, {
    schema: JSON.stringify(order([{ name: "note", type: ["null", "string"], default: null }])),
    references,
  });
  await register(SEED.payments, {
    schemaType: "PROTOBUF",
    schema:
      'syntax = "proto3";\npackage acme.payments;\n\n// A payment for an order.\nmessage Payment {\n' +
      "  string id = 1;\n  int64 amount_cents = 2;\n  repeated string tags = 3;\n}\n",
  });
  await register(SEED.customers, {
    schemaType: "JSON",
    schema: JSON.stringify({
      type: "object",
      properties: { id: { type: "string" }, vip: { type: "boolean" } },
      required: ["id"],
    }),
  });
}
