/** What an isolate tells its tenant's counter: the window it counts in and what it admitted since it last said. */
export interface CounterReport {
  /** The window's index: `Math.floor(now / windowMs)`, the same for every isolate. */
  window: number;
  /** Counter key -> requests admitted since this isolate's last report (0 to only ask). */
  counts: Record<string, number>;
}

/** The counter's answer: every isolate's reports for the window, the one just made included. */
export interface CounterTotals {
  window: number;
  /** Counter key -> requests all isolates together have reported in `window`. */
  totals: Record<string, number>;
}

/** The keys one tenant's counter keeps per window; more are answered but not kept (counted per isolate only). */
export const MAX_KEYS_PER_WINDOW = 10_000;

/**
 * Adds reports to a window's totals. A report for a newer window starts it afresh (every earlier
 * count is forgotten); one for an older window is not counted (those requests are already past).
 * Kept apart from the object so that its rules are tested without workerd.
 *
 * @example
 *   const table = new CounterTable();
 *   table.add({ window: 7, counts: { acme: 3 } }); // { window: 7, totals: { acme: 3 } }
 */
export class CounterTable {
  window = -1;
  readonly totals = new Map<string, number>();

  add(report: CounterReport): CounterTotals {
    if (report.window > this.window) {
      this.window = report.window;
      this.totals.clear();
    }
    const totals: Record<string, number> = {};
    for (const [key, count] of Object.entries(report.counts)) {
      const counted = report.window === this.window && Number.isSafeInteger(count) && count > 0 ? count : 0;
      const before = this.totals.get(key);
      const total = (before ?? 0) + counted;
      if (before !== undefined || this.totals.size < MAX_KEYS_PER_WINDOW) this.totals.set(key, total);
      totals[key] = total;
    }
    return { window: this.window, totals };
  }
}
