/**
 * Isolation fuzz (issue 5, section 7): three tenants provisioned on the local platform (real
 * dispatcher, real workerd, one D1 each; alpha with a KV namespace of its own, bravo and charlie in
 * the shared KV mode, one namespace under a key prefix each), seeded through both APIs with unique markers,
 * then fast-check generates requests through the dispatcher that try to reach one tenant's data
 * from another: spoofed Host (other tenant, unknown, mixed case, trailing dot, port, punycode,
 * suffix and prefix tricks), X-Forwarded-Host / Forwarded / X-Original-Host / x-wfp-* /
 * x-tenant-id headers (with another tenant's real dispatch proof too), path tricks (../, %2e%2e,
 * //, encoded slashes, /contexts/, another tenant's URL inside the path), tenant A's keys against
 * tenant B (Bearer and Basic), malformed, revoked and expired keys, and writes and deletes aimed
 * at another tenant's data; mixed in, legitimate reads (a tenant's own key at its own hostname,
 * in any documented spelling, with the same spoofing headers and path tricks).
 *
 * Oracle: a tenant's markers may appear in an answer only when the request carried a valid key of
 * that tenant and was addressed to that tenant's own hostname (or a spelling the dispatcher
 * documents as the same: case, trailing dot, port); dispatch proofs and key secrets never appear;
 * every answer comes from the dispatcher or a tenant (it carries `x-request-id`) and none is a
 * 5xx; every legitimate read is a 200 that carries its own tenant's data. At the end each
 * tenant's state, read with its own key, holds all of its seed, none of another tenant's markers,
 * and only the writes its own keys made.
 *
 * The shared KV mode (issue 11.7): before the run, canaries are planted in the shared namespace,
 * copies of a shared tenant's real cache entry (its exact key after the prefix, its row's exact
 * facts) with another body, under the other shared tenant's prefix and under no prefix: a Worker
 * that read outside its own prefix would answer a canary, and none may appear in any answer.
 * After the run every key of the shared namespace but the canaries is under a shared tenant's
 * prefix, holds only that tenant's data, and each prefix holds some (the oracle is not blind);
 * alpha's own namespace holds no other tenant's data.
 *
 * Requests workerd cannot make a URL of (a Host with `%`, a space, userinfo, a list or latin-1; an
 * absolute-form or `*` target) never reach a Worker locally: they are a small group of their own,
 * each of which must be refused by workerd itself, shown by workerd's log naming its Host or
 * target, and must change nothing.
 *
 *   FUZZ_RUNS=10000 FUZZ_SEED=42 npx vitest run tests/security/isolation-fuzz.test.ts
 */
import Cloudflare from "cloudflare";
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { runTenant } from "../../scripts/lib/tenant-traffic.ts";
import { fuzzSettings } from "./fuzz-settings.ts";

const { runs: RUNS, seed: SEED } = fuzzSettings({ runs: 10_000 });
const CONCURRENCY = 24;
const TENANTS = ["alpha", "bravo", "charlie"] as const;
type TenantId = (typeof TENANTS)[number];
/** The tenants created with `--kv shared`: their cache is one namespace, under a prefix each. */
const SHARED_KV: readonly TenantId[] = ["bravo", "charlie"];
const hostOf = (t: TenantId) => `registry.${t}.localhost`;
const KEY_KINDS = ["admin", "read", "write", "revoked", "expired"] as const;
type KeyKind = (typeof KEY_KINDS)[number];

interface Seeded {
  id: TenantId;
  keys: Record<KeyKind, string>;
  proof: string;
  /** Strings only this tenant's data holds. */
  markers: string[];
  productName: string;
  productId: string;
  subject: string;
  keyIds: string[];
  compatibility: string;
  /** Its cache namespace, and in the shared mode the prefix of its keys ("" otherwise). */
  kv: { id: string; prefix: string };
}

let platform: LocalPlatform;
let stateDir: string;
let agent: Agent;
let cf: Cloudflare;
const tenants = {} as Record<TenantId, Seeded>;
/** Planted in the shared namespace where only a Worker reading outside its prefix finds them. */
const canaries: string[] = [];
const canaryKeys = new Set<string>();

interface Reply {
  status: number;
  /** Headers (as JSON) and body, for the marker search. */
  text: string;
  /** Every answer of the dispatcher or a tenant carries one; workerd's own refusals do not. */
  requestId: string | undefined;
}

/** The body of a reply (its `text` after the headers line). */
const bodyOf = (reply: Reply) => reply.text.slice(reply.text.indexOf("\n") + 1);

/** The secret part of a key `wfp_<keyId>_<secret>` (base64url: it may hold `_` itself). */
const secretOf = (key: string) => /^wfp_[a-z0-9]+_(.+)$/.exec(key)![1]!;

/**
 * Calls `probe` with short pauses until `done` holds of what it returns, for at most `boundMs`;
 * returns the last value, so the caller asserts on it (a busy machine only makes it take longer).
 */
async function pollUntil<T>(probe: () => Promise<T>, done: (value: T) => boolean, boundMs = 15_000): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One raw HTTP request to the traffic port: any Host, any request target (absolute URIs too). */
function send(method: string, target: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  const url = new URL(platform.trafficUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path: target, headers, agent, setHost: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            text: `${JSON.stringify(res.headers)}\n${text}`,
            requestId: res.headers["x-request-id"] as string | undefined,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const json = (value: unknown) => JSON.stringify(value);

async function call(
  t: TenantId,
  method: string,
  path: string,
  body?: unknown,
  key = tenants[t]?.keys.admin,
): Promise<{ status: number; body: string; json: () => Record<string, unknown> }> {
  const headers: Record<string, string> = { host: hostOf(t), ...(key === undefined ? {} : bearer(key)) };
  if (body !== undefined) headers["content-type"] = "application/json";
  const reply = await send(method, path, headers, body === undefined ? undefined : json(body));
  const text = bodyOf(reply);
  return { status: reply.status, body: text, json: () => JSON.parse(text) as Record<string, unknown> };
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-isolation-fuzz-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
  agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
  const compatibilities = ["FULL", "FORWARD", "NONE"];
  for (const [index, id] of TENANTS.entries()) {
    // A rate limit far above the fuzz's pace: the limits have their own tests, this one wants answers.
    const created = await runTenant(platform.apiUrl, [
      "create",
      id,
      "--domain",
      hostOf(id),
      "--residency",
      "global",
      "--rate-limit",
      "1000000/min",
      "--kv",
      SHARED_KV.includes(id) ? "shared" : "dedicated",
      "--json",
    ]);
    expect(created.code, created.stderr).toBe(EXIT.ok);
    const result = JSON.parse(created.stdout) as {
      adminKey: string;
      resources: { kv: { id: string; mode: string; prefix?: string } };
    };
    const admin = result.adminKey;
    expect(result.resources.kv.mode).toBe(SHARED_KV.includes(id) ? "shared" : "dedicated");
    const routing = await cf.kv.namespaces.values.get(`host:${hostOf(id)}`, {
      account_id: platform.accountId,
      namespace_id: platform.routesNamespaceId,
    });
    const proof = (JSON.parse(await routing.text()) as { proof: string }).proof;
    const mark = `${id}${randomBytes(6).toString("hex")}`;
    const seed: Seeded = {
      id,
      keys: { admin } as Record<KeyKind, string>,
      proof,
      markers: [],
      productName: `P-${mark}`,
      productId: "",
      subject: `S-${mark}-value`,
      keyIds: ["admin"],
      compatibility: compatibilities[index]!,
      kv: { id: result.resources.kv.id, prefix: result.resources.kv.prefix ?? "" },
    };
    tenants[id] = seed;
    const product = await call(id, "POST", "/api/products", { name: seed.productName, description: `D-${mark}` });
    expect(product.status, product.body).toBe(201);
    seed.productId = product.json().id as string;
    const schema = JSON.stringify({
      type: "record",
      name: `R_${mark}`,
      doc: `doc-${mark}`,
      fields: [{ name: `f_${mark}`, type: "string" }],
    });
    const registered = await call(id, "POST", `/subjects/${seed.subject}/versions`, { schema });
    expect(registered.status, registered.body).toBe(200);
    expect((await call(id, "PUT", "/config", { compatibility: seed.compatibility })).status).toBe(200);
    for (const role of ["read", "write"] as const) {
      const key = await call(id, "POST", "/api/keys", { role, description: `K-${mark}-${role}` });
      expect(key.status, key.body).toBe(201);
      seed.keys[role] = key.json().key as string;
      seed.keyIds.push(key.json().id as string);
    }
    const revoked = await call(id, "POST", "/api/keys", { role: "admin" });
    seed.keys.revoked = revoked.json().key as string;
    seed.keyIds.push(revoked.json().id as string);
    expect((await call(id, "DELETE", `/api/keys/${String(revoked.json().id)}`)).status).toBe(200);
    // The API takes only a future expiry: this one is soon enough to wait for (below), and far
    // enough that a slow create is still in time.
    const expired = await call(id, "POST", "/api/keys", {
      role: "admin",
      expiresAt: new Date(Date.now() + 2_000).toISOString(),
    });
    expect(expired.status, expired.body).toBe(201);
    seed.keys.expired = expired.json().key as string;
    seed.keyIds.push(expired.json().id as string);
    seed.markers = [
      seed.productName,
      seed.productId,
      seed.subject,
      `D-${mark}`,
      `R_${mark}`,
      `doc-${mark}`,
      `K-${mark}`,
      ...seed.keyIds.filter((k) => k !== "admin"),
    ];
  }
  for (const id of TENANTS) {
    // Accepted until its expiry, then refused: wait for that, bounded.
    const expiredStatus = await pollUntil(
      async () => (await call(id, "GET", "/api/products", undefined, tenants[id].keys.expired)).status,
      (status) => status !== 200,
    );
    expect(expiredStatus, `${id}: expired key`).toBe(401);
    expect(
      (await call(id, "GET", "/api/products", undefined, tenants[id].keys.revoked)).status,
      `${id}: revoked key`,
    ).toBe(401);
    expect(
      (await call(id, "GET", `/subjects/${tenants[id].subject}/versions/latest`, undefined, tenants[id].keys.read))
        .status,
      `${id}: read key`,
    ).toBe(200);
  }
  await plantCanaries();
}, 180_000);

/** Every key (name) of a KV namespace under `prefix`, through the Cloudflare API. */
async function kvKeys(namespaceId: string, prefix = ""): Promise<string[]> {
  const names: string[] = [];
  for await (const key of cf.kv.namespaces.keys.list(namespaceId, {
    account_id: platform.accountId,
    ...(prefix === "" ? {} : { prefix }),
  }))
    names.push(key.name);
  return names;
}

async function kvValue(namespaceId: string, key: string): Promise<string> {
  const value = await cf.kv.namespaces.values.get(key, { account_id: platform.accountId, namespace_id: namespaceId });
  return value.text();
}

/**
 * For each shared-mode tenant, its product's real cache entry copied, with a canary for a body,
 * under every other shared tenant's prefix and under no prefix: the key and the row facts the
 * tenant's Worker asks for and checks, so only the prefix keeps it from answering the canary.
 */
async function plantCanaries(): Promise<void> {
  for (const t of SHARED_KV) {
    const { kv, productId } = tenants[t];
    const own = await pollUntil(
      async () => {
        await call(t, "GET", `/api/products/${productId}`);
        return (await kvKeys(kv.id, kv.prefix)).find((key) => key.includes(`/${productId}/`));
      },
      (key) => key !== undefined,
    );
    expect(own, `${t}'s cache entry for its product`).toBeDefined();
    const entry = JSON.parse(await kvValue(kv.id, own!)) as { body: Record<string, unknown> };
    const rest = own!.slice(kv.prefix.length);
    for (const other of ["", ...SHARED_KV.filter((o) => o !== t).map((o) => tenants[o].kv.prefix)]) {
      const canary = `CANARY${t}in${other === "" ? "none" : other.split("/")[1]}${randomBytes(4).toString("hex")}`;
      await cf.kv.namespaces.values.update(`${other}${rest}`, {
        account_id: platform.accountId,
        namespace_id: kv.id,
        value: JSON.stringify({ ...entry, body: { ...entry.body, name: canary } }),
      });
      canaries.push(canary);
      canaryKeys.add(`${other}${rest}`);
    }
  }
}

afterAll(async () => {
  agent?.destroy();
  await platform?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

// ---- generators -------------------------------------------------------------------------------

interface Attack {
  method: string;
  target: string;
  headers: Record<string, string>;
  body?: string;
  /** Whose valid key it carries (null: none or not a valid one). */
  keyOf: TenantId | null;
  /** The tenant whose hostname the Host is a documented spelling of (null: none). */
  hostOf: TenantId | null;
  /** A token a write carries, to find where it landed. */
  writeToken?: string;
  /** Its own key at its own hostname, reading its own data: must be a 200 with that data. */
  legitimate?: boolean;
  label: string;
}

const tenantArb = fc.constantFrom(...TENANTS);

/** A tenant's hostname in a spelling the dispatcher documents as the same host: [Host, label]. */
const ownHostArb = (t: TenantId): fc.Arbitrary<[string, string]> =>
  fc
    .tuple(
      fc.constantFrom("exact", "upper", "mixed", "dot", "port", "dot-port"),
      fc.array(fc.boolean(), { minLength: hostOf(t).length, maxLength: hostOf(t).length }),
    )
    .map(([how, flips]): [string, string] => {
      const h = hostOf(t);
      const spelled = {
        exact: h,
        upper: h.toUpperCase(),
        mixed: [...h].map((ch, i) => (flips[i] ? ch.toUpperCase() : ch)).join(""),
        dot: `${h}.`,
        port: `${h}:8787`,
        "dot-port": `${h}.:1`,
      }[how]!;
      return [spelled, `host:${how}`];
    });

const nextTenant = (t: TenantId) => TENANTS[(TENANTS.indexOf(t) + 1) % TENANTS.length]!;

/**
 * Host spellings: [Host header value, the tenant it may route to, label]. Only Hosts workerd can
 * make a URL of: the others never reach a Worker and are tested apart (unparseableRequests).
 */
const hostArb: fc.Arbitrary<[string, TenantId | null, string]> = fc.oneof(
  tenantArb.chain((t) => ownHostArb(t).map(([host, label]): [string, TenantId | null, string] => [host, t, label])),
  fc
    .tuple(tenantArb, fc.constantFrom("suffix", "prefix", "double-dot", "idn", "underscore", "ipv6"))
    .map(([t, how]): [string, TenantId | null, string] => {
      const h = hostOf(t);
      const spelled = {
        suffix: `${h}.evil.localhost`,
        prefix: `evil-${h}`,
        "double-dot": h.replace(".", ".."),
        idn: h.replace(t, `xn--${t}-9ta`),
        underscore: h.replace("registry", "registry_"),
        ipv6: "[::1]",
      }[how]!;
      return [spelled, null, `host:${how}`];
    }),
  fc.constantFrom<[string, TenantId | null, string]>(
    ["registry.zulu.localhost", null, "host:unknown"],
    ["localhost", null, "host:platform"],
    ["127.0.0.1", null, "host:ip"],
    ["alpha", null, "host:bare-id"],
    ["tenant-bravo", null, "host:script-name"],
  ),
);

/** Headers an attacker adds hoping some layer trusts them. */
const spoofArb = fc
  .tuple(
    tenantArb,
    fc.subarray(
      [
        "x-forwarded-host",
        "forwarded",
        "x-original-host",
        "x-host",
        "x-tenant-id",
        "x-wfp-tenant",
        "x-wfp-proof",
        "x-wfp-script",
        "x-original-url",
        "x-rewrite-url",
        "cf-worker",
      ],
      { maxLength: 4 },
    ),
  )
  .map(([t, names]) => {
    const headers: Record<string, string> = {};
    for (const name of names) {
      headers[name] =
        name === "forwarded"
          ? `host=${hostOf(t)};proto=http`
          : name === "x-tenant-id" || name === "x-wfp-tenant"
            ? t
            : name === "x-wfp-proof"
              ? tenants[t].proof
              : name === "x-wfp-script"
                ? `tenant-${t}`
                : name.startsWith("x-original-url") || name === "x-rewrite-url"
                  ? "/api/export"
                  : hostOf(t);
    }
    return { headers, label: names.length === 0 ? "" : `spoof:${names.join("+")}` };
  });

const KEY_FORMS = ["bearer", "basic", "basic-whole", "bearer-lower"] as const;

/** An Authorization value presenting `key` in one of the forms the tenant accepts. */
function authorization(key: string, form: (typeof KEY_FORMS)[number]): string {
  const [, keyId, secret] = /^wfp_([a-z0-9]+)_(.+)$/.exec(key)!;
  return {
    bearer: `Bearer ${key}`,
    "bearer-lower": `bearer ${key}`,
    basic: `Basic ${Buffer.from(`${keyId}:${secret}`).toString("base64")}`,
    "basic-whole": `Basic ${Buffer.from(`${keyId}:${key}`).toString("base64")}`,
  }[form];
}

/** Credentials: [headers, valid key of, label]. */
const credentialArb: fc.Arbitrary<[Record<string, string>, TenantId | null, string]> = fc.oneof(
  { arbitrary: fc.constant<[Record<string, string>, TenantId | null, string]>([{}, null, "key:none"]), weight: 1 },
  {
    arbitrary: fc
      .tuple(tenantArb, fc.constantFrom(...KEY_KINDS), fc.constantFrom(...KEY_FORMS))
      .map(([t, kind, form]): [Record<string, string>, TenantId | null, string] => {
        const valid = kind === "admin" || kind === "read" || kind === "write";
        return [{ authorization: authorization(tenants[t].keys[kind], form) }, valid ? t : null, `key:${kind}:${form}`];
      }),
    weight: 6,
  },
  {
    arbitrary: fc
      .tuple(
        tenantArb,
        tenantArb,
        fc.constantFrom("mixed-id", "truncated", "scheme-only", "garbage", "query", "cookie", "two-headers"),
      )
      .map(([t, u, how]): [Record<string, string>, TenantId | null, string] => {
        const a = tenants[t].keys.admin;
        const b = tenants[u].keys.read;
        const value = {
          "mixed-id": `Bearer ${b.replace(/^wfp_[a-z0-9]+_/, "wfp_admin_")}`,
          truncated: `Bearer ${a.slice(0, -3)}`,
          "scheme-only": "Bearer",
          garbage: `Basic ${"%%%"}`,
          query: "",
          cookie: "",
          "two-headers": `Bearer ${b}, Bearer ${a}`,
        }[how]!;
        const headers: Record<string, string> = value === "" ? {} : { authorization: value };
        if (how === "cookie") headers.cookie = `api_key=${a}`;
        if (how === "query") headers["x-api-key"] = a;
        return [headers, null, `key:malformed:${how}`];
      }),
    weight: 2,
  },
);

/** Stands for a write's token in a generated request; each request gets its own when it is sent. */
const TOKEN = "{{token}}";

const operationArb = tenantArb.chain((victim) => {
  const v = tenants[victim];
  const token = TOKEN;
  // Not /api/audit: a tenant's audit log holds the paths its own callers sent (another tenant's
  // subject name in a refused request, say), which is the caller's own echo, not a leak.
  const reads = [
    "/api/products",
    "/api/export",
    "/api/stats",
    "/api/keys",
    "/subjects",
    "/subjects?deleted=true",
    `/subjects/${v.subject}/versions/latest`,
    `/subjects/${v.subject}/versions`,
    "/schemas/ids/1",
    "/schemas/ids/1/versions",
    "/config",
    `/config/${v.subject}`,
    `/api/products/${v.productId}`,
    `/api/products/${v.productId}/domains`,
    "/health",
  ];
  // Every one a request target workerd parses, so each reaches the dispatcher and a tenant Worker.
  // The absolute forms (`http://victim/...`, `*`) never do locally: see unparseableRequests.
  const tricks = [
    "/../api/export",
    "/%2e%2e/api/export",
    "/api/%2e%2e/api/export",
    "//api//export",
    "/api/./export",
    "/api%2Fexport",
    "/%61pi/export",
    "/api/products/..%2F..%2Fapi%2Fexport",
    `/contexts/.${victim}/subjects`,
    "/contexts/./subjects",
    `//${hostOf(victim)}/api/export`,
    `///${hostOf(victim)}/api/export`,
    `/${hostOf(victim)}/api/export`,
    `/http://${hostOf(victim)}/api/export`,
    `/http:%2F%2F${hostOf(victim)}:8787/subjects`,
    `/%2F${hostOf(victim)}/api/export`,
    `/\\${hostOf(victim)}/api/export`,
    `/api/export?url=http://${hostOf(victim)}/api/export`,
    "/*",
  ];
  return fc.oneof(
    fc.constantFrom(...reads).map((path) => ({
      method: "GET",
      target: path,
      body: undefined as string | undefined,
      victim: null as TenantId | null,
      token: undefined as string | undefined,
      label: "read",
    })),
    fc.constantFrom(...tricks).map((path) => ({
      method: "GET",
      target: path,
      body: undefined as string | undefined,
      victim: null as TenantId | null,
      token: undefined as string | undefined,
      label: "path-trick",
    })),
    fc
      .constantFrom(
        { method: "POST", target: "/api/products", body: json({ name: token }), label: "write:product" },
        {
          method: "POST",
          target: `/subjects/${token}-value/versions`,
          body: json({ schema: JSON.stringify({ type: "record", name: token, fields: [] }) }),
          label: "write:subject",
        },
        {
          method: "POST",
          target: `/api/products/${v.productId}/domains`,
          body: json({ name: token }),
          label: "write:victim-domain",
        },
        {
          method: "PATCH",
          target: `/api/products/${v.productId}`,
          body: json({ description: token }),
          label: "write:victim-patch",
        },
      )
      .map((op) => ({ ...op, victim, token })),
    fc
      .constantFrom(
        { method: "DELETE", target: `/subjects/${v.subject}`, label: "delete:victim-subject" },
        { method: "DELETE", target: `/api/products/${v.productId}`, label: "delete:victim-product" },
        { method: "DELETE", target: `/api/keys/${v.keyIds[1]!}`, label: "delete:victim-key" },
        {
          method: "PUT",
          target: "/config",
          body: json({ compatibility: "BACKWARD_TRANSITIVE" }),
          label: "write:config",
        },
        {
          method: "POST",
          target: "/api/keys",
          body: json({ role: "admin", description: token }),
          label: "write:mint-key",
        },
        {
          method: "POST",
          target: "/api/import",
          body: json({ format: "wfp-registry-export", version: 1, products: [] }),
          label: "write:import",
        },
      )
      .map((op) => ({ body: undefined as string | undefined, ...op, victim, token })),
  );
});

/** Changes that would be legitimate with the victim's own key: only sent with someone else's (or none). */
const DESTRUCTIVE = /^(delete:|write:config|write:victim-patch|write:import)/;

const crossTenantArb: fc.Arbitrary<Attack> = fc
  .tuple(hostArb, spoofArb, credentialArb, operationArb)
  .filter(
    ([[, hostTenant], , [, keyOf], op]) =>
      !DESTRUCTIVE.test(op.label) || keyOf === null || (keyOf !== op.victim && keyOf !== hostTenant),
  )
  .map(([[host, hostTenant, hostLabel], spoof, [credHeaders, keyOf, credLabel], op]) => {
    const headers: Record<string, string> = { ...spoof.headers, ...credHeaders, host };
    if (op.body !== undefined) headers["content-type"] = "application/json";
    return {
      method: op.method,
      target: op.target,
      headers,
      ...(op.body === undefined ? {} : { body: op.body }),
      keyOf,
      hostOf: hostTenant,
      ...(op.token === undefined ? {} : { writeToken: op.token }),
      label: [hostLabel, spoof.label, credLabel, op.label].filter((s) => s !== "").join(" "),
    };
  });

/** Reads of a tenant's own data a key of this role may make; each answer holds one of its markers. */
function ownReads(t: TenantId, role: "admin" | "read" | "write"): string[] {
  const { subject, productId } = tenants[t];
  return [
    "/api/products",
    `/api/products/${productId}`,
    "/subjects",
    `/subjects/${subject}/versions/latest`,
    `/subjects/${subject}/versions/1`,
    "/schemas/ids/1",
    // The same through path tricks the tenant Worker normalises.
    `/%61pi/products/${productId}`,
    `/api/./products/${productId}`,
    `/api/%2e%2e/api/products/${productId}`,
    "/../subjects",
    "/%2e%2e/schemas/ids/1",
    ...(role === "admin" ? ["/api/export", "/%2e%2e/api/export", "/api/keys"] : []),
  ];
}

/**
 * A legitimate request: a tenant's own valid key, at its own hostname in any documented
 * spelling, with the same spoofing headers, reading its own data. Each must be answered 200 with
 * that data: a platform that refused everything would pass every isolation check above.
 */
const legitimateArb: fc.Arbitrary<Attack> = tenantArb.chain((t) =>
  fc
    .tuple(
      ownHostArb(t),
      spoofArb,
      fc.constantFrom<"admin" | "read" | "write">("admin", "read", "write"),
      fc.constantFrom(...KEY_FORMS),
      fc.nat(),
    )
    .map(([[host, hostLabel], spoof, role, form, pick]) => {
      const reads = ownReads(t, role);
      return {
        method: "GET",
        target: reads[pick % reads.length]!,
        headers: { ...spoof.headers, authorization: authorization(tenants[t].keys[role], form), host },
        keyOf: t,
        hostOf: t,
        legitimate: true,
        label: ["legitimate", hostLabel, spoof.label, `key:${role}:${form}`].filter((s) => s !== "").join(" "),
      };
    }),
);

const attackArb: fc.Arbitrary<Attack> = fc.oneof(
  { arbitrary: crossTenantArb, weight: 7 },
  { arbitrary: legitimateArb, weight: 1 },
);

// ---- requests workerd cannot parse ----------------------------------------------------------

interface Unparseable {
  label: string;
  method: string;
  target: string;
  host: string;
  key: string;
  /** A write carries a token that must land nowhere. */
  token?: string;
  /** What workerd's refusal names: the Host, or the request target. */
  named: string;
}

/**
 * Requests that never reach a Worker locally: workerd cannot make a URL of their Host (`%`, a
 * space, userinfo, a list, latin-1) or of their request target (absolute form, `*`), so it
 * answers 500 itself. On Cloudflare the edge refuses them before the dispatch Worker
 * (docs/security.md, known gaps). Each carries the victim's own valid key, the strongest case.
 */
function unparseableRequests(): Unparseable[] {
  const requests: Unparseable[] = [];
  for (const t of TENANTS) {
    const h = hostOf(t);
    const other = hostOf(nextTenant(t));
    const { keys } = tenants[t];
    const hosts = {
      pct: h.replace("registry", "%72egistry"),
      latin1: h.replace(t.slice(0, 1), "\u00e4"),
      userinfo: `${other}@${h}`,
      space: `${h} `,
      two: `${h}, ${other}`,
    };
    for (const [how, host] of Object.entries(hosts)) {
      requests.push({ label: `host:${how}`, method: "GET", target: "/api/export", host, key: keys.admin, named: host });
      const token = `U${requests.length}z${randomBytes(5).toString("hex")}`;
      requests.push({
        label: `host:${how} write`,
        method: "POST",
        target: "/api/products",
        host,
        key: keys.write,
        token,
        named: host,
      });
    }
    // An absolute-form target names its host, which HTTP says wins over the Host header.
    const targets: Array<[string, string, string]> = [
      ["absolute", `http://${h}/api/export`, other],
      ["absolute-own-host", `http://${h}/api/export`, h],
      ["absolute-port", `http://${h}:8787/subjects`, other],
      ["absolute-https", `https://${h}/api/export`, other],
      ["asterisk", "*", h],
    ];
    for (const [how, target, host] of targets)
      requests.push({ label: `target:${how}`, method: "GET", target, host, key: keys.admin, named: target });
    const token = `U${requests.length}z${randomBytes(5).toString("hex")}`;
    requests.push({
      label: "target:absolute write",
      method: "POST",
      target: `http://${h}/api/products`,
      host: other,
      key: keys.write,
      token,
      named: `http://${h}/api/products`,
    });
  }
  return requests;
}

/** workerd's log line when it cannot make a URL of a request; the capture is what it names. */
const WORKERD_URL_REFUSAL = new RegExp(
  String.raw`kj/compat/url\.c\+\+:\d+: failed: ` +
    String.raw`(?:expected tryParse\(url, context, options\) != nullptr; invalid URL; url = ` +
    "|invalid hostname when stringifying URL; host = )(.*)$",
);

/**
 * Runs `work` while recording the platform's stderr (workerd's, which the local platform
 * forwards), then waits (bounded) until workerd has logged `expected` URL refusals; returns what
 * each refusal names.
 */
async function workerdUrlRefusals(expected: number, work: () => Promise<void>): Promise<string[]> {
  let log = "";
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    log += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return (write as (...args: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
  }) as typeof process.stderr.write;
  const refusals = () =>
    log.split("\n").flatMap((line) => {
      const named = WORKERD_URL_REFUSAL.exec(line)?.[1];
      return named === undefined ? [] : [named];
    });
  try {
    await work();
    await pollUntil(
      async () => refusals().length,
      (count) => count >= expected,
      10_000,
    );
    return refusals();
  } finally {
    process.stderr.write = write;
  }
}

it(`requests workerd cannot make a URL of (${TENANTS.length} tenants' Hosts and absolute targets) are refused by \
workerd itself, before any Worker, and change nothing`, async () => {
  const requests = unparseableRequests();
  const wrong: string[] = [];
  const named = await workerdUrlRefusals(requests.length, async () => {
    for (const r of requests) {
      const headers: Record<string, string> = { host: r.host, authorization: `Bearer ${r.key}` };
      if (r.token !== undefined) headers["content-type"] = "application/json";
      const reply = await send(
        r.method,
        r.target,
        headers,
        r.token === undefined ? undefined : json({ name: r.token }),
      );
      // workerd's own answer: plain text, and no x-request-id, which every Worker answer carries.
      if (reply.status !== 500 || reply.requestId !== undefined || bodyOf(reply) !== "Internal Server Error")
        wrong.push(
          `[${r.label}] ${r.method} ${r.target} Host: ${r.host} -> ${reply.status} ${reply.text.slice(0, 300)}`,
        );
    }
  });
  expect(wrong).toEqual([]);
  // One refusal logged by workerd's URL parser per request, naming that request's Host or target
  // (non-ASCII compared loosely: Node sends a latin-1 Host as latin-1, or as UTF-8 with a body).
  const loose = (names: string[]) => names.map((name) => name.replace(/[^\x20-\x7e]+/g, "?")).sort();
  expect(loose(named)).toEqual(loose(requests.map((r) => r.named)));
  for (const t of TENANTS) {
    const state = [(await call(t, "GET", "/api/export")).body, (await call(t, "GET", "/subjects")).body].join("\n");
    for (const r of requests)
      if (r.token !== undefined) expect(state.includes(r.token), `${t} holds ${r.token} from [${r.label}]`).toBe(false);
  }
});

// ---- the run ----------------------------------------------------------------------------------

it(`${RUNS} generated cross-tenant requests through the dispatcher: no tenant's data reaches another, \
no write lands in another, no 5xx, every answer the platform's, every legitimate read its data`, async () => {
  const attacks = fc.sample(attackArb, { seed: SEED, numRuns: RUNS });
  const secrets = TENANTS.flatMap((t) => [
    tenants[t].proof,
    secretOf(tenants[t].keys.admin),
    secretOf(tenants[t].keys.write),
  ]);
  const tally = {
    requests: 0,
    leaks: 0,
    legitimate: 0,
    ownDataSeen: 0,
    status5xx: 0,
    clientErrors: 0,
    byStatus: {} as Record<string, number>,
  };
  const leaks: string[] = [];
  // Answers that are not the dispatcher's or a tenant's (no x-request-id), and every 5xx.
  const notAnswered: string[] = [];
  const legitimateRefused: string[] = [];
  // Each write token, by who sent it where: it may land only in the tenant that is both.
  const writes = new Map<string, Attack>();
  let next = 0;
  const started = Date.now();

  async function worker(): Promise<void> {
    while (next < attacks.length) {
      const index = next++;
      const generated = attacks[index]!;
      const token = `W${index}z${randomBytes(5).toString("hex")}`;
      const attack: Attack = {
        ...generated,
        target: generated.target.replaceAll(TOKEN, token),
        ...(generated.body === undefined ? {} : { body: generated.body.replaceAll(TOKEN, token) }),
        ...(generated.writeToken === undefined ? {} : { writeToken: token }),
      };
      // Each request is its own client: the dispatcher's auth-failure block (tested in
      // tests/dispatcher) would otherwise turn most of the run into 429s.
      const client = { "cf-connecting-ip": `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}` };
      if (attack.writeToken !== undefined) writes.set(attack.writeToken, attack);
      let reply: Reply;
      try {
        reply = await send(attack.method, attack.target, { ...attack.headers, ...client }, attack.body);
      } catch (error) {
        // The client library refused the request itself (e.g. a character Node will not send).
        tally.clientErrors += 1;
        if (
          !/ERR_INVALID|Invalid character|ERR_UNESCAPED/i.test(String((error as NodeJS.ErrnoException).code ?? error))
        )
          throw error;
        continue;
      }
      tally.requests += 1;
      tally.byStatus[reply.status] = (tally.byStatus[reply.status] ?? 0) + 1;
      const described = `[${attack.label}] ${attack.method} ${attack.target} -> ${reply.status}`;
      if (reply.status >= 500) tally.status5xx += 1;
      if (reply.status >= 500 || reply.requestId === undefined)
        notAnswered.push(`${described} ${reply.text.slice(0, 300)}`);
      const sent = `${attack.target} ${JSON.stringify(attack.headers)} ${attack.body ?? ""}`;
      for (const t of TENANTS) {
        const allowed = attack.keyOf === t && attack.hostOf === t;
        // The oracle is not blind: answers it allows do show their tenant's markers.
        const ownData = tenants[t].markers.some((marker) => reply.text.includes(marker) && !sent.includes(marker));
        if (allowed && ownData) tally.ownDataSeen += 1;
        if (allowed && attack.legitimate === true) {
          tally.legitimate += 1;
          if (reply.status !== 200 || !ownData) legitimateRefused.push(`${described} ${reply.text.slice(0, 300)}`);
        }
        for (const marker of tenants[t].markers) {
          if (reply.text.includes(marker) && !sent.includes(marker) && !allowed) {
            tally.leaks += 1;
            leaks.push(`${t}'s ${marker} in the answer to ${described} ${JSON.stringify(attack.headers)}`);
          }
        }
      }
      for (const secret of secrets) {
        if (reply.text.includes(secret) && !sent.includes(secret)) {
          tally.leaks += 1;
          leaks.push(`a secret in the answer to ${described}`);
        }
      }
      for (const canary of canaries) {
        if (reply.text.includes(canary)) {
          tally.leaks += 1;
          leaks.push(`a cache entry outside its tenant's prefix (${canary}) in the answer to ${described}`);
        }
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (Date.now() - started) / 1000;

  // Where every write landed, read by each tenant with its own admin key.
  const misplaced: string[] = [];
  for (const t of TENANTS) {
    const seed = tenants[t];
    const state = [
      (await call(t, "GET", "/api/export")).body,
      (await call(t, "GET", "/subjects?deleted=true")).body,
      (await call(t, "GET", `/subjects/${seed.subject}/versions/latest`)).body,
      (await call(t, "GET", "/api/keys?limit=500")).body,
    ].join("\n");
    for (const marker of seed.markers) if (!state.includes(marker)) misplaced.push(`${t} lost its own ${marker}`);
    for (const other of TENANTS.filter((o) => o !== t))
      for (const marker of tenants[other].markers.slice(0, 6))
        if (state.includes(marker)) misplaced.push(`${t} holds ${other}'s ${marker}`);
    for (const [token, attack] of writes) {
      if (state.includes(token) && !(attack.keyOf === t && attack.hostOf === t))
        misplaced.push(
          `${t} holds ${token} from [${attack.label}] ${attack.method} ${attack.target} ` +
            JSON.stringify(attack.headers),
        );
    }
    const config = (await call(t, "GET", "/config")).json();
    if (config.compatibilityLevel !== seed.compatibility)
      misplaced.push(`${t}'s global compatibility is ${String(config.compatibilityLevel)}, not ${seed.compatibility}`);
    // A key minted by a request is found by its description (the write token) above.
    const keys = (await call(t, "GET", "/api/keys?limit=500")).json() as {
      items: Array<{ id: string; status: string }>;
    };
    const readKey = keys.items.find((k) => k.id === seed.keyIds[1]);
    if (readKey?.status !== "active") misplaced.push(`${t}'s read key is ${String(readKey?.status)}`);
  }

  // Where every cache entry landed: in the shared namespace under a shared tenant's prefix, holding
  // only that tenant's data; in alpha's own namespace, only alpha's.
  const sharedNamespace = tenants[SHARED_KV[0]!].kv.id;
  const kvEntries = new Map<TenantId, number>();
  for (const key of await kvKeys(sharedNamespace)) {
    if (canaryKeys.has(key)) continue;
    const owner = SHARED_KV.find((t) => key.startsWith(tenants[t].kv.prefix));
    if (owner === undefined) {
      misplaced.push(`shared KV key ${key} is under no shared tenant's prefix`);
      continue;
    }
    kvEntries.set(owner, (kvEntries.get(owner) ?? 0) + 1);
    const stored = `${key}\n${await kvValue(sharedNamespace, key)}`;
    for (const other of TENANTS.filter((o) => o !== owner))
      for (const marker of tenants[other].markers)
        if (stored.includes(marker)) misplaced.push(`${owner}'s KV key ${key} holds ${other}'s ${marker}`);
  }
  for (const t of SHARED_KV)
    if ((kvEntries.get(t) ?? 0) === 0)
      misplaced.push(`${t} has no cache entry under its prefix ${tenants[t].kv.prefix}`);
  for (const key of await kvKeys(tenants.alpha.kv.id)) {
    const stored = `${key}\n${await kvValue(tenants.alpha.kv.id, key)}`;
    for (const other of SHARED_KV)
      for (const marker of tenants[other].markers)
        if (stored.includes(marker)) misplaced.push(`alpha's KV key ${key} holds ${other}'s ${marker}`);
  }

  const summary =
    `isolation fuzz: seed=${SEED} runs=${RUNS} tenants=${TENANTS.length} requests=${tally.requests} ` +
    `leaks=${tally.leaks} misplaced-writes=${misplaced.length} canaries=${canaries.length} ` +
    `shared-kv-entries=${JSON.stringify(Object.fromEntries(kvEntries))} 5xx=${tally.status5xx} ` +
    `not-the-platform's=${notAnswered.length - tally.status5xx} legitimate=${tally.legitimate} ` +
    `legitimate-refused=${legitimateRefused.length} own-data-answers=${tally.ownDataSeen} ` +
    `refused-by-client=${tally.clientErrors} seconds=${seconds.toFixed(1)} ` +
    `(${(tally.requests / seconds).toFixed(0)} req/s) statuses=${JSON.stringify(tally.byStatus)}`;
  console.log(summary);
  expect(leaks.slice(0, 20), summary).toEqual([]);
  expect(notAnswered.slice(0, 20), summary).toEqual([]);
  expect(legitimateRefused.slice(0, 20), summary).toEqual([]);
  // The legitimate reads are one in eight of the sample: at least one in twenty must have been
  // sent (and each answered with its own data, above), so refusing everything cannot pass.
  expect(tally.legitimate, summary).toBeGreaterThanOrEqual(Math.floor(RUNS / 20));
  expect(tally.ownDataSeen, summary).toBeGreaterThanOrEqual(tally.legitimate);
  expect(misplaced.slice(0, 20), summary).toEqual([]);
  expect(tally.requests + tally.clientErrors).toBe(RUNS);
}, 900_000);
