/**
 * Parsed stored schema texts, per isolate, so a compatibility check against many versions
 * (FULL_TRANSITIVE over 100 versions) does not parse every stored version on every request.
 *
 * Keyed by schema type and the whole text, and only for texts without references: parsing such a
 * text is a pure function of the two, so an entry can never be wrong, whatever happens to ids,
 * versions or subjects (no invalidation, no TTL). A text with references depends on what the
 * references resolve to, and is parsed each time. The compatibility engines only read parsed
 * schemas (their memos live in their own maps), so one parse can serve many requests.
 */

const PARSED_SCHEMA_CACHE_MAX_ENTRIES = 256;
/** Total text length kept, in UTF-16 code units; the parsed objects are a few times larger. */
const PARSED_SCHEMA_CACHE_MAX_CHARS = 4 * 1024 * 1024;

/**
 * A bounded LRU (entries and total text length).
 *
 * @example
 *   const cache = new ParsedSchemaCache<ParsedSpec>();
 *   const parsed = cache.get("AVRO", text) ?? cache.put("AVRO", text, parse(text));
 */
export class ParsedSchemaCache<T> {
  private readonly entries = new Map<string, { value: T; chars: number }>();
  private totalChars = 0;

  constructor(
    readonly maxEntries = PARSED_SCHEMA_CACHE_MAX_ENTRIES,
    readonly maxChars = PARSED_SCHEMA_CACHE_MAX_CHARS,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get chars(): number {
    return this.totalChars;
  }

  get(schemaType: string, text: string): T | undefined {
    const key = `${schemaType}\n${text}`;
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` as the parse of `text` (unless the text alone is over the bound) and returns it. */
  put(schemaType: string, text: string, value: T): T {
    const key = `${schemaType}\n${text}`;
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      this.entries.delete(key);
      this.totalChars -= previous.chars;
    }
    if (key.length > this.maxChars) return value;
    this.entries.set(key, { value, chars: key.length });
    this.totalChars += key.length;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.totalChars <= this.maxChars) break;
      this.entries.delete(oldest);
      this.totalChars -= entry.chars;
    }
    return value;
  }
}
