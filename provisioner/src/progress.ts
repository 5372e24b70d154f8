/**
 * Step events: every tenant operation reports each step as it starts and ends, so the CLI can
 * print progress as it happens and `--json` can carry the same list.
 */

export type StepName =
  | "build"
  | "backup"
  | "lease"
  | "check"
  | "tenant-record"
  | "d1"
  | "migrations"
  | "kv"
  | "worker"
  | "custom-hostname"
  | "regional-hostname"
  | "route-record"
  | "dispatch-namespace"
  | "dispatcher"
  | "worker-route"
  | "dns-record"
  | "fallback-origin";

/** What a finished step did. "adopted" and "unchanged" are the no-op outcomes. */
export type StepOutcome =
  | "built"
  | "checked"
  | "created"
  | "adopted"
  | "updated"
  | "unchanged"
  | "uploaded"
  | "applied"
  | "written"
  | "deleted"
  | "already gone"
  | "skipped"
  | "waited";

export interface StepStart {
  phase: "start";
  step: StepName;
  label: string;
}

export interface StepDone {
  phase: "done";
  step: StepName;
  label: string;
  outcome: StepOutcome;
  detail?: string;
  durationMs: number;
}

export interface StepFailed {
  phase: "failed";
  step: StepName;
  label: string;
  error: string;
  durationMs: number;
}

export type ProgressEvent = StepStart | StepDone | StepFailed;
export type ProgressListener = (event: ProgressEvent) => void;

/** The outcomes that change nothing. */
const NO_OP_OUTCOMES: ReadonlySet<StepOutcome> = new Set([
  "built",
  "checked",
  "adopted",
  "unchanged",
  "already gone",
  "skipped",
  "waited",
]);

/**
 * Runs steps, timing each and reporting it; keeps the finished ones for the result.
 *
 * @example
 *   const steps = new StepRunner(onProgress);
 *   const db = await steps.run("d1", "D1 database wfp-tenant-acme", async () => {
 *     const { database, action } = await ensureD1Database(target, props);
 *     return { value: database, outcome: action, detail: "jurisdiction eu" };
 *   });
 */
export class StepRunner {
  readonly done: StepDone[] = [];

  constructor(private readonly listener: ProgressListener = () => undefined) {}

  async run<T>(
    step: StepName,
    label: string,
    body: () => Promise<{ value: T; outcome: StepOutcome; detail?: string | undefined }>,
  ): Promise<T> {
    const started = performance.now();
    this.emit({ phase: "start", step, label });
    try {
      const { value, outcome, detail } = await body();
      const event: StepDone = {
        phase: "done",
        step,
        label,
        outcome,
        ...(detail ? { detail } : {}),
        durationMs: Math.round(performance.now() - started),
      };
      this.done.push(event);
      this.emit(event);
      return value;
    } catch (error) {
      this.emit({
        phase: "failed",
        step,
        label,
        error: error instanceof Error ? error.message : String(error),
        durationMs: Math.round(performance.now() - started),
      });
      throw error;
    }
  }

  /**
   * Record a step that was not run through {@link run} (one known only once it is over).
   *
   * @example
   *   steps.report({ step: "lease", label: "Lease on tenant acme", outcome: "waited", durationMs: 3100 });
   */
  report(step: Omit<StepDone, "phase">): void {
    const event: StepDone = { phase: "done", ...step };
    this.done.push(event);
    this.emit(event);
  }

  /** True when any finished step changed something. */
  changedAnything(): boolean {
    return this.done.some((s) => !NO_OP_OUTCOMES.has(s.outcome));
  }

  private emit(event: ProgressEvent): void {
    // A broken listener (say, a closed stdout) must not fail the provisioning itself.
    try {
      this.listener(event);
    } catch {
      /* ignored on purpose */
    }
  }
}

/**
 * One progress line for a finished or failed step; nothing for a start.
 *
 * @example
 *   formatProgress({
 *     phase: "done",
 *     step: "d1",
 *     label: "D1 database wfp-tenant-acme",
 *     outcome: "created",
 *     detail: "jurisdiction eu",
 *     durationMs: 210,
 *   })
 *   // "✓ D1 database wfp-tenant-acme (created, jurisdiction eu) 0.2s"
 */
export function formatProgress(event: ProgressEvent): string | undefined {
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
  if (event.phase === "start") return undefined;
  if (event.phase === "failed") return `✗ ${event.label}: ${event.error.split("\n")[0]} ${seconds(event.durationMs)}`;
  const inside = [event.outcome, event.detail].filter(Boolean).join(", ");
  return `✓ ${event.label} (${inside}) ${seconds(event.durationMs)}`;
}
