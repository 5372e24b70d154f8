/**
 * Input limits and JSON parsing with positions, shared by the three formats. The limits are
 * checked on the raw text before any parser sees it, so a hostile specification costs one linear
 * scan and never a deep recursion inside a library.
 */
import { parse as parseJsonc, printParseErrorCode, type ParseError } from "jsonc-parser";
import type { SpecError } from "./spec-types.ts";

/**
 * Largest specification accepted, in UTF-8 bytes. Confluent's own default request limit is far
 * above any real schema; 256 KiB holds a 2,000-field record.
 */
export const MAX_SPEC_BYTES = 256 * 1024;
/** Deepest nesting of JSON arrays/objects or .proto blocks accepted. */
export const MAX_SPEC_DEPTH = 64;

/**
 * 1-based line and column of a UTF-16 offset in `text`.
 *
 * @example
 *   locate("a\nbc", 3); // { line: 2, column: 2 }
 */
export function locate(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * Refuses text over MAX_SPEC_BYTES, or nested deeper than MAX_SPEC_DEPTH. `blocks` says which
 * brackets count: JSON counts `{` and `[`, .proto counts `{` only; strings (and, for .proto,
 * comments) are skipped so a brace inside them does not count.
 *
 * @example
 *   checkSpecLimits("[[[]]]", "json"); // []
 *   checkSpecLimits("[".repeat(100), "json")[0]?.message; // "nested deeper than 64 levels"
 */
export function checkSpecLimits(text: string, syntax: "json" | "proto"): SpecError[] {
  const bytes = new TextEncoder().encode(text).byteLength;
  if (bytes > MAX_SPEC_BYTES) {
    return [{ path: "", message: `specification is ${bytes} bytes, over the limit of ${MAX_SPEC_BYTES} bytes` }];
  }
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || (syntax === "proto" && ch === "'")) {
      // Skip the string; an unterminated one is the parser's error to report, with its position.
      for (i++; i < text.length && text[i] !== ch; i++) if (text[i] === "\\") i++;
    } else if (syntax === "proto" && ch === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (syntax === "proto" && ch === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      i = close === -1 ? text.length : close + 1;
    } else if (ch === "{" || (syntax === "json" && ch === "[")) {
      depth++;
      if (depth > MAX_SPEC_DEPTH)
        return [{ path: "", message: `nested deeper than ${MAX_SPEC_DEPTH} levels`, ...locate(text, i) }];
    } else if (ch === "}" || (syntax === "json" && ch === "]")) {
      depth--;
    }
  }
  return [];
}

/**
 * Parses strict JSON (no comments, no trailing commas). On failure, says where: the line and
 * column of the first problem, which JSON.parse's message does not give portably.
 *
 * @example
 *   parseJson('{"a": }');
 *   // { ok: false, errors: [{ path: "", message: "malformed JSON: ValueExpected", line: 1, column: 7 }] }
 */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; errors: SpecError[] } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // Only the failure path pays for the second, position-aware parse.
    const problems: ParseError[] = [];
    parseJsonc(text, problems, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = problems[0];
    if (!first) return { ok: false, errors: [{ path: "", message: "malformed JSON" }] };
    return {
      ok: false,
      errors: [
        { path: "", message: `malformed JSON: ${printParseErrorCode(first.error)}`, ...locate(text, first.offset) },
      ],
    };
  }
}

/**
 * Escapes one JSON pointer segment (RFC 6901).
 *
 * @example
 *   pointer(["properties", "a/b", 0]); // "/properties/a~1b/0"
 */
export function pointer(segments: ReadonlyArray<string | number>): string {
  return segments.map((s) => `/${String(s).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}
