/**
 * Impact analysis (docs/confluent-api.md, "Impact analysis"): before a subject evolves, what the
 * candidate does to it and to every subject whose latest version references it, directly or
 * through others. One call answers: is the candidate valid and compatible with its subject; for
 * each dependent, is its latest version still valid with the new versions in place of the ones
 * it references, and still compatible with its own versions under its own level, and why not;
 * any reference cycle among them, with its path; and an order to evolve them in (each after
 * every subject it references).
 *
 * A dependent's new form is its latest text with its references to evolving subjects pointing at
 * their new forms (the candidate, or another dependent's new form), which is what registering it
 * again after the candidate would parse. Read-only: nothing is written.
 */
import type { CompatibilityLevel } from "../compat/compatibility.ts";
import type { StoreQueryable } from "../store/store-db.ts";
import { CONFLUENT_ERRORS, ConfluentError } from "./confluent-error.ts";
import {
  listVersions,
  parseSubject,
  readSubject,
  referringSchemaIds,
  type ListedVersion,
  type SchemaReference,
  type SchemaType,
  type SubjectName,
} from "./confluent-store.ts";
import { parseWithReferences, resolveReferences, type ReferenceOverride } from "./schema-references.ts";
import { subjectCompatibility } from "./subject-compatibility.ts";
import { compatibilityLevelIn, configAmong, settingsAt, subjectLevel } from "./subject-settings.ts";

/**
 * How many dependents one analysis checks: each costs a few D1 queries (its versions, its
 * settings, its references), and a Worker invocation may make 1,000 on Workers Paid. Past it the
 * report says `truncated` and lists the rest unchecked.
 */
export const MAX_IMPACT_DEPENDENTS = 100;

/** The schema a subject would evolve to, as a Confluent registration names it. */
export interface ImpactCandidate {
  subject: SubjectName;
  schemaType: SchemaType;
  schema: string;
  references: readonly SchemaReference[];
}

/** What the candidate does to one subject that references its subject, directly or transitively. */
export interface DependentImpact {
  /** Qualified (`:.ctx:name` outside the default context). */
  subject: string;
  /** Its latest live version, the one judged. */
  version: number;
  /** 1: it references the candidate's subject itself; 2: through one other dependent; ... */
  depth: number;
  /** The subjects from the candidate's to this one, each referenced by the next. */
  path: string[];
  compatibilityLevel: CompatibilityLevel;
  /** Its latest text still parses with the new versions in place of those it references. */
  valid: boolean;
  /** That new form is compatible with its own versions under its own level (false when not valid). */
  compatible: boolean;
  /** Why not, when it is not valid or not compatible. */
  messages: string[];
  /** False past MAX_IMPACT_DEPENDENTS: listed, not checked. */
  checked: boolean;
}

export interface ImpactReport {
  subject: string;
  compatibilityLevel: CompatibilityLevel;
  /** The candidate is compatible with its own subject under the subject's level. */
  compatible: boolean;
  messages: string[];
  dependents: DependentImpact[];
  /** Each reference cycle among the subjects concerned: a path whose first subject is its last. */
  cycles: string[][];
  /**
   * An order to evolve them in: the candidate's subject first, then each dependent after every
   * subject concerned that it references (subjects on a cycle last, in the order found).
   */
  order: string[];
  /** Compatible, every dependent checked valid and compatible, and no cycle. */
  safe: boolean;
  /** More dependents than MAX_IMPACT_DEPENDENTS: the rest are listed unchecked. */
  truncated: boolean;
}

/** The subjects a version references, qualified (a plain reference subject is in the referrer's context). */
function referencedSubjects(version: ListedVersion): string[] {
  return version.record.references.map(
    (reference) => parseSubject(reference.subject, version.subject.context).qualified,
  );
}

/**
 * Analyses `candidate` (see the module comment). 42201 when the candidate itself does not parse
 * with its references.
 *
 * @example
 *   const report = await analyseImpact(session, {
 *     subject: parseSubject("address"), schemaType: "AVRO", schema: text, references: [],
 *   });
 *   report.dependents; // [{ subject: "customer", valid: true, compatible: false, messages: [...] }, ...]
 */
export async function analyseImpact(session: StoreQueryable, candidate: ImpactCandidate): Promise<ImpactReport> {
  const origin = candidate.subject.qualified;
  // What references what among the subjects concerned; the candidate's own references stand for
  // its subject's.
  const references = new Map<string, string[]>([
    [
      origin,
      candidate.references.map((reference) => parseSubject(reference.subject, candidate.subject.context).qualified),
    ],
  ]);
  // The dependents, nearest first, each with the path it was reached by, and its latest live version.
  const found = new Map<string, { depth: number; path: string[] }>([[origin, { depth: 0, path: [origin] }]]);
  const latest = new Map<string, ListedVersion>();
  // A level at a time, through the references' index: what refers to the level's subjects, then
  // those subjects' versions. Only the subjects concerned are read, however large the registry.
  for (let level = [origin]; level.length > 0; ) {
    const newest = new Map<string, ListedVersion>();
    const listed = await listVersions(session, { schemaIds: await referringSchemaIds(session, level) });
    for (const version of listed) {
      const subject = version.subject.qualified;
      // Listed oldest first: the last live one is the latest.
      if (!found.has(subject) && !version.deleted) newest.set(subject, version);
    }
    const next: string[] = [];
    for (const at of level) {
      const referrers = [...newest]
        .filter(([subject, version]) => !found.has(subject) && referencedSubjects(version).includes(at))
        .map(([subject]) => subject)
        .sort();
      const from = found.get(at)!;
      for (const referrer of referrers) {
        const version = newest.get(referrer)!;
        found.set(referrer, { depth: from.depth + 1, path: [...from.path, referrer] });
        latest.set(referrer, version);
        references.set(referrer, referencedSubjects(version));
        next.push(referrer);
      }
    }
    level = next;
  }
  const concerned = new Set(found.keys());
  const cycles = cyclesAmong(concerned, references);
  const order = evolutionOrder(origin, concerned, references);

  // The candidate against its own subject.
  const overrides = new Map<string, ReferenceOverride>([
    [origin, { schemaType: candidate.schemaType, schema: candidate.schema, references: candidate.references }],
  ]);
  for (const subject of concerned) {
    const version = latest.get(subject);
    if (subject === origin || version === undefined) continue;
    const { schemaType, schema } = version;
    overrides.set(subject, { schemaType, schema, references: version.record.references });
  }
  let own: { level: CompatibilityLevel; compatible: boolean; messages: string[] };
  try {
    const parsed = parseWithReferences(
      candidate.schemaType,
      candidate.schema,
      await resolveReferences(
        session,
        candidate.references,
        candidate.subject.context,
        candidate.schemaType,
        overrides,
      ),
    );
    if (!parsed.ok)
      throw new ConfluentError(
        CONFLUENT_ERRORS.invalidSchema,
        `Invalid schema: ${parsed.errors[0]?.message ?? "not valid"}`,
      );
    own = await judge(session, candidate.subject, candidate.schemaType, parsed.parsed);
  } catch (error) {
    // A candidate that closes a reference cycle cannot be parsed: the cycle is the report.
    if (!(error instanceof ConfluentError) || cycles.length === 0) throw error;
    own = { level: await levelOf(session, candidate.subject), compatible: false, messages: [error.message] };
  }

  const dependents: DependentImpact[] = [];
  const ordered = order.filter((subject) => subject !== origin);
  for (const [index, subject] of ordered.entries()) {
    const version = latest.get(subject)!;
    const { depth, path } = found.get(subject)!;
    const base = { subject, version: version.version, depth, path };
    if (index >= MAX_IMPACT_DEPENDENTS) {
      dependents.push({
        ...base,
        compatibilityLevel: "NONE",
        valid: false,
        compatible: false,
        messages: [],
        checked: false,
      });
      continue;
    }
    dependents.push({ ...base, ...(await judgeDependent(session, version, overrides)), checked: true });
  }
  const truncated = ordered.length > MAX_IMPACT_DEPENDENTS;
  return {
    subject: origin,
    compatibilityLevel: own.level,
    compatible: own.compatible,
    messages: own.messages,
    dependents,
    cycles,
    order,
    safe:
      own.compatible &&
      cycles.length === 0 &&
      !truncated &&
      dependents.every((dependent) => dependent.valid && dependent.compatible),
    truncated,
  };
}

/** A subject's compatibility level in force. */
async function levelOf(session: StoreQueryable, subject: SubjectName): Promise<CompatibilityLevel> {
  const level = subjectLevel(subject);
  return compatibilityLevelIn(configAmong(await settingsAt(session, level.chain), level));
}

/** A subject's level in force, and whether `parsed` is compatible with its live versions under it. */
async function judge(
  session: StoreQueryable,
  subject: SubjectName,
  schemaType: SchemaType,
  parsed: Parameters<typeof subjectCompatibility>[2]["parsed"],
): Promise<{ level: CompatibilityLevel; compatible: boolean; messages: string[] }> {
  const level = await levelOf(session, subject);
  const live = (await readSubject(session, subject)).versions.filter((version) => !version.deleted);
  const result = await subjectCompatibility(session, subject, { schemaType, parsed }, level, live);
  return { level, compatible: result.isCompatible, messages: result.messages };
}

/** A dependent's new form: parsed with the overrides in place, then judged against its own versions. */
async function judgeDependent(
  session: StoreQueryable,
  version: ListedVersion,
  overrides: ReadonlyMap<string, ReferenceOverride>,
): Promise<Omit<DependentImpact, "subject" | "version" | "depth" | "path" | "checked">> {
  const { subject, schemaType, schema } = version;
  let dependencies: Awaited<ReturnType<typeof resolveReferences>>;
  try {
    dependencies = await resolveReferences(session, version.record.references, subject.context, schemaType, overrides);
  } catch (error) {
    if (!(error instanceof ConfluentError)) throw error;
    return {
      compatibilityLevel: await levelOf(session, subject),
      valid: false,
      compatible: false,
      messages: [error.message],
    };
  }
  const parsed = parseWithReferences(schemaType, schema, dependencies);
  if (!parsed.ok) {
    const messages = parsed.errors.map((problem) => `Invalid schema: ${problem.message}`);
    return { compatibilityLevel: await levelOf(session, subject), valid: false, compatible: false, messages };
  }
  const judged = await judge(session, subject, schemaType, parsed.parsed);
  return {
    compatibilityLevel: judged.level,
    valid: true,
    compatible: judged.compatible,
    messages: judged.messages,
  };
}

/**
 * The reference cycles among `concerned` (each once, starting at its first subject in name
 * order): `[a, b, a]` is a referencing b referencing a.
 */
function cyclesAmong(concerned: ReadonlySet<string>, references: ReadonlyMap<string, string[]>): string[][] {
  const cycles = new Map<string, string[]>();
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (subject: string): void => {
    state.set(subject, "open");
    stack.push(subject);
    for (const target of [...new Set(references.get(subject) ?? [])].sort()) {
      if (!concerned.has(target)) continue;
      if (state.get(target) === "open") {
        const loop = stack.slice(stack.indexOf(target));
        // The same cycle found from another of its subjects is one cycle: keyed by its rotation from the least.
        const start = loop.indexOf([...loop].sort()[0]!);
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        cycles.set(rotated.join("\u0000"), [...rotated, rotated[0]!]);
      } else if (!state.has(target)) visit(target);
    }
    stack.pop();
    state.set(subject, "done");
  };
  for (const subject of [...concerned].sort()) if (!state.has(subject)) visit(subject);
  return [...cycles.values()];
}

/**
 * `origin`, then every other subject of `concerned` after each concerned subject it references
 * (Kahn's algorithm, names in order among equals); subjects on a cycle have no such order and come
 * last, nearest first.
 */
function evolutionOrder(
  origin: string,
  concerned: ReadonlySet<string>,
  references: ReadonlyMap<string, string[]>,
): string[] {
  const waitingOn = new Map<string, Set<string>>();
  for (const subject of concerned) {
    const targets = (references.get(subject) ?? []).filter((target) => concerned.has(target) && target !== subject);
    waitingOn.set(subject, new Set(subject === origin ? [] : targets));
  }
  const order: string[] = [];
  const placed = new Set<string>();
  for (;;) {
    const ready = [...waitingOn]
      .filter(([subject, targets]) => !placed.has(subject) && [...targets].every((target) => placed.has(target)))
      .map(([subject]) => subject)
      .sort((a, b) => (a === origin ? -1 : b === origin ? 1 : a < b ? -1 : a > b ? 1 : 0));
    if (ready.length === 0) break;
    for (const subject of ready) {
      order.push(subject);
      placed.add(subject);
    }
  }
  for (const subject of concerned) if (!placed.has(subject)) order.push(subject);
  return order;
}
