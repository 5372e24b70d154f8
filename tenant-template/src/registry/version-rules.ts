/**
 * What a schema version write must respect beyond its zod shape: the status lifecycle, the
 * immutability of anything that was ever published, and a specification that is valid for the
 * format it declares.
 */
import { ApiError, type ErrorDetail } from "../api-error.ts";
import type { VERSION_STATUSES } from "../store/collections.ts";
import { validateSpecification, type SpecError, type SpecFormat } from "../spec/validate-specification.ts";

type VersionStatus = (typeof VERSION_STATUSES)[number];

/** The fields of a version the rules look at. */
export interface VersionFacts {
  semanticVersion: string;
  format: SpecFormat;
  specification: string;
  status: VersionStatus;
}

/**
 * The allowed status changes. Removed is final; a Deprecated version may be published again (a
 * deprecation withdrawn); nothing goes back to Draft, because consumers may already use it.
 */
const STATUS_TRANSITIONS: Readonly<Record<VersionStatus, readonly VersionStatus[]>> = {
  Draft: ["Published", "Removed"],
  Published: ["Deprecated"],
  Deprecated: ["Published", "Removed"],
  Removed: [],
};

/** Statuses a version may be created with: a Deprecated or Removed version has never been in use. */
const INITIAL_STATUSES: readonly VersionStatus[] = ["Draft", "Published"];

/**
 * Refuses a version write that breaks the lifecycle (409) or carries an invalid specification
 * (422 with one detail per error, saying where). `before` is null for a create.
 *
 * @example
 *   checkVersionWrite({ ...current, status: "Published" }, { ...current, status: "Draft" });
 *   // throws 409 invalid_transition
 */
export function checkVersionWrite(before: VersionFacts | null, after: VersionFacts): void {
  if (before === null) {
    if (!INITIAL_STATUSES.includes(after.status)) {
      throw new ApiError(
        409,
        "invalid_transition",
        `A version is created as Draft or Published, not ${after.status}.`,
        {
          details: [{ path: "body/status", message: `must be Draft or Published` }],
        },
      );
    }
  } else {
    if (before.status !== after.status && !STATUS_TRANSITIONS[before.status].includes(after.status)) {
      const allowed = STATUS_TRANSITIONS[before.status];
      throw new ApiError(
        409,
        "invalid_transition",
        `A ${before.status} version cannot become ${after.status}` +
          `${allowed.length === 0 ? ": Removed is final" : ` (allowed: ${allowed.join(", ")})`}.`,
        { details: [{ path: "body/status", message: `${before.status} -> ${after.status} is not allowed` }] },
      );
    }
    // Once published, consumers may hold the specification by its version: it never changes.
    if (before.status !== "Draft") {
      const changed = (["specification", "format", "semanticVersion"] as const).filter(
        (field) => before[field] !== after[field],
      );
      if (changed.length > 0) {
        throw new ApiError(
          409,
          "immutable_version",
          `A ${before.status} version is immutable: ` +
            `create a new version instead of changing its ${changed.join(", ")}.`,
          {
            details: changed.map((field) => ({ path: `body/${field}`, message: "cannot change once published" })),
          },
        );
      }
    }
    if (before.specification === after.specification && before.format === after.format) return;
  }
  const result = validateSpecification(after.format, after.specification);
  if (!result.ok) {
    const first = result.errors[0];
    throw new ApiError(
      422,
      "invalid_specification",
      `The specification is not valid ${after.format}` +
        `${first === undefined ? "" : `: ${where(first)}${first.message}`}.`,
      {
        details: result.errors.map(specDetail),
      },
    );
  }
}

function where(error: SpecError): string {
  if (error.line !== undefined)
    return `line ${error.line}${error.column === undefined ? "" : `, column ${error.column}`}: `;
  return error.path === "" ? "" : `${error.path}: `;
}

// JSON pointers extend the field's path (body/specification/fields/0/type); a .proto line or
// message path is not a pointer, so it goes in the message. Line and column are kept as numbers.
function specDetail(error: SpecError): ErrorDetail {
  const pointer = error.path.startsWith("/") ? error.path : "";
  const located = pointer === "" && error.path !== "" && error.line === undefined ? `${error.path}: ` : "";
  return {
    path: `body/specification${pointer}`,
    message: `${located}${error.message}`,
    ...(error.line === undefined ? {} : { line: error.line }),
    ...(error.column === undefined ? {} : { column: error.column }),
  };
}
