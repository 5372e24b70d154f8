/**
 * Two versions side by side, line by line (jsdiff's `diffLines`): removed lines on the left, added
 * on the right, unchanged on both, paired up so a changed line sits beside its replacement.
 */
import { diffLines } from "diff";
import { readableSchema, type SchemaFormat } from "./schema-tokens.ts";

export interface DiffRow {
  left: { number: number; text: string } | null;
  right: { number: number; text: string } | null;
  change: "same" | "changed" | "removed" | "added";
}

const linesOf = (value: string) => value.replace(/\n$/, "").split("\n");

/**
 * The rows of a side-by-side diff.
 *
 * @example
 *   diffRows("a\nb\n", "a\nc\n") // [{same a|a}, {changed b|c}]
 */
export function diffRows(before: string, after: string): DiffRow[] {
  const rows: DiffRow[] = [];
  let leftNumber = 0;
  let rightNumber = 0;
  let removed: string[] = [];
  const flush = (added: string[]) => {
    for (let i = 0; i < Math.max(removed.length, added.length); i += 1) {
      const left = i < removed.length ? { number: ++leftNumber, text: removed[i]! } : null;
      const right = i < added.length ? { number: ++rightNumber, text: added[i]! } : null;
      rows.push({ left, right, change: left && right ? "changed" : left ? "removed" : "added" });
    }
    removed = [];
  };
  for (const part of diffLines(
    before.endsWith("\n") ? before : `${before}\n`,
    after.endsWith("\n") ? after : `${after}\n`,
  )) {
    if (part.removed) removed = linesOf(part.value);
    else if (part.added) flush(linesOf(part.value));
    else {
      flush([]);
      for (const text of linesOf(part.value))
        rows.push({ left: { number: ++leftNumber, text }, right: { number: ++rightNumber, text }, change: "same" });
    }
  }
  flush([]);
  return rows;
}

/**
 * @example
 *   <VersionDiff before={{ label: "v1", text, format }} after={{ label: "v2", text: text2, format }} />
 */
export function VersionDiff(props: {
  before: { label: string; text: string; format: SchemaFormat };
  after: { label: string; text: string; format: SchemaFormat };
}) {
  const rows = diffRows(
    readableSchema(props.before.text, props.before.format),
    readableSchema(props.after.text, props.after.format),
  );
  const changes = rows.filter((row) => row.change !== "same").length;
  return (
    <div class="diff-wrap">
      <p role="status">{changes === 0 ? "No differences." : `${changes} changed line${changes === 1 ? "" : "s"}.`}</p>
      <table class="diff">
        <caption class="visually-hidden">
          {props.before.label} compared with {props.after.label}
        </caption>
        <colgroup>
          <col class="ln" />
          <col />
          <col class="ln" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th scope="col" colSpan={2}>
              {props.before.label}
            </th>
            <th scope="col" colSpan={2}>
              {props.after.label}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={index} class={`diff-${row.change}`}>
              <td class="ln">{row.left?.number ?? ""}</td>
              <td class={row.left && row.change !== "same" ? "del" : undefined}>
                <code>{row.left?.text ?? ""}</code>
              </td>
              <td class="ln">{row.right?.number ?? ""}</td>
              <td class={row.right && row.change !== "same" ? "add" : undefined}>
                <code>{row.right?.text ?? ""}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
