/**
 * Reading a wrangler.jsonc file (the tenant template's and the dispatcher's), as wrangler reads it:
 * JSONC, comments and trailing commas allowed. One reader for every part that needs a Worker's
 * settings from the file that deploys it.
 */
import { readFile } from "node:fs/promises";
import { type ParseError, parse as parseJsonc, printParseErrorCode } from "jsonc-parser";

/**
 * The top-level object of a wrangler.jsonc file; fails with the file name and the position of the
 * first syntax error, or when the file is not an object.
 *
 * @example
 *   const config = await readWranglerConfig("tenant-template/wrangler.jsonc");
 *   config.compatibility_date // "2025-09-01"
 */
export async function readWranglerConfig(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const errors: ParseError[] = [];
  const raw: unknown = parseJsonc(text, errors, { allowTrailingComma: true });
  const first = errors[0];
  if (first !== undefined) throw new Error(`${path}: ${printParseErrorCode(first.error)} at offset ${first.offset}`);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${path}: expected an object`);
  return raw as Record<string, unknown>;
}
