import type { z } from "zod";
import { uniqueIndexName } from "./collection-ddl.ts";
import type { Collection } from "./define-collection.ts";

/** A document as the store returns it. */
export interface StoredDocument<Body> {
  id: string;
  body: Body;
  /** 1 after insert, +1 per update: the value to send back as `expectedVersion` (and the ETag). */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** No document with that id. */
export interface NotFound {
  ok: false;
  kind: "not_found";
  id: string;
}

/** The caller wrote from a stale read: nothing was written (never a lost update). */
export interface VersionConflict {
  ok: false;
  kind: "version_conflict";
  id: string;
  expectedVersion: number;
  /** What is stored now, so the caller can re-read and retry. */
  currentVersion: number;
}

/** The write would break a unique constraint (an id, or a declared `unique`); nothing was written. */
export interface UniqueViolation {
  ok: false;
  kind: "unique_violation";
  /** The unique index's name, or `<table>_id_unique` for a duplicate id. */
  constraint: string;
  /** The indexed fields (columns) of the constraint, e.g. `["product_id", "name"]`. */
  fields: string[];
}

/** The body (or the id) was refused by the collection's zod schema (or the id rule). */
export interface InvalidInput {
  ok: false;
  kind: "invalid_input";
  issues: z.core.$ZodIssue[];
}

export interface Written<Body> {
  ok: true;
  document: StoredDocument<Body>;
}

export interface Deleted {
  ok: true;
  id: string;
}

export type InsertResult<Body> = Written<Body> | UniqueViolation | InvalidInput;
export type UpdateResult<Body> = Written<Body> | NotFound | VersionConflict | UniqueViolation | InvalidInput;
export type DeleteResult = Deleted | NotFound | VersionConflict;

/** Every way a store write can be refused. */
export type StoreFailure = NotFound | VersionConflict | UniqueViolation | InvalidInput;

// D1 reports SQLite's message, e.g.
// "D1_ERROR: UNIQUE constraint failed: domains.product_id, domains.name: SQLITE_CONSTRAINT".
// SQLite gives no structured code through D1, so the message is the only place the columns are;
// the pattern is SQLite's own fixed wording, not free text.
const UNIQUE_FAILED = /UNIQUE constraint failed: ([A-Za-z0-9_.,\s]+?)(?::|$)/;

/**
 * The unique violation a D1 error reports for this collection's table, or null if it is anything
 * else (then the caller rethrows it).
 *
 * @example
 *   uniqueViolationOf(error, domains);
 *   // { ok: false, kind: "unique_violation", constraint: "domains_product_id_name_unique",
 *   //   fields: ["product_id", "name"] }
 */
export function uniqueViolationOf(error: unknown, collection: Collection): UniqueViolation | null {
  const messages: string[] = [];
  for (let e: unknown = error; e instanceof Error && messages.length < 5; e = e.cause) messages.push(e.message);
  for (const message of messages) {
    const match = UNIQUE_FAILED.exec(message);
    if (!match) continue;
    const qualified = match[1]!.split(",").map((column) => column.trim());
    // Another table's constraint (a batch over several collections) is not this collection's.
    if (!qualified.every((column) => column.startsWith(`${collection.name}.`))) return null;
    const fields = qualified.map((column) => column.slice(collection.name.length + 1));
    return { ok: false, kind: "unique_violation", constraint: uniqueIndexName(collection.name, fields), fields };
  }
  return null;
}
