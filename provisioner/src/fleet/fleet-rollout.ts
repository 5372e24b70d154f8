/**
 * `npm run fleet -- rollout`: the template as it is in this checkout, to every tenant (rollout.ts).
 */
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { readTargetSettings } from "../config.ts";
import { StateConflictError } from "../errors.ts";
import { readLocalTrafficUrl } from "../local-urls.ts";
import { readMigrations } from "../migrations.ts";
import { buildTemplate } from "../template-build.ts";
import { REGISTRY_REF_PATTERN } from "../tenant-names.ts";
import { FLEET_EXIT, type FleetCommand } from "./fleet-command.ts";
import { planRollout, type RolloutOptions, type RolloutPlan, runRollout, type TenantEvent } from "./rollout.ts";

const USAGE = `Usage: npm run fleet -- rollout [--canary <n> | --canary-tenants a,b] [--wave <n>]
                                [--max-failures <n|p%>] [--allow-contract] [--dry-run] [--yes] [--json]

Builds tenant-template/ once (its version is the build's tag, tpl-<hash>) and moves every tenant to
it: canary tenants first, then waves. Per tenant: its pending migrations, then the new code with
its own bindings and secrets, then its /health through the dispatcher must answer the new version
with a healthy D1; a tenant that does not is put back on the version it ran.

  --canary <n>              canary tenants, moved first (default 1); a failing canary halts
                            before any other tenant is touched
  --canary-tenants a,b      exactly these tenants as the canary
  --wave <n>                tenants per wave after the canary (default 50)
  --max-failures <n|p%>     failures allowed before halting, a count or a share of the fleet
                            (default 0: the first failure halts after its wave)
  --allow-contract          allow migrations that drop or rename a table or column (refused by
                            default: tenants run the old code while migrations apply)
  --dry-run                 print the plan (per tenant: code change, pending migrations; the API
                            calls and their time at the rate limit) and change nothing
  --yes                     do not ask for confirmation (needed when stdin is not a terminal)
  --json                    one JSON object on stdout

A re-run of the same version continues where the last one stopped; one rollout at a time.
npm run fleet -- rollback puts the previous versions back. Rate limit: WFP_API_RATE_LIMIT.
WFP_TEMPLATE_DIR=<dir>: roll out the tenant-template/ of another checkout (default this one).`;

function parseMaxFailures(raw: string | undefined): RolloutOptions["maxFailures"] | string {
  if (raw === undefined) return undefined;
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(raw);
  if (percent) {
    const value = Number(percent[1]);
    return value <= 100 ? { fraction: value / 100 } : `--max-failures must be at most 100%, got '${raw}'`;
  }
  return /^\d+$/.test(raw) ? { count: Number(raw) } : `--max-failures must be a count or a percentage, got '${raw}'`;
}

function positive(raw: string | undefined, flag: string): string[] {
  return raw === undefined || (/^\d+$/.test(raw) && Number(raw) >= 1)
    ? []
    : [`${flag} must be a whole number of 1 or more, got '${raw}'`];
}

/** Asks on the terminal (stderr, so a --json stdout stays clean). */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function formatPlan(plan: RolloutPlan): string {
  const moving = plan.tenants.filter((t) => t.calls > 0);
  const lines = [
    `Rollout of ${plan.to.tag} (${plan.to.version})${plan.resumes ? ", continuing the last run" : ""}: ` +
      `${moving.length} of ${plan.tenants.length} tenant(s) to move, ${plan.calls} API calls, ` +
      `about ${Math.ceil(plan.seconds)} s at the rate limit`,
    `  canary: ${plan.canary.join(", ") || "none"}; then ${plan.waves.length} wave(s)`,
    ...moving.map(
      (t) =>
        `  ${t.tenantId}: ${t.codeChanges ? `code ${t.from ?? "?"} -> ${plan.to.tag}` : "code unchanged"}, ` +
        `${t.pendingMigrations.length > 0 ? `migrations ${t.pendingMigrations.join(", ")}` : "no migrations"}`,
    ),
    ...plan.contracting.map((c) => `  ✗ ${c.migration} contracts the schema (${c.statements.join(", ")})`),
  ];
  return `${lines.join("\n")}\n`;
}

export const fleetRollout: FleetCommand = {
  name: "rollout",
  summary: "roll the template out to every tenant: canary, waves, halt, resume",
  usage: USAGE,
  options: {
    canary: { type: "string" },
    "canary-tenants": { type: "string" },
    wave: { type: "string" },
    "max-failures": { type: "string" },
    "allow-contract": { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
    yes: { type: "boolean", default: false },
  },
  validate(values) {
    const problems = [
      ...positive(values.canary as string | undefined, "--canary"),
      ...positive(values.wave as string | undefined, "--wave"),
    ];
    if (values.canary !== undefined && values["canary-tenants"] !== undefined)
      problems.push("give --canary or --canary-tenants, not both");
    const named = (values["canary-tenants"] as string | undefined)?.split(",").map((s) => s.trim());
    if (named?.some((id) => !REGISTRY_REF_PATTERN.test(id)))
      problems.push(
        `--canary-tenants takes tenant ids (or registries, acme:staging), comma-separated, such as acme,globex; ` +
          `got '${named.join(",")}'`,
      );
    const max = parseMaxFailures(values["max-failures"] as string | undefined);
    if (typeof max === "string") problems.push(max);
    return problems;
  },
  async run({ values, target, io, json }) {
    const settings = readTargetSettings(io.env ?? process.env);
    const out = json ? io.stderr : io.stdout;
    // WFP_TEMPLATE_DIR: another checkout's tenant-template/ (a release directory), default this one's.
    const { templateDir } = target;
    const [build, migrations] = await Promise.all([
      buildTemplate(templateDir),
      readMigrations(templateDir === undefined ? undefined : join(templateDir, "migrations")),
    ]);
    const trafficUrl = target.kind === "local" ? await readLocalTrafficUrl(target.baseURL) : undefined;
    const canaryTenants = (values["canary-tenants"] as string | undefined)?.split(",").map((s) => s.trim());
    const options: RolloutOptions = {
      build,
      migrations,
      rate: settings.rateLimit,
      trafficUrl,
      allowContract: values["allow-contract"] === true,
      ...(values.canary === undefined ? {} : { canary: Number(values.canary) }),
      ...(canaryTenants === undefined ? {} : { canaryTenants }),
      ...(values.wave === undefined ? {} : { wave: Number(values.wave) }),
      ...(values["max-failures"] === undefined
        ? {}
        : { maxFailures: parseMaxFailures(values["max-failures"] as string) as RolloutOptions["maxFailures"] }),
      onTenant: (e: TenantEvent) => {
        if (e.phase === "moved") {
          const migrated = e.appliedMigrations.length > 0 ? `, ${e.appliedMigrations.join(", ")}` : "";
          out(`✓ ${e.tenantId} (${e.wave}): ${build.tag}${migrated}\n`);
        } else if (e.phase === "failed")
          out(`✗ ${e.tenantId} (${e.wave}): ${e.error}${e.reverted ? "; put back on its previous version" : ""}\n`);
        else out(`- ${e.tenantId}: skipped, ${e.reason}\n`);
      },
    };
    const plan = await planRollout(target, options);
    if (values["dry-run"] === true) {
      io.stdout(
        json ? `${JSON.stringify({ ok: true, command: "rollout", dryRun: true, plan }, null, 2)}\n` : formatPlan(plan),
      );
      return plan.contracting.length > 0 && !options.allowContract ? FLEET_EXIT.refused : FLEET_EXIT.ok;
    }
    if (values.yes !== true) {
      const interactive = io.interactive ?? process.stdin.isTTY === true;
      if (!interactive) {
        io.stderr("fleet rollout changes every tenant: add --yes to run it without a terminal (or --dry-run first)\n");
        return FLEET_EXIT.usage;
      }
      out(formatPlan(plan));
      if (!(await confirm("Roll out? [y/N] "))) return FLEET_EXIT.usage;
    } else if (!json) out(formatPlan(plan));
    try {
      const result = await runRollout(target, options);
      const summary =
        `${result.state === "done" ? "Done" : "Halted"}: ${result.moved.length} moved, ` +
        `${Object.keys(result.failed).length} failed, ${result.untouched.length} untouched` +
        (result.state === "halted" ? ". Fix the failures, then run the same command to continue, or roll back." : ".");
      io.stdout(
        json
          ? `${JSON.stringify({ ok: result.state === "done", command: "rollout", ...result }, null, 2)}\n`
          : `${summary}\n`,
      );
      return result.state === "done" && Object.keys(result.failed).length === 0 ? FLEET_EXIT.ok : FLEET_EXIT.failure;
    } catch (error) {
      if (error instanceof StateConflictError) {
        io.stderr(`fleet rollout refused: ${error.message}\n`);
        return FLEET_EXIT.refused;
      }
      io.stderr(
        `fleet rollout stopped: ${(error as Error).message}\nNo tenant runs new code over missing migrations; ` +
          "run the same command again to continue where it stopped.\n",
      );
      return FLEET_EXIT.failure;
    }
  },
};
