/**
 * Every input limit of the tenant Worker in one place, shared by the registry API (/api) and the
 * Confluent-compatible API, so both refuse the same things (docs/security.md, "Input limits").
 * Each limit is answered with a 4xx in the refusing API's own error shape; the rules here only
 * decide, the APIs word the refusal.
 */
import { DEFAULT_MAX_BODY_BYTES } from "./request-input.ts";
import { MAX_SPEC_BYTES } from "../spec/spec-limits.ts";

/** Largest request body either API reads (the backup import has its own, larger one). */
export const MAX_BODY_BYTES = DEFAULT_MAX_BODY_BYTES;
/** Largest schema text (UTF-8 bytes), checked before any parser runs (the nesting limit is spec-limits.ts). */
export { MAX_SPEC_BYTES };
/**
 * Largest page of a list (`limit`); /api refuses more with 400. Defined here (and used by the
 * store) so that this module stays free of D1 types and Node-side tests can import it.
 */
export const MAX_PAGE_SIZE = 500;
/**
 * Longest name of a product, domain, context or schema, and of a Confluent subject or context,
 * in UTF-16 code units (what the store counts). Kafka topic names stop at 249 characters, so a
 * TopicNameStrategy subject (`<topic>-value`) fits.
 */
export const MAX_NAME_LENGTH = 255;
/**
 * Deepest chain of schema references (A references B references C ...) followed when a schema is
 * resolved; deeper is refused as an invalid schema (Confluent API, 42201). Also bounds cycles.
 */
export const MAX_REFERENCE_DEPTH = 16;
/** Most references one schema may declare. */
export const MAX_REFERENCES_PER_SCHEMA = 100;
/**
 * Subject names Confluent reserves: `__GLOBAL` names the global context's config and mode, and
 * `__EMPTY` stands for the empty subject inside a context.
 */
const RESERVED_SUBJECT_NAMES: readonly string[] = ["__GLOBAL", "__EMPTY"];

// C0 and C1 controls and DEL; the bidirectional embeddings, overrides and isolates that make text
// display in another order than it is stored ("Trojan Source"); noncharacters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this pattern's purpose
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/u;
const NONCHARACTER = /[\ufdd0-\ufdef\ufffe\uffff]/u;
// A percent escape left in a name after decoding: the client's escapes were not valid UTF-8
// (routers keep undecodable sequences as they are) or were encoded twice.
const UNDECODED_ESCAPE = /%[0-9a-f]{2}/i;

/**
 * The first lone surrogate's index, or -1: a string with one cannot be encoded as UTF-8, so it can
 * be neither stored faithfully nor sent back.
 *
 * @example
 *   loneSurrogateAt("a\ud800b"); // 1
 */
function loneSurrogateAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return i;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return i;
  }
  return -1;
}

export interface NameRules {
  /** Longest accepted, in UTF-16 code units (default MAX_NAME_LENGTH). */
  maxLength?: number;
  /** Refuse text that is not in Unicode Normalization Form C (the registry API's names). */
  requireNfc?: boolean;
  /** Refuse `%XX` left in the text (names that arrived percent-encoded in a URL path). */
  fromUrl?: boolean;
}

/**
 * Why `name` is not acceptable as a name, or null when it is. The message is client-facing and
 * names the offending character by code point, never echoing it.
 *
 * @example
 *   nameProblem("orders-value");                 // null
 *   nameProblem("a\u202eb");                     // "contains the bidirectional control U+202E"
 *   nameProblem("Cafe\u0301", { requireNfc: true }); // "is not in Unicode NFC form ..."
 */
export function nameProblem(
  name: string,
  { maxLength = MAX_NAME_LENGTH, requireNfc = false, fromUrl = false }: NameRules = {},
): string | null {
  if (name.length === 0) return "must not be empty";
  if (name.length > maxLength) return `is ${name.length} characters long, over the limit of ${maxLength}`;
  const lone = loneSurrogateAt(name);
  if (lone !== -1) return `contains an unpaired surrogate U+${codePoint(name, lone)} (not valid Unicode)`;
  const control = CONTROL.exec(name);
  if (control) return `contains the control character U+${codePoint(control[0], 0)}`;
  const bidi = BIDI_CONTROL.exec(name);
  if (bidi) return `contains the bidirectional control U+${codePoint(bidi[0], 0)}`;
  const nonchar = NONCHARACTER.exec(name);
  if (nonchar) return `contains the noncharacter U+${codePoint(nonchar[0], 0)}`;
  if (fromUrl && UNDECODED_ESCAPE.test(name))
    return "contains a percent escape that is not valid UTF-8 (or was encoded twice)";
  if (requireNfc && name.normalize("NFC") !== name)
    return "is not in Unicode NFC form (compose it, e.g. name.normalize('NFC'))";
  return null;
}

/**
 * Why `subject` (a Confluent subject as decoded from the URL, context prefix included) is not a
 * valid subject, or null. Subjects are kept byte for byte as sent (Kafka clients derive them from
 * topic names and compare them exactly), so they are not NFC-checked; the context part and the
 * name part are each held to MAX_NAME_LENGTH.
 *
 * @example
 *   subjectProblem(":.payments:orders-value"); // null
 *   subjectProblem("__GLOBAL");                // "is reserved"
 */
export function subjectProblem(subject: string): string | null {
  const qualified = /^:\.([^:]*):(.*)$/s.exec(subject);
  const name = qualified === null ? subject : qualified[2]!;
  if (qualified !== null && qualified[1] !== "") {
    const context = nameProblem(qualified[1]!, { fromUrl: true });
    if (context !== null) return `context name ${context}`;
  }
  if (RESERVED_SUBJECT_NAMES.includes(name)) return "is reserved";
  return nameProblem(name, { fromUrl: true });
}

/**
 * Reads a body as UTF-8 text, stopping as soon as it passes `maxBytes` (a declared
 * Content-Length over the limit is refused before anything is read): null when too large.
 *
 * @example
 *   const text = await readBodyText(c.req.raw, MAX_BODY_BYTES);
 *   if (text === null) throw new ConfluentError(413, "...");
 */
export async function readBodyText(request: Request, maxBytes: number = MAX_BODY_BYTES): Promise<string | null> {
  const declared = Number(request.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > maxBytes) return null;
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    read += value.byteLength;
    if (read > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(read);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

function codePoint(text: string, index: number): string {
  return (text.codePointAt(index) ?? 0).toString(16).toUpperCase().padStart(4, "0");
}
