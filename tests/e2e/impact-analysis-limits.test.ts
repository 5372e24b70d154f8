/**
 * Impact analysis on the local platform, where D1's per-statement limits hold as on Cloudflare
 * (infra/local-platform/worker-shims/d1-limits.ts): a subject with more direct dependents than one
 * query may bind (100 parameters) is analysed, its dependents read in lists that fit
 * (confluent-store.ts `listVersions`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";

const HOST = "registry.impact.localhost";
/** More than one D1 query may bind (100), and more than one analysis checks (MAX_IMPACT_DEPENDENTS). */
const DEPENDENTS = 120;

let stateDir: string;
let platform: LocalPlatform;
let auth: Record<string, string> = {};

const call = async (method: string, path: string, body?: unknown) => {
  const reply = await requestTenant(platform.trafficUrl, HOST, method, path, { body, headers: auth });
  return { status: reply.status, json: reply.json() as Record<string, unknown>, text: JSON.stringify(reply.json()) };
};

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-impact-e2e-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
  const { code, stdout, stderr } = await runTenant(platform.apiUrl, ["create", "impact", "--domain", HOST, "--json"]);
  expect(code, stderr).toBe(EXIT.ok);
  auth = { authorization: `Bearer ${(JSON.parse(stdout) as { adminKey: string }).adminKey}` };
});
afterAll(async () => {
  await platform?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

it(`analyses a subject with ${DEPENDENTS} direct dependents, past D1's 100 bound parameters`, async () => {
  const base = (fields: string[]) =>
    JSON.stringify({ type: "record", name: "Shared", fields: fields.map((name) => ({ name, type: "string" })) });
  expect((await call("POST", "/subjects/shared/versions", { schema: base(["id"]) })).status).toBe(200);
  for (let n = 0; n < DEPENDENTS; n++) {
    const schema = JSON.stringify({ type: "record", name: `User${n}`, fields: [{ name: "shared", type: "Shared" }] });
    const reply = await call("POST", `/subjects/user-${n}/versions`, {
      schema,
      references: [{ name: "Shared", subject: "shared", version: 1 }],
    });
    expect(reply.status, reply.text).toBe(200);
  }
  // A new required field: not backward compatible for the subject; each dependent still parses.
  const report = await call("POST", "/impact/subjects/shared", { schema: base(["id", "region"]) });
  expect(report.status, report.text).toBe(200);
  const dependents = report.json.dependents as { subject: string; depth: number; valid: boolean; checked: boolean }[];
  expect(dependents).toHaveLength(DEPENDENTS);
  expect(dependents.every((d) => d.depth === 1)).toBe(true);
  // The first 100 (MAX_IMPACT_DEPENDENTS) are checked, and each still parses; the rest are listed.
  const checked = dependents.filter((d) => d.checked);
  expect(checked).toHaveLength(100);
  expect(checked.every((d) => d.valid)).toBe(true);
  expect(new Set(dependents.map((d) => d.subject))).toEqual(
    new Set(Array.from({ length: DEPENDENTS }, (_, n) => `user-${n}`)),
  );
  expect(report.json).toMatchObject({ subject: "shared", compatible: false, truncated: true, safe: false });
});
