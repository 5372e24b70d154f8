/**
 * `npm run fleet -- usage`: requests, errors and latency per tenant and per route, from Workers
 * Analytics Engine, and each tenant's database size; `--enforce` also applies the monthly quotas
 * (usage/quota-enforcement.ts), `--publish` writes each tenant's figures where it reads them.
 * docs/usage.md describes the figures and their lag.
 */
import { InputError } from "../errors.ts";
import { listTenantIds } from "../tenant-record-store.ts";
import { REGISTRY_REF_PATTERN } from "../tenant-names.ts";
import { enforceQuotas, type QuotaDecision } from "../usage/quota-enforcement.ts";
import {
  type PublishOutcome,
  publishUsage,
  readUsage,
  type TenantUsage,
  type UsageFigures,
} from "../usage/usage-report.ts";
import { monthStart, parseSince } from "../usage/usage-since.ts";
import { FLEET_EXIT, type FleetCommand } from "./fleet-command.ts";

const USAGE = `Usage: npm run fleet -- usage [--tenant <id>] [--since <time>] [--no-sizes] [--enforce] [--publish]
                                [--json]

Requests, 4xx and 5xx answers, and p50/p99 latency (ms, through the dispatcher) per registry (acme,
acme:staging: each a unit, as in tenant list) and per route template, from the dispatcher's data
points in Workers Analytics Engine (dataset wfp_usage), and each registry's D1 database size.
Figures lag the traffic by up to a few minutes.

  --tenant <id>    one tenant (all its registries) or one registry (<tenant>:<registry>)
  --since <time>   from a date (2026-12-01), a UTC time (2026-12-01T09:30:00Z) or an age (30m, 24h,
                   7d); default: the start of this month (UTC); at most 92 days ago
  --no-sizes       skip the database sizes (one API call per tenant)
  --enforce        also mark tenants past their plan's monthly request quota (from the start of the
                   month, whatever --since says): the dispatcher answers them 429 quota_exceeded
                   until the month ends. Run it from cron, e.g. every 5 minutes.
  --publish        also write each tenant's figures for the month into its own database, where its
                   admins read them at GET /api/usage (one API call per tenant: e.g. hourly)
  --json           one JSON document on stdout

Progress goes to stderr. Exit 0, 1 when the API failed (or a tenant could not be published to), 2 on
bad usage.`;

function fmt(n: number): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: 0 });
}

function ms(n: number): string {
  return n.toFixed(1);
}

function size(bytes: number | null): string {
  if (bytes === null) return "-";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

function row(label: string, f: UsageFigures, extra: string, width: number): string {
  return [
    label.padEnd(width),
    fmt(f.requests).padStart(12),
    fmt(f.clientErrors).padStart(9),
    fmt(f.serverErrors).padStart(9),
    ms(f.p50Ms).padStart(9),
    ms(f.p99Ms).padStart(9),
    extra.padStart(10),
  ].join("  ");
}

function text(
  tenants: readonly TenantUsage[],
  since: string,
  decisions: QuotaDecision[] | undefined,
  published: PublishOutcome[] | undefined,
): string {
  const width = Math.max(
    20,
    ...tenants.map((t) => t.ref.length),
    ...tenants.flatMap((t) => t.routes.map((r) => r.route.length + 2)),
  );
  const header = [
    "tenant / route".padEnd(width),
    "requests".padStart(12),
    "4xx".padStart(9),
    "5xx".padStart(9),
    "p50 ms".padStart(9),
    "p99 ms".padStart(9),
    "database".padStart(10),
  ].join("  ");
  const lines = [`Usage since ${since} (Workers Analytics Engine; lags up to a few minutes)`, "", header];
  for (const t of tenants) {
    lines.push(row(t.ref, t, size(t.databaseBytes), width));
    for (const r of t.routes) lines.push(row(`  ${r.route}`, r, "", width));
  }
  if (tenants.length === 0) lines.push("(no tenants)");
  if (decisions !== undefined) {
    const over = decisions.filter((d) => d.exceededUntil !== undefined);
    lines.push("", `Quotas: ${over.length} tenant(s) past their monthly requests`);
    for (const d of over)
      lines.push(
        `  ${d.tenantId} (${d.plan}): ${fmt(d.requests)} of ${fmt(d.monthlyRequests)}, refused until ` +
          `${d.exceededUntil} (${d.hostsUpdated} route record(s) updated)`,
      );
  }
  if (published !== undefined) {
    const count = (outcome: PublishOutcome["outcome"]) => published.filter((p) => p.outcome === outcome).length;
    lines.push(
      "",
      `Published to ${count("published")} tenant(s) (GET /api/usage); ${count("no database")} without a database, ` +
        `${count("failed")} failed`,
    );
    for (const p of published.filter((o) => o.outcome === "failed")) lines.push(`  ${p.ref}: ${p.error}`);
  }
  return `${lines.join("\n")}\n`;
}

export const fleetUsage: FleetCommand = {
  name: "usage",
  summary: "requests, errors, latency per tenant and route, database sizes; --enforce quotas",
  usage: USAGE,
  options: {
    tenant: { type: "string" },
    since: { type: "string" },
    "no-sizes": { type: "boolean", default: false },
    enforce: { type: "boolean", default: false },
    publish: { type: "boolean", default: false },
  },
  validate(values, positionals) {
    const problems: string[] = [];
    if (positionals.length > 0) problems.push(`unexpected argument(s): ${positionals.join(" ")}`);
    const tenant = values.tenant;
    if (typeof tenant === "string" && !REGISTRY_REF_PATTERN.test(tenant))
      problems.push(
        `--tenant '${tenant}' is not a tenant id (lower-case letters, digits and -, 3 to 32) ` +
          "or a registry (<tenant>:<registry>)",
      );
    try {
      parseSince(typeof values.since === "string" ? values.since : undefined, Date.now());
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems);
    }
    return problems;
  },
  async run({ values, target, io, json }) {
    const now = Date.now();
    const since = parseSince(typeof values.since === "string" ? values.since : undefined, now);
    const ref = typeof values.tenant === "string" ? values.tenant : undefined;
    // Every registry (each a unit, as `tenant list` shows them); --tenant keeps one tenant's or one.
    const ids = await listTenantIds(target);
    let lastShown = 0;
    const report = await readUsage(target, ids, {
      since,
      ...(ref === undefined ? {} : { ref }),
      sizes: values["no-sizes"] !== true,
      now,
      onProgress: (done, total) => {
        if (total >= 50 && (done === total || Date.now() - lastShown > 2000)) {
          lastShown = Date.now();
          io.stderr(`database sizes: ${done}/${total}\n`);
        }
      },
    });
    let decisions: QuotaDecision[] | undefined;
    let published: PublishOutcome[] | undefined;
    if (values.enforce === true || values.publish === true) {
      // Both work on the month so far, whatever --since says.
      const month =
        since.getTime() === monthStart(now).getTime()
          ? report
          : await readUsage(target, ids, {
              since: monthStart(now),
              sizes: false,
              now,
              ...(ref === undefined ? {} : { ref }),
            });
      if (values.enforce === true)
        decisions = await enforceQuotas(target, new Map(month.tenants.map((t) => [t.ref, t.requests])), now);
      if (values.publish === true)
        published = await publishUsage(target, month, (done, total) => {
          if (total >= 50 && (done === total || done % 100 === 0)) io.stderr(`published: ${done}/${total}\n`);
        });
    }
    const failed = (published ?? []).filter((p) => p.outcome === "failed");
    if (json) {
      const document = {
        ok: failed.length === 0,
        command: "usage",
        ...report,
        ...(decisions ? { quotas: decisions } : {}),
        ...(published ? { published } : {}),
      };
      io.stdout(`${JSON.stringify(document, null, 2)}\n`);
    } else {
      io.stdout(text(report.tenants, report.since, decisions, published));
    }
    return failed.length === 0 ? FLEET_EXIT.ok : FLEET_EXIT.failure;
  },
};
