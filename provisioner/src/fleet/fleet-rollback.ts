/**
 * `npm run fleet -- rollback`: every tenant the last rollout moved, back on the version it ran
 * before, from the bundles rollouts keep (no source checkout needed).
 */
import { StateConflictError } from "../errors.ts";
import { readLocalTrafficUrl } from "../local-urls.ts";
import { FLEET_EXIT, type FleetCommand } from "./fleet-command.ts";
import { rollback } from "./rollout.ts";

const USAGE = `Usage: npm run fleet -- rollback [--yes] [--json]

Puts every tenant the last rollout moved back on the version it ran before, from the bundles the
rollout kept (KV values bundle:<tag> in the routing store), and checks each one's /health answers
it. Migrations stay: a rollout only applies migrations that expand the schema, which older code
ignores. Safe to re-run; one rollout or rollback at a time.

  --yes    do not ask for confirmation (needed when stdin is not a terminal)
  --json   one JSON object on stdout`;

export const fleetRollback: FleetCommand = {
  name: "rollback",
  summary: "put the tenants the last rollout moved back on their previous version",
  usage: USAGE,
  options: { yes: { type: "boolean", default: false } },
  async run({ values, target, io, json }) {
    if (values.yes !== true && !(io.interactive ?? process.stdin.isTTY === true)) {
      io.stderr("fleet rollback changes tenants: add --yes to run it without a terminal\n");
      return FLEET_EXIT.usage;
    }
    const out = json ? io.stderr : io.stdout;
    const trafficUrl = target.kind === "local" ? await readLocalTrafficUrl(target.baseURL) : undefined;
    try {
      const result = await rollback(target, {
        trafficUrl,
        onTenant: (e) => {
          if (e.phase === "moved") out(`✓ ${e.tenantId}: back on its previous version\n`);
          else if (e.phase === "failed") out(`✗ ${e.tenantId}: ${e.error}\n`);
        },
      });
      const failures = Object.keys(result.failed).length + result.unrecoverable.length;
      io.stdout(
        json
          ? `${JSON.stringify({ ok: failures === 0, command: "rollback", ...result }, null, 2)}\n`
          : `${result.restored.length} tenant(s) back from ${result.from}` +
              (result.unrecoverable.length > 0
                ? `; no bundle of the previous version for ${result.unrecoverable.join(", ")}`
                : "") +
              (failures > 0 ? "; run it again for the failed ones.\n" : ".\n"),
      );
      return failures === 0 ? FLEET_EXIT.ok : FLEET_EXIT.failure;
    } catch (error) {
      if (error instanceof StateConflictError) {
        io.stderr(`fleet rollback refused: ${error.message}\n`);
        return FLEET_EXIT.refused;
      }
      throw error;
    }
  },
};
