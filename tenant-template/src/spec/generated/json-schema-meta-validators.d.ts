// Types for the generated ajv standalone validators (see scripts/generate-json-schema-meta-validators.ts).
export interface MetaSchemaError {
  /** JSON pointer into the schema document being checked, "" for its root. */
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}
export interface MetaSchemaValidator {
  (document: unknown): boolean;
  errors?: MetaSchemaError[] | null;
}
export declare const validateDraft07: MetaSchemaValidator;
export declare const validateDraft201909: MetaSchemaValidator;
export declare const validateDraft202012: MetaSchemaValidator;
