/**
 * One local platform per state folder. Two platforms on one folder would each run their own workerd
 * over the same files and each keep its own copy of state.json, overwriting what the other wrote (a
 * tenant created through one answered 503 through the other). The holder writes its pid and ports
 * to `<stateDir>/platform.lock`; a lock whose pid no longer runs (a crash, SIGKILL) is stale, and the
 * next start takes it over.
 *
 * The lock file appears whole or not at all: it is written under a temporary name and hard-linked
 * into place, which fails if the file exists, so of two starts racing for a folder exactly one wins.
 * A stale lock is removed only under a second, short-lived lock (a directory made with mkdir, which
 * is atomic too), after checking that it is still the same stale file: two starts that both found it
 * stale cannot remove each other's new lock.
 *
 * @example
 *   const lock = await StateFolderLock.acquire(".wfp", { port: 8787, apiPort: 8788 });
 *   lock.update({ port: 8787, apiPort: 8788 }); // once the ports are known (0 picks one)
 *   lock.release();
 */
import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const LOCK_FILE = "platform.lock";

/** What the lock file says about the platform that holds the folder. */
export interface LockHolder {
  pid: number;
  /** Tenant traffic; 0 while the holder has not chosen its port yet. */
  port: number;
  /** The Cloudflare-compatible API; 0 while the holder has not chosen its port yet. */
  apiPort: number;
  startedAt: string;
  /** Tells this holder's file from a later one of the same pid. */
  token: string;
}

export interface LockPorts {
  port: number;
  apiPort: number;
}

/** A start refused because another platform that is still running holds the folder. */
export class StateFolderInUseError extends Error {
  constructor(
    readonly stateDir: string,
    readonly holder: LockHolder,
  ) {
    super(`the state folder ${stateDir} is in use by another local platform (${describeHolder(holder)})`);
    this.name = "StateFolderInUseError";
  }
}

/** `pid 1234, traffic port 8787, API port 8788`; a port not chosen yet says so. */
export function describeHolder(holder: LockHolder): string {
  const port = (n: number) => (n === 0 ? "not chosen yet" : String(n));
  return `pid ${holder.pid}, traffic port ${port(holder.port)}, API port ${port(holder.apiPort)}`;
}

/** How long a takeover may hold its directory; one older was left by a start that died inside it. */
const TAKEOVER_STALE_MS = 5_000;
const MAX_ATTEMPTS = 1_000;

/** Locks this process holds, released when it exits without closing its platforms. */
const held = new Set<StateFolderLock>();
let exitHookInstalled = false;

export class StateFolderLock {
  private constructor(
    readonly path: string,
    private holder: LockHolder,
  ) {}

  /**
   * Takes the folder's lock, taking over a stale one; rejects with {@link StateFolderInUseError}
   * when a running process holds it (this one included: one platform per folder per machine).
   */
  static async acquire(stateDir: string, ports: LockPorts): Promise<StateFolderLock> {
    mkdirSync(stateDir, { recursive: true });
    const path = join(stateDir, LOCK_FILE);
    const holder: LockHolder = {
      pid: process.pid,
      ...ports,
      startedAt: new Date().toISOString(),
      token: randomBytes(16).toString("hex"),
    };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (createWhole(path, JSON.stringify(holder))) {
        const lock = new StateFolderLock(path, holder);
        held.add(lock);
        if (!exitHookInstalled) {
          exitHookInstalled = true;
          process.on("exit", () => {
            for (const lock of held) lock.release();
          });
        }
        return lock;
      }
      const found = readLock(path);
      if (found === undefined) continue; // released meanwhile: try again
      if (found.holder !== undefined && isRunning(found.holder.pid)) {
        throw new StateFolderInUseError(stateDir, found.holder);
      }
      await removeStale(path, found.text);
    }
    throw new Error(`could not take the lock ${path}: it kept changing`);
  }

  /** Records the ports the platform listens on, once it knows them. */
  update(ports: LockPorts): void {
    if (!held.has(this)) return;
    this.holder = { ...this.holder, ...ports };
    const tmp = temporaryName(this.path);
    writeFileSync(tmp, JSON.stringify(this.holder));
    renameSync(tmp, this.path);
  }

  /** Removes the lock file if it is still this holder's. Safe to call twice, and on exit. */
  release(): void {
    if (!held.delete(this)) return;
    try {
      if (readLock(this.path)?.holder?.token === this.holder.token) unlinkSync(this.path);
    } catch {
      // The folder was removed, or the file taken over: nothing of ours is left to remove.
    }
  }
}

function temporaryName(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
}

/** Creates `path` holding `text`, whole, unless it exists. */
function createWhole(path: string, text: string): boolean {
  const tmp = temporaryName(path);
  writeFileSync(tmp, text);
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The lock file's text and holder (undefined when it does not parse), or undefined when there is none. */
function readLock(path: string): { text: string; holder: LockHolder | undefined } | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    const valid =
      Number.isInteger(value.pid) &&
      (value.pid as number) > 0 &&
      Number.isInteger(value.port) &&
      Number.isInteger(value.apiPort) &&
      typeof value.token === "string";
    return { text, holder: valid ? (value as LockHolder) : undefined };
  } catch {
    return { text, holder: undefined };
  }
}

/** Whether a process with this pid runs (EPERM: it does, as another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes the lock file if it still holds `staleText`, under the takeover directory. */
async function removeStale(path: string, staleText: string): Promise<void> {
  const takeover = `${path}.takeover`;
  try {
    mkdirSync(takeover);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    let age = 0;
    try {
      age = Date.now() - statSync(takeover).mtimeMs;
    } catch {
      return; // finished meanwhile
    }
    if (age > TAKEOVER_STALE_MS) rmSync(takeover, { recursive: true, force: true });
    else await new Promise((done) => setTimeout(done, 10));
    return;
  }
  try {
    if (readLock(path)?.text === staleText) unlinkSync(path);
  } finally {
    rmSync(takeover, { recursive: true, force: true });
  }
}
