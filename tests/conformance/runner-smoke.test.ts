/**
 * Keeps `npm run conformance` from rotting: the runner plays a tiny fixture feature on a real
 * local platform (one pooled tenant, reset before each scenario) and its report has the promised
 * shape, and the reset really empties the registry between scenarios.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatReport, runConformance, RunnerError } from "../../scripts/conformance/conformance-runner.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures", import.meta.url));

describe("the conformance runner", () => {
  it("refuses clearly when the suite is missing", async () => {
    await expect(runConformance({ suiteDir: "/nonexistent/shared/conformance/confluent-bdd" })).rejects.toThrow(
      RunnerError,
    );
    await expect(runConformance({ suiteDir: "/nonexistent/shared/conformance/confluent-bdd" })).rejects.toThrow(
      /core\.txt.*\.\.\/shared/,
    );
  });

  it(`plays a feature on a reset pooled tenant and reports per file, \
in total, with skips and undefined steps`, async () => {
    // One tenant, so every scenario runs on the same one: the third passes only if the reset
    // between scenarios really gave it an empty registry again.
    const report = await runConformance({
      suiteDir: FIXTURES,
      featuresDir: FIXTURES,
      files: ["runner-smoke.feature"],
      platforms: 1,
      tenants: 1,
    });
    expect(report.total.scenarios).toBe(4);
    expect(report.files).toEqual([expect.objectContaining({ file: "runner-smoke.feature", scenarios: 4 })]);
    const [health, register, fresh, flux] = report.scenarios;
    expect(health).toMatchObject({
      status: "passed",
      skippedSteps: [{ step: "the audit log should contain an event:", reason: expect.stringContaining("audit log") }],
    });
    expect(register).toMatchObject({ status: "passed" });
    expect(fresh).toMatchObject({ status: "passed" });
    expect(flux).toMatchObject({ status: "undefined", step: "the registry has a flux capacitor" });
    expect(report.undefinedSteps).toEqual([{ step: "the registry has a flux capacitor", scenarios: 1 }]);
    expect(report.skippedSteps).toEqual([{ reason: expect.stringContaining("audit log"), steps: 1, scenarios: 1 }]);
    expect(report.total.passed + report.total.failed + report.total.undefined + report.total.error).toBe(4);
    expect(report.total.passRate).toBe(75);
    // One JSON object, and a text report naming the file, the total and every skip.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    const text = formatReport(report);
    expect(text).toMatch(/runner-smoke\.feature\s+3\/4/);
    expect(text).toMatch(/TOTAL\s+3\/4/);
    expect(text).toContain("runner-smoke.feature:7 A tenant answers its health check (1 skipped)");
    expect(text).toContain("the registry has a flux capacitor");
  });
});
