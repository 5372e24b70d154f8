/**
 * `npm run tenant -- keys create|list|revoke` against the real local platform (docs/security.md):
 * a key the operator creates authenticates against the tenant through the dispatcher (Bearer and
 * Basic) with exactly its role, a revoked one gets 401, each change is in the tenant's audit log
 * as `operator`, and bad input is refused (exit 2) before any Cloudflare API call.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { InputError } from "../../provisioner/src/errors.ts";
import { parseNewKey } from "../../provisioner/src/tenant-keys.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";

const HOST = "registry.keyring.localhost";
let platform: LocalPlatform;
let stateDir: string;
let adminKey: string;

const tenant = (args: string[]) => runTenant(platform.apiUrl, args);
const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  requestTenant(platform.trafficUrl, HOST, method, path, { headers, ...(body === undefined ? {} : { body }) });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Cloudflare API calls counted by the local platform so far. */
async function apiCalls(): Promise<number> {
  const faults = (await (await fetch(`${new URL(platform.apiUrl).origin}/__platform/faults`)).json()) as {
    calls: number;
  };
  return faults.calls;
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-keys-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
  const created = await tenant(["create", "keyring", "--domain", HOST, "--json"]);
  expect(created.code, created.stderr).toBe(EXIT.ok);
  adminKey = (JSON.parse(created.stdout) as { adminKey: string }).adminKey;
}, 120_000);
afterAll(async () => {
  await platform?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

interface CreatedJson {
  ok: true;
  key: string;
  record: {
    id: string;
    role: string;
    status: string;
    createdBy: string;
    expiresAt: string | null;
    productId: string | null;
  };
}

describe("keys through the CLI", () => {
  it("creates a key that works through the dispatcher with its role, lists it, revokes it", async () => {
    const created = await tenant([
      "keys",
      "create",
      "keyring",
      "--role",
      "read",
      "--description",
      "dashboards",
      "--expires",
      "30d",
      "--json",
    ]);
    expect(created.code, created.stderr + created.stdout).toBe(EXIT.ok);
    const { key, record } = JSON.parse(created.stdout) as CreatedJson;
    expect(key).toMatch(new RegExp(`^wfp_${record.id}_[A-Za-z0-9_-]{43}$`));
    expect(record).toMatchObject({ role: "read", status: "active", createdBy: "operator" });
    expect(Date.parse(record.expiresAt!) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    expect((await call("GET", "/api/products", bearer(key))).status).toBe(200);
    const secret = key.slice(`wfp_${record.id}_`.length);
    expect(
      (
        await call("GET", "/subjects", {
          authorization: `Basic ${Buffer.from(`${record.id}:${secret}`).toString("base64")}`,
        })
      ).status,
    ).toBe(200);
    expect((await call("POST", "/api/products", bearer(key), { name: "Nope" })).status).toBe(403);

    const listed = await tenant(["keys", "list", "keyring", "--json"]);
    expect(listed.code).toBe(EXIT.ok);
    expect(listed.stdout).not.toContain(secret);
    expect((JSON.parse(listed.stdout) as { keys: { id: string }[] }).keys.map((k) => k.id)).toContain(record.id);
    const human = await tenant(["keys", "list", "keyring"]);
    expect(human.stdout).toMatch(new RegExp(`${record.id}\\s+read\\s+active\\s+whole tenant`));

    const revoked = await tenant(["keys", "revoke", "keyring", record.id, "--json"]);
    expect(revoked.code).toBe(EXIT.ok);
    expect(JSON.parse(revoked.stdout)).toMatchObject({
      changed: true,
      record: { status: "revoked", revokedBy: "operator" },
    });
    expect((await call("GET", "/api/products", bearer(key))).status).toBe(401);
    expect(JSON.parse((await tenant(["keys", "revoke", "keyring", record.id, "--json"])).stdout)).toMatchObject({
      changed: false,
    });

    const audit = (
      await call("GET", `/api/audit?actor=operator&target=/api/keys/${record.id}`, bearer(adminKey))
    ).json() as { items: { action: string; outcome: string; afterHash: string | null }[] };
    expect(audit.items.map((entry) => entry.action)).toEqual(["key.revoke", "key.create"]);
    expect(audit.items.every((entry) => entry.outcome === "ok" && /^[0-9a-f]{64}$/.test(entry.afterHash ?? ""))).toBe(
      true,
    );
  }, 60_000);

  it("prints the key once in the human output, and scoped keys stay in their scope", async () => {
    const product = (await call("POST", "/api/products", bearer(adminKey), { name: "Scoped" })).json() as {
      id: string;
    };
    const human = await tenant(["keys", "create", "keyring", "--role", "write", "--product", product.id]);
    expect(human.code, human.stderr).toBe(EXIT.ok);
    const key = /wfp_[a-z0-9]+_[A-Za-z0-9_-]{43}/.exec(human.stdout)![0];
    expect(human.stdout.split(key)).toHaveLength(2);
    expect((await call("POST", `/api/products/${product.id}/domains`, bearer(key), { name: "Mine" })).status).toBe(201);
    expect((await call("GET", "/api/products", bearer(key))).status).toBe(403);
    expect((await tenant(["keys", "create", "keyring", "--role", "read", "--product", "no-such-product"])).code).toBe(
      EXIT.usage,
    );
  }, 60_000);

  it("refuses bad input before any API call, and names a missing tenant or key", async () => {
    const before = await apiCalls();
    const bad = [
      ["keys", "create", "keyring", "--role", "owner"],
      ["keys", "create", "keyring"],
      ["keys", "create", "keyring", "--role", "admin", "--subject-prefix", "orders-"],
      ["keys", "create", "keyring", "--role", "read", "--expires", "yesterday"],
      ["keys", "create", "keyring", "--role", "read", "--expires", "2001-01-01T00:00:00Z"],
      ["keys", "create", "Not_A_Tenant", "--role", "read"],
      ["keys", "revoke", "keyring", "admin"],
      ["keys", "revoke", "keyring", "BAD_ID"],
      ["keys", "revoke", "keyring"],
      ["keys", "list", "keyring", "--role", "read"],
      ["keys", "rotate", "keyring"],
    ];
    for (const args of bad) {
      const result = await tenant([...args, "--json"]);
      expect(result.code, args.join(" ")).toBe(EXIT.usage);
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { exitCode: EXIT.usage } });
    }
    expect(await apiCalls()).toBe(before);
    expect((await tenant(["keys", "list", "nobody-here"])).code).toBe(EXIT.notFound);
    expect((await tenant(["keys", "revoke", "keyring", "nosuchkey"])).code).toBe(EXIT.notFound);
  }, 60_000);
});

describe("keys create input", () => {
  const now = new Date("2026-11-21T00:00:00.000Z");
  it("reads --expires as a duration from now or an ISO time or date", () => {
    expect(parseNewKey({ role: "read", expires: "30d" }, now).expiresAt).toBe("2026-12-21T00:00:00.000Z");
    expect(parseNewKey({ role: "read", expires: "12h" }, now).expiresAt).toBe("2026-11-21T12:00:00.000Z");
    expect(parseNewKey({ role: "read", expires: "2027-01-31" }, now).expiresAt).toBe("2027-01-31T00:00:00.000Z");
    expect(
      parseNewKey(
        { role: "write", expires: "2027-01-31T10:00:00+02:00", product: "p1", subjectPrefix: "orders-" },
        now,
      ),
    ).toEqual({
      role: "write",
      productId: "p1",
      subjectPrefix: "orders-",
      description: null,
      expiresAt: "2027-01-31T08:00:00.000Z",
    });
  });

  it("collects every problem in one refusal", () => {
    let error: unknown;
    try {
      parseNewKey(
        { role: "admin", product: "p 1", subjectPrefix: "orders-", expires: "soon", description: "x".repeat(501) },
        now,
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems).toHaveLength(4);
  });
});
