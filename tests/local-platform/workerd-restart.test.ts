/**
 * workerd dying is survivable: the platform restarts it by itself, says so, serves again, and no
 * write it acknowledged is lost; and workerd never outlives the platform's own process.
 * Both wait on conditions (bounded), never on fixed delays.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";

const HOST = "registry.phoenix.localhost";
const root = resolve(import.meta.dirname, "../..");

/** Polls `check` every 100 ms until it holds or `ms` pass; returns whether it held. */
async function waitFor(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Whether a process is gone (or a zombie nobody reaped yet: it holds nothing any more). */
function gone(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

describe.skipIf(!existsSync("/proc/self/stat"))("workerd dies", () => {
  let stateDir: string;
  let platform: LocalPlatform;
  const logged: string[] = [];
  let auth: Record<string, string>;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "wfp-restart-"));
    platform = await startInitialisedPlatform({
      port: 0,
      apiPort: 0,
      stateDir,
      log: (message) => logged.push(message),
    });
    const created = await runTenant(platform.apiUrl, ["create", "phoenix", "--domain", HOST, "--json"]);
    expect(created.code, created.stderr).toBe(EXIT.ok);
    auth = { authorization: `Bearer ${(JSON.parse(created.stdout) as { adminKey: string }).adminKey}` };
  });
  afterAll(async () => {
    await platform?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it("is restarted by the platform, which says so; every acknowledged write is still there", async () => {
    const acknowledged = new Set<string>();
    let refused = 0;
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i += 1) {
        try {
          // A request caught by the kill may never be answered: after 10 s it counts as refused (it
          // was not acknowledged), and the writer goes on; progress after the restart is asserted below.
          const reply = await requestTenant(platform.trafficUrl, HOST, "POST", "/api/products", {
            headers: auth,
            body: { name: `phoenix-${w}-${i}` },
            timeoutMs: 10_000,
          });
          if (reply.status === 201) acknowledged.add((reply.json() as { id: string }).id);
          else refused += 1;
        } catch {
          refused += 1; // Connection refused or reset while workerd is down: not acknowledged.
          await new Promise((done) => setTimeout(done, 50));
        }
      }
    };
    let settled = 0;
    const writers = [0, 1, 2, 3].map((w) => writer(w).finally(() => (settled += 1)));

    const state = () => `acknowledged ${acknowledged.size}, refused ${refused}; platform log:\n${logged.join("\n")}`;
    expect(await waitFor(() => acknowledged.size >= 20, 60_000), `before the kill: ${state()}`).toBe(true);
    const before = platform.workerdPid();
    expect(before).toBeDefined();
    process.kill(before!, "SIGKILL");
    const ackedAtKill = acknowledged.size;

    expect(await waitFor(() => logged.some((line) => /restarted/.test(line)), 30_000), state()).toBe(true);
    expect(await waitFor(() => acknowledged.size >= ackedAtKill + 20, 60_000), `after the restart: ${state()}`).toBe(
      true,
    );
    stop = true;
    // Each writer's request in flight ends within its 10 s timeout.
    expect(await waitFor(() => settled === writers.length, 30_000), `writers still running: ${state()}`).toBe(true);
    await Promise.all(writers);
    const after = platform.workerdPid();
    expect(after).toBeDefined();
    expect(after).not.toBe(before);

    const present = new Set<string>();
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
      const page = await requestTenant(platform.trafficUrl, HOST, "GET", `/api/products?limit=100${query}`, {
        headers: auth,
        timeoutMs: 30_000,
      });
      expect(page.status, page.body).toBe(200);
      const json = page.json() as { items: { id: string }[]; nextCursor: string | null };
      for (const item of json.items) present.add(item.id);
      cursor = json.nextCursor;
    } while (cursor !== null);
    const lost = [...acknowledged].filter((id) => !present.has(id));
    console.log(`acknowledged ${acknowledged.size}, present ${present.size}, lost ${lost.length}, refused ${refused}`);
    expect(lost).toEqual([]);

    // The Cloudflare API reaches the database again too (its proxies into the dead workerd are gone).
    const query = await fetch(
      `${platform.apiUrl}/accounts/${platform.accountId}/d1/database/wfp-tenant-phoenix/query`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ sql: "SELECT count(*) AS n FROM products" }),
        signal: AbortSignal.timeout(30_000),
      },
    );
    const answer = (await query.json()) as { success: boolean; result: { results: { n: number }[] }[] };
    expect(answer.success, JSON.stringify(answer)).toBe(true);
    expect(answer.result[0]!.results[0]!.n).toBe(present.size);
    // Its waits are bounded (60 + 30 + 60 s) on a busy machine; the default 60 s would cut them short.
  }, 180_000);
});

describe.skipIf(!existsSync("/proc/self/stat"))("the platform's process dies", () => {
  it("takes its workerd with it, so no orphan holds the ports or the data", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "wfp-orphan-"));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(root, "tests/support/platform-child.ts"), stateDir],
      {
        cwd: root,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    try {
      const lines = createInterface({ input: child.stdout! });
      const first = await new Promise<string>((done, fail) => {
        lines.once("line", done);
        child.once("exit", (code) => fail(new Error(`the platform process exited with ${code}`)));
      });
      const { workerdPid } = JSON.parse(first) as { workerdPid: number | null };
      expect(workerdPid).toEqual(expect.any(Number));
      expect(gone(workerdPid!)).toBe(false);
      child.kill("SIGKILL");
      expect(await waitFor(() => gone(workerdPid!), 15_000)).toBe(true);
    } finally {
      child.kill("SIGKILL");
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
