/**
 * `--since` of `npm run fleet -- usage`: an instant (`2026-12-01`, `2026-12-01T09:30:00Z`) or an age
 * (`30m`, `24h`, `7d`); by default the start of the month (UTC), which the monthly quota counts from.
 * Analytics Engine keeps three months, so an older start is refused rather than silently cut.
 */
import { InputError } from "../errors.ts";

/** Analytics Engine keeps three months (developers.cloudflare.com/analytics/analytics-engine/limits/). */
export const ANALYTICS_RETENTION_DAYS = 92;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The first instant of the month `now` is in, UTC.
 *
 * @example monthStart(Date.parse("2026-12-07T08:00:00Z")) // Date 2026-12-01T00:00:00Z
 */
export function monthStart(now: number): Date {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
}

/**
 * The first instant of the next month, UTC: when a monthly quota resets.
 *
 * @example nextMonthStart(Date.parse("2026-12-07T08:00:00Z")) // Date 2027-01-01T00:00:00Z
 */
export function nextMonthStart(now: number): Date {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
}

/**
 * Reads `--since`; throws {@link InputError} saying what is accepted.
 *
 * @example
 *   parseSince("7d", now)         // 7 days before now
 *   parseSince("2026-12-01", now) // 2026-12-01T00:00:00Z
 *   parseSince(undefined, now)    // the start of this month
 */
export function parseSince(value: string | undefined, now: number): Date {
  if (value === undefined) return monthStart(now);
  const age = /^(\d+)([mhd])$/.exec(value.trim());
  let since: Date;
  if (age !== null) {
    since = new Date(now - Number(age[1]) * UNIT_MS[age[2]!]!);
  } else if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value.trim())) {
    const text = value.trim();
    // A date alone, or a time without a zone, is UTC (as Analytics Engine's timestamps are).
    since = new Date(/T.*(Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text.includes("T") ? text : `${text}T00:00`}Z`);
  } else {
    throw new InputError([
      `--since '${value}' is not a time: give a date (2026-12-01), a UTC time (2026-12-01T09:30:00Z) ` +
        "or an age (30m, 24h, 7d)",
    ]);
  }
  if (Number.isNaN(since.getTime())) throw new InputError([`--since '${value}' is not a valid date`]);
  if (since.getTime() > now) throw new InputError([`--since '${value}' is in the future`]);
  if (now - since.getTime() > ANALYTICS_RETENTION_DAYS * 86_400_000)
    throw new InputError([
      `--since '${value}' is more than ${ANALYTICS_RETENTION_DAYS} days ago: Analytics Engine keeps three months`,
    ]);
  return since;
}
