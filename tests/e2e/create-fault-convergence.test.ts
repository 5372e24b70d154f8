/**
 * `create` converges after a failure at EVERY API call it makes, in both ways a call can fail:
 * before it takes effect, and after it did (its answer lost). Each interruption point is followed
 * by a re-run that must finish the tenant (exactly one of everything, /health 200 with every
 * migration) and by a delete that must leave the account as it was.
 *
 * What it costs: each point is one whole tenant lifecycle, and a lifecycle restarts workerd at
 * least twice (the script upload, the script delete), a restart costing most for the tenant
 * Workers it loads. So the points run on platforms of their own with no other tenant, shared out
 * between two platforms side by side, and in parts, each a test of a size that fits the usual
 * timeout on a busy machine too.
 */
import Cloudflare from "cloudflare";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultPlanSchema } from "../../infra/local-platform/faults.ts";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";
import { type AccountInventory, accountInventory } from "../support/account-inventory.ts";

/** Every migration of the template, in order: what a freshly provisioned tenant must report. */
const TEMPLATE_MIGRATIONS = readdirSync(new URL("../../tenant-template/migrations/", import.meta.url))
  .filter((name) => name.endsWith(".sql"))
  .sort();

/** Platforms side by side; each takes every other point of a part. */
const PLATFORMS = 2;
/** The interruption points are dealt out to this many tests. */
const PARTS = 7;
/**
 * Each interruption point creates its own tenant: a tenant deleted and created again under the same
 * hostname gets a new dispatch proof, which the dispatcher's cached route (up to 10 s, as on
 * Cloudflare) would not match yet.
 */
const create = (id: string) => ["create", id, "--domain", `registry.${id}.localhost`, "--residency", "eu"];

interface Session {
  platform: LocalPlatform;
  cf: Cloudflare;
  stateDir: string;
}

type Phase = "before" | "after";
type Inventory = AccountInventory;

const tenant = (s: Session, args: string[], env: Record<string, string> = {}) =>
  runTenant(s.platform.apiUrl, args, env);

/**
 * One interruption point: create stopped at call `n`, then a re-run, the checks, and a delete
 * back to `baseline`. Returns whether the broken run was really interrupted.
 */
async function tryPoint(s: Session, baseline: Inventory, n: number, phase: Phase): Promise<boolean> {
  const at = `call ${n} (${phase})`;
  const id = `charlie-${n}-${phase}`;
  // Every call from the n-th on fails, with retries off: the run stops exactly there.
  s.platform.faults.set(FaultPlanSchema.parse({ failFrom: n, phase, status: n % 2 === 0 ? 500 : 503 }));
  const broken = await tenant(s, create(id), { WFP_API_MAX_ATTEMPTS: "1" });
  s.platform.faults.clear();
  if (broken.code !== EXIT.ok) expect(broken.code, `${at}: ${broken.stderr}`).toBe(EXIT.failure);

  const fixed = await tenant(s, create(id));
  expect(fixed.code, `re-run after a failure at ${at}: ${fixed.stderr}`).toBe(EXIT.ok);
  const health = await requestTenant(s.platform.trafficUrl, `registry.${id}.localhost`, "GET", "/health");
  expect(health.status, `${at}: ${health.body}`).toBe(200);
  expect(health.json()).toMatchObject({ tenantId: id, migrations: TEMPLATE_MIGRATIONS });

  // Exactly one of everything: nothing duplicated, nothing orphaned.
  const now = await accountInventory(s);
  expect(
    now.d1.filter((d) => d === `wfp-tenant-${id}`),
    at,
  ).toHaveLength(1);
  expect(
    now.kv.filter((t) => t === `wfp-tenant-${id}-cache`),
    at,
  ).toHaveLength(1);
  expect(
    now.scripts.filter((x) => x === `tenant-${id}`),
    at,
  ).toHaveLength(1);
  expect(
    now.customHostnames.filter((h) => h === `registry.${id}.localhost`),
    at,
  ).toHaveLength(1);
  // The zone's eu and uk targets, made once per platform (platform init), and none for the tenant's domain.
  expect(now.regionalHostnames, at).toEqual([`eu.${s.platform.zoneName}`, `uk.${s.platform.zoneName}`]);

  expect((await tenant(s, ["delete", id, "--yes"])).code, `delete after ${at}`).toBe(EXIT.ok);
  expect(await accountInventory(s), `${at}: delete left something`).toEqual(baseline);
  return broken.code !== EXIT.ok;
}

describe("create after a failure at every API call", () => {
  const sessions: Session[] = [];
  /** Every interruption point: each call fails before it takes effect, and after (its answer lost). */
  let plan: { n: number; phase: Phase }[] = [];
  /** Points whose create was not interrupted, over every part run so far. */
  let notInterrupted = 0;

  beforeAll(async () => {
    for (let i = 0; i < PLATFORMS; i++) {
      const stateDir = mkdtempSync(join(tmpdir(), "wfp-converge-"));
      const platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
      // platform init made the EU regional target, the platform's: part of every baseline, so
      // "delete leaves the account as it was" is about the tenant alone.
      const cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
      sessions.push({ platform, stateDir, cf });
    }

    // Count the calls of one complete create, then remove the tenant again.
    const first = sessions[0]!;
    first.platform.faults.set(FaultPlanSchema.parse({}));
    expect((await tenant(first, create("charlie"))).code).toBe(EXIT.ok);
    const { calls, log } = first.platform.faults.status();
    first.platform.faults.clear();
    expect((await tenant(first, ["delete", "charlie", "--yes"])).code).toBe(EXIT.ok);
    expect(calls).toBeGreaterThan(10);
    // A read that "takes effect, then loses its answer" is the same as one that fails: only calls
    // that change something need the second phase.
    const mutating = new Set(log.flatMap((call, i) => (call.method === "GET" ? [] : [i + 1])));
    expect(mutating.size).toBeGreaterThan(8);
    plan = Array.from({ length: calls }, (_, i) => i + 1).flatMap((n) =>
      (mutating.has(n) ? (["before", "after"] as const) : (["before"] as const)).map((phase) => ({ n, phase })),
    );
  });
  afterAll(async () => {
    for (const { platform, stateDir } of sessions) {
      await platform.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it.each(Array.from({ length: PARTS }, (_, k) => k + 1))(
    `converges to one complete tenant, and delete leaves the account as it was: part %i of ${PARTS} of the calls`,
    async (part) => {
      // Every PARTS-th point, so that each part has as many costly points (those past the script
      // upload, which upload twice) as the others.
      const points = plan.filter((_, k) => k % PARTS === part - 1);
      expect(points.length).toBeGreaterThan(0);
      // Point k of the part runs on platform k mod PLATFORMS; each platform takes its points in order.
      const outcomes = await Promise.allSettled(
        sessions.map(async (s, index) => {
          const baseline = await accountInventory(s);
          for (const { n, phase } of points.filter((_, k) => k % sessions.length === index))
            if (!(await tryPoint(s, baseline, n, phase))) notInterrupted += 1;
        }),
      );
      for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
      // The points really interrupted create at (almost) every call, in both phases: over the whole
      // plan, at most two runs went through despite their fault.
      expect(notInterrupted).toBeLessThanOrEqual(2);
    },
  );
});
