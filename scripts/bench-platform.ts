/**
 * `npm run bench:platform [-- --tenants N] [--samples S] [--in-use U] [--requests R] [--json]`
 *
 * How the local platform holds a fleet (issue 10): `create` time at tenant 1, 10, 100 and 1,000,
 * restart time to the first answer (`npm start`, and in-process),
 * workerd's RSS (idle, and with 10 tenants in use) and dispatch
 * latency, against the targets: create #N within 1.5x of #1 and under 3 s, a restart under 5 s,
 * RSS with N tenants (10 in use) within 1.5x of RSS with 10. See scripts/lib/platform-bench.ts.
 *
 * Exit codes: 0 every target met, 1 a target missed, 2 bad options.
 */
import { parseArgs } from "node:util";
import { intOption } from "./lib/int-option.ts";
import { benchPlatform } from "./lib/platform-bench.ts";

const usage = `Usage: npm run bench:platform -- [--tenants N] [--samples S] [--in-use U] [--requests R] [--json]
  --tenants N    tenants the platform ends with (default 1000; 1 to 5000)
  --samples S    timed creates per checkpoint, median reported (default 3)
  --in-use U     tenants served before "in use" memory is read (default 10)
  --requests R   requests for the dispatch latency figures (default 300)
  --json         the report as JSON on stdout (progress goes to stderr)`;

function parseOptions() {
  try {
    const { values } = parseArgs({
      options: {
        tenants: { type: "string", default: "1000" },
        samples: { type: "string", default: "3" },
        "in-use": { type: "string", default: "10" },
        requests: { type: "string", default: "300" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    });
    if (values.help) {
      console.log(usage);
      process.exit(0);
    }
    return {
      tenants: intOption("tenants", values.tenants, 1, 5000),
      samples: intOption("samples", values.samples, 1, 20),
      inUse: intOption("in-use", values["in-use"], 1, 100),
      requests: intOption("requests", values.requests, 10, 100_000),
      json: values.json,
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}

const options = parseOptions();

const report = await benchPlatform({ ...options, log: (line) => console.error(line) });
if (options.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const rows = report.checkpoints.map(
    (c) =>
      `| ${c.tenant} | ${c.createMedianSeconds.toFixed(2)} | ${c.npmStartSeconds.toFixed(2)} | ` +
      `${c.restartSeconds.toFixed(2)} | ` +
      `${c.rssIdleMb.toFixed(0)} | ${c.rssInUseMb.toFixed(0)} | ` +
      `${c.dispatchP50Ms.toFixed(1)} | ${c.dispatchP99Ms.toFixed(1)} |`,
  );
  const t = report.targets;
  console.log(
    [
      `Local platform with ${report.tenants} tenants (create: median of ${report.samples}; in use: ${report.inUse})`,
      "",
      "| tenant # | create, s | npm start to first answer, s | in-process restart, s | workerd RSS idle, MB " +
        "| RSS in use, MB | dispatch p50, ms | p99, ms |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...rows,
      "",
      `create #${report.checkpoints.at(-1)!.tenant} / create #1: ${t.createRatio.toFixed(2)}x (target at most 1.5x); ` +
        `every create under 3 s: ${t.createUnder3s ? "yes" : "no"}`,
      `slowest restart to a first answer: ${t.slowestRestartSeconds.toFixed(2)} s (target under 5 s)`,
      t.rssRatio === null
        ? "RSS ratio: needs a checkpoint at 10 tenants and a larger one"
        : `RSS in use at ${report.checkpoints.at(-1)!.tenant} / at 10: ${t.rssRatio.toFixed(2)}x (target at most 1.5x)`,
      t.met ? "every target met" : "a target was missed",
    ].join("\n"),
  );
}
process.exit(report.targets.met ? 0 : 1);
