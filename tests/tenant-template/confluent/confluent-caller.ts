/**
 * Calls a harness database's Confluent API as a Confluent client does (its content type on
 * bodies), shared by the Confluent test files that each own a database.
 */
import { expect } from "vitest";
import type { ApiResponse, RegistryHarness } from "../registry/registry-harness.ts";

export const CONFLUENT_JSON = { "content-type": "application/vnd.schemaregistry.v1+json" };

export type ConfluentCall = <T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<ApiResponse<T>>;

/**
 * `harness` is read at each call: test files start theirs in `beforeAll`.
 *
 * @example
 *   const call = confluentCaller(() => h, "idcache");
 *   await call("POST", "/subjects/orders-value/versions", { schema: avroRecord("Order") });
 */
export function confluentCaller(harness: () => RegistryHarness, database: string): ConfluentCall {
  return (method, path, body, headers = {}) =>
    harness().call(database, method, path, body, { ...(body === undefined ? {} : CONFLUENT_JSON), ...headers });
}

/** A one-field Avro record named `name`: distinct names are distinct schemas. */
export function avroRecord(name: string): string {
  return JSON.stringify({ type: "record", name, fields: [{ name: "id", type: "string" }] });
}

/** Registers `schema` under `subject`, expecting 200, and answers its id. */
export async function registerSchema(call: ConfluentCall, subject: string, schema: string): Promise<number> {
  const reply = await call<{ id: number }>("POST", `/subjects/${subject}/versions`, { schema });
  expect(reply.status, reply.text).toBe(200);
  return reply.json.id;
}
