/**
 * Syntax highlighting for the three schema formats, as tokens the view wraps in classes: Avro and
 * JSON Schema are JSON (keys, strings, numbers, literals), Protobuf is its own language (keywords,
 * scalar types, strings, numbers, comments). A small scanner rather than a highlighting library:
 * three grammars, no runtime cost, nothing loaded.
 */

export type SchemaFormat = "AVRO" | "JSON" | "PROTOBUF";
export type TokenKind = "key" | "string" | "number" | "literal" | "keyword" | "type" | "comment" | "plain";
export interface Token {
  kind: TokenKind;
  text: string;
}

const JSON_TOKEN = /("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;

const PROTO_KEYWORDS = new Set(
  (
    "syntax edition package import public weak option message enum oneof map repeated optional required " +
    "reserved extensions extend service rpc returns stream to max group"
  ).split(" "),
);
const PROTO_TYPES = new Set(
  "double float int32 int64 uint32 uint64 sint32 sint64 fixed32 fixed64 sfixed32 sfixed64 bool string bytes".split(" "),
);
const PROTO_TOKEN =
  /(\/\/[^\n]*|\/\*[\s\S]*?\*\/)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|\b(\d+)\b|\b([A-Za-z_]\w*)\b/g;

/**
 * The tokens of `text`; concatenated, they are `text` again.
 *
 * @example
 *   schemaTokens(`{"type":"string"}`, "AVRO") // plain "{", key "\"type\"", plain ":", string "\"string\"", ...
 */
export function schemaTokens(text: string, format: SchemaFormat): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  const plain = (end: number) => {
    if (end > last) tokens.push({ kind: "plain", text: text.slice(last, end) });
  };
  const pattern = new RegExp(format === "PROTOBUF" ? PROTO_TOKEN : JSON_TOKEN);
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const kind = format === "PROTOBUF" ? protoKind(match) : jsonKind(match);
    if (kind === "plain") continue;
    plain(match.index);
    // A JSON key's colon stays plain text.
    const own = format !== "PROTOBUF" && match[2] !== undefined ? match[1]! : match[0];
    tokens.push({ kind, text: own });
    last = match.index + own.length;
  }
  plain(text.length);
  return tokens;
}

function jsonKind(match: RegExpExecArray): TokenKind {
  if (match[1] !== undefined) return match[2] !== undefined ? "key" : "string";
  return match[3] !== undefined ? "number" : "literal";
}

function protoKind(match: RegExpExecArray): TokenKind {
  if (match[1] !== undefined) return "comment";
  if (match[2] !== undefined) return "string";
  if (match[3] !== undefined) return "number";
  const word = match[4]!;
  if (PROTO_KEYWORDS.has(word)) return "keyword";
  return PROTO_TYPES.has(word) ? "type" : "plain";
}

/**
 * The text shown and compared: JSON formats indented two spaces (a registered schema is often one
 * line, which would diff as one changed line), Protobuf as written.
 *
 * @example
 *   readableSchema('{"type":"string"}', "AVRO") // '{\n  "type": "string"\n}'
 */
export function readableSchema(text: string, format: SchemaFormat): string {
  if (format === "PROTOBUF") return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
