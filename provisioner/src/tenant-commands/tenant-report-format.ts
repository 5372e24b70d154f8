/**
 * How the tenant commands print a tenant: the facts after create, show's report, list's table,
 * delete's last line. Pure functions of the library's results.
 */
import { describeRef } from "../errors.ts";
import type { RouteWithLocalUrl } from "../local-urls.ts";
import type { CreateTenantResult, DeleteTenantResult, TenantReport, TenantSummary } from "../tenant.ts";

export function indent(lines: readonly string[], prefix = "  "): string {
  return lines.map((l) => `${prefix}${l}`).join("\n");
}

function formatHostnames(report: TenantReport): string[] {
  return report.resources.routes.flatMap(({ hostname, record, localUrl }: RouteWithLocalUrl) => {
    const custom = report.resources.customHostnames.find((h) => h.hostname === hostname);
    // A regional hostname of its own (made before issue 11), else its residency's regional target.
    const regional =
      report.resources.regionalHostnames.find((h) => h.hostname === hostname) ??
      report.resources.regionalHostnames.find(
        (h) => h.hostname !== hostname && !report.spec?.domains.includes(h.hostname),
      );
    const parts = [
      custom ? `custom hostname ${custom.status ?? "?"} (ssl ${custom.sslStatus ?? "?"})` : "no custom hostname",
      ...(regional ? [`regional ${regional.regionKey} (via ${regional.hostname})`] : []),
      record
        ? `route -> ${record.script} (${record.status}, plan ${record.plan}` +
          (record.rateLimit
            ? `, ${record.rateLimit.requestsPerMinute}/min, ${record.rateLimit.keyRequestsPerMinute}/min per key`
            : "") +
          (record.corsOrigins && record.corsOrigins.length > 0 ? `, CORS ${record.corsOrigins.join(" ")}` : "") +
          ")"
        : "no route",
    ];
    const line = `${hostname}  ${parts.join(", ")}`;
    return localUrl === undefined ? [line] : [line, `  local URL (no DNS needed): ${localUrl}`];
  });
}

export function formatDns(report: Pick<TenantReport, "dns">): string {
  const lines = report.dns.records.map((r) => `${r.type.padEnd(5)} ${r.name} -> ${r.value}   (${r.purpose})`);
  const body = lines.length > 0 ? indent(lines) : "  (none)";
  return `DNS records the tenant must add:\n${body}${report.dns.note ? `\n  Note: ${report.dns.note}` : ""}`;
}

function formatResidency(report: TenantReport): string {
  const r = report.residency;
  if (!r) return "Residency: unknown (no tenant record)";
  return [
    `Residency ${r.residency}: ` +
      `D1 ${r.d1Jurisdiction ? `jurisdiction ${r.d1Jurisdiction}` : `location hint ${r.d1LocationHint}`}, ` +
      `read replication ${r.readReplication}, ` +
      `regional hostnames ${r.regionalHostnameRegion ?? "none"}, KV cache ${r.cacheMode}`,
    "  Guaranteed:",
    r.guarantees.length > 0 ? indent(r.guarantees, "    - ") : "    (nothing about where data is)",
    ...(r.bestEffort.length > 0 ? ["  Best effort:", indent(r.bestEffort, "    - ")] : []),
    "  Not guaranteed:",
    indent(r.nonGuarantees, "    - "),
    ...(r.notes.length > 0 ? ["  Notes:", indent(r.notes, "    - ")] : []),
  ].join("\n");
}

export function formatCreate(result: CreateTenantResult): string {
  const headline = result.changed
    ? `${refLabel(result.id)} is active (template ${result.templateTag}).`
    : `${refLabel(result.id)} was already complete: nothing changed.`;
  const key =
    result.adminKey !== undefined
      ? [
          "Admin API key - shown ONCE, store it now (e.g. in a password manager); it cannot be shown again:",
          `  ${result.adminKey}`,
        ].join("\n")
      : "Admin key unchanged: the key issued when this tenant was first completed still applies.";
  return [
    "",
    headline,
    "",
    `Hostnames:\n${indent(formatHostnames(result))}`,
    "",
    `${formatKv(result.resources.kv)}: ${result.kvModeReason}.`,
    "",
    formatDns(result),
    "",
    formatResidency(result),
    "",
    key,
    "",
  ].join("\n");
}

/**
 * The tenant's cache namespace in one line.
 *
 * @example
 *   formatKv({ title: "wfp-cache-shared", id: "9f1c", mode: "shared", prefix: "t/acme/0f2a/" })
 *   // "KV cache shared: wfp-cache-shared (9f1c), keys under t/acme/0f2a/"
 */
function formatKv(kv: TenantReport["resources"]["kv"]): string {
  if (kv === undefined) return "KV cache namespace missing";
  const where = `${kv.title} (${kv.id})`;
  return kv.mode === "shared"
    ? `KV cache shared: ${where}, keys under ${kv.prefix ?? "?"}`
    : `KV cache dedicated: ${where}`;
}

export function formatShow(report: TenantReport): string {
  const r = report.resources;
  const d1 = r.d1
    ? `${r.d1.name} (${r.d1.id}${r.d1.jurisdiction ? `, jurisdiction ${r.d1.jurisdiction}` : ""})`
    : "missing";
  const lines = [
    `${refLabel(report.id)}: ${report.status}${report.complete ? ", complete" : ", INCOMPLETE"}`,
    ...(report.spec
      ? [
          `  residency ${report.spec.residency}, plan ${report.spec.plan}, cache ${report.spec.cacheMode}, ` +
            `KV ${report.spec.kvMode}`,
        ]
      : []),
    ...(report.problems.length > 0 ? ["Problems:", indent(report.problems, "  - ")] : []),
    "Resources:",
    `  D1 database   ${d1}`,
    `  KV namespace  ${
      r.kv
        ? `${r.kv.title} (${r.kv.id}${r.kv.mode === "shared" ? `, shared, keys under ${r.kv.prefix ?? "?"}` : ""})`
        : "missing"
    }`,
    `  Worker        ${r.script ? `${r.script.name} [${r.script.tags.join(", ")}]` : "missing"}`,
    "",
    `Hostnames:\n${r.routes.length > 0 ? indent(formatHostnames(report)) : "  (none)"}`,
    "",
    formatDns(report),
    "",
    formatResidency(report),
    "",
  ];
  return lines.join("\n");
}

export function formatList(tenants: readonly TenantSummary[], { registryColumn = false } = {}): string {
  if (tenants.length === 0) return "No tenants.\n";
  const rows = tenants.map((t) => [
    t.id,
    ...(registryColumn ? [t.registry] : []),
    t.status,
    t.residency ?? "-",
    t.plan ?? "-",
    t.kvMode ?? "-",
    t.domains.join(", ") || "-",
  ]);
  const header = ["ID", ...(registryColumn ? ["REGISTRY"] : []), "STATUS", "RESIDENCY", "PLAN", "KV", "DOMAINS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

export function formatDelete(result: DeleteTenantResult): string {
  const what = refLabel(result.id);
  if (!result.existed) return `\n${what} does not exist: nothing to delete (nothing named after it was found).\n`;
  const skipped = result.skippedHostnames.map(
    (s) => `  ${s.hostname} is routed to ${describeRef(s.routedTo)} and was left alone`,
  );
  const registries = (result.registries ?? []).map((r) => formatDelete(r).trim());
  return [...registries, `\n${what} is deleted: nothing of it is left.`, ...skipped, ""].join("\n");
}

/**
 * A registry as the human output starts a sentence with it.
 *
 * @example
 *   refLabel("acme") // "Tenant acme"
 *   refLabel("acme:staging") // "Registry acme:staging"
 */
export function refLabel(ref: string): string {
  return ref.includes(":") ? `Registry ${ref}` : `Tenant ${ref}`;
}
