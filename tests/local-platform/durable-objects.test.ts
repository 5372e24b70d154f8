/**
 * Durable Objects in an account Worker's upload, as Cloudflare documents them: a
 * `durable_object_namespace` binding `{type, name, class_name}` to a class the script exports, made
 * by the upload's `migrations` (`new_sqlite_classes`). The local platform refuses what Cloudflare
 * refuses, runs the class in workerd when the zone's route names the script, and keeps its storage
 * in the state folder across a restart. Every call goes through the `cloudflare` SDK.
 */
import Cloudflare, { BadRequestError } from "cloudflare";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalPlatform, startLocalPlatform } from "../../infra/local-platform/index.ts";

const COUNTER_WORKER = `import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  add() {
    const next = (this.ctx.storage.kv.get("n") ?? 0) + 1;
    this.ctx.storage.kv.put("n", next);
    return next;
  }
}
export default {
  async fetch(request, env) {
    const n = await env.COUNTER.get(env.COUNTER.idFromName("one")).add();
    return Response.json({ n });
  },
};`;

// The counter and a second class, added by a later upload, whose alarm calls a user Worker of the
// script's dispatch namespace (as the dispatcher's WebhookClock does) and keeps its answer.
const ALARM_COUNTER = COUNTER_WORKER.replace('"one"', '"alarm"');
const ALARM_WORKER = `${ALARM_COUNTER.replace("export default", "const counter =")}
export class Alarmed extends DurableObject {
  async arm() { await this.ctx.storage.setAlarm(Date.now()); }
  async alarm() {
    const answer = await this.env.DISPATCHER.get("alarm-target").fetch("https://target.test/ping");
    this.ctx.storage.kv.put("seen", await answer.text());
  }
  seen() { return this.ctx.storage.kv.get("seen") ?? null; }
}
export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    const alarmed = env.ALARMED.get(env.ALARMED.idFromName("one"));
    if (path === "/arm") return Response.json({ armed: await alarmed.arm() ?? true });
    if (path === "/seen") return Response.json({ seen: await alarmed.seen() });
    return counter.fetch(request, env);
  },
};`;

let platform: LocalPlatform;
let cf: Cloudflare;
let stateDir: string;

async function start(): Promise<void> {
  platform = await startLocalPlatform({ port: 0, apiPort: 0, stateDir });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-do-"));
  await start();
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

function upload(name: string, metadata: Record<string, unknown>, code = COUNTER_WORKER, path = "workers/scripts") {
  const form = new FormData();
  const full = { main_module: "index.js", compatibility_date: "2026-06-01", ...metadata };
  form.append("metadata", new Blob([JSON.stringify(full)], { type: "application/json" }));
  form.append("index.js", new File([code], "index.js", { type: "application/javascript+module" }));
  // A raw call answers the whole envelope: the script is its `result`.
  return cf
    .put(`/accounts/${platform.accountId}/${path}/${name}`, { body: form })
    .then((body) => (body as { result: { migration_tag?: string } }).result);
}

/** Points the zone's catch-all route at `script` (whichever test set it before). */
async function routeZoneTo(script: string): Promise<void> {
  const zone_id = platform.zoneId;
  for (const r of (await cf.workers.routes.list({ zone_id })).getPaginatedItems())
    await cf.workers.routes.delete(r.id, { zone_id });
  await cf.workers.routes.create({ zone_id, pattern: "*/*", script });
}

async function refusal(call: Promise<unknown>): Promise<{ status: number; codes: number[] }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BadRequestError);
  const e = error as BadRequestError;
  return { status: e.status, codes: (e.errors as { code: number }[]).map((x) => x.code) };
}

const binding = { type: "durable_object_namespace", name: "COUNTER", class_name: "Counter" };

describe("Durable Objects in account Worker uploads", () => {
  it("refuses a binding to a class no migration made (10061) and key-value classes (10099)", async () => {
    expect(await refusal(upload("do-refused", { bindings: [binding] }))).toEqual({ status: 400, codes: [10061] });
    expect(
      await refusal(
        upload("do-refused", { bindings: [binding], migrations: { new_tag: "v1", new_classes: ["Counter"] } }),
      ),
    ).toEqual({ status: 400, codes: [10099] });
  });

  it("creates the class with new_sqlite_classes, reports the binding, and takes the migration once", async () => {
    const created = await upload("do-made", {
      bindings: [binding],
      migrations: { new_tag: "v1", new_sqlite_classes: ["Counter"] },
    });
    expect(created.migration_tag).toBe("v1");
    const settings = await cf.workers.scripts.scriptAndVersionSettings.get("do-made", {
      account_id: platform.accountId,
    });
    expect(settings.bindings).toEqual([{ ...binding, namespace_id: expect.stringMatching(/^[0-9a-f]{32}$/) }]);
    // The class exists now: the same migration again is refused, no migration is fine, and a
    // wrong old_tag is refused.
    expect(
      (await refusal(upload("do-made", { bindings: [binding], migrations: { new_sqlite_classes: ["Counter"] } })))
        .status,
    ).toBe(400);
    expect((await upload("do-made", { bindings: [binding] })).migration_tag).toBe("v1");
    expect(
      (await refusal(upload("do-made", { bindings: [binding], migrations: { old_tag: "v0", new_tag: "v2" } }))).status,
    ).toBe(400);
  });

  it("runs the class in workerd for the zone's Worker; its state-folder storage outlives a restart", async () => {
    await upload("do-zone", { bindings: [binding], migrations: { new_tag: "v1", new_sqlite_classes: ["Counter"] } });
    await routeZoneTo("do-zone");
    const count = async () => ((await (await fetch(`${platform.trafficUrl}/`)).json()) as { n: number }).n;
    expect(await count()).toBe(1);
    expect(await count()).toBe(2);
    expect(existsSync(join(stateDir, "do"))).toBe(true);
    await platform.close();
    await start();
    expect(await count()).toBe(3);
  });

  it("adds a second class by a later migration; its alarm runs and reaches the dispatch namespace", async () => {
    const account_id = platform.accountId;
    const namespace = `alarm-ns-${process.pid}`;
    await cf.workersForPlatforms.dispatch.namespaces.create({ account_id, name: namespace });
    await upload(
      "alarm-target",
      {},
      "export default { fetch: () => new Response('pong') };",
      `workers/dispatch/namespaces/${namespace}/scripts`,
    );
    const dispatch = { type: "dispatch_namespace", name: "DISPATCHER", namespace };
    const first = await upload(
      "do-alarm",
      { bindings: [binding, dispatch], migrations: { new_tag: "v1", new_sqlite_classes: ["Counter"] } },
      ALARM_COUNTER,
    );
    expect(first.migration_tag).toBe("v1");
    await routeZoneTo("do-alarm");
    const get = async (path: string) => (await (await fetch(`${platform.trafficUrl}${path}`)).json()) as never;
    expect(await get("/")).toEqual({ n: 1 });
    const alarmed = { type: "durable_object_namespace", name: "ALARMED", class_name: "Alarmed" };
    const second = await upload(
      "do-alarm",
      {
        bindings: [binding, alarmed, dispatch],
        migrations: { old_tag: "v1", new_tag: "v2", new_sqlite_classes: ["Alarmed"] },
      },
      ALARM_WORKER,
    );
    expect(second.migration_tag).toBe("v2");
    // The first class kept its storage; the second one's alarm fires and its call is answered.
    expect(await get("/")).toEqual({ n: 2 });
    expect(await get("/seen")).toEqual({ seen: null });
    expect(await get("/arm")).toEqual({ armed: true });
    const deadline = Date.now() + 30_000;
    let seen: unknown = null;
    while (seen === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = ((await get("/seen")) as { seen: unknown }).seen;
    }
    expect(seen).toBe("pong");
  }, 60_000);
});
