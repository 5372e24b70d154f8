/**
 * Confluent Schema Registry's error shape, `{"error_code": 40401, "message": "..."}`, which its
 * clients parse (the HTTP status is the first three digits of the code). The /api error shape is
 * not used here: a Confluent client would not understand it.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The codes this API answers, as Confluent numbers them. */
export const CONFLUENT_ERRORS = {
  subjectNotFound: 40401,
  versionNotFound: 40402,
  schemaNotFound: 40403,
  subjectSoftDeleted: 40404,
  subjectNotSoftDeleted: 40405,
  versionSoftDeleted: 40406,
  versionNotSoftDeleted: 40407,
  subjectConfigNotFound: 40408,
  subjectModeNotFound: 40409,
  // Confluent answers an incompatible registration with the bare status as its code.
  incompatibleSchema: 409,
  invalidSchema: 42201,
  invalidVersion: 42202,
  invalidCompatibilityLevel: 42203,
  invalidMode: 42204,
  operationNotPermitted: 42205,
  referenceExists: 42206,
  invalidSubject: 42208,
  schemaTooLarge: 42209,
  invalidContext: 42210,
  storeError: 50001,
  operationTimeout: 50002,
  forwardingError: 50003,
  unknownLeader: 50004,
} as const;

/**
 * An error answered as Confluent does.
 *
 * @example
 *   throw new ConfluentError(CONFLUENT_ERRORS.subjectNotFound, "Subject 'orders-value' not found.");
 */
export class ConfluentError extends Error {
  readonly status: ContentfulStatusCode;

  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = "ConfluentError";
    // Confluent's codes carry their status in the first three digits (40401 -> 404); 400 and 422
    // alone (malformed requests) are their own status.
    this.status = (errorCode < 1000 ? errorCode : Math.trunc(errorCode / 100)) as ContentfulStatusCode;
  }
}
