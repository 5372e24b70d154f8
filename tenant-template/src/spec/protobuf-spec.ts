/**
 * Protobuf specifications (.proto text, proto2, proto3 or editions), parsed by protobufjs into its
 * reflection tree. Only protobufjs's parser and resolver run here: they are plain code, whereas
 * its encoders and decoders are generated with `new Function`, which workerd refuses (see
 * docs/spec-validation.md). A compatibility check needs the reflection tree, not the codecs.
 */
import { common, Enum, Namespace, parse, Type, type ReflectionObject, type Root } from "protobufjs";
import { checkSpecLimits, locate } from "./spec-limits.ts";
import type { SpecError, SpecResult } from "./spec-types.ts";

export interface ParsedProtobufSpec {
  format: "PROTOBUF";
  syntax: "proto2" | "proto3" | "editions";
  package?: string;
  /** Imported files; the well-known google/protobuf ones are already in `root`. */
  imports: string[];
  /** protobufjs's reflection tree, every type reference resolved. */
  root: Root;
}

// Field numbers: 1 to 2^29 - 1, without the range reserved for the protobuf implementation.
const MAX_FIELD_NUMBER = 536_870_911;
const RESERVED_FIELD_NUMBERS = [19_000, 19_999] as const;

/** Every message, enum and namespace under `namespace`, nested ones included. */
function declaredIn(namespace: Namespace): ReflectionObject[] {
  const found: ReflectionObject[] = [];
  for (const nested of namespace.nestedArray) {
    found.push(nested);
    if (nested instanceof Namespace) found.push(...declaredIn(nested));
  }
  return found;
}

/**
 * Validates a .proto specification. An import resolves to protobufjs's bundled well-known types
 * (google/protobuf/timestamp.proto and friends) or to `dependencies` (file name -> .proto text:
 * the Confluent API's schema references, every level of them); any other import is refused.
 *
 * @example
 *   validateProtobufSpec('syntax = "proto3";\nmessage M {\n  string s = 1\n}');
 *   // { ok: false, errors: [{ path: "line 4", message: "illegal token '}', ';' expected", line: 4 }] }
 */
export function validateProtobufSpec(
  text: string,
  dependencies: ReadonlyMap<string, string> = new Map(),
): SpecResult<ParsedProtobufSpec> {
  const limits = checkSpecLimits(text, "proto");
  if (limits.length > 0) return { ok: false, errors: limits };

  const syntaxMatch = /^\s*(syntax|edition)\s*=\s*["']([^"']*)["']/m.exec(stripComments(text));
  let syntax: ParsedProtobufSpec["syntax"] = "proto2";
  if (syntaxMatch) {
    const [, keyword, value] = syntaxMatch;
    if (keyword === "edition") syntax = "editions";
    else if (value === "proto2" || value === "proto3") syntax = value;
    else {
      const line = locate(text, text.indexOf(syntaxMatch[0].trimStart())).line;
      return {
        ok: false,
        errors: [
          { path: `line ${line}`, message: `unknown syntax ${JSON.stringify(value)}: use "proto2" or "proto3"`, line },
        ],
      };
    }
  }

  let result: ReturnType<typeof parse>;
  try {
    // keepCase: field names as written, as Confluent and protoc report them.
    result = parse(text, { keepCase: true });
  } catch (error) {
    return { ok: false, errors: [protobufError(error)] };
  }

  const imports = [...(result.imports ?? []), ...(result.weakImports ?? [])];
  const missing: SpecError[] = [];
  const loaded = new Set<string>();
  const load = (file: string): boolean => {
    if (loaded.has(file)) return true;
    const wellKnown = common.get(file);
    if (wellKnown?.nested) {
      loaded.add(file);
      result.root.addJSON(wellKnown.nested);
      return true;
    }
    const source = dependencies.get(file);
    if (source === undefined) return false;
    loaded.add(file);
    const before = new Set(declaredIn(result.root));
    const dependency = parse(source, result.root, { keepCase: true });
    // Mark what the import declared with its file name, as protobufjs's own loader does: the
    // compatibility engine compares imported types structurally and the file's own by position.
    for (const declared of declaredIn(result.root)) if (!before.has(declared)) declared.filename = file;
    for (const next of [...(dependency.imports ?? []), ...(dependency.weakImports ?? [])])
      if (!load(next)) return false;
    return true;
  };
  for (const file of imports) {
    let found: boolean;
    try {
      found = load(file);
    } catch (error) {
      return {
        ok: false,
        errors: [{ ...protobufError(error), message: `in import "${file}": ${protobufError(error).message}` }],
      };
    }
    if (!found) {
      const line = locate(text, Math.max(0, text.indexOf(file))).line;
      missing.push({
        path: `line ${line}`,
        message: `import "${file}" cannot be resolved: it is neither a well-known type nor a schema reference`,
        line,
      });
    }
  }
  if (missing.length > 0) return { ok: false, errors: missing };

  try {
    result.root.resolveAll();
  } catch (error) {
    return { ok: false, errors: [protobufError(error)] };
  }
  const errors: SpecError[] = [];
  checkNumbers(result.root, syntax, errors);
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    parsed: {
      format: "PROTOBUF",
      syntax,
      ...(result.package ? { package: result.package } : {}),
      imports,
      root: result.root,
    },
  };
}

/**
 * protobufjs reports syntax errors as "... (line N)" and semantic ones as "... in Type a.b.M";
 * turn either into a path a person can find.
 */
function protobufError(error: unknown): SpecError {
  const message = error instanceof Error ? error.message : String(error);
  const line = /\s*\(line (\d+)\)$/.exec(message);
  if (line?.[1]) return { path: `line ${line[1]}`, message: message.slice(0, line.index), line: Number(line[1]) };
  const where = /\bin (?:Type|Enum|Namespace|Service|Root) \.?(\S+)$/.exec(message);
  return { path: where?.[1] ?? "", message };
}

/**
 * What protoc refuses and protobufjs's parser lets through: field numbers out of range, a proto3
 * enum not starting at 0.
 */
function checkNumbers(namespace: Namespace, syntax: ParsedProtobufSpec["syntax"], errors: SpecError[]): void {
  for (const nested of namespace.nestedArray) {
    const path = nested.fullName.replace(/^\./, "");
    if (nested instanceof Type) {
      for (const field of nested.fieldsArray) {
        const [low, high] = RESERVED_FIELD_NUMBERS;
        if (field.id < 1 || field.id > MAX_FIELD_NUMBER)
          errors.push({
            path: `${path}.${field.name}`,
            message: `field number ${field.id} is out of range 1 to ${MAX_FIELD_NUMBER}`,
          });
        else if (field.id >= low && field.id <= high)
          errors.push({
            path: `${path}.${field.name}`,
            message: `field number ${field.id} is reserved for the protobuf implementation (${low} to ${high})`,
          });
      }
    }
    if (nested instanceof Enum && syntax === "proto3") {
      const first = Object.values(nested.values)[0];
      if (first !== 0) errors.push({ path, message: "the first value of a proto3 enum must be 0" });
    }
    if (nested instanceof Namespace) checkNumbers(nested, syntax, errors);
  }
}

/** Comments blanked out, same length, so a `syntax` inside a comment is not read. */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (comment) => comment.replace(/[^\n]/g, " "));
}
