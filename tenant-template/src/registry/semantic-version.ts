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
