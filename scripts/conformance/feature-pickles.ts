/**
 * Feature files to runnable scenarios. Cucumber's own parser and pickle compiler do the Gherkin
 * (Background steps prepended, Scenario Outline rows expanded, doc strings and tables kept), so
 * the runner only has to match step text, and a feature parses here exactly as Cucumber would.
 */
import { AstBuilder, compile, GherkinClassicTokenMatcher, Parser } from "@cucumber/gherkin";
import { IdGenerator, type GherkinDocument } from "@cucumber/messages";
import { readFileSync } from "node:fs";
import { basename } from "node:path";

export interface ScenarioStep {
  text: string;
  /** The doc string under the step, when it has one. */
  docString?: string;
  /** The data table under the step, as rows of cells, when it has one. */
  table?: string[][];
}

export interface FeatureScenario {
  /** The feature file's name, e.g. `schema_registration.feature`. */
  file: string;
  /** The line of the Scenario (or of the Examples row, for an outline). */
  line: number;
  name: string;
  steps: ScenarioStep[];
}

/** Every line a scenario or an Examples row starts on, by AST node id (pickles carry only ids). */
function linesById(document: GherkinDocument): Map<string, number> {
  const lines = new Map<string, number>();
  const visit = (
    children: readonly {
      scenario?: {
        id: string;
        location: { line: number };
        examples: readonly { tableBody: readonly { id: string; location: { line: number } }[] }[];
      };
      rule?: { children: readonly unknown[] };
    }[],
  ): void => {
    for (const child of children) {
      if (child.scenario) {
        lines.set(child.scenario.id, child.scenario.location.line);
        for (const examples of child.scenario.examples)
          for (const row of examples.tableBody) lines.set(row.id, row.location.line);
      }
      if (child.rule) visit(child.rule.children as Parameters<typeof visit>[0]);
    }
  };
  visit(document.feature?.children ?? []);
  return lines;
}

/** Parses one feature file into its scenarios, in file order. Throws on a Gherkin syntax error. */
export function readFeatureScenarios(path: string): FeatureScenario[] {
  const newId = IdGenerator.incrementing();
  const parser = new Parser(new AstBuilder(newId), new GherkinClassicTokenMatcher());
  const document = parser.parse(readFileSync(path, "utf8"));
  const file = basename(path);
  const lines = linesById(document);
  return compile(document, file, newId).map((pickle) => {
    // The last AST node id is the Examples row for an outline, the Scenario otherwise.
    const line =
      [...pickle.astNodeIds]
        .reverse()
        .map((id) => lines.get(id))
        .find((l) => l !== undefined) ?? 0;
    return {
      file,
      line,
      name: pickle.name,
      steps: pickle.steps.map((step) => ({
        text: step.text,
        ...(step.argument?.docString ? { docString: step.argument.docString.content } : {}),
        ...(step.argument?.dataTable
          ? { table: step.argument.dataTable.rows.map((row) => row.cells.map((cell) => cell.value)) }
          : {}),
      })),
    };
  });
}
