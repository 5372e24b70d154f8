/** `tenant update <id> [--plan] [--rate-limit] [--cors-origin] [--cache]`: change only what is given. */
import { PLAN_NAMES } from "../../../contracts/tenant-record.ts";
import { updateTenant } from "../tenant-update.ts";
import { parseTenantChanges, parseTenantId } from "../tenant-spec.ts";
import { parseRateLimit, TENANT_LIMIT_OPTIONS } from "./create-command.ts";
import { COMMON_HELP, EXIT, printJson, type TenantCommand, where } from "./tenant-command.ts";

export const updateCommand: TenantCommand = {
  name: "update",
  summary: "Change the tenant's plan, rate limit, CORS origins or cache; the rest stays.",
  args: ["id"],
  options: { ...TENANT_LIMIT_OPTIONS },
  usage: `Usage: npm run tenant -- update <id> [--plan ${PLAN_NAMES.join("|")}] [--rate-limit <n>/min]
                                [--cors-origin <origin> ...] [--cache on|off] [--json]

Change what is given; everything else stays as it is (default for every flag: unchanged). At
least one flag. Plan, rate limit and CORS origins are written to the route records (the dispatcher
applies them within its 10 s route cache); --cache changes the Worker's CACHE_MODE, so it runs
create's steps (uploading the Worker built from this checkout's template). Safe to re-run.

Options:
  --plan ${PLAN_NAMES.join("|")}   the plan (its limits: CPU, subrequests, requests per minute)
  --rate-limit <n>/min    requests per minute for the whole tenant, instead of the plan's
  --cors-origin <origin>  browser origins allowed to call the API; repeatable; replaces the list
  --cache on|off          the tenant's KV read cache
${COMMON_HELP}`,
  async run({ values, args, io, json, onProgress, connect }) {
    const id = parseTenantId(args[0]);
    const changes = parseTenantChanges({
      plan: values.plan,
      cacheMode: values.cache,
      corsOrigins: values["cors-origin"],
      requestsPerMinute:
        values["rate-limit"] === undefined ? undefined : parseRateLimit(values["rate-limit"] as string),
    });
    const target = await connect();
    if (!json) io.stdout(`Updating tenant ${id} on ${where(target)}\n`);
    const result = await updateTenant(id, changes, { target }, onProgress);
    if (json) printJson(io, { ok: true, command: "update", ...result });
    else {
      const s = result.spec;
      io.stdout(
        `\nTenant ${id}${result.changed ? " is updated" : " already was so: nothing changed"}: plan ${s.plan}, ` +
          `${s.requestsPerMinute === undefined ? "the plan's rate limit" : `${s.requestsPerMinute}/min`}, ` +
          `CORS ${s.corsOrigins.length > 0 ? s.corsOrigins.join(" ") : "none"}, cache ${s.cacheMode}.\n`,
      );
    }
    return EXIT.ok;
  },
};
