/**
 * Semantic Versioning 2.0.0, strictly: the grammar of semver.org (the regular expression it
 * publishes), so `1.0`, `v1.0.0`, `01.0.0` and `1.0.0-01` are refused. Written here rather than
 * taken from the `semver` package, whose default parse is loose (it accepts a leading `v`).
 */
const SEMVER = new RegExp(
  String.raw`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
    String.raw`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
    String.raw`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`,
);

/** The longest version string accepted (the registry's own bound, not semver's). */
export const MAX_SEMANTIC_VERSION_LENGTH = 100;

/**
 * Whether `text` is a valid Semantic Versioning 2.0.0 version.
 *
 * @example
 *   isSemanticVersion("1.2.3-rc.1+build.5"); // true
 *   isSemanticVersion("v1.2.3");             // false
 */
export function isSemanticVersion(text: string): boolean {
  return text.length <= MAX_SEMANTIC_VERSION_LENGTH && SEMVER.test(text);
}

/** The parts semver precedence compares: major, minor, patch and the pre-release identifiers (build ignored). */
function precedenceParts(text: string): { core: [number, number, number]; pre: string[] } | null {
  const match = SEMVER.exec(text);
  if (match === null) return null;
  return {
    core: [Number(match[1]), Number(match[2]), Number(match[3])],
    pre: match[4] === undefined ? [] : match[4].split("."),
  };
}

/**
 * Semantic Versioning 2.0.0 precedence (semver.org section 11): negative when `a` comes before
 * `b`, 0 when they have the same precedence (build metadata is ignored), positive after. A string
 * that is not a version sorts before every version (stored versions are all valid).
 *
 * @example
 *   compareSemanticVersions("1.0.0-rc.1", "1.0.0"); // < 0
 *   compareSemanticVersions("2.0.0", "1.10.0");     // > 0
 */
export function compareSemanticVersions(a: string, b: string): number {
  const left = precedenceParts(a);
  const right = precedenceParts(b);
  if (left === null || right === null) return left === null ? (right === null ? 0 : -1) : 1;
  for (let i = 0; i < 3; i++) if (left.core[i] !== right.core[i]) return left.core[i]! - right.core[i]!;
  // A pre-release comes before its release; then identifier by identifier.
  if (left.pre.length === 0 || right.pre.length === 0) return right.pre.length - left.pre.length;
  for (let i = 0; i < Math.min(left.pre.length, right.pre.length); i++) {
    const x = left.pre[i]!;
    const y = right.pre[i]!;
    if (x === y) continue;
    const xNumeric = /^\d+$/.test(x);
    const yNumeric = /^\d+$/.test(y);
    if (xNumeric && yNumeric) return Number(x) - Number(y);
    if (xNumeric !== yNumeric) return xNumeric ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return left.pre.length - right.pre.length;
}

/** What a new version changes for its readers: `minor` when it is backward compatible, else `major`. */
export type VersionBump = "major" | "minor";

/**
 * The version after `latest` for a change of kind `bump` (`1.0.0` when there is none), skipping
 * any already `taken` (a Draft may hold it): pre-release and build parts are dropped.
 *
 * @example
 *   nextSemanticVersion("1.2.3", "minor", []);        // "1.3.0"
 *   nextSemanticVersion("1.2.3", "major", ["2.0.0"]); // "3.0.0"
 */
export function nextSemanticVersion(latest: string | null, bump: VersionBump, taken: readonly string[]): string {
  const parts = latest === null ? null : precedenceParts(latest);
  if (parts === null) return nextFree([1, 0, 0], bump, taken);
  const [major, minor] = parts.core;
  return nextFree(bump === "major" ? [major + 1, 0, 0] : [major, minor + 1, 0], bump, taken);
}

function nextFree(start: [number, number, number], bump: VersionBump, taken: readonly string[]): string {
  const used = new Set(taken.map((each) => each.replace(/\+.*$/, "")));
  let [major, minor] = start;
  while (used.has(`${major}.${minor}.0`)) {
    if (bump === "major") major += 1;
    else minor += 1;
  }
  return `${major}.${minor}.0`;
}
