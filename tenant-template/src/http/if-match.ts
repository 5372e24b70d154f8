/**
 * The `If-Match` request header (RFC 9110 section 13.1.1): `*`, or a comma-separated list of entity
 * tags, each `"opaque"` or `W/"opaque"`. It guards a write: the condition is true when `*` is sent and
 * the resource exists, or when one listed tag matches the current ETag under the strong comparison
 * (section 8.8.3.2: neither tag weak, same opaque characters). A weak tag therefore never matches.
 */

/** One listed entity tag: `W/"x"` is `{ weak: true, opaque: "x" }`. */
export interface EntityTag {
  readonly weak: boolean;
  /** The characters between the quotes. */
  readonly opaque: string;
}

// One list element and the comma or end after it, from `lastIndex` on (sticky). An element may be
// empty: RFC 9110 section 5.6.1.2 has recipients skip empty elements (`"1", , "2"`). The opaque part
// is etagc: %x21 / %x23-7E / obs-text, where obs-text is any non-ASCII character, however the runtime
// decoded the header's bytes. So no control, space, DQUOTE or DEL. Each whitespace run can be read in
// only one way, so a long hostile header costs linear time.
const LIST_ELEMENT = /[ \t]*(?:(W\/)?"([!#-~\u0080-\uFFFF]*)"[ \t]*)?(,|$)/y;
const ANY = /^[ \t]*\*[ \t]*$/;

/**
 * A parsed `If-Match` condition. Parse once with `IfMatch.parse`, then ask `matches` with the ETag
 * the resource has now.
 *
 * @example
 *   const condition = IfMatch.parse('"2", "3"'); // null when the header is not valid
 *   condition?.matches('"3"'); // true
 *   IfMatch.parse('W/"3"')?.matches('"3"'); // false: strong comparison
 *   IfMatch.parse("*")?.matches('"3"'); // true: the resource exists
 */
export class IfMatch {
  private constructor(
    /** `*`, or the listed tags in the order sent. */
    readonly condition: "*" | readonly EntityTag[],
  ) {}

  /**
   * The condition a header value states, or `null` when it is not `*` or a list of at least one
   * entity tag (a typo must never turn into an unconditional write). Several `If-Match` fields
   * arrive joined with `, ` and parse as one list.
   *
   * @example
   *   IfMatch.parse('"3"')?.condition; // [{ weak: false, opaque: "3" }]
   *   IfMatch.parse("3"); // null: the quotes are part of the tag
   */
  static parse(value: string): IfMatch | null {
    if (ANY.test(value)) return new IfMatch("*");
    const tags: EntityTag[] = [];
    let at = 0;
    for (;;) {
      LIST_ELEMENT.lastIndex = at;
      const element = LIST_ELEMENT.exec(value);
      if (element === null) return null;
      if (element[2] !== undefined) tags.push({ weak: element[1] !== undefined, opaque: element[2] });
      if (element[3] === "") break;
      at = LIST_ELEMENT.lastIndex;
    }
    return tags.length === 0 ? null : new IfMatch(tags);
  }

  /**
   * Whether the condition holds for the resource's current ETag as it is sent in `ETag` (`"3"`),
   * or `null` when the resource has no current representation (then nothing matches, not even `*`).
   *
   * @example
   *   IfMatch.parse('"2", "3"')?.matches('"2"'); // true
   *   IfMatch.parse("*")?.matches(null); // false
   */
  matches(currentEtag: string | null): boolean {
    if (currentEtag === null) return false;
    if (this.condition === "*") return true;
    // A weak current ETag (`W/"3"`) equals no `"opaque"`, so strong comparison holds on that side too.
    return this.condition.some((tag) => !tag.weak && `"${tag.opaque}"` === currentEtag);
  }
}
