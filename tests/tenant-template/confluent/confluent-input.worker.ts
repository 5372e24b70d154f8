/**
 * A tiny Worker that answers what the Confluent API's request schemas make of inputs
 * (confluent-input.test.ts): for each `{ schema, value }` posted, the `{error_code, message}` the
 * route layer's hook answers, or the value as validated. Run in workerd, as the template is.
 */
import type { z } from "zod";
import { ConfluentError } from "../../../tenant-template/src/confluent/confluent-error.ts";
import {
  configBody,
  idParams,
  lookupBody,
  modeBody,
  schemaBody,
  settingsParams,
  subjectParams,
  subjectVersionParams,
} from "../../../tenant-template/src/confluent/confluent-input.ts";
import { confluentHook } from "../../../tenant-template/src/confluent/confluent-route.ts";

const SCHEMAS: Record<string, z.ZodType | undefined> = {
  schemaBody,
  lookupBody,
  configBody,
  modeBody,
  "subjectParams at the root": subjectParams(false),
  "subjectVersionParams at the root": subjectVersionParams(false),
  "subjectParams in a context": subjectParams(true),
  "settingsParams in a context": settingsParams(true),
  "idParams in a context": idParams(true),
};

function answer(name: string, value: unknown): unknown {
  const schema = SCHEMAS[name];
  if (schema === undefined) return { unknownSchema: name };
  const result = schema.safeParse(value);
  try {
    confluentHook(schema)(result);
  } catch (error) {
    if (error instanceof ConfluentError) return { error_code: error.errorCode, message: error.message };
    throw error;
  }
  return { valid: result.data };
}

export default {
  async fetch(request: Request): Promise<Response> {
    const inputs = (await request.json()) as { schema: string; value: unknown }[];
    return Response.json(inputs.map(({ schema, value }) => answer(schema, value)));
  },
};
