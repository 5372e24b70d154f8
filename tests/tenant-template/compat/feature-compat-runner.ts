/**
 * Runs the compatibility questions of the confluent-bdd conformance features (Apache-2.0, from
 * axonops/axonops-schema-registry, see /work/shared/conformance/confluent-bdd/README.md) against
 * a compatibility engine, with no HTTP: a tiny in-memory model of what a Confluent registry does
 * with those steps (subjects of versions, global and subject levels, register = dedupe, then check
 * at the subject's level, then append). Each registration or check whose outcome a scenario states
 * is one case; setup registrations ("subject S has schema:") are cases too, since the step
 * definitions require them to answer 200.
 *
 * Scenarios with a step this model does not know (modes, other schema types, ...) are skipped
 * with the step as the reason, so nothing is silently passed.
 */
import { readFileSync } from "node:fs";
import {
  checkCompatibility,
  COMPATIBILITY_LEVELS,
  type CompatibilityEngine,
  type CompatibilityLevel,
} from "../../../tenant-template/src/compat/compatibility.ts";
import type { ParsedSpec, SpecFormat } from "../../../tenant-template/src/spec/spec-types.ts";
import { validateSpecification } from "../../../tenant-template/src/spec/validate-specification.ts";

export const FEATURES_DIR = "/work/shared/conformance/confluent-bdd/features";

export interface Step {
  text: string;
  doc?: string;
}

export interface Scenario {
  file: string;
  name: string;
  steps: Step[];
}

export interface ScenarioOutcome {
  scenario: Scenario;
  /** Why the scenario was not run, when it was not. */
  skipped?: string;
  /** Compatibility outcomes the scenario states and the model checked. */
  cases: number;
  failures: string[];
}

/** Scenarios of one feature file: Background steps first, tables ignored (audit log rows), docstrings kept. */
export function readScenarios(file: string): Scenario[] {
  const lines = readFileSync(`${FEATURES_DIR}/${file}`, "utf8").split("\n");
  const scenarios: Scenario[] = [];
  let background: Step[] = [];
  let current: Step[] | undefined;
  let doc: string[] | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    if (doc) {
      if (line === '"""') {
        const last = current?.[current.length - 1];
        if (last) last.doc = doc.join("\n");
        doc = undefined;
      } else {
        doc.push(line);
      }
      continue;
    }
    if (line === '"""') {
      doc = [];
    } else if (line.startsWith("Background:")) {
      // Steps go to `background` until the first Scenario, which starts with a copy of them.
      current = background = [];
    } else if (/^Scenario( Outline)?:/.test(line)) {
      current = [...background];
      scenarios.push({ file, name: line.replace(/^Scenario( Outline)?:\s*/, ""), steps: current });
    } else if (/^(Given|When|Then|And|But) /.test(line)) {
      current?.push({ text: line.replace(/^(Given|When|Then|And|But) /, "") });
    }
  }
  return scenarios;
}

interface Version {
  version: number;
  spec: ParsedSpec;
  canonical: string;
}

function isLevel(value: string): value is CompatibilityLevel {
  return (COMPATIBILITY_LEVELS as readonly string[]).includes(value);
}

/** Runs one scenario's compatibility steps on the model; `format` is the only schema type run. */
export function runScenario(engine: CompatibilityEngine, format: SpecFormat, scenario: Scenario): ScenarioOutcome {
  const outcome: ScenarioOutcome = { scenario, cases: 0, failures: [] };
  let globalLevel: CompatibilityLevel = "BACKWARD"; // Confluent's default
  const subjectLevels = new Map<string, CompatibilityLevel>();
  const subjects = new Map<string, Version[]>();
  let status = 0;
  let compatible: boolean | undefined;
  let lastQuestion = "";

  const levelOf = (subject: string) => subjectLevels.get(subject) ?? globalLevel;
  const parse = (doc: string | undefined): ParsedSpec | undefined => {
    const result = validateSpecification(format, doc ?? "");
    return result.ok ? result.parsed : undefined;
  };
  const canonical = (doc: string) => JSON.stringify(JSON.parse(doc));
  const register = (subject: string, doc: string | undefined): number => {
    const spec = parse(doc);
    if (!spec || doc === undefined) return 422;
    const versions = subjects.get(subject) ?? [];
    // Confluent answers an already registered schema with its id, before any compatibility check.
    if (versions.some((v) => v.canonical === canonical(doc))) return 200;
    const result = checkCompatibility(engine, levelOf(subject), spec, versions);
    if (!result.isCompatible) {
      lastQuestion =
        `${levelOf(subject)} against v${versions.map((v) => v.version).join(",v")}` + `: ${result.messages.join("; ")}`;
      return 409;
    }
    versions.push({ version: (versions.at(-1)?.version ?? 0) + 1, spec, canonical: canonical(doc) });
    subjects.set(subject, versions);
    lastQuestion = `${levelOf(subject)}: compatible`;
    return 200;
  };
  const check = (subject: string, doc: string | undefined, which: "latest" | "all" | number) => {
    const spec = parse(doc);
    if (!spec) {
      status = 422;
      return;
    }
    const versions = subjects.get(subject) ?? [];
    const against =
      which === "all"
        ? versions
        : which === "latest"
          ? versions.slice(-1)
          : versions.filter((v) => v.version === which);
    if (against.length === 0) {
      status = 404;
      return;
    }
    const result = checkCompatibility(engine, levelOf(subject), spec, against);
    status = 200;
    compatible = result.isCompatible;
    lastQuestion =
      `${levelOf(subject)} against v${against.map((v) => v.version).join(",v")}` +
      `: ${result.messages.join("; ") || "compatible"}`;
  };

  for (const { text, doc } of scenario.steps) {
    if (text === "the schema registry is running" || text.startsWith("the audit log should contain")) continue;
    let m =
      text.match(/^the global compatibility level is "([A-Z_]+)"$/) ??
      text.match(/^I set the global config to "([A-Z_]+)"$/);
    if (m) {
      if (!isLevel(m[1]!)) return { ...outcome, skipped: `unknown level in: ${text}` };
      globalLevel = m[1];
      continue;
    }
    m =
      text.match(/^subject "([^"]+)" has compatibility level "([A-Z_]+)"$/) ??
      text.match(/^I set the config for subject "([^"]+)" to "([A-Z_]+)"$/);
    if (m) {
      if (!isLevel(m[2]!)) return { ...outcome, skipped: `unknown level in: ${text}` };
      subjectLevels.set(m[1]!, m[2]);
      continue;
    }
    m = text.match(/^I delete the config for subject "([^"]+)"$/);
    if (m) {
      subjectLevels.delete(m[1]!);
      continue;
    }
    m = text.match(/^subject "([^"]+)" has (?:"([A-Z]+)" )?schema:$/);
    if (m) {
      if ((m[2] ?? "AVRO") !== format) return { ...outcome, skipped: `a ${m[2] ?? "AVRO"} schema` };
      outcome.cases++;
      const got = register(m[1]!, doc);
      if (got !== 200)
        outcome.failures.push(`setup registration under ${m[1]} answered ${got}, not 200 (${lastQuestion})`);
      continue;
    }
    m = text.match(/^I register (?:a "([A-Z]+)" )?(?:a )?schema under subject "([^"]+)":$/);
    if (m) {
      if ((m[1] ?? "AVRO") !== format) return { ...outcome, skipped: `a ${m[1] ?? "AVRO"} schema` };
      status = register(m[2]!, doc);
      continue;
    }
    m = text.match(/^I check compatibility of schema against (all versions of )?subject "([^"]+)"( version (\d+))?:$/);
    if (m) {
      if (format !== "AVRO") return { ...outcome, skipped: "an AVRO schema" };
      check(m[2]!, doc, m[1] ? "all" : m[4] ? Number(m[4]) : "latest");
      continue;
    }
    m = text.match(/^the response status should be (\d+)$/);
    if (m) {
      outcome.cases++;
      if (status !== Number(m[1])) outcome.failures.push(`status ${status}, expected ${m[1]} (${lastQuestion})`);
      continue;
    }
    m = text.match(/^the response should have error code (\d+)$/);
    if (m) {
      // The model answers 409 for an incompatible schema, with error code 409 as Confluent does.
      if (status !== Number(m[1])) outcome.failures.push(`error code for status ${status}, expected ${m[1]}`);
      continue;
    }
    m = text.match(/^the compatibility check should be (compatible|incompatible)$/);
    if (m) {
      outcome.cases++;
      const expected = m[1] === "compatible";
      if (compatible !== expected)
        outcome.failures.push(`is_compatible ${String(compatible)}, expected ${expected} (${lastQuestion})`);
      continue;
    }
    m = text.match(/^subject "([^"]+)" should have exactly (\d+) versions$/);
    if (m) {
      const count = subjects.get(m[1]!)?.length ?? 0;
      if (count !== Number(m[2])) outcome.failures.push(`${m[1]} has ${count} versions, expected ${m[2]}`);
      continue;
    }
    return { ...outcome, skipped: `step outside compatibility: "${text}"` };
  }
  if (outcome.cases === 0) return { ...outcome, skipped: "states no compatibility outcome" };
  return outcome;
}
