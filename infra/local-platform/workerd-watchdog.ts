/**
 * Keeps workerd from outliving the platform. Miniflare's workerd is a child of this process; if
 * this process is killed (SIGKILL, a crash) it has no chance to stop it, and an orphaned workerd
 * keeps the traffic port and the state folder's D1 files. The watchdog is a tiny `sh` in its own
 * process group reading workerd's pid from a pipe: when the pipe closes without an "exit" line
 * (this process is gone), it kills the last pid it was told.
 *
 * Finding workerd's pid: Miniflare does not expose it, so workerd is started with a random token in
 * its environment and found among this process's children in /proc (several platforms may run in
 * one process, as in tests). Without /proc (not Linux) there is no watchdog.
 *
 * @example
 *   const watchdog = startWorkerdWatchdog();
 *   watchdog.watch(findWorkerdPid(token));  // after every start or restart
 *   watchdog.stop();                        // on a clean close
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { Socket } from "node:net";

/** The environment variable that marks one platform's workerd. */
export const WORKERD_TOKEN_VARIABLE = "WFP_LOCAL_PLATFORM_TOKEN";

const SCRIPT =
  'last=""; while read -r pid; do if [ "$pid" = exit ]; then exit 0; fi; last="$pid"; done; ' +
  'if [ -n "$last" ]; then kill -KILL "$last" 2>/dev/null; fi; exit 0';

export interface WorkerdWatchdog {
  /** workerd's current pid (after a start or a restart). */
  watch(pid: number): void;
  /** A clean close: the watchdog exits without killing anything. */
  stop(): void;
}

/** Starts the watchdog; a no-op one where there is no /proc or no sh. */
export function startWorkerdWatchdog(): WorkerdWatchdog {
  if (!existsSync("/proc/self/stat")) return { watch() {}, stop() {} };
  const child = spawn("sh", ["-c", SCRIPT], { stdio: ["pipe", "ignore", "ignore"], detached: true });
  // Neither the watchdog nor its pipe may keep this process alive.
  child.unref();
  const input = child.stdin!;
  (input as unknown as Socket).unref?.();
  let open = true;
  const write = (line: string) => {
    if (open) input.write(`${line}\n`);
  };
  input.on("error", () => {
    open = false;
  });
  child.on("error", () => {
    open = false;
  });
  return {
    watch: (pid) => write(String(pid)),
    stop() {
      write("exit");
      open = false;
      input.end();
    },
  };
}

/** The pid of the live workerd started with this token, among this process's children. */
export function findWorkerdPid(token: string): number | undefined {
  if (!existsSync("/proc/self/stat")) return undefined;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces or parentheses, so read after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(ppid) !== process.pid || state === "Z") continue;
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (environ.includes(`${WORKERD_TOKEN_VARIABLE}=${token}`)) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}
