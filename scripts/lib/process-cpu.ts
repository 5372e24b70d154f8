/**
 * The CPU time a benchmark's processes spent, for figures that hold on a busy machine: a request's
 * throughput on 2 shared cores moves with whatever else runs, its CPU time much less. Linux only
 * (it reads /proc); elsewhere `processCpu` answers null and the benches leave the CPU figures out.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Linux's USER_HZ: /proc's utime and stime are in these ticks (100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;

/** CPU milliseconds, split between this Node process and its descendants (workerd: the Workers and D1). */
export interface ProcessCpu {
  selfMs: number;
  childrenMs: number;
}

/**
 * The CPU this process and every live descendant of it have used so far (user + system). A
 * descendant that exited since an earlier reading drops out: compare readings over spans where
 * the platform's processes live throughout (a benchmark's measured phase).
 *
 * @example
 *   const before = processCpu();
 *   await runBatch(300, 4, register);
 *   const spent = cpuSpent(before, processCpu()); // { selfMs, childrenMs }
 */
export function processCpu(): ProcessCpu | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name (field 2) may hold spaces and parentheses: the fields after it start past the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // From field 3 on: state(0) ppid(1) ... utime(11) stime(12).
      parent.set(Number(entry), Number(fields[1]));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The process exited while we read: it is not counted.
    }
  }
  const descends = (pid: number): boolean => {
    for (let at = parent.get(pid); at !== undefined && at > 1; at = parent.get(at)) if (at === process.pid) return true;
    return false;
  };
  let childTicks = 0;
  for (const [pid, used] of ticks) if (descends(pid)) childTicks += used;
  const self = process.cpuUsage();
  return { selfMs: (self.user + self.system) / 1000, childrenMs: (childTicks * 1000) / TICKS_PER_SECOND };
}

/** What was spent between two readings (null when either is). */
export function cpuSpent(before: ProcessCpu | null, after: ProcessCpu | null): ProcessCpu | null {
  if (before === null || after === null) return null;
  return { selfMs: after.selfMs - before.selfMs, childrenMs: after.childrenMs - before.childrenMs };
}
