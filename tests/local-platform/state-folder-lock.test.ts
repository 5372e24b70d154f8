/**
 * One platform per state folder, and a busy port refused in one line: what a second `npm start`
 * meets when a folder or a port is already in use. Platforms here start in their own temp folders
 * on free ports; the CLI runs as a child process (scripts/start.ts exits).
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { LOCK_FILE, StateFolderInUseError } from "../../infra/local-platform/state-folder-lock.ts";
import { REPO_ROOT } from "../../scripts/lib/worker-bundles.ts";

const LOCK_MODULE = join(REPO_ROOT, "infra/local-platform/state-folder-lock.ts");
const RACERS = 4;

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const portOf = (url: string) => Number(new URL(url).port);

/** A pid that is not running: a process that has exited (and been reaped). */
function deadPid(): number {
  const { pid, status } = spawnSync(process.execPath, ["-e", ""]);
  expect(status).toBe(0);
  return pid!;
}

/**
 * Runs `npm start -- <args>` (scripts/start.ts on this Node) to its exit. A start that gets as far
 * as "ready" is stopped at once, so a test of a refusal fails on the exit code instead of hanging.
 */
function runStart(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "scripts/start.ts"), ...args], {
      cwd: REPO_ROOT,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      if (stdout.includes("Local platform ready")) child.kill("SIGTERM");
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A plain server on a free loopback port, standing for any other program that holds it. */
async function occupiedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen({ host: "127.0.0.1", port: 0 }, done));
  onTestFinished(() => new Promise<void>((done) => server.close(() => done())));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("no address");
  return address.port;
}

describe("a state folder a running platform holds", () => {
  let held: LocalPlatform;
  let heldDir: string;
  beforeAll(async () => {
    heldDir = mkdtempSync(join(tmpdir(), "wfp-held-"));
    held = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir: heldDir });
  });
  afterAll(async () => {
    await held?.close();
    rmSync(heldDir, { recursive: true, force: true });
  });

  it("refuses a second startLocalPlatform, naming the holder's pid and ports", async () => {
    const refusal = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir: heldDir }).then(
      () => new Error("the second platform started"),
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(StateFolderInUseError);
    const { holder } = refusal as StateFolderInUseError;
    expect(holder).toMatchObject({
      pid: process.pid,
      port: portOf(held.trafficUrl),
      apiPort: portOf(held.apiUrl),
    });
    expect((refusal as Error).message).toContain(
      `pid ${process.pid}, traffic port ${portOf(held.trafficUrl)}, API port ${portOf(held.apiUrl)}`,
    );
    // The refused start left the holder's lock as it was, and the holder serves.
    expect(JSON.parse(readFileSync(join(heldDir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    expect((await fetch(`${held.trafficUrl}/health`)).status).toBe(200);
  });

  it("npm start on it exits 2 with one line naming the holder's pid, ports and --state", async () => {
    const { code, stdout, stderr } = await runStart(["--state", heldDir, "--port", "0", "--api-port", "0"]);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `The local platform could not start: ${heldDir} is in use by another local platform ` +
        `(pid ${process.pid}, traffic port ${portOf(held.trafficUrl)}, API port ${portOf(held.apiUrl)}); ` +
        "stop it, or give this one another folder with --state <dir>.\n",
    );
    expect(code).toBe(2);
  });
});

describe("the lock's lifetime", () => {
  it("is released by close(): the next start on the folder succeeds", async () => {
    const stateDir = tempDir("wfp-reopen-");
    const first = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir });
    await first.close();
    expect(existsSync(join(stateDir, LOCK_FILE))).toBe(false);
    const second = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir });
    onTestFinished(() => second.close());
    expect(second.accountId).toBe(first.accountId);
    expect(JSON.parse(readFileSync(join(stateDir, LOCK_FILE), "utf8"))).toMatchObject({
      pid: process.pid,
      port: portOf(second.trafficUrl),
    });
  });

  it("left by a process that is not running (a crash, SIGKILL), is taken over", async () => {
    const stateDir = tempDir("wfp-stale-");
    const stale = { pid: deadPid(), port: 8787, apiPort: 8788, startedAt: "2026-01-01T00:00:00.000Z", token: "x" };
    writeFileSync(join(stateDir, LOCK_FILE), JSON.stringify(stale));
    const platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir });
    onTestFinished(() => platform.close());
    expect(JSON.parse(readFileSync(join(stateDir, LOCK_FILE), "utf8"))).toMatchObject({
      pid: process.pid,
      port: portOf(platform.trafficUrl),
    });
  });

  it("has exactly one winner when several processes race for a stale one", async () => {
    const stateDir = tempDir("wfp-race-");
    writeFileSync(
      join(stateDir, LOCK_FILE),
      JSON.stringify({ pid: deadPid(), port: 1, apiPort: 2, startedAt: "2026-01-01T00:00:00.000Z", token: "x" }),
    );
    // Each waits for "go" once loaded, so they try within moments of each other, not as they happen
    // to load; each holds what it took until its stdin closes, so a later one cannot win a lock
    // released meanwhile.
    const racer = `
      import { StateFolderLock, StateFolderInUseError } from ${JSON.stringify(LOCK_MODULE)};
      import { createInterface } from "node:readline";
      const lines = createInterface({ input: process.stdin });
      console.log("loaded");
      await new Promise((go) => lines.once("line", go));
      try {
        await StateFolderLock.acquire(${JSON.stringify(stateDir)}, { port: 1, apiPort: 2 });
        console.log("won");
      } catch (error) {
        console.log(error instanceof StateFolderInUseError ? "refused " + error.holder.pid : "failed " + error);
      }
      lines.once("close", () => process.exit(0));`;
    const racers: ChildProcessWithoutNullStreams[] = Array.from({ length: RACERS }, () =>
      spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", racer], { cwd: REPO_ROOT }),
    );
    onTestFinished(() => {
      for (const child of racers) child.kill();
    });
    const said = racers.map((child) => {
      const lines: string[] = [];
      child.stdout.setEncoding("utf8").on("data", (text: string) => lines.push(...text.trim().split("\n")));
      return lines;
    });
    const saying = (n: number) =>
      Promise.all(
        racers.map(
          (child, i) =>
            new Promise<void>((done, fail) => {
              const check = () => (said[i]!.length >= n ? done() : undefined);
              child.stdout.on("data", check);
              child.once("exit", () => fail(new Error(`racer ${i} exited having said ${said[i]!.join(", ")}`)));
              check();
            }),
        ),
      );
    await saying(1);
    for (const child of racers) child.stdin.write("go\n");
    await saying(2);
    const outcomes = said.map((lines) => lines[1]!);
    const winners = racers.filter((_, i) => outcomes[i] === "won");
    expect(winners).toHaveLength(1);
    expect(outcomes.filter((o) => o !== "won")).toEqual(Array(RACERS - 1).fill(`refused ${winners[0]!.pid}`));
    expect(JSON.parse(readFileSync(join(stateDir, LOCK_FILE), "utf8")).pid).toBe(winners[0]!.pid);

    // The winner releases it when it exits.
    const exited = racers.map((child) => new Promise((done) => child.once("exit", done)));
    for (const child of racers) child.stdin.end();
    await Promise.all(exited);
    expect(existsSync(join(stateDir, LOCK_FILE))).toBe(false);
  });
});

describe("npm start on a busy port", () => {
  it("exits 2 with one line naming --port or --api-port, and none of workerd's output", async () => {
    const busy = await occupiedPort();
    const [traffic, api] = await Promise.all([
      runStart(["--state", tempDir("wfp-busy-"), "--port", String(busy), "--api-port", "0"]),
      runStart(["--state", tempDir("wfp-busy-"), "--port", "0", "--api-port", String(busy)]),
    ]);
    expect(traffic).toEqual({
      code: 2,
      stdout: "",
      stderr:
        `The local platform could not start: port ${busy} (--port) is in use by another program; ` +
        "stop it, or pick another with --port <n>.\n",
    });
    expect(api).toEqual({
      code: 2,
      stdout: "",
      stderr:
        `The local platform could not start: port ${busy} (--api-port) is in use by another program; ` +
        "stop it, or pick another with --api-port <n>.\n",
    });
  });
});
