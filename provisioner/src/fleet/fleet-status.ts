/**
 * `npm run fleet -- status`: who runs what, from one listing of the fleet's scripts by tag per
 * 1,000 tenants, the tenant ids (one key listing per 1,000) and the rollout record.
 */
import { listTenantIds } from "../tenant-record-store.ts";
import { FLEET_EXIT, type FleetCommand } from "./fleet-command.ts";
import { listFleet, readRolloutRecord } from "./rollout.ts";

const USAGE = `Usage: npm run fleet -- status [--json]

Tenants per template version (tpl-<hash>) and per migration level (mig-<NNNN>), the rollout in
progress or halted with the tenants it has still to move, suspended tenants, and tenants with
problems (a script without a tenant record, a record without a script, a script without a version).
Reads only: one listing per 1,000 tenants, whatever the fleet's size. Exit 0, or 1 when a tenant
has a problem or a rollout is halted.`;

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

export const fleetStatus: FleetCommand = {
  name: "status",
  summary: "tenants per template version and migration level, rollouts, suspended, problems",
  usage: USAGE,
  options: {},
  async run({ target, io, json }) {
    const [fleet, ids, record] = await Promise.all([
      listFleet(target),
      listTenantIds(target),
      readRolloutRecord(target),
    ]);
    const scripts = new Set(fleet.map((m) => m.tenantId));
    const records = new Set(ids);
    const problems = [
      ...fleet.filter((m) => !records.has(m.tenantId)).map((m) => `${m.tenantId}: a script without a tenant record`),
      ...ids.filter((id) => !scripts.has(id)).map((id) => `${id}: a tenant record without a script`),
      ...fleet.filter((m) => m.version === undefined).map((m) => `${m.tenantId}: a script without a version tag`),
    ];
    const pending =
      record && (record.state === "running" || record.state === "halted")
        ? fleet.filter((m) => m.version !== record.to.tag).map((m) => m.tenantId)
        : [];
    const report = {
      tenants: fleet.length,
      versions: countBy(fleet.map((m) => m.version ?? "none")),
      migrationLevels: countBy(fleet.map((m) => m.migrationLevel ?? "unknown")),
      rollout: record ? { to: record.to.tag, state: record.state, pending, failed: record.failed } : null,
      suspended: fleet.filter((m) => m.suspended).map((m) => m.tenantId),
      problems,
    };
    if (json) io.stdout(`${JSON.stringify({ ok: true, command: "status", ...report }, null, 2)}\n`);
    else {
      const list = (counts: Record<string, number>) =>
        Object.entries(counts)
          .map(([k, n]) => `${k} ${n}`)
          .join(", ") || "none";
      const toMove = pending.length > 0 ? `, ${pending.length} to move: ${pending.join(", ")}` : "";
      const rolloutLine = record ? `${record.state} to ${record.to.tag}${toMove}` : "none yet";
      io.stdout(
        [
          `${report.tenants} tenant(s)`,
          `  versions           ${list(report.versions)}`,
          `  migration levels   ${list(report.migrationLevels)}`,
          `  rollout            ${rolloutLine}`,
          `  suspended          ${report.suspended.join(", ") || "none"}`,
          `  problems           ${problems.length === 0 ? "none" : ""}`,
          ...problems.map((p) => `    - ${p}`),
          "",
        ].join("\n"),
      );
    }
    return problems.length > 0 || record?.state === "halted" ? FLEET_EXIT.failure : FLEET_EXIT.ok;
  },
};
