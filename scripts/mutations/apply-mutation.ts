import type { Mutation } from "./mutation-list.ts";

/**
 * The file's text with the mutation applied. Throws when `from` does not occur exactly once, so a
 * mutation can never land somewhere it was not meant to, nor silently do nothing.
 *
 * @example
 *   applyMutation("a(); b();", { from: "b()", to: "c()", ... }) // "a(); c();"
 */
export function applyMutation(text: string, mutation: Pick<Mutation, "name" | "file" | "from" | "to">): string {
  const first = text.indexOf(mutation.from);
  if (first === -1) {
    throw new Error(`${mutation.name}: ${mutation.file} no longer contains ${JSON.stringify(mutation.from)}`);
  }
  if (text.indexOf(mutation.from, first + 1) !== -1) {
    throw new Error(`${mutation.name}: ${JSON.stringify(mutation.from)} occurs more than once in ${mutation.file}`);
  }
  return text.slice(0, first) + mutation.to + text.slice(first + mutation.from.length);
}
